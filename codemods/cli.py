"""The ``leakfix`` command: check, fix, rules, explain. Output only; the engine does the work.

Exit status: 0 clean, 1 findings (or files that could not be parsed), 2 usage or I/O errors.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from enum import Enum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from codemods import __version__, engine, report
from codemods.config import load_options
from codemods.discover import strip_ellipsis
from codemods.docs import render_explain, safety_label
from codemods.engine import RunResult
from codemods.model import FileResult, Verification
from codemods.options import LeakfixError, Options
from codemods.rules.base import Rule, all_rules
from codemods.verify import find_go, verify_fixes

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

app = typer.Typer(
    name="leakfix",
    help="Find and fix resource leaks in Go services (database/sql, sqlx, pgx).\n\n"
    "Exit status: 0 clean, 1 findings or files that do not parse, 2 usage or I/O errors.",
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,  # plain click output: one-line errors, no panels
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class CheckFormat(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"


class RulesFormat(str, Enum):
    text = "text"
    json = "json"


class FixFormat(str, Enum):
    text = "text"
    json = "json"


# options shared by check and fix ------------------------------------------------------------

Paths = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="PATHS",
        help="Files or folders (recursive; Go's ./... works too). Default: .",
        show_default=False,
    ),
]
Select = Annotated[
    list[str] | None,
    typer.Option(
        "--select",
        metavar="IDS",
        help="Only these rule ids (comma-separated or repeated).",
        show_default=False,
    ),
]
Ignore = Annotated[
    list[str] | None,
    typer.Option(
        "--ignore",
        metavar="IDS",
        help="Skip these rule ids (comma-separated or repeated).",
        show_default=False,
    ),
]
Exclude = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude", metavar="GLOB", help="Skip paths matching these globs.", show_default=False
    ),
]
Timeout = Annotated[
    str | None,
    typer.Option(
        "--timeout",
        metavar="DURATION",
        help="Go duration for query-timeout's fix, e.g. 5s.",
        show_default=False,
    ),
]
TimeoutScope = Annotated[
    str | None,
    typer.Option(
        "--timeout-scope",
        metavar="SCOPE",
        help="query-timeout: `serving` (default) skips code that runs once (constructors, main, "
        "migrations, CLI commands); `all` reports every call.",
        show_default=False,
    ),
]
UnsafeFixes = Annotated[
    bool | None,
    typer.Option(
        "--unsafe-fixes/--no-unsafe-fixes",
        help="Also apply (fix) or count as fixable (check) fixes that may change behaviour.",
        show_default=False,
    ),
]
MaxFileSize = Annotated[
    str | None,
    typer.Option(
        "--max-file-size",
        metavar="SIZE",
        help="Skip (with a note) Go files larger than this, e.g. 4MiB; 0: no limit. Default: 4MiB.",
        show_default=False,
    ),
]
IncludeGenerated = Annotated[
    bool,
    typer.Option(
        "--include-generated", help="Also check files marked `Code generated ... DO NOT EDIT.`"
    ),
]


def _fail(message: str) -> NoReturn:
    """One line on stderr and exit status 2: the contract for usage and I/O errors."""
    typer.echo(f"leakfix: error: {message}", err=True)
    raise typer.Exit(EXIT_ERROR)


def _split(values: list[str] | None) -> list[str]:
    return [part.strip() for value in values or () for part in value.split(",") if part.strip()]


def _config_start(paths: list[str]) -> Path:
    """The first path's folder (where .leakfix.toml is searched from), else the cwd."""
    first = Path(strip_ellipsis(paths[0])) if paths else Path.cwd()
    if first.is_file():
        return first.parent
    return first if first.is_dir() else Path.cwd()


def _options(
    paths: list[str],
    select: list[str] | None,
    ignore: list[str] | None,
    exclude: list[str] | None,
    timeout: str | None,
    unsafe_fixes: bool | None,
    include_generated: bool,
    max_file_size: str | None = None,
    timeout_scope: str | None = None,
) -> Options:
    options, _ = load_options(
        _config_start(paths),
        select=_split(select),
        ignore=_split(ignore),
        exclude=_split(exclude),
        timeout=timeout,
        unsafe_fixes=unsafe_fixes,
        include_generated=include_generated,
        max_file_size=max_file_size,
        timeout_scope=timeout_scope,
    )
    engine.select_rules(options)  # an unknown rule id is a usage error, said before any work
    return options


