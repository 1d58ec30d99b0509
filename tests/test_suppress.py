"""Suppression comments: //leakfix:ignore and golangci-lint's //nolint."""

from __future__ import annotations

import pytest

from codemods.model import Finding
from codemods.source import SourceFile
from codemods.suppress import is_suppressed

QUERY = 'rows, err := db.Query("SELECT 1")'
ROWS_CLOSE = ("sqlclosecheck",)
TEMPLATE = """package main

import "database/sql"

func count(db *sql.DB) error {
{above}
	{statement}{trailing}
	_ = rows
	return err
}
"""


def render(above: str, trailing: str) -> str:
    statement = QUERY + trailing
    return TEMPLATE.replace("{above}", above).replace("{statement}{trailing}", statement)


def check(trailing: str = "", above: str = "", linters: tuple[str, ...] = ROWS_CLOSE) -> bool:
    """Whether a rows-close finding on the query line is suppressed."""
    code = render(above, trailing)
    source = SourceFile("x.go", code.encode())
    line = code.splitlines().index(f"\t{QUERY}{trailing}") + 1
    finding = Finding("rows-close", "x.go", line, 2, line, 2 + len(QUERY), "rows are not closed")
    return is_suppressed(source, finding, linters)


@pytest.mark.parametrize(
    "trailing",
    [
        " //leakfix:ignore",
        " //leakfix:ignore rows-close",
        " //leakfix:ignore rows-err,rows-close",
        " //leakfix:ignore rows-err rows-close",
        " //leakfix:ignore rows-close // closed by the caller",
        " //leakfix:ignore all",
        " //nolint",
        " //nolint:sqlclosecheck",
        " //nolint:rowserrcheck,sqlclosecheck",
        " //nolint:all",
        " //nolint:SQLCloseCheck",
        " //nolint:sqlclosecheck // closed by the caller",
        " //nolint // reason",
    ],
)
def test_trailing_directive_suppresses(trailing: str) -> None:
    assert check(trailing=trailing)


@pytest.mark.parametrize(
    "trailing",
    [
        "",
        " // nolint",  # golangci-lint: with a space it is prose, not a directive
        " // nolint:sqlclosecheck",
        " //nolint:rowserrcheck",
        " //nolint:sqlclosecheckx",
        " //nolintsqlclosecheck",
        " //leakfix:ignore rows-err",
        " //leakfix:ignored",
        " // some words //nolint",  # the comment must start with the directive
        " // leakfix:ignore",
    ],
)
def test_other_comments_do_not_suppress(trailing: str) -> None:
    assert not check(trailing=trailing)


@pytest.mark.parametrize(
    "above",
    ["\t//leakfix:ignore rows-close", "\t//nolint:sqlclosecheck", "\t//nolint"],
)
def test_directive_alone_on_the_line_above(above: str) -> None:
    assert check(above=above)


def test_trailing_directive_of_the_line_above_belongs_to_that_line() -> None:
    assert not check(above="\tvar _ = 1 //nolint")


def test_directive_two_lines_above_does_not_count() -> None:
    assert not check(above="\t//nolint\n\t_ = db")


def test_directive_inside_a_string_is_not_a_comment() -> None:
    code = 'package main\n\nvar s = "//nolint"\n'
    source = SourceFile("x.go", code.encode())
    finding = Finding("rows-close", "x.go", 3, 1, 3, 5, "m")
    assert not is_suppressed(source, finding, ROWS_CLOSE)


def test_rule_without_linters_only_honours_bare_nolint() -> None:
    assert check(trailing=" //nolint", linters=())
    assert not check(trailing=" //nolint:sqlclosecheck", linters=())


def test_several_linter_names() -> None:
    assert check(trailing=" //nolint:contextcheck", linters=("noctx", "contextcheck"))


def test_crlf_lines() -> None:
    code = render("", " //nolint:sqlclosecheck")
    data = code.replace("\n", "\r\n").encode()
    line = code.splitlines().index(f"\t{QUERY} //nolint:sqlclosecheck") + 1
    finding = Finding("rows-close", "x.go", line, 2, line, 3, "m")
    assert is_suppressed(SourceFile("x.go", data), finding, ROWS_CLOSE)


def test_finding_on_the_first_line_and_past_the_end() -> None:
    source = SourceFile("x.go", b"package main //nolint\n")
    assert is_suppressed(source, Finding("r", "x.go", 1, 1, 1, 2, "m"), ())
    assert not is_suppressed(source, Finding("r", "x.go", 9, 1, 9, 2, "m"), ())
