"""Text, JSON, SARIF and diff outputs, from hand-made results (no engine needed)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from unidiff import PatchSet

from codemods import report
from codemods.model import Edit, FileResult, Finding, Fix, Safety
from codemods.options import Options

BEFORE = b"""package main

func count(db *sql.DB) error {
\trows, err := db.Query("SELECT 1")
\tif err != nil {
\t\treturn err
\t}
\treturn nil
}
"""
INSERT_AT = BEFORE.index(b"\treturn nil")
CLOSE = b"\tdefer rows.Close()\n"
AFTER = BEFORE[:INSERT_AT] + CLOSE + BEFORE[INSERT_AT:]


def finding(
    path: str, rule: str = "rows-close", line: int = 4, safety: Safety | None = Safety.SAFE
) -> Finding:
    fix = None
    if safety is not None:
        fix = Fix("Add `defer rows.Close()`", safety, (Edit(INSERT_AT, INSERT_AT, CLOSE),))
    return Finding(rule, path, line, 2, line, 35, "rows are never closed", fix, 0, 0)


@pytest.fixture
def files(tmp_path: Path) -> list[FileResult]:
    a = str(tmp_path / "svc" / "a.go")
    b = str(tmp_path / "b.go")
    return [
        FileResult(
            a,
            BEFORE,
            BEFORE,
            findings=[
                finding(a),
                finding(a, "query-timeout", 4, Safety.UNSAFE),
                finding(a, "rows-err", 5, None),
            ],
            messages=["rows-err fix conflicts with rows-close; run again"],
        ),
        FileResult(b, b"", b"", error="syntax error at 3:1"),
    ]


def test_text(files: list[FileResult], tmp_path: Path) -> None:
    text = report.render_text(files, Options(), tmp_path)
    assert text.splitlines() == [
        "svc/a.go:4:2: query-timeout rows are never closed [unsafe fix]",
        "svc/a.go:4:2: rows-close rows are never closed [*]",
        "svc/a.go:5:2: rows-err rows are never closed",
        "b.go: error: syntax error at 3:1",
        "svc/a.go: note: rows-err fix conflicts with rows-close; run again",
        "Found 3 findings (1 fixable, 1 with --unsafe-fixes).",
        "1 file could not be checked.",
    ]


def test_text_with_unsafe_fixes(files: list[FileResult], tmp_path: Path) -> None:
    text = report.render_text(files, Options(unsafe_fixes=True), tmp_path)
    assert "query-timeout rows are never closed [*]" in text
    assert "Found 3 findings (2 fixable)." in text


def test_text_clean(tmp_path: Path) -> None:
    clean = [FileResult(str(tmp_path / "a.go"), BEFORE, BEFORE)]
    assert report.render_text(clean, Options(), tmp_path) == "No leaks found.\n"


@pytest.mark.parametrize(
    ("safeties", "expected"),
    [
        ([Safety.SAFE], "Found 1 finding (1 fixable)."),
        ([None, None], "Found 2 findings."),
        ([Safety.UNSAFE], "Found 1 finding (1 with --unsafe-fixes)."),
    ],
)
def test_summary(safeties: list[Safety | None], expected: str) -> None:
    findings = [finding("a.go", safety=safety) for safety in safeties]
    assert report.summary(findings, Options()) == expected


def test_paths_outside_cwd_stay_as_given(tmp_path: Path) -> None:
    inside = tmp_path / "in"
    inside.mkdir()
    outside = str(tmp_path / "out" / "x.go")
    assert report.display_path(outside, inside) == Path(outside).as_posix()
    assert report.display_path(str(inside / "x.go"), inside) == "x.go"


def test_json(files: list[FileResult], tmp_path: Path) -> None:
    document = json.loads(report.render_json(files, tmp_path))
    assert document["version"] == 1
    assert {"version", "findings", "errors"} <= document.keys()
    keys = {
        "rule",
        "category",
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "message",
        "fix",
    }
    assert all(item.keys() == keys for item in document["findings"])
    first = document["findings"][1]
    assert first["rule"] == "rows-close"
    assert first["path"] == "svc/a.go"
    assert first["fix"] == {"title": "Add `defer rows.Close()`", "safety": "safe"}
    assert document["findings"][2]["fix"] is None
    assert document["errors"] == [{"path": "b.go", "message": "syntax error at 3:1"}]


def test_sarif(files: list[FileResult], tmp_path: Path) -> None:
    document = json.loads(report.render_sarif(files, tmp_path))
    assert document["version"] == "2.1.0"
    assert "sarif" in document["$schema"]
    (run,) = document["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "leakfix"
    rules = driver["rules"]
    for rule in rules:
        assert {"id", "name", "shortDescription", "fullDescription", "help"} <= rule.keys()
        assert rule["defaultConfiguration"] == {"level": "warning"}
        assert {"text", "markdown"} <= rule["help"].keys()
    assert len(run["results"]) == 3
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == "warning"
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"] == {"uri": "svc/a.go", "uriBaseId": "%SRCROOT%"}
        assert set(physical["region"]) == {"startLine", "startColumn", "endLine", "endColumn"}
        assert result["partialFingerprints"]
    fixed = next(r for r in run["results"] if r["ruleId"] == "rows-close")
    (change,) = fixed["fixes"][0]["artifactChanges"]
    (replacement,) = change["replacements"]
    assert replacement == {
        "deletedRegion": {"byteOffset": INSERT_AT, "byteLength": 0},
        "insertedContent": {"text": CLOSE.decode()},
    }
    assert "fixes" not in next(r for r in run["results"] if r["ruleId"] == "rows-err")
    (invocation,) = run["invocations"]
    assert invocation["toolExecutionNotifications"][0]["message"]["text"] == "syntax error at 3:1"


def test_sarif_fingerprints_ignore_line_moves(tmp_path: Path) -> None:
    path = str(tmp_path / "a.go")

    def fingerprint(data: bytes, line: int) -> str:
        result = FileResult(path, data, data, findings=[finding(path, line=line)])
        run = json.loads(report.render_sarif([result], tmp_path))["runs"][0]
        return run["results"][0]["partialFingerprints"]["leakfix/v1"]

    assert fingerprint(BEFORE, 4) == fingerprint(b"// moved\n" + BEFORE, 5)
    assert fingerprint(BEFORE, 4) != fingerprint(BEFORE, 5)


def test_sarif_columns_count_utf16_units(tmp_path: Path) -> None:
    path = str(tmp_path / "a.go")
    data = 'package main\n\nvar s = "€"; var t = 1\n'.encode()
    column = data.splitlines()[2].index(b"var t") + 1  # bytes: the euro sign takes three
    result = FileResult(path, data, data, findings=[Finding("r", path, 3, column, 3, column, "m")])
    run = json.loads(report.render_sarif([result], tmp_path))["runs"][0]
    assert run["results"][0]["locations"][0]["physicalLocation"]["region"]["startColumn"] == (
        column - 2
    )


# unified diff ---------------------------------------------------------------------------


def crlf(data: bytes) -> bytes:
    return data.replace(b"\n", b"\r\n")


DIFF_CASES = {
    "lf.go": (BEFORE, AFTER),
    "crlf.go": (crlf(BEFORE), crlf(AFTER)),
    "no_final_newline.go": (BEFORE.rstrip(b"\n"), AFTER.rstrip(b"\n")),
    "last_line_changes.go": (b"package main\n\nvar x = 1", b"package main\n\nvar x = 2\n"),
    "latin1.go": (b"package main\n\n// caf\xe9\n", b"package main\n\n// caf\xe9\nvar x = 1\n"),
    "unchanged.go": (BEFORE, BEFORE),
}


@pytest.fixture
def diff_files(tmp_path: Path) -> list[FileResult]:
    results = []
    for name, (before, after) in DIFF_CASES.items():
        path = tmp_path / "pkg" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(before)
        results.append(FileResult(str(path), before, after))
    return results


def test_diff_parses(diff_files: list[FileResult], tmp_path: Path) -> None:
    diff = report.render_diff(diff_files, tmp_path)
    patch = PatchSet(diff.splitlines(keepends=True))
    changed = {name for name, (before, after) in DIFF_CASES.items() if before != after}
    assert {Path(file.path).name for file in patch} == changed
    for file in patch:
        assert file.source_file == f"a/pkg/{Path(file.path).name}"
        assert file.target_file == f"b/pkg/{Path(file.path).name}"
    assert diff.count(report.NO_NEWLINE) == 2  # a shared last line, a changed last line
    assert "+\tdefer rows.Close()\r\n" in diff


def test_diff_of_nothing_is_empty(tmp_path: Path) -> None:
    assert report.render_diff([FileResult(str(tmp_path / "a.go"), BEFORE, BEFORE)]) == ""


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_diff_applies_with_git(diff_files: list[FileResult], tmp_path: Path) -> None:
    diff = report.render_diff(diff_files, tmp_path).encode("utf-8", "surrogateescape")
    git_apply(tmp_path, diff)
    for result in diff_files:
        assert Path(result.path).read_bytes() == result.fixed, result.path


def git_apply(folder: Path, patch: bytes) -> None:
    """Check then apply ``patch`` in ``folder`` as a git work tree; fails on any complaint."""
    git = ["git", "-c", "core.autocrlf=false", "-c", "core.safecrlf=false"]
    subprocess.run([*git, "init", "-q"], cwd=folder, check=True)
    (folder / "change.patch").write_bytes(patch)
    for extra in (["--check"], []):
        completed = subprocess.run(
            [*git, "apply", *extra, "change.patch"], cwd=folder, capture_output=True
        )
        assert completed.returncode == 0, completed.stderr.decode()
