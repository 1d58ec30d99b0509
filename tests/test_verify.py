"""`leakfix fix --verify`: fixes are built and vetted before anything is written.

The fixture module tests/fixtures/verify/ (standard library only, so nothing is downloaded)
holds one fix that cannot compile: stmt-close adds `closePreparedStatements()` to
cmd/orders/main.go, a name the generated cmd/orders/db_gen.go already declares. leakfix never
reads generated files, so no rule can see the clash. Tests that run Go skip without a toolchain
(and fail when CI is set, like tests/gotools.py).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from gotools import build_module, require_go
from typer.testing import CliRunner, Result

from codemods.cli import app
from codemods.verify import GO_NOT_FOUND

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "verify"
MODULE = "example.com/leakfix/verifyfixture"
# Only the rules the fixture is about: new rules must not change what it proves.
RULES = "rows-close,rows-err,stmt-close"
GENERATED = "cmd/orders/db_gen.go"
KEPT = [
    ("rows-close", "cmd/orders/main.go"),
    ("rows-close", "cmd/orders/report.go"),
    ("rows-err", "cmd/orders/main.go"),
    ("rows-err", "cmd/orders/report.go"),
    ("stmt-close", "store/store.go"),
]

LEAKY = """package legacy

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
\treturn n, rows.Err()
}
"""


def leakfix(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def digest(root: Path) -> dict[str, str | None]:
    """sha256 of every file under ``root`` (None for a go.mod/go.sum that does not exist)."""
    found: dict[str, str | None] = {"go.mod": None, "go.sum": None}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        found[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@pytest.fixture
def module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the fixture module (without the .golden files) as the working directory."""
    require_go()
    copy = tmp_path / "verify"
    shutil.copytree(FIXTURE, copy, ignore=shutil.ignore_patterns("*.golden"))
    monkeypatch.chdir(copy)
    return copy


def test_fixture_builds_before_and_the_clash_is_real(module: Path) -> None:
    ok, output = build_module(module)
    assert ok, output
    result = leakfix("fix", "--select", RULES)  # no --verify: every fix is written
    assert "closePreparedStatements()" in (module / "cmd/orders/main.go").read_text()
    ok, output = build_module(module)
    assert not ok
    assert "closePreparedStatements redeclared" in output, result.output


def test_verify_withholds_exactly_the_clashing_fix(module: Path) -> None:
    before = digest(module)
    result = leakfix("fix", "--verify", "--select", RULES, "--format", "json")
    assert result.exit_code == 1, result.output  # a withheld fix is work left, like a finding
    document = json.loads(result.stdout)
    verification = document["verification"]
    assert verification["verified"] == [f"{MODULE}/cmd/orders", f"{MODULE}/store"]
    assert verification["unverified"] == []
    (withheld,) = verification["withheld"]
    assert withheld.keys() == {"rule", "path", "line", "message", "compiler", "check"}
    assert (withheld["rule"], withheld["path"], withheld["line"]) == (
        "stmt-close",
        "cmd/orders/main.go",
        18,
    )
    assert "lookupStmt" in withheld["message"]
    assert withheld["check"] == "build"
    # The message names the user's file (not the overlay's temporary copy).
    assert withheld["compiler"].startswith("cmd/orders/main.go:")
    assert withheld["compiler"].endswith("closePreparedStatements redeclared in this block")
    assert sorted((a["rule"], a["path"]) for a in document["applied"]) == KEPT
    assert sorted(document["written"]) == sorted({path for _, path in KEPT})
    assert [(f["rule"], f["path"]) for f in document["findings"]] == [
        ("stmt-close", "cmd/orders/main.go")
    ]
    after = digest(module)
    assert {k: after[k] for k in ("go.mod", "go.sum", GENERATED)} == {
        k: before[k] for k in ("go.mod", "go.sum", GENERATED)
    }
    assert set(after) == set(before)  # no binary, go.sum or temporary file left behind
    assert_golden(module)
    ok, output = build_module(module)
    assert ok, output


def test_verify_dry_run_writes_nothing(module: Path) -> None:
    before = digest(module)
    result = leakfix("fix", "--verify", "--dry-run", "--select", RULES)
    assert result.exit_code == 1
    assert digest(module) == before
    assert "+\tdefer stmt.Close()\n" in result.stdout
    assert "+\tdefer rows.Close()\n" in result.stdout
    assert "closePreparedStatements" not in result.stdout  # the diff lacks the withheld fix
    line = next(line for line in result.stderr.splitlines() if "withheld" in line)
    assert line.startswith("cmd/orders/main.go:18: stmt-close fix withheld: does not compile: ")
    assert line.endswith("closePreparedStatements redeclared in this block")
    assert "Verified 2 packages with go build and go vet; 1 fix withheld;" in result.stderr