def _run(paths: list[str], options: Options, *, fix: bool) -> RunResult:
    try:
        return engine.run(paths, options, fix=fix)
    except OSError as error:
        _fail(f"{error.filename or ''}: {error.strerror}".lstrip(": "))


def _emit(text: str, output: Path | None = None) -> None:
    """Write bytes so file contents that are not UTF-8 survive (surrogateescape)."""
    data = text.encode("utf-8", "surrogateescape")
    if output is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        output.write_bytes(data)
    except OSError as error:
        _fail(f"cannot write {output}: {error.strerror}")


def _status(files: list[FileResult]) -> int:
    """2 when leakfix failed (a rule's internal error, an I/O error while writing), 1 when
    work is left (findings, files that do not parse, fixes not written), else 0."""
    if any(r.internal_errors or (r.write_error and r.write_error.io) for r in files):
        return EXIT_ERROR
    if any(r.findings or r.error or r.syntax_errors or r.write_error for r in files):
        return EXIT_FINDINGS
    return EXIT_CLEAN


# commands ---------------------------------------------------------------------------------


@app.command()
def check(
    paths: Paths = None,
    output_format: Annotated[
        CheckFormat, typer.Option("--format", help="Output format.")
    ] = CheckFormat.text,
    select: Select = None,
    ignore: Ignore = None,
    exclude: Exclude = None,
    timeout: Timeout = None,
    timeout_scope: TimeoutScope = None,
    unsafe_fixes: UnsafeFixes = None,
    include_generated: IncludeGenerated = False,
    max_file_size: MaxFileSize = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write the report to this file."),
    ] = None,
) -> None:
    """Report leaks. Exit 0 when clean, 1 on findings or on files that do not parse, 2 on errors."""
    paths = paths or ["."]
    try:
        options = _options(
            paths,
            select,
            ignore,
            exclude,
            timeout,
            unsafe_fixes,
            include_generated,
            max_file_size,
            timeout_scope,
        )
        files = _run(paths, options, fix=False).files
    except LeakfixError as error:
        _fail(str(error))
    if output_format is CheckFormat.json:
        _emit(report.render_json(files), output)
    elif output_format is CheckFormat.sarif:
        _emit(report.render_sarif(files), output)
    else:
        _emit(report.render_text(files, options), output)
    raise typer.Exit(_status(files))


@app.command()
def fix(
    paths: Paths = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", "--diff", help="Print a unified diff; write nothing.")
    ] = False,
    select: Select = None,
    ignore: Ignore = None,
    exclude: Exclude = None,
    timeout: Timeout = None,
    timeout_scope: TimeoutScope = None,
    unsafe_fixes: UnsafeFixes = None,
    include_generated: IncludeGenerated = False,
    max_file_size: MaxFileSize = None,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="Before writing, go build and go vet the changed packages (offline, with the "
            "local Go toolchain) and withhold fixes that break them.",
        ),
    ] = False,
    output_format: Annotated[
        FixFormat, typer.Option("--format", help="Output format.")
    ] = FixFormat.text,
) -> None:
    """Apply fixes. Exit 0 when nothing remains, 1 when findings (or unparsable files) remain
    or --verify withheld a fix."""
    paths = paths or ["."]
    try:
        go = find_go() if verify else None  # before anything else: no Go, no run
        options = _options(
            paths,
            select,
            ignore,
            exclude,
            timeout,
            unsafe_fixes,
            include_generated,
            max_file_size,
            timeout_scope,
        )
        result = _run(paths, options, fix=True)
        files, options = result.files, result.options or options
        verification = None
        if go is not None:
            files, verification = verify_fixes(files, options, go)
    except LeakfixError as error:
        _fail(str(error))
    if dry_run:
        _dry_run(files, verification, output_format)
    _write(files, options, verification, output_format)


def _fix_status(files: list[FileResult], verification: Verification | None) -> int:
    """A withheld fix leaves work to do, like a remaining finding."""
    status = _status(files)
    if verification and verification.withheld:
        status = max(status, EXIT_FINDINGS)
    return status


