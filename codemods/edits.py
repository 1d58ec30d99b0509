"""Merging fixes into one set of edits per file, splicing them, and adding imports."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tree_sitter import Node

from codemods.model import Edit, Finding
from codemods.source import SourceFile, count_errors, text


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
    regions: list[tuple[str, int, int, Finding]] = []  # (path, start, end, owner)
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
            clash = _in_region(path, edit, regions) or _region_clash(finding, path, result)
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
        if finding.fix.region is not None:
            regions.append((finding.path, *finding.fix.region, finding))
        result.applied.append(finding)
    return result


def _in_region(
    path: str, edit: Edit, regions: list[tuple[str, int, int, Finding]]
) -> Finding | None:
    """The fix whose rewritten region holds ``edit`` (strictly inside: its ends are free)."""
    for region_path, start, end, owner in regions:
        if region_path == path and start < edit.start < end:
            return owner
    return None


def _region_clash(finding: Finding, path: str, result: MergeResult) -> Finding | None:
    """An edit already taken that lies inside ``finding``'s own region."""
    fix = finding.fix
    if fix is None or fix.region is None or path != finding.path:
        return None
    start, end = fix.region
    for applied in result.applied:
        assert applied.fix is not None
        for edit in applied.fix.edits:
            if (edit.path or applied.path) == path and start < edit.start < end:
                return applied
    return None


def splice(data: bytes, edits: Iterable[Edit]) -> bytes:
    """Apply non-overlapping edits, from the end so that offsets never shift."""
    out = data
    for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        out = out[: edit.start] + edit.text + out[edit.end :]
    return out


# -- imports ---------------------------------------------------------------------------------
#
# Every legal layout is handled: no import, a single `import "x"`, grouped blocks, several
# declarations, an empty `import ()`, comments between specs, specs sharing a line, and cgo.
# The `import "C"` declaration (and the preamble comment right above it) is never touched:
# new paths go into another declaration, or a new one after it. After splicing, the result
# must parse no worse and import every wanted path; otherwise the paths get a declaration of
# their own after the last import, which is always legal Go.


def _imported_paths(source: SourceFile) -> set[str]:
    paths = set()
    for decl in _import_decls(source):
        for spec in _specs(decl):
            name = spec.child_by_field_name("name")
            if name is None or text(name) not in ("_", "."):
                paths.add(_spec_path(spec))
    return paths


def _import_decls(source: SourceFile) -> list[Node]:
    return [d for d in source.root.children if d.type == "import_declaration"]


def _specs(decl: Node) -> list[Node]:
    """The import specs of a declaration, grouped or not."""
    spec_list = _spec_list(decl)
    holder = spec_list if spec_list is not None else decl
    return [c for c in holder.named_children if c.type == "import_spec"]


def _spec_path(spec: Node) -> str:
    return text(spec.child_by_field_name("path")).strip('"`')


def _is_cgo(decl: Node) -> bool:
    return any(_spec_path(spec) == "C" for spec in _specs(decl))


def add_imports(source: SourceFile, wanted: Iterable[str]) -> bytes:
    """Add the missing imports once, where gofmt and goimports would put them."""
    missing = sorted(set(wanted) - _imported_paths(source))
    if not missing:
        return source.data
    candidate = _add_to_layout(source, missing)
    if candidate is not None and _imports_all(source, candidate, missing):
        return candidate
    return _append_import_decl(source, missing)


def _add_to_layout(source: SourceFile, missing: list[str]) -> bytes | None:
    decls = [d for d in _import_decls(source) if not _is_cgo(d)]
    if not decls:
        return None  # a declaration of its own (after import "C", if any)
    block = next((d for d in decls if _spec_list(d) is not None), None)
    if block is None:
        return _widen_single_import(source, decls[0], missing)
    spec_list = _spec_list(block)
    assert spec_list is not None
    specs = [c for c in spec_list.named_children if c.type == "import_spec"]
    if not specs or not _one_spec_per_line(source, spec_list, specs):
        return _rewrite_block(source, block, specs, missing)
    nl = source.newline
    edits = []
    for path in missing:
        anchor, before = _sorted_position(source, specs, path)
        line = b"\t" + _quoted(path) + nl
        if before:
            start = source.line_start(_comment_start(source, anchor))
            edits.append(Edit(start, start, line))
        else:
            end = source.line_end(anchor.end_byte)
            edits.append(Edit(end, end, nl + line[: -len(nl)]))
    return splice(source.data, _merge_same_point(edits))


def _imports_all(source: SourceFile, data: bytes, missing: list[str]) -> bool:
    """The spliced file parses no worse than before and imports every missing path."""
    after = SourceFile(source.path, data)
    if count_errors(after.root) > count_errors(source.root):
        return False
    return set(missing) <= _imported_paths(after)


