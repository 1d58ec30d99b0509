"""Suppression comments: ``//leakfix:ignore [ids]`` and golangci-lint's ``//nolint[:linters]``.

A directive counts on the finding's first line, or alone on the line just above it (a trailing
comment on the line above belongs to that line). Like golangci-lint, ``// nolint`` with a space
is prose, not a directive; an explanation may follow as ``//nolint:x // why``.
"""

from __future__ import annotations

import re

from codemods.model import Finding
from codemods.source import SourceFile

MARKERS = (b"//leakfix:ignore", b"//nolint")
LEAKFIX = re.compile(rb"//leakfix:ignore(?=\s|,|$)(?P<ids>[^/]*)")
NOLINT = re.compile(rb"//nolint(?::(?P<linters>[\w.-]+(?:,[\w.-]+)*))?(?=\s|$)")
SEPARATORS = re.compile(rb"[\s,]+")


def is_suppressed(source: SourceFile, finding: Finding, linters: tuple[str, ...]) -> bool:
    """Whether a comment switches ``finding`` off; ``linters`` are its rule's golangci names."""
    index = finding.line - 1
    if _line_suppresses(source, index, finding.rule, linters, own_line=True):
        return True
    return index > 0 and _line_suppresses(source, index - 1, finding.rule, linters, own_line=False)


def _line_suppresses(
    source: SourceFile, index: int, rule: str, linters: tuple[str, ...], *, own_line: bool
) -> bool:
    if not 0 <= index < len(source.line_starts):
        return False
    start = source.line_starts[index]
    line = source.data[start : source.line_end(start)]
    # A cheap byte test first: almost no line holds a directive, so the tree is rarely consulted.
    if not any(marker in line for marker in MARKERS):
        return False
    offset = _comment_start(source, start, line)
    if offset is None or (not own_line and line[:offset].strip()):
        return False
    return _directive_matches(line[offset:], rule, linters)


def _comment_start(source: SourceFile, line_start: int, line: bytes) -> int | None:
    """Where in ``line`` the first ``//`` comment begins (a ``//`` in a string does not count)."""
    offset = line.find(b"//")
    while offset != -1:
        begin = line_start + offset
        node = source.root.descendant_for_byte_range(begin, begin + 2)
        if node is not None and node.type == "comment" and node.start_byte == begin:
            return offset
        offset = line.find(b"//", offset + 2)
    return None


def _directive_matches(comment: bytes, rule: str, linters: tuple[str, ...]) -> bool:
    """golangci-lint reads only a comment that starts with the directive; so do we."""
    leakfix = LEAKFIX.match(comment)
    if leakfix:
        ids = {token.decode() for token in SEPARATORS.split(leakfix["ids"]) if token}
        return not ids or "all" in ids or rule in ids
    nolint = NOLINT.match(comment)
    if nolint:
        if nolint["linters"] is None:
            return True
        names = {name.decode().lower() for name in nolint["linters"].split(b",")}
        return "all" in names or bool(names & {linter.lower() for linter in linters})
    return False
