"""The leakfix command end to end: exit codes, output formats, fix and its dry run.

These run the real engine and rules (nothing is skipped when they are missing: a failure then
says the engine is not there yet).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result
from unidiff import PatchSet

from codemods import __version__
from codemods.cli import app

ROOT = Path(__file__).resolve().parent.parent

LEAKY = """package main

import "database/sql"

func count(db *sql.DB) (int, error) {
\trows, err := db.Query("SELECT 1")
\tif err != nil {
\t\treturn 0, err
\t}
\tn := 0
\tfor rows.Next() {
\t\tvar id int
\t\tif err := rows.Scan(&id); err != nil {
\t\t\treturn 0, err
\t\t}
\t\tn++
\t}
\treturn n, nil
}
"""
CLEAN = "package main\n\nfunc main() {}\n"
BROKEN = "package main\n\nfunc broken( {\n\trows, err := db.Query(\n"


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder that is also the working directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(folder: Path, name: str, text: str, newline: str = "\n") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.replace("\n", newline).encode())
    return path


def leakfix(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def rules_in(text: str) -> set[str]:
    return {line.split()[1] for line in text.splitlines() if line.count(":") >= 3}


# check ----------------------------------------------------------------------------------


def test_clean_exits_0(work: Path) -> None:
    write(work, "main.go", CLEAN)
    result = leakfix("check")
    assert result.exit_code == 0, result.output
    assert result.stdout == "No leaks found.\n"


def test_findings_exit_1(work: Path) -> None:
    write(work, "main.go", LEAKY)
    result = leakfix("check", ".")
    assert result.exit_code == 1, result.output
    assert {"rows-close", "rows-err", "query-timeout"} <= rules_in(result.stdout)
    assert "main.go:6:" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("Found ")


def test_go_pattern_and_subfolder_paths(work: Path) -> None:
    write(work, "svc/db.go", LEAKY)
    result = leakfix("check", "./...")
    assert result.exit_code == 1, result.output
    assert "svc/db.go:6:" in result.stdout


def test_missing_path_exits_2(work: Path) -> None:
    result = leakfix("check", "nope")
    assert result.exit_code == 2
    assert result.stderr == "leakfix: error: path not found: nope\n"
    assert result.stdout == ""


def test_folder_without_go_files_exits_2(work: Path) -> None:
    write(work, "docs/readme.md", "# docs\n")
    result = leakfix("check", "docs")
    assert result.exit_code == 2
    assert result.stderr == "leakfix: error: no Go files in docs\n"


@pytest.mark.parametrize("flag", ["--select", "--ignore"])
def test_unknown_rule_exits_2(work: Path, flag: str) -> None:
    write(work, "main.go", LEAKY)
    result = leakfix("check", flag, "rows-close,no-such-rule")
    assert result.exit_code == 2
    assert result.stderr.startswith("leakfix: error: unknown rule id: no-such-rule (known: ")
    assert "rows-close" in result.stderr
    assert result.stderr.count("\n") == 1


def test_unknown_option_exits_2(work: Path) -> None:
    assert leakfix("check", "--no-such-option").exit_code == 2


def test_bad_timeout_exits_2(work: Path) -> None:
    write(work, "main.go", LEAKY)
    result = leakfix("check", "--timeout", "soon")
    assert result.exit_code == 2
    assert result.stderr.startswith("leakfix: error: invalid timeout 'soon'")


def test_bad_config_exits_2(work: Path) -> None:
    write(work, "main.go", LEAKY)
    write(work, ".leakfix.toml", "colour = true\n")
    result = leakfix("check")
    assert result.exit_code == 2
    assert "unknown key 'colour'" in result.stderr


@pytest.mark.parametrize(
    "args", [["--select", "rows-close"], ["--select", "rows-err", "--select", "rows-close"]]
)
def test_select(work: Path, args: list[str]) -> None:
    write(work, "main.go", LEAKY)
    result = leakfix("check", *args)
    assert rules_in(result.stdout) == set(args[1::2])


def test_ignore(work: Path) -> None:
    write(work, "main.go", LEAKY)
    result = leakfix("check", "--ignore", "rows-close,query-timeout")
    assert "rows-close" not in rules_in(result.stdout)
    assert "rows-err" in rules_in(result.stdout)


def test_config_selects_and_configured_timeout_makes_fix_safe(work: Path) -> None:
    write(work, "main.go", LEAKY)
    unsafe = leakfix("check", "--select", "query-timeout", "--timeout", "3s").stdout
    assert "[unsafe fix]" in unsafe
    write(work, ".leakfix.toml", 'select = ["query-timeout"]\ntimeout = "3s"\n')
    configured = leakfix("check").stdout
    assert rules_in(configured) == {"query-timeout"}
    assert "[*]" in configured


def test_unsafe_fixes_marks_unsafe_fixes_fixable(work: Path) -> None:
    write(work, "main.go", LEAKY)
    result = leakfix("check", "--select", "query-timeout", "--unsafe-fixes")
    assert "[*]" in result.stdout
    assert "[unsafe fix]" not in result.stdout


def test_suppression_comments(work: Path) -> None:
    query = '\trows, err := db.Query("SELECT 1")'
    write(work, "main.go", LEAKY.replace(query, query + " //nolint:sqlclosecheck // closed later"))
    found = rules_in(leakfix("check").stdout)
    assert "rows-close" not in found
    assert "rows-err" in found


def test_timeout_reaches_the_fix(work: Path) -> None:
    path = write(work, "main.go", LEAKY)
    leakfix("fix", "--select", "query-timeout", "--unsafe-fixes", "--timeout", "1m30s")
    assert "90*time.Second" in path.read_text()


def test_generated_files_are_skipped(work: Path) -> None:
    write(work, "main.go", CLEAN)
    write(work, "gen.go", "// Code generated by x. DO NOT EDIT.\n\n" + LEAKY)
    assert leakfix("check").exit_code == 0
    assert leakfix("check", "--include-generated").exit_code == 1


def test_exclude(work: Path) -> None:
    write(work, "main.go", CLEAN)
    write(work, "legacy/db.go", LEAKY)
    assert leakfix("check", "--exclude", "legacy").exit_code == 0


def test_json(work: Path) -> None:
    write(work, "main.go", LEAKY)
    result = leakfix("check", "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["version"] == 1
    assert document["errors"] == []
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
    for finding in document["findings"]:
        assert finding.keys() == keys
        assert finding["path"] == "main.go"
    assert {"rows-close", "rows-err"} <= {finding["rule"] for finding in document["findings"]}


def test_sarif(work: Path) -> None:
    write(work, "main.go", LEAKY)
    result = leakfix("check", "--format", "sarif")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["version"] == "2.1.0"
    (run,) = document["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert {"rows-close", "rows-err"} <= {rule["id"] for rule in rules}
    for item in run["results"]:
        assert rules[item["ruleIndex"]]["id"] == item["ruleId"]
        location = item["locations"][0]["physicalLocation"]["artifactLocation"]
        assert location == {"uri": "main.go", "uriBaseId": "%SRCROOT%"}


def test_output_file(work: Path) -> None:
    write(work, "main.go", LEAKY)
    result = leakfix("check", "--format", "json", "--output", "report.json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert json.loads((work / "report.json").read_text())["findings"]


def test_unparsable_file_is_reported_and_others_checked(work: Path) -> None:
    write(work, "broken.go", BROKEN)
    write(work, "main.go", LEAKY)
    result = leakfix("check")
    assert result.exit_code == 1
    assert "broken.go: error: " in result.stdout
    assert "main.go:6:" in result.stdout


def test_unparsable_file_alone_exits_1(work: Path) -> None:
    write(work, "broken.go", BROKEN)
    result = leakfix("check")
    assert result.exit_code == 1
    assert "broken.go: error: " in result.stdout


# fix ------------------------------------------------------------------------------------


def test_fix_dry_run_writes_nothing_and_its_diff_applies(work: Path) -> None:
    path = write(work, "main.go", LEAKY)
    result = leakfix("fix", "--dry-run")
    assert path.read_text() == LEAKY
    assert result.exit_code == 1
    patch = PatchSet(result.stdout.splitlines(keepends=True))
    assert [file.path for file in patch] == ["main.go"]
    assert "+\tdefer rows.Close()\n" in result.stdout
    git_apply_check(work, result.stdout_bytes)


def test_fix_diff_alias(work: Path) -> None:
    write(work, "main.go", LEAKY)
    assert leakfix("fix", "--diff").stdout == leakfix("fix", "--dry-run").stdout


def test_fix_writes_and_reports_remaining(work: Path) -> None:
    path = write(work, "main.go", LEAKY)
    result = leakfix("fix")
    fixed = path.read_text()
    assert "defer rows.Close()" in fixed
    assert "rows.Err()" in fixed
    # query-timeout's fix is unsafe without a configured timeout: it remains.
    assert result.exit_code == 1
    assert "query-timeout" in rules_in(result.stdout)
    assert result.stdout.splitlines()[-1].startswith("Fixed ")
    assert "in 1 file (1 remaining)." in result.stdout


def test_fix_until_clean_exits_0(work: Path) -> None:
    path = write(work, "main.go", LEAKY)
    result = leakfix("fix", "--unsafe-fixes")
    assert result.exit_code == 0, result.output
    assert "(0 remaining)." in result.stdout
    assert "context.WithTimeout" in path.read_text()
    assert leakfix("check").exit_code == 0


def test_fix_keeps_crlf(work: Path) -> None:
    path = write(work, "main.go", LEAKY, newline="\r\n")
    leakfix("fix")
    fixed = path.read_bytes()
    assert b"defer rows.Close()\r\n" in fixed
    assert fixed.count(b"\n") == fixed.count(b"\r\n")


def test_fix_dry_run_diff_applies_to_crlf_file(work: Path) -> None:
    write(work, "main.go", LEAKY, newline="\r\n")
    result = leakfix("fix", "--dry-run")
    assert b"+\tdefer rows.Close()\r\n" in result.stdout_bytes  # .stdout folds CRLF
    git_apply_check(work, result.stdout_bytes)


def test_fix_leaves_unparsable_file_alone(work: Path) -> None:
    broken = write(work, "broken.go", BROKEN)
    path = write(work, "main.go", LEAKY)
    result = leakfix("fix")
    assert broken.read_text() == BROKEN
    assert "defer rows.Close()" in path.read_text()
    assert "broken.go: error: " in result.stdout
    assert result.exit_code == 1


def git_apply_check(folder: Path, patch: bytes) -> None:
    git = ["git", "-c", "core.autocrlf=false"]
    subprocess.run([*git, "init", "-q"], cwd=folder, check=True)
    completed = subprocess.run(
        [*git, "apply", "--check", "-"], cwd=folder, input=patch, capture_output=True
    )
    assert completed.returncode == 0, completed.stderr.decode()


# rules, explain, version --------------------------------------------------------------


def test_rules_text(work: Path) -> None:
    result = leakfix("rules")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["RULE", "FINDS", "FIX", "SAFETY"]
    assert any(line.startswith("rows-close ") and line.endswith("safe") for line in lines)


def test_rules_json(work: Path) -> None:
    result = leakfix("rules", "--format", "json")
    rules = {rule["id"]: rule for rule in json.loads(result.stdout)}
    assert rules["rows-close"]["safety"] == "safe"
    assert "sqlclosecheck" in rules["rows-close"]["linters"]


def test_explain(work: Path) -> None:
    result = leakfix("explain", "rows-close")
    assert result.exit_code == 0
    assert result.stdout.startswith("# rows-close\n")
    assert "## What it does" in result.stdout
    assert "```go" in result.stdout


def test_explain_unknown_rule(work: Path) -> None:
    result = leakfix("explain", "nope")
    assert result.exit_code == 2
    assert result.stderr.startswith("leakfix: error: unknown rule id: nope (known: ")


def test_version() -> None:
    result = leakfix("--version")
    assert result.exit_code == 0
    assert result.stdout == f"leakfix {__version__}\n"


def test_module_entry_point_errors_are_one_line(work: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    completed = subprocess.run(
        [sys.executable, "-m", "codemods.cli", "check", "nope"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert completed.returncode == 2
    assert completed.stderr == "leakfix: error: path not found: nope\n"
