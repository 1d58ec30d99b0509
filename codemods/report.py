"""Outputs built from FileResults: text, JSON, SARIF 2.1.0 and a unified diff.

Only presentation lives here: every finding, fix and fixed text comes from the engine.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import json
import os
import re
import urllib.parse
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from codemods import __version__
from codemods.docs import rule_doc, rule_section
from codemods.model import Edit, FileResult, Finding, Fix, Safety, Verification
from codemods.options import Options
from codemods.rules.base import Rule, all_rules

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
NO_NEWLINE = "\\ No newline at end of file\n"
LINE = re.compile(r"[^\n]*\n|[^\n]+")  # split on LF only: str.splitlines also splits on \f, \x1c...


# paths -----------------------------------------------------------------------------------


def display_path(path: str, cwd: Path | None = None) -> str:
    """``path`` relative to ``cwd`` (forward slashes) when it lies below it, else as given."""
    base = os.path.abspath(cwd or Path.cwd())
    absolute = os.path.abspath(path)
    try:
        inside = os.path.commonpath([base, absolute]) == base
    except ValueError:  # another drive on Windows
        inside = False
    if not inside:
        return Path(path).as_posix()
    return Path(os.path.relpath(absolute, base)).as_posix()


def _ordered(files: Iterable[FileResult]) -> list[FileResult]:
    return sorted(files, key=lambda result: result.path)


def _findings(files: Iterable[FileResult]) -> list[Finding]:
    return sorted(
        (finding for result in files for finding in result.findings),
        key=lambda f: (f.path, f.line, f.column, f.rule),
    )


# fixability ------------------------------------------------------------------------------


def is_fixable(finding: Finding, options: Options) -> bool:
    """Whether ``leakfix fix`` with these options would apply the finding's fix."""
    fix = finding.fix
    return fix is not None and (fix.safety is Safety.SAFE or options.unsafe_fixes)


def needs_unsafe(finding: Finding, options: Options) -> bool:
    """Whether the fix would only be applied with ``--unsafe-fixes``."""
    fix = finding.fix
    return fix is not None and fix.safety is Safety.UNSAFE and not options.unsafe_fixes


# text ------------------------------------------------------------------------------------


def finding_line(finding: Finding, options: Options, cwd: Path | None = None) -> str:
    marker = ""
    if is_fixable(finding, options):
        marker = " [*]"
    elif needs_unsafe(finding, options):
        marker = " [unsafe fix]"
    where = f"{display_path(finding.path, cwd)}:{finding.line}:{finding.column}"
    rule = finding.rule if finding.category == "leak" else f"{finding.rule} [{finding.category}]"
    return f"{where}: {rule} {finding.message}{marker}"


def problem_lines(files: Sequence[FileResult], cwd: Path | None = None) -> list[str]:
    """Every file's errors (not read, not parsed, a rule that failed, not written), files
    skipped, and the engine's notes (conflicts, reverts)."""
    lines: list[str] = []
    for result in _ordered(files):
        path = display_path(result.path, cwd)
        lines.extend(f"{path}: error: {problem}" for problem in result.problems)
        if result.skipped:
            lines.append(f"{path}: skipped: {result.skipped}")
        lines.extend(f"{path}: note: {message}" for message in result.messages)
    return lines


def summary(findings: Sequence[Finding], options: Options) -> str:
    if not findings:
        return "No leaks found."
    fixable = sum(is_fixable(finding, options) for finding in findings)
    unsafe = sum(needs_unsafe(finding, options) for finding in findings)
    noun = "finding" if len(findings) == 1 else "findings"
    parts = [f"{fixable} fixable"] if fixable else []
    if unsafe:
        parts.append(f"{unsafe} with --unsafe-fixes")
    detail = f" ({', '.join(parts)})" if parts else ""
    return f"Found {len(findings)} {noun}{detail}."


def render_text(
    files: Sequence[FileResult], options: Options, cwd: Path | None = None, *, totals: bool = True
) -> str:
    """One line per finding, then errors and notes, then (``totals``) the summary."""
    findings = _findings(files)
    lines = [finding_line(finding, options, cwd) for finding in findings]
    lines.extend(problem_lines(files, cwd))
    if totals:
        lines.append(summary(findings, options))
        unreadable = sum(1 for result in files if result.error)
        if unreadable:
            lines.append(f"{unreadable} {_files(unreadable)} could not be checked.")
        lines.extend(tally_lines(files))
    return "".join(f"{line}\n" for line in lines)