def test_verify_text_output(module: Path) -> None:
    result = leakfix("fix", "--verify", "--select", RULES)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    withheld = "cmd/orders/main.go:18: stmt-close fix withheld: does not compile: "
    assert any(line.startswith(withheld) for line in lines)
    assert lines[-1] == "Fixed 5 findings in 3 files (1 remaining)."
    assert_golden(module)


def test_verify_keeps_everything_that_compiles(module: Path) -> None:
    result = leakfix("fix", "--verify", "--select", "rows-close,rows-err", "--format", "json")
    assert result.exit_code == 0, result.output
    verification = json.loads(result.stdout)["verification"]
    assert verification == {"verified": [f"{MODULE}/cmd/orders"], "unverified": [], "withheld": []}
    ok, output = build_module(module)
    assert ok, output


def test_package_vet_rejects_before_is_still_checked_by_go_build(module: Path) -> None:
    report = module / "cmd/orders/report.go"
    report.write_text(
        report.read_text()
        .replace("\treturn counts, nil", '\tprintln(fmt.Sprintf("%d", "x"))\n\treturn counts, nil')
        .replace('import "database/sql"', 'import (\n\t"database/sql"\n\t"fmt"\n)')
    )
    result = leakfix("fix", "--verify", "--select", RULES, "--format", "json")
    verification = json.loads(result.stdout)["verification"]
    assert verification["verified"] == [f"{MODULE}/store"]
    (unverified,) = verification["unverified"]
    assert unverified["package"] == f"{MODULE}/cmd/orders"
    assert unverified["reason"].startswith("go vet fails before the fixes: cmd/orders/report.go:")
    assert unverified["reason"].endswith("(fixes checked by go build)")
    assert [w["rule"] for w in verification["withheld"]] == ["stmt-close"]
    assert "defer rows.Close()" in report.read_text()


def test_package_that_does_not_build_before_is_unverified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_go()
    (tmp_path / "go.mod").write_text("module example.com/broken\n\ngo 1.22\n")
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    path = legacy / "count.go"
    path.write_text(LEAKY.replace("n := 0", "n := undefinedStart"))
    monkeypatch.chdir(tmp_path)
    result = leakfix("fix", "--verify", "--select", "rows-close", "--format", "json")
    assert result.exit_code == 0, result.output  # its fix follows the normal rules
    verification = json.loads(result.stdout)["verification"]
    assert verification["verified"] == []
    assert verification["withheld"] == []
    (unverified,) = verification["unverified"]
    assert unverified["package"] == "example.com/broken/legacy"
    assert unverified["reason"].startswith("does not build before the fixes: legacy/count.go:")
    assert "undefinedStart" in unverified["reason"]
    assert "defer rows.Close()" in path.read_text()


def test_folder_outside_a_module_is_unverified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_go()
    (tmp_path / "count.go").write_text(LEAKY)
    monkeypatch.chdir(tmp_path)
    result = leakfix("fix", "--verify", "--select", "rows-close", "--format", "json")
    (unverified,) = json.loads(result.stdout)["verification"]["unverified"]
    assert "not in a Go module" in unverified["reason"]
    assert result.exit_code == 0


def test_verify_without_go_stops_before_touching_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "count.go"
    path.write_text(LEAKY)
    empty = tmp_path / "no-go"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.chdir(tmp_path)
    for extra in ([], ["--dry-run"], ["--format", "json"]):
        result = leakfix("fix", "--verify", *extra)
        assert result.exit_code == 2
        assert result.stderr == f"leakfix: error: {GO_NOT_FOUND}\n"
        assert result.stdout == ""
        assert path.read_text() == LEAKY
    assert GO_NOT_FOUND == "--verify needs the Go toolchain (go not found on PATH)"


def test_fix_json_without_verify(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "count.go").write_text(LEAKY)
    monkeypatch.chdir(tmp_path)
    result = leakfix("fix", "--dry-run", "--select", "rows-close", "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["verification"] is None
    assert document["written"] == []
    assert "+\tdefer rows.Close()\n" in document["diff"]
    assert [a["rule"] for a in document["applied"]] == ["rows-close"]


def assert_golden(root: Path) -> None:
    goldens = sorted(FIXTURE.rglob("*.go.golden"))
    assert len(goldens) == 3
    for golden in goldens:
        relative = golden.relative_to(FIXTURE).as_posix().removesuffix(".golden")
        assert (root / relative).read_bytes() == golden.read_bytes(), relative
