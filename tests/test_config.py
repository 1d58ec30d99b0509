"""The config file (.leakfix.toml), its merge under the command line, and Go durations."""

from __future__ import annotations

from pathlib import Path

import pytest

from codemods.config import find_config, go_duration_expr, load_options, parse_duration
from codemods.options import LeakfixError, Options


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        ("5s", "5*time.Second"),
        ("500ms", "500*time.Millisecond"),
        ("1m30s", "90*time.Second"),
        ("2m", "2*time.Minute"),
        ("1h", "time.Hour"),
        ("1s", "time.Second"),
        ("90m", "90*time.Minute"),
        ("60m", "time.Hour"),
        ("1.5s", "1500*time.Millisecond"),
        ("2h45m", "165*time.Minute"),
        ("250us", "250*time.Microsecond"),
        ("250µs", "250*time.Microsecond"),
        ("1000ns", "time.Microsecond"),
        ("7ns", "7*time.Nanosecond"),
    ],
)
def test_go_duration_expr(duration: str, expected: str) -> None:
    assert go_duration_expr(duration) == expected


@pytest.mark.parametrize("bad", ["", "5", "5 s", "s", "-5s", "5sec", "1d", "0s", "0.5ns", "1m 30s"])
def test_bad_durations_are_usage_errors(bad: str) -> None:
    with pytest.raises(LeakfixError, match="invalid timeout"):
        parse_duration(bad)


def test_parse_duration_sums_parts() -> None:
    assert parse_duration("1h2m3s") == (3600 + 120 + 3) * 1_000_000_000


def write_config(folder: Path, text: str) -> Path:
    path = folder / ".leakfix.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_config_gives_defaults(tmp_path: Path) -> None:
    options, path = load_options(tmp_path)
    if path is not None:  # a stray .leakfix.toml above the temp folder
        pytest.skip(f"found {path}")
    assert options == Options()


def test_config_is_found_upward_from_a_file(tmp_path: Path) -> None:
    config = write_config(tmp_path, 'select = ["rows-close"]\n')
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    (nested / "x.go").write_text("package b\n")
    assert find_config(nested / "x.go") == config
    options, path = load_options(nested)
    assert path == config
    assert options.select == ("rows-close",)


def test_config_values(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        'select = ["rows-close", "rows-err"]\n'
        'ignore = ["query-timeout"]\n'
        'timeout = "1m30s"\n'
        'exclude = ["mocks", "gen/*.go"]\n'
        "unsafe-fixes = true\n",
    )
    options, _ = load_options(tmp_path)
    assert options.select == ("rows-close", "rows-err")
    assert options.ignore == ("query-timeout",)
    assert options.timeout == "1m30s"
    assert options.timeout_configured
    assert options.unsafe_fixes
    # A pattern with a slash is anchored at the config's folder; a bare name matches anywhere.
    assert options.exclude == ("mocks", f"{tmp_path.resolve().as_posix()}/gen/*.go")


def test_command_line_wins(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        'select = ["rows-close"]\nignore = ["rows-err", "stmt-close"]\n'
        'timeout = "5s"\nunsafe-fixes = true\nexclude = ["mocks"]\n',
    )
    options, _ = load_options(
        tmp_path,
        select=["rows-err", "query-timeout"],
        ignore=["tx-rollback"],
        exclude=["gen"],
        timeout="10s",
        unsafe_fixes=False,
    )
    assert options.select == ("rows-err", "query-timeout")
    # --select rows-err overrides the file's ignore of rows-err; --ignore adds to the file's.
    assert options.ignore == ("stmt-close", "tx-rollback")
    assert options.exclude == ("mocks", "gen")
    assert options.timeout == "10s"
    assert not options.unsafe_fixes


def test_timeout_on_the_command_line_is_not_configured(tmp_path: Path) -> None:
    options, _ = load_options(tmp_path, timeout="3s")
    assert options.timeout == "3s"
    assert not options.timeout_configured


def test_timeout_from_config_is_configured_unless_overridden(tmp_path: Path) -> None:
    write_config(tmp_path, 'timeout = "2s"\n')
    assert load_options(tmp_path)[0].timeout_configured
    assert not load_options(tmp_path, timeout="2s")[0].timeout_configured


def test_unsafe_fixes_from_config_unless_switched_off(tmp_path: Path) -> None:
    write_config(tmp_path, "unsafe-fixes = true\n")
    assert load_options(tmp_path)[0].unsafe_fixes
    assert not load_options(tmp_path, unsafe_fixes=False)[0].unsafe_fixes


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('selct = ["rows-close"]\n', "unknown key 'selct' in "),
        ('timeout = "five seconds"\n', "invalid timeout 'five seconds'"),
        ("timeout = 5\n", "'timeout' in .* must be a string"),
        ('select = "rows-close"\n', "'select' in .* must be a list of strings"),
        ("exclude = [1]\n", "'exclude' in .* must be a list of strings"),
        ('unsafe-fixes = "yes"\n', "'unsafe-fixes' in .* must be true or false"),
        ("select = [\n", "invalid TOML in "),
    ],
)
def test_bad_config_is_one_line_error(tmp_path: Path, text: str, message: str) -> None:
    path = write_config(tmp_path, text)
    with pytest.raises(LeakfixError, match=message) as caught:
        load_options(tmp_path)
    assert "\n" not in str(caught.value)
    if "TOML" not in message:
        assert str(path.resolve()) in str(caught.value) or "invalid timeout" in message


def test_bad_command_line_timeout(tmp_path: Path) -> None:
    with pytest.raises(LeakfixError, match="invalid timeout '5'"):
        load_options(tmp_path, timeout="5")


def test_timeout_scope_from_config_and_command_line(tmp_path: Path) -> None:
    (tmp_path / ".leakfix.toml").write_text('timeout-scope = "all"\n')
    options, _ = load_options(tmp_path)
    assert options.timeout_scope == "all"
    options, _ = load_options(tmp_path, timeout_scope="serving")
    assert options.timeout_scope == "serving"
    assert Options().timeout_scope == "serving"


def test_bad_timeout_scope_is_one_line_error(tmp_path: Path) -> None:
    (tmp_path / ".leakfix.toml").write_text('timeout-scope = "some"\n')
    with pytest.raises(LeakfixError, match="'timeout-scope' in .* must be"):
        load_options(tmp_path)
    (tmp_path / ".leakfix.toml").unlink()
    with pytest.raises(LeakfixError, match="invalid --timeout-scope"):
        load_options(tmp_path, timeout_scope="every")