def tally_lines(files: Sequence[FileResult]) -> list[str]:
    """Counts of what went wrong besides findings, for the end of a text report."""
    kinds = (
        (lambda r: bool(r.syntax_errors), "with functions that do not parse"),
        (lambda r: bool(r.internal_errors), "hit an internal error (a leakfix bug)"),
        (lambda r: r.write_error is not None, "could not be written"),
        (lambda r: bool(r.skipped), "skipped"),
    )
    lines = []
    for has, what in kinds:
        count = sum(1 for result in files if has(result))
        if count:
            lines.append(f"{count} {_files(count)} {what}.")
    return lines


def _files(count: int) -> str:
    return "file" if count == 1 else "files"


# json ------------------------------------------------------------------------------------


def render_json(files: Sequence[FileResult], cwd: Path | None = None) -> str:
    return json.dumps(json_document(files, cwd), indent=2) + "\n"


def json_document(files: Sequence[FileResult], cwd: Path | None = None) -> dict[str, Any]:
    """The JSON report as a dict (``fix --format json`` extends it)."""
    return {
        "version": 1,
        "findings": [_finding_json(finding, cwd) for finding in _findings(files)],
        "errors": [
            {"path": display_path(result.path, cwd), "message": problem}
            for result in _ordered(files)
            for problem in result.problems
        ],
        "skipped": [
            {"path": display_path(result.path, cwd), "message": result.skipped}
            for result in _ordered(files)
            if result.skipped
        ],
        "notes": [
            {"path": display_path(result.path, cwd), "message": message}
            for result in _ordered(files)
            for message in result.messages
        ],
    }


def _finding_json(finding: Finding, cwd: Path | None) -> dict[str, Any]:
    fix = finding.fix
    return {
        "rule": finding.rule,
        "category": finding.category,
        "path": display_path(finding.path, cwd),
        "line": finding.line,
        "column": finding.column,
        "end_line": finding.end_line,
        "end_column": finding.end_column,
        "message": finding.message,
        "fix": {"title": fix.title, "safety": fix.safety.value} if fix else None,
    }


def render_fix_json(
    files: Sequence[FileResult],
    verification: Verification | None,
    written: Sequence[str],
    diff: str | None = None,
    cwd: Path | None = None,
) -> str:
    """``fix --format json``: the check report of what remains, plus the fixes applied, the
    files written, the diff (dry run) and what ``--verify`` proved (null without it)."""
    document = json_document(files, cwd)
    document["applied"] = [
        {
            "rule": finding.rule,
            "path": display_path(finding.path, cwd),
            "line": finding.line,
            "message": finding.message,
        }
        for result in _ordered(files)
        for finding in result.applied
    ]
    document["written"] = [display_path(path, cwd) for path in sorted(written)]
    if diff is not None:
        document["diff"] = diff
    document["verification"] = verification_json(verification, cwd) if verification else None
    return json.dumps(document, indent=2) + "\n"


def verification_json(verification: Verification, cwd: Path | None = None) -> dict[str, Any]:
    return {
        "verified": list(verification.verified),
        "unverified": [
            {"package": item.package, "reason": item.reason} for item in verification.unverified
        ],
        "withheld": [
            {
                "rule": item.rule,
                "path": display_path(item.path, cwd),
                "line": item.line,
                "message": item.message,
                "compiler": item.compiler,
                "check": item.check,
            }
            for item in verification.withheld
        ],
    }


def verification_lines(verification: Verification, cwd: Path | None = None) -> list[str]:
    """One line per withheld fix and per unverified package, then a tally."""
    lines = [
        f"{display_path(item.path, cwd)}:{item.line}: {item.rule} fix withheld: "
        f"{'does not compile' if item.check == 'build' else 'fails go vet'}: {item.compiler}"
        for item in verification.withheld
    ]
    lines.extend(f"{item.package}: not verified: {item.reason}" for item in verification.unverified)
    verified, withheld = len(verification.verified), len(verification.withheld)
    unverified = len(verification.unverified)
    lines.append(
        f"Verified {verified} {_packages(verified)} with go build and go vet; "
        f"{withheld} {'fix' if withheld == 1 else 'fixes'} withheld; "
        f"{unverified} {_packages(unverified)} not verified."
    )
    return lines


