"""Merging fixes into one set of edits per file, splicing them, and adding imports."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tree_sitter import Node

from codemods.model import Edit, Finding
from codemods.source import SourceFile, text, walk


@dataclass
class MergeResult:
    """Edits accepted for one file, the findings they came from and the conflicts dropped."""

    edits: dict[str, list[Edit]] = field(default_factory=dict)  # path -> edits
    imports: dict[str, set[str]] = field(default_factory=dict)  # path -> import paths
    applied: list[Finding] = field(default_factory=list)
    conflicts: list[tuple[Finding, Finding]] = field(default_factory=list)  # (dropped, kept)


def _overlaps(a: Edit, b: Edit) -> bool:
    if a.start == a.end and b.start == b.end:
        return a.start == b.start  # two insertions at one point: order would be a guess
    return a.start < b.end and b.start < a.end or (a.start == b.start and a.end == b.end)


def merge(findings: Iterable[Finding]) -> MergeResult:
    """Accept each finding's fix whole or not at all: identical edits coalesce, overlaps drop.

    Fixes are taken in order of their first edit, like ruff; a dropped fix is retried on the
    next pass of the engine, against the file that already has the others.
    """
    result = MergeResult()
    owners: dict[tuple[str, Edit], Finding] = {}
    ordered = sorted(
        (f for f in findings if f.fix is not None and f.fix.edits),
        key=lambda f: (f.fix.edits[0].start if f.fix else 0, f.rule),
    )
    for finding in ordered:
        assert finding.fix is not None
        keyed = [((edit.path or finding.path), edit) for edit in finding.fix.edits]
        clash = None
        for path, edit in keyed:
            if (path, edit) in owners:
                continue
            for other in result.edits.get(path, []):
                if _overlaps(edit, other):
                    clash = owners[(path, other)]
                    break
            if clash:
                break
        if clash is not None:
            result.conflicts.append((finding, clash))
            continue
        for path, edit in keyed:
            if (path, edit) not in owners:
                owners[(path, edit)] = finding
                result.edits.setdefault(path, []).append(edit)
        if finding.fix.imports:
            result.imports.setdefault(finding.path, set()).update(finding.fix.imports)
        result.applied.append(finding)
    return result


def splice(data: bytes, edits: Iterable[Edit]) -> bytes:
    """Apply non-overlapping edits, from the end so that offsets never shift."""
    out = data
    for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        out = out[: edit.start] + edit.text + out[edit.end :]
    return out


# -- imports ---------------------------------------------------------------------------------


def _imported_paths(source: SourceFile) -> set[str]:
    paths = set()
    for decl in source.root.children:
        if decl.type == "import_declaration":
            for spec in walk(decl):
                if spec.type == "import_spec":
                    name = spec.child_by_field_name("name")
                    if name is None or text(name) not in ("_", "."):
                        paths.add(text(spec.child_by_field_name("path")).strip('"`'))
    return paths


def _spec_path(spec: Node) -> str:
    return text(spec.child_by_field_name("path")).strip('"`')


def add_imports(source: SourceFile, wanted: Iterable[str]) -> bytes:
    """Add the missing imports once, where gofmt and goimports would put them."""
    missing = sorted(set(wanted) - _imported_paths(source))
    if not missing:
        return source.data
    nl = source.newline
    decls = [d for d in source.root.children if d.type == "import_declaration"]
    if not decls:
        return _insert_import_decl(source, missing)
    block = next((d for d in decls if _spec_list(d) is not None), None)
    if block is None:
        return _widen_single_import(source, decls[0], missing)
    spec_list = _spec_list(block)
    assert spec_list is not None
    edits = []
    for path in missing:
        anchor, before = _sorted_position(source, spec_list, path)
        line = b"\t" + f'"{path}"'.encode() + nl
        if before:
            edits.append(
                Edit(
                    source.line_start(anchor.start_byte), source.line_start(anchor.start_byte), line
                )
            )
        else:
            end = source.line_end(anchor.end_byte)
            edits.append(Edit(end, end, nl + line[: -len(nl)]))
    return splice(source.data, _merge_same_point(edits))


def _merge_same_point(edits: list[Edit]) -> list[Edit]:
    merged: dict[tuple[int, int], bytes] = {}
    for edit in edits:
        merged[(edit.start, edit.end)] = merged.get((edit.start, edit.end), b"") + edit.text
    return [Edit(s, e, t) for (s, e), t in merged.items()]


def _spec_list(decl: Node) -> Node | None:
    for child in decl.named_children:
        if child.type == "import_spec_list":
            return child
    return None


def _sorted_position(source: SourceFile, spec_list: Node, path: str) -> tuple[Node, bool]:
    """Where ``path`` goes: before the first spec of its group that sorts after it, else last.

    The group is the first one holding standard-library paths for standard-library imports
    (goimports' layout), else the last group.
    """
    specs = [s for s in spec_list.named_children if s.type == "import_spec"]
    groups: list[list[Node]] = []
    for spec in specs:
        if (
            groups
            and source.line_of(spec.start_byte) - source.line_of(groups[-1][-1].end_byte) <= 1
        ):
            groups[-1].append(spec)
        else:
            groups.append([spec])
    is_std = "." not in path.split("/")[0]
    group = groups[-1]
    for candidate in groups:
        if all(("." not in _spec_path(s).split("/")[0]) == is_std for s in candidate):
            group = candidate
            break
    for spec in group:
        if _spec_path(spec) > path:
            return spec, True
    return group[-1], False


def _widen_single_import(source: SourceFile, decl: Node, missing: list[str]) -> bytes:
    """`import "fmt"` becomes a parenthesised block holding the new paths too."""
    spec = next(c for c in decl.named_children if c.type == "import_spec")
    nl = source.newline
    lines = [(text(spec), _spec_path(spec))] + [(f'"{p}"', p) for p in missing]
    lines.sort(key=lambda item: item[1])
    body = b"".join(b"\t" + line.encode() + nl for line, _ in lines)
    new = b"import (" + nl + body + b")"
    return source.data[: decl.start_byte] + new + source.data[decl.end_byte :]


def _insert_import_decl(source: SourceFile, missing: list[str]) -> bytes:
    nl = source.newline
    clause = next(c for c in source.root.children if c.type == "package_clause")
    if len(missing) == 1:
        new = b"import " + f'"{missing[0]}"'.encode()
    else:
        new = b"import (" + nl + b"".join(b"\t" + f'"{p}"'.encode() + nl for p in missing) + b")"
    end = source.line_end(clause.end_byte)
    return source.data[:end] + nl + nl + new + source.data[end:]