def _dry_run(
    files: list[FileResult], verification: Verification | None, output_format: FixFormat
) -> NoReturn:
    """The diff alone goes to stdout so it can be piped to `git apply`; the tally to stderr.
    With --format json the JSON report, which holds the diff, is all that stdout gets."""
    changed = sum(1 for result in files if result.changed)
    status = _fix_status(files, verification)
    if changed:
        status = max(status, EXIT_FINDINGS)
    diff = report.render_diff(files)
    if output_format is FixFormat.json:
        _emit(report.render_fix_json(files, verification, [], diff))
        raise typer.Exit(status)
    _emit(diff)
    for line in report.verification_lines(verification) if verification else ():
        typer.echo(line, err=True)
    applied = sum(len(result.applied) for result in files)
    remaining = sum(len(result.findings) for result in files)
    typer.echo(
        f"Would fix {applied} {_plural(applied, 'finding')} in {changed} "
        f"{_plural(changed, 'file')} ({remaining} remaining).",
        err=True,
    )
    raise typer.Exit(status)


def _write(
    files: list[FileResult],
    options: Options,
    verification: Verification | None,
    output_format: FixFormat,
) -> NoReturn:
    written = engine.write_results(files)  # never raises: failures are in each file's result
    if output_format is FixFormat.json:
        _emit(report.render_fix_json(files, verification, written))
        raise typer.Exit(_fix_status(files, verification))
    applied = sum(len(result.applied) for result in files)
    remaining = sum(len(result.findings) for result in files)
    _emit(report.render_text(files, options, totals=False))
    for line in report.verification_lines(verification) if verification else ():
        typer.echo(line)
    typer.echo(
        f"Fixed {applied} {_plural(applied, 'finding')} in {len(written)} "
        f"{_plural(len(written), 'file')} ({remaining} remaining)."
    )
    raise typer.Exit(_fix_status(files, verification))


def _plural(count: int, noun: str) -> str:
    return noun if count == 1 else f"{noun}s"


@app.command()
def rules(
    output_format: Annotated[
        RulesFormat, typer.Option("--format", help="Output format.")
    ] = RulesFormat.text,
) -> None:
    """List the rules: id, what it finds, its fix and the fix's safety."""
    known = sorted(all_rules(), key=lambda rule: rule.id)
    if output_format is RulesFormat.json:
        _emit(json.dumps([_rule_json(rule) for rule in known], indent=2) + "\n")
        return
    rows = [("RULE", "FINDS", "FIX", "SAFETY")]
    rows.extend((r.id, r.summary, r.fix_summary or "-", safety_label(r)) for r in known)
    _emit(_columns(rows))


def _columns(rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns two spaces apart; the last column is not padded."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = (
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    )
    return "".join(f"{line.rstrip()}\n" for line in lines)


def _rule_json(rule: Rule) -> dict[str, object]:
    return {
        "id": rule.id,
        "summary": rule.summary,
        "fix": rule.fix_summary or None,
        "safety": rule.safety.value if rule.safety else None,
        "linters": list(rule.linters),
    }


@app.command()
def explain(rule_id: Annotated[str, typer.Argument(metavar="RULE", help="A rule id.")]) -> None:
    """Show a rule's documentation, examples and fix."""
    known = {rule.id: rule for rule in all_rules()}
    if rule_id not in known:
        _fail(f"unknown rule id: {rule_id} (known: {', '.join(sorted(known))})")
    _emit(render_explain(known[rule_id]))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"leakfix {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Find and fix resource leaks in Go services (database/sql, sqlx, pgx)."""


def main() -> None:
    """The entry point: no traceback ever reaches the user (LEAKFIX_DEBUG=1 shows it)."""
    try:
        app(prog_name="leakfix")
    except KeyboardInterrupt:
        typer.echo("leakfix: interrupted", err=True)
        sys.exit(130)
    except Exception as error:
        if os.environ.get("LEAKFIX_DEBUG"):
            raise
        detail = str(error).splitlines()[0] if str(error) else ""
        name = type(error).__name__
        typer.echo(
            f"leakfix: internal error: {name}{': ' + detail if detail else ''} "
            "(a leakfix bug; LEAKFIX_DEBUG=1 shows the traceback)",
            err=True,
        )
        sys.exit(EXIT_ERROR)


if __name__ == "__main__":
    main()