def _packages(count: int) -> str:
    return "package" if count == 1 else "packages"


# sarif -----------------------------------------------------------------------------------


def render_sarif(files: Sequence[FileResult], cwd: Path | None = None) -> str:
    """SARIF 2.1.0 as GitHub code scanning accepts it; columns are counted in UTF-16 units."""
    base = Path(os.path.abspath(cwd or Path.cwd()))
    # Findings describe the final text of their file, which SARIF columns are counted in.
    located = sorted(
        ((finding, result.fixed) for result in files for finding in result.findings),
        key=lambda pair: (pair[0].path, pair[0].line, pair[0].column, pair[0].rule),
    )
    rules = _sarif_rules(finding.rule for finding, _ in located)
    index = {rule["id"]: position for position, rule in enumerate(rules)}
    fingerprints = _Fingerprints()
    results = [
        _sarif_result(finding, index[finding.rule], data, base, fingerprints)
        for finding, data in located
    ]
    run = {
        "tool": {
            "driver": {
                "name": "leakfix",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": rules,
            }
        },
        "originalUriBaseIds": {"%SRCROOT%": {"uri": base.as_uri() + "/"}},
        "columnKind": "utf16CodeUnits",
        "invocations": [_sarif_invocation(files, base)],
        "results": results,
    }
    document = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(document, indent=2) + "\n"


def _sarif_rules(seen: Iterable[str]) -> list[dict[str, Any]]:
    """Every known rule, plus any id a finding carries that no Rule class declares."""
    known = {rule.id: rule for rule in all_rules()}
    ids = sorted({*known, *seen})
    return [_sarif_rule(known[id_]) if id_ in known else _bare_rule(id_) for id_ in ids]


def _sarif_rule(rule: Rule) -> dict[str, Any]:
    doc = rule_doc(rule) or rule.summary
    safety = rule.safety.value if rule.safety else "report only"
    return {
        "id": rule.id,
        "name": _camel(rule.id),
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule_section(rule, "What it does") or rule.summary},
        "help": {"text": doc, "markdown": doc},
        "defaultConfiguration": {"level": "warning"},
        "properties": {
            "tags": ["reliability", "resource-leak", "go"],
            "precision": "high",
            "fix": rule.fix_summary,
            "fixSafety": safety,
        },
    }


def _bare_rule(rule_id: str) -> dict[str, Any]:
    return {
        "id": rule_id,
        "name": _camel(rule_id),
        "shortDescription": {"text": rule_id},
        "fullDescription": {"text": rule_id},
        "help": {"text": rule_id, "markdown": rule_id},
        "defaultConfiguration": {"level": "warning"},
        "properties": {"tags": ["reliability", "resource-leak", "go"]},
    }


def _camel(rule_id: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[-_]", rule_id))


class _Fingerprints:
    """Hashes of rule + path + the finding's trimmed line, numbered when they repeat.

    Line numbers are left out so a finding keeps its identity when code above it moves.
    """

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def next(self, rule: str, path: str, line_text: bytes) -> str:
        key = b"\0".join((rule.encode(), path.encode(), b" ".join(line_text.split())))
        digest = hashlib.sha256(key).hexdigest()[:32]
        occurrence = self.seen.get(digest, 0) + 1
        self.seen[digest] = occurrence
        return f"{digest}:{occurrence}"


def _sarif_result(
    finding: Finding, rule_index: int, data: bytes, base: Path, fingerprints: _Fingerprints
) -> dict[str, Any]:
    uri = _uri(finding.path, base)
    artifact = {"uri": uri, "uriBaseId": "%SRCROOT%"}
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": "warning" if finding.category == "leak" else "note",
        "message": {"text": finding.message},
        "locations": [
            {"physicalLocation": {"artifactLocation": artifact, "region": _region(finding, data)}}
        ],
        "partialFingerprints": {
            "leakfix/v1": fingerprints.next(finding.rule, uri, _line_bytes(data, finding.line))
        },
    }
    if finding.fix and finding.fix.edits:  # SARIF wants at least one change per fix
        result["fixes"] = [_sarif_fix(finding.fix, finding.path, base)]
    return result