def _quoted(path: str) -> bytes:
    return f'"{path}"'.encode()


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


def _one_spec_per_line(source: SourceFile, spec_list: Node, specs: list[Node]) -> bool:
    """Whether each spec has a line of its own, apart from the parentheses (gofmt's layout)."""
    lines = [source.line_of(spec_list.start_byte), source.line_of(spec_list.end_byte - 1)]
    for spec in specs:
        lines.append(source.line_of(spec.start_byte))
    return len(lines) == len(set(lines)) and all(
        source.line_of(s.start_byte) == source.line_of(s.end_byte) for s in specs
    )


def _comment_start(source: SourceFile, spec: Node) -> int:
    """Where the comment lines directly above ``spec`` start (they belong to it)."""
    start = spec.start_byte
    previous = spec.prev_named_sibling
    while previous is not None and previous.type == "comment":
        if source.line_of(start) - source.line_of(previous.end_byte) != 1:
            break
        if source.data[source.line_start(previous.start_byte) : previous.start_byte].strip():
            break  # a trailing comment of the spec above
        start = previous.start_byte
        previous = previous.prev_named_sibling
    return start


def _sorted_position(source: SourceFile, specs: list[Node], path: str) -> tuple[Node, bool]:
    """Where ``path`` goes: before the first spec of its group that sorts after it, else last.

    The group is the first one holding standard-library paths for standard-library imports
    (goimports' layout), else the last group. ``specs`` is never empty.
    """
    groups: list[list[Node]] = []
    for spec in specs:
        if (
            groups
            and source.line_of(spec.start_byte) - source.line_of(groups[-1][-1].end_byte) <= 1
        ):
            groups[-1].append(spec)
        else:
            groups.append([spec])
    is_std = _is_std(path)
    group = groups[-1]
    for candidate in groups:
        if all(_is_std(_spec_path(s)) == is_std for s in candidate):
            group = candidate
            break
    for spec in group:
        if _spec_path(spec) > path:
            return spec, True
    return group[-1], False


def _is_std(path: str) -> bool:
    return "." not in path.split("/")[0]


def _rewrite_block(source: SourceFile, decl: Node, specs: list[Node], missing: list[str]) -> bytes:
    """An empty `import ()` or specs sharing lines: the parenthesised list is written anew,
    one spec per line, keeping each old spec's text and every comment in it."""
    spec_list = _spec_list(decl)
    assert spec_list is not None
    nl = source.newline
    items = [c for c in spec_list.named_children if c.type in ("import_spec", "comment")]
    if any(c.type == "comment" for c in items) and specs:
        return _insert_before_close(source, spec_list, missing)
    lines = [(_spec_path(s), text(s)) for s in specs] + [(p, f'"{p}"') for p in missing]
    lines.sort(key=lambda item: (not _is_std(item[0]), item[0]))
    body = b"".join(b"\t" + line.encode() + nl for _, line in lines)
    return (
        source.data[: spec_list.start_byte]
        + b"("
        + nl
        + body
        + b")"
        + source.data[spec_list.end_byte :]
    )


def _insert_before_close(source: SourceFile, spec_list: Node, missing: list[str]) -> bytes:
    """Specs sharing lines with comments between them: the new specs go last, before `)`."""
    close = spec_list.end_byte - 1
    added = b"; ".join(_quoted(p) for p in missing)
    return source.data[:close] + b"; " + added + source.data[close:]


def _widen_single_import(source: SourceFile, decl: Node, missing: list[str]) -> bytes:
    """`import "fmt"` becomes a parenthesised block holding the new paths too."""
    spec = _specs(decl)[0]
    nl = source.newline
    lines = [(text(spec), _spec_path(spec))] + [(f'"{p}"', p) for p in missing]
    lines.sort(key=lambda item: item[1])
    body = b"".join(b"\t" + line.encode() + nl for line, _ in lines)
    new = b"import (" + nl + body + b")"
    return source.data[: decl.start_byte] + new + source.data[decl.end_byte :]


def _append_import_decl(source: SourceFile, missing: list[str]) -> bytes:
    """A declaration of its own, after the last import declaration (after `import "C"` and
    its preamble too), or after the package clause when there is none."""
    nl = source.newline
    if len(missing) == 1:
        new = b"import " + _quoted(missing[0])
    else:
        new = b"import (" + nl + b"".join(b"\t" + _quoted(p) + nl for p in missing) + b")"
    decls = _import_decls(source)
    if decls:
        anchor = decls[-1]
    else:
        anchor = next(c for c in source.root.children if c.type == "package_clause")
    end = source.line_end(anchor.end_byte)
    return source.data[:end] + nl + nl + new + source.data[end:]
