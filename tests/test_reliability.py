"""Never crash, never lose a byte: hostile files, failing rules, interrupted writes, bad config.

Each test names the promise it holds (README, "What leakfix promises").
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile import big_literal_file, nested_literals_file
from typer.testing import CliRunner

from codemods import engine, files, gofmt
from codemods.cli import app
from codemods.config import parse_duration
from codemods.engine import run_sources
from codemods.model import Finding
from codemods.options import LeakfixError, Options
from codemods.rules.base import Rule, RuleContext, all_rules
from codemods.source import SourceFile, count_errors

ROOT = Path(__file__).resolve().parent.parent

LEAKY = """package store

import (
\t"context"
\t"database/sql"
)

func count(ctx context.Context, db *sql.DB) (int, error) {
\trows, err := db.QueryContext(ctx, "SELECT 1")
\tif err != nil {
\t\treturn 0, err
\t}
\tn := 0
\tfor rows.Next() {
\t\tn++
\t\tif n > 10 {
\t\t\treturn n, nil
\t\t}
\t}
\treturn n, rows.Err()
}
"""
FIXED_LINE = "\tdefer rows.Close()\n"


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def leakfix(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The real command in a child process (what a user runs)."""
    return subprocess.run(
        [sys.executable, "-m", "codemods.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )


def no_traceback(*outputs: str) -> None:
    for output in outputs:
        assert "Traceback" not in output, output


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# -- never crash: imports -------------------------------------------------------------------

HOLDER = "package store\n\n{imports}\n\nfunc count(db *sql.DB) {{\n\t_, _ = db.Query(`x`)\n}}\n"


def test_empty_import_block_next_to_the_one_in_use(work: Path) -> None:
    """The crash of the issue: `import ()` beside the real imports, and a fix needing one."""
    source = (
        'package store\n\nimport ()\n\nimport "database/sql"\n\n'
        "func ids(db *sql.DB) error {\n"
        '\trows, err := db.Query("SELECT id FROM t")\n'
        "\tif err != nil {\n\t\treturn err\n\t}\n"
        "\tdefer rows.Close()\n\tfor rows.Next() {\n\t}\n\treturn rows.Err()\n}\n"
    )
    options = Options(select=("query-context",), unsafe_fixes=True)
    result = run_sources({"s.go": source.encode()}, options, fix=True)[0]
    assert not result.internal_errors
    assert result.findings == [] or all(f.rule == "query-context" for f in result.findings)


# -- never crash: a failing rule -------------------------------------------------------------


class ExplodingRule(Rule):
    """A rule that fails on every file (stands for a leakfix bug)."""

    id = "exploding"
    summary = "fails"
    fix_summary = ""
    safety = None

    def check(self, ctx: RuleContext) -> list[Finding]:
        raise IndexError("list index out of range")


def test_a_failing_rule_is_an_internal_error_and_the_others_still_fix() -> None:
    rules = [ExplodingRule(), *all_rules()]
    result = run_sources({"s.go": LEAKY.encode()}, Options(), True, rules)[0]
    assert FIXED_LINE in result.fixed.decode()
    assert result.internal_errors == ["rule exploding failed: IndexError: list index out of range"]


def test_a_failing_rule_exits_2_without_traceback(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(work / "a" / "s.go", LEAKY)
    write(work / "b" / "s.go", LEAKY)
    original = engine.select_rules
    monkeypatch.setattr(engine, "select_rules", lambda o: [ExplodingRule(), *original(o)])
    code, out, err = cli("fix", ".", "--format", "json")
    assert code == 2
    report = json.loads(out)
    assert sorted(report["written"]) == ["a/s.go", "b/s.go"]
    assert {e["path"] for e in report["errors"]} == {"a/s.go", "b/s.go"}
    assert all("internal error: rule exploding failed" in e["message"] for e in report["errors"])
    no_traceback(out, err)


def test_an_unexpected_exception_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from codemods import cli as cli_module

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(cli_module, "app", boom)
    monkeypatch.delenv("LEAKFIX_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        cli_module.main()
    assert exit_info.value.code == 2


def test_the_engine_failing_on_a_package_keeps_every_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(engine, "Package", broken)
    result = run_sources({"s.go": LEAKY.encode()}, Options(), True)[0]
    assert result.fixed == result.original
    assert result.internal_errors and "RecursionError" in result.internal_errors[0]


# -- never crash: timeouts and config ----------------------------------------------------------


@pytest.mark.parametrize(
    "duration", ["3000000h", "2562048h", "-5s", "0s", "5", "abc", "1e3s", "5 s", "1.5ns", ""]
)
def test_timeouts_go_cannot_hold_are_one_line_errors(work: Path, duration: str) -> None:
    path = write(work / "s.go", LEAKY)
    code, out, err = cli("fix", ".", "--select", "query-timeout", "--timeout", duration)
    assert code == 2
    assert err.startswith("leakfix: error: invalid timeout") and err.count("\n") == 1
    assert path.read_text() == LEAKY


@pytest.mark.parametrize("duration", ["2562047h", "+5s", "1h2m3.5s", ".5s", "300ms", "2µs"])
def test_timeouts_go_accepts(duration: str) -> None:
    assert 0 < parse_duration(duration) < 2**63


def test_config_timeout_too_long(work: Path) -> None:
    write(work / ".leakfix.toml", 'timeout = "3000000h"\n')
    write(work / "s.go", LEAKY)
    code, _, err = cli("check", ".")
    assert code == 2
    assert ".leakfix.toml" in err and "invalid timeout" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'select = ["\xff"]\n', "not UTF-8"),
        (b"a = " + b"[" * 3000 + b"]" * 3000 + b"\n", "nested too deeply"),
        (b"select = 3\n", "must be a list of strings"),
        (b"[select]\nx = 1\n", "must be a list of strings"),
        (b"colour = true\n", "unknown key"),
        (b"unsafe-fixes = 1\n", "true or false"),
        (b"max-file-size = -1\n", "must not be negative"),
        (b'max-file-size = "lots"\n', "max-file-size"),
        (b"timeout = 5\n", "must be a string"),
        (b"select = [\n", "invalid TOML"),
    ],
)
def test_every_config_problem_is_one_line_naming_the_file(
    work: Path, content: bytes, expected: str
) -> None:
    (work / ".leakfix.toml").write_bytes(content)
    write(work / "s.go", LEAKY)
    for command in ("check", "fix"):
        code, out, err = cli(command, ".")
        assert code == 2, (command, out, err)
        assert err.startswith("leakfix: error:") and err.count("\n") == 1, err
        assert ".leakfix.toml" in err and expected in err, err
    assert (work / "s.go").read_text() == LEAKY


# -- never lose a byte: files changed meanwhile ------------------------------------------------


def test_a_file_changed_while_leakfix_ran_is_left_as_it_is(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    changed = write(work / "a" / "s.go", LEAKY)
    untouched = write(work / "b" / "s.go", LEAKY)
    appended = "\n// appended by an editor's autosave\n"
    original = engine.write_results

    def autosave_then_write(results):  # type: ignore[no-untyped-def]
        with changed.open("a") as handle:
            handle.write(appended)
        return original(results)

    monkeypatch.setattr(engine, "write_results", autosave_then_write)
    code, out, _ = cli("fix", ".")
    assert code == 1
    assert changed.read_text() == LEAKY + appended
    assert FIXED_LINE in untouched.read_text()
    assert "a/s.go: error: not written: changed while leakfix ran: left as it is" in out


def test_write_failure_in_one_file_does_not_stop_the_run(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in "abc":
        write(work / name / "s.go", LEAKY)
    original = files.replace_file

    def failing(path: Path, data: bytes, stamp: files.Stamp) -> None:
        if path.parent.name == "b":
            raise OSError(28, "No space left on device")
        original(path, data, stamp)

    monkeypatch.setattr(engine, "replace_file", failing)
    code, out, _ = cli("fix", ".", "--format", "json")
    assert code == 2
    report = json.loads(out)
    assert report["written"] == ["a/s.go", "c/s.go"]
    assert report["errors"] == [
        {"path": "b/s.go", "message": "not written: cannot write: No space left on device"}
    ]
    assert (work / "b" / "s.go").read_text() == LEAKY


# -- never lose a byte: what is read ------------------------------------------------------------


def test_fifo_and_link_to_dev_zero_are_skipped_not_hung(work: Path) -> None:
    write(work / "s.go", LEAKY)
    os.mkfifo(work / "pipe.go")
    (work / "zero.go").symlink_to("/dev/zero")
    done = leakfix("check", ".", cwd=work, timeout=60)
    assert done.returncode == 1, done.stderr  # the leak in s.go
    assert "pipe.go: skipped: a FIFO, not a regular file: not read" in done.stdout
    assert "zero.go: skipped: symbolic link to a device: not read" in done.stdout
    assert "s.go:9:15: rows-close" in done.stdout
    explicit = leakfix("check", "pipe.go", cwd=work, timeout=60)
    assert explicit.returncode == 0 and "skipped" in explicit.stdout
    no_traceback(done.stdout, done.stderr, explicit.stderr)


def test_files_above_the_size_limit_are_skipped(work: Path) -> None:
    big = write(work / "big.go", LEAKY + "// " + "x" * 5000 + "\n")
    code, out, _ = cli("fix", ".", "--max-file-size", "4KiB")
    assert code == 0
    assert "big.go: skipped:" in out and "above the 4 KiB limit" in out
    assert FIXED_LINE not in big.read_text()
    code, _, _ = cli("fix", ".", "--max-file-size", "0")
    assert FIXED_LINE in big.read_text()


def test_size_limit_from_the_config(work: Path) -> None:
    write(work / ".leakfix.toml", 'max-file-size = "1KiB"\n')
    write(work / "big.go", LEAKY + "// " + "x" * 2000 + "\n")
    _, out, _ = cli("check", ".")
    assert "above the 1 KiB limit" in out


# -- never lose a byte: links, modes, owners ---------------------------------------------------


def test_a_symlinked_file_stays_a_link_and_its_target_is_fixed_once(work: Path) -> None:
    target = write(work / "real" / "s.go", LEAKY)
    (work / "pkg").mkdir()
    (work / "pkg" / "link.go").symlink_to(target)
    (work / "pkg" / "again.go").symlink_to(target)
    code, _, _ = cli("fix", ".")
    assert code == 0
    assert (work / "pkg" / "link.go").is_symlink()
    assert (work / "pkg" / "again.go").is_symlink()
    assert target.read_text().count(FIXED_LINE) == 1


def test_a_link_leading_outside_the_checked_folders_is_skipped(
    work: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = write(tmp_path_factory.mktemp("outside") / "s.go", LEAKY)
    (work / "pkg").mkdir()
    (work / "pkg" / "link.go").symlink_to(outside)
    code, out, _ = cli("fix", "pkg")
    assert code == 0
    assert "link.go: skipped: symbolic link to" in out and "outside the folders checked" in out
    assert outside.read_text() == LEAKY


def test_hard_linked_files_are_reported_not_split(work: Path) -> None:
    first = write(work / "a" / "s.go", LEAKY)
    second = work / "elsewhere.txt"
    os.link(first, second)
    code, out, _ = cli("fix", "a")
    assert code == 1
    assert "has 2 hard links: not rewritten" in out
    assert os.stat(first).st_ino == os.stat(second).st_ino
    assert first.read_text() == LEAKY


def test_mode_and_owner_are_kept(work: Path) -> None:
    path = write(work / "s.go", LEAKY)
    os.chmod(path, 0o640)
    owner = None
    if os.geteuid() == 0:
        owner = (1234, 5678)
        os.chown(path, *owner)
    code, _, _ = cli("fix", ".")
    assert code == 0 and FIXED_LINE in path.read_text()
    info = os.stat(path)
    assert stat.S_IMODE(info.st_mode) == 0o640
    if owner is not None:
        assert (info.st_uid, info.st_gid) == owner


def test_read_only_files_are_reported_and_left_alone(work: Path) -> None:
    path = write(work / "s.go", LEAKY)
    os.chmod(path, 0o444)
    code, out, _ = cli("fix", ".")
    assert code == 1
    assert "s.go: error: not written: read-only: left as it is" in out
    assert path.read_text() == LEAKY


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_a_file_another_user_owns_is_not_replaced_through_its_folder() -> None:
    """As an unprivileged user in a world-writable folder, a root-owned file stays root's:
    a forked child drops to uid 65534 and runs `leakfix fix` there (no exec: the modules
    are already loaded)."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="leakfix-shared-"))
    try:
        os.chmod(folder, 0o777)
        path = write(folder / "s.go", LEAKY)
        os.chmod(path, 0o644)
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into pytest
            try:
                os.close(reader)
                os.setgid(65534)
                os.setuid(65534)
                os.chdir(folder)
                code, out, _ = cli("fix", ".")
                os.write(writer, f"{code}\n{out}".encode())
            finally:
                os._exit(0)
        os.close(writer)
        with os.fdopen(reader) as pipe:
            report = pipe.read()
        os.waitpid(pid, 0)
        assert report.startswith("1\n"), report
        assert "s.go: error: not written: not writable by this user: left as it is" in report
        assert path.read_text() == LEAKY and os.stat(path).st_uid == 0
    finally:
        subprocess.run(["rm", "-rf", str(folder)], check=False)


# -- never lose a byte: debris of interrupted runs ---------------------------------------------


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_temporary_files_of_dead_runs_are_removed_by_the_next(work: Path) -> None:
    write(work / "s.go", LEAKY)
    stale = work / f".s.go.leakfix-{_dead_pid()}-0123abcd.tmp"
    stale.write_bytes(b"")
    old = work / ".s.go.leakfix-1-89abcdef.tmp"  # pid 1 is alive, but the file is ancient
    old.write_bytes(b"partial")
    ancient = time.time() - files.STALE_AFTER_SECONDS - 60
    os.utime(old, (ancient, ancient))
    live = work / f".s.go.leakfix-{os.getppid()}-fedcba98.tmp"  # a live writer, just now
    live.write_bytes(b"in progress")
    cli("check", ".")
    assert not stale.exists() and not old.exists()
    assert live.exists()


def test_replace_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = write(tmp_path / "s.go", "package s\n")
    data, stamp = files.read_file(path)
    files.replace_file(path, b"package s // new\n", stamp)
    assert [p.name for p in tmp_path.iterdir()] == ["s.go"]
    with pytest.raises(files.WriteRefused, match="changed while leakfix ran"):
        files.replace_file(path, b"package s // newer\n", stamp)
    assert [p.name for p in tmp_path.iterdir()] == ["s.go"]


# -- files that do not parse --------------------------------------------------------------------

BROKEN_FUNCTION = LEAKY + "\nfunc broken() {\n\tx := )\n}\n"
BROKEN_TOP_LEVEL = LEAKY + "\nvar = ]\n"
NEW_EXPR = LEAKY + "\nfunc ptr() *int {\n\treturn new(42)\n}\n"


def test_a_syntax_error_inside_a_function_is_an_error_and_the_rest_is_fixed(work: Path) -> None:
    path = write(work / "s.go", BROKEN_FUNCTION)
    code, out, _ = cli("check", ".")
    assert code == 1
    assert "s.go:9:15: rows-close" in out
    assert "s.go: error: syntax error near line 24: function broken (line 23)" in out
    code, out, _ = cli("fix", ".")
    assert code == 1
    assert FIXED_LINE in path.read_text() and "x := )" in path.read_text()


def test_a_syntax_error_outside_functions_hides_no_finding(work: Path) -> None:
    path = write(work / "s.go", BROKEN_TOP_LEVEL)
    code, out, _ = cli("check", ".")
    assert code == 1
    assert "s.go:9:15: rows-close" in out
    assert "s.go: error: syntax error near line 23: file left untouched" in out
    cli("fix", ".")
    assert path.read_text() == BROKEN_TOP_LEVEL


def test_go_126_new_expr_is_a_note(work: Path) -> None:
    path = write(work / "s.go", NEW_EXPR)
    code, out, _ = cli("fix", ".")
    assert code == 0, out
    assert "function ptr not analysed: tree-sitter-go cannot parse Go 1.26 new(expr)" in out
    assert FIXED_LINE in path.read_text() and "new(42)" in path.read_text()


# -- no toolchain switch ------------------------------------------------------------------------


def test_go_env_runs_with_the_local_toolchain_outside_the_repository(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = work / "record.txt"
    bin_dir = work / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "go"
    fake.write_text(f'#!/bin/sh\necho "$GOTOOLCHAIN $(pwd)" > {record}\necho /nonexistent\n')
    fake.chmod(0o755)
    repo = work / "repo"
    write(repo / "go.mod", "module x\n\ngo 1.99\n\ntoolchain go1.99.0\n")
    monkeypatch.chdir(repo)
    monkeypatch.setenv("PATH", str(bin_dir))
    gofmt.gofmt_binary.cache_clear()
    try:
        assert gofmt.gofmt_binary() is None
    finally:
        gofmt.gofmt_binary.cache_clear()
    toolchain, folder = record.read_text().split()
    assert toolchain == "local"
    assert not folder.startswith(str(repo))


# -- large and deep inputs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "data", [big_literal_file(2_000_000), nested_literals_file(5000)], ids=["literal", "nesting"]
)
def test_hostile_shapes_are_analysed_and_fixed(data: bytes) -> None:
    result = run_sources({"x.go": data}, Options(), True)[0]
    assert not result.internal_errors and not result.error
    assert [f.rule for f in result.applied] == ["rows-close"]
    assert b"\tdefer rows.Close()\n" in result.fixed
    assert count_errors(SourceFile("x.go", result.fixed).root) == 0


def test_read_file_refuses_what_grows_past_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "s.go"
    path.write_bytes(b"x" * 100)
    with pytest.raises(files.Skip, match="above the 50 bytes limit"):
        files.read_file(path, 50)
    with pytest.raises(LeakfixError):
        engine.atomic_write(tmp_path / "missing.go", b"x")