def _uri(path: str, base: Path) -> str:
    """A URI relative to %SRCROOT% (forward slashes, percent-encoded); absolute when outside."""
    absolute = Path(os.path.abspath(path))
    try:
        relative = absolute.relative_to(base)
    except ValueError:
        return absolute.as_uri()
    return urllib.parse.quote(relative.as_posix())


def _region(finding: Finding, data: bytes) -> dict[str, int]:
    return {
        "startLine": finding.line,
        "startColumn": _utf16_column(data, finding.line, finding.column),
        "endLine": finding.end_line,
        "endColumn": _utf16_column(data, finding.end_line, finding.end_column),
    }


def _line_bytes(data: bytes, line: int) -> bytes:
    lines = data.split(b"\n")
    return lines[line - 1] if 0 < line <= len(lines) else b""


def _utf16_column(data: bytes, line: int, byte_column: int) -> int:
    """Findings count bytes (like gc); SARIF counts UTF-16 code units by default."""
    prefix = _line_bytes(data, line)[: byte_column - 1]
    if prefix.isascii():
        return byte_column
    return len(prefix.decode("utf-8", "replace").encode("utf-16-le")) // 2 + 1


def _sarif_fix(fix: Fix, own_path: str, base: Path) -> dict[str, Any]:
    """One artifactChange per file: an edit may target another file of the package."""
    description = fix.title
    if fix.imports:
        description += f" (needs import {', '.join(fix.imports)})"
    by_path: dict[str, list[Edit]] = {}
    for edit in fix.edits:
        by_path.setdefault(edit.path or own_path, []).append(edit)
    changes = [
        {
            "artifactLocation": {"uri": _uri(path, base), "uriBaseId": "%SRCROOT%"},
            "replacements": [_replacement(edit) for edit in edits],
        }
        for path, edits in by_path.items()
    ]
    return {"description": {"text": description}, "artifactChanges": changes}


def _replacement(edit: Edit) -> dict[str, Any]:
    try:
        content: dict[str, str] = {"text": edit.text.decode("utf-8")}
    except UnicodeDecodeError:
        content = {"binary": base64.b64encode(edit.text).decode("ascii")}
    return {
        "deletedRegion": {"byteOffset": edit.start, "byteLength": edit.end - edit.start},
        "insertedContent": content,
    }


def _sarif_invocation(files: Sequence[FileResult], base: Path) -> dict[str, Any]:
    notifications = [
        {
            "level": "error",
            "message": {"text": problem},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": _uri(result.path, base),
                            "uriBaseId": "%SRCROOT%",
                        }
                    }
                }
            ],
        }
        for result in _ordered(files)
        for problem in result.problems
    ]
    internal = any(result.internal_errors for result in files)
    return {"executionSuccessful": not internal, "toolExecutionNotifications": notifications}


# unified diff ----------------------------------------------------------------------------


def render_diff(files: Sequence[FileResult], cwd: Path | None = None) -> str:
    """A patch of every changed file that ``git apply`` accepts (``a/`` and ``b/`` prefixes).

    Text is decoded with surrogateescape: encode the result the same way to get the bytes back.
    """
    return "".join(file_diff(result, cwd) for result in _ordered(files) if result.changed)


def file_diff(result: FileResult, cwd: Path | None = None) -> str:
    path = display_path(result.path, cwd)
    before = _lines(result.original)
    after = _lines(result.fixed)
    diff = difflib.unified_diff(before, after, f"a/{path}", f"b/{path}")
    return "".join(_with_newline_markers(diff))


def _lines(data: bytes) -> list[str]:
    """Lines with their endings (CR kept with its LF), split on LF only."""
    return LINE.findall(data.decode("utf-8", "surrogateescape"))


def _with_newline_markers(diff: Iterable[str]) -> Iterable[str]:
    """Mark a last line without a newline as git does, so the patch stays well-formed."""
    for line in diff:
        if line.endswith("\n"):
            yield line
        else:
            yield line + "\n"
            yield NO_NEWLINE
