"""One parsed Go file: its bytes, its tree and byte-offset helpers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

import tree_sitter_go
from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree

GO = Language(tree_sitter_go.language())
_PARSER = Parser(GO)

FUNCTION_TYPES = ("function_declaration", "method_declaration", "func_literal")


_QUERIES: dict[tuple[str, ...], Query] = {}


def _query(types: tuple[str, ...]) -> Query:
    """One pattern per type, each captured under the type's own name."""
    if types not in _QUERIES:
        _QUERIES[types] = Query(GO, " ".join(f"({t}) @{t}" for t in types))
    return _QUERIES[types]


# Captured together the first time a file is asked for any of them.
INDEXED_TYPES = frozenset(
    {
        "call_expression",
        "defer_statement",
        "for_statement",
        "if_statement",
        "go_statement",
        "func_literal",
        "function_declaration",
        "method_declaration",
    }
)
# A subtree with more nodes than this is searched child by child, so that inert literals in
# it (tables of numbers or strings) can be left out.
_BIG_SUBTREE = 20_000


def query_regions(node: Node) -> tuple[list[Node], list[Node]]:
    """Subtrees that together hold every node below ``node`` except the insides of big inert
    literals, and the nodes split on the way (not inside any of those subtrees)."""
    regions: list[Node] = []
    split: list[Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.descendant_count <= _BIG_SUBTREE:
            regions.append(current)
            continue
        split.append(current)
        if current.type == "literal_value" and _inert(current):
            continue
        stack.extend(current.children)
    return regions, split


GENERATED_LINE = re.compile(rb"^// Code generated .* DO NOT EDIT\.$")
PACKAGE_LINE = re.compile(rb"^\s*package\s")


def is_generated(lines: Iterator[bytes]) -> bool:
    """Go's rule: a line `// Code generated ... DO NOT EDIT.` before the package clause."""
    for line in lines:
        stripped = line.rstrip(b"\r\n")
        if GENERATED_LINE.match(stripped):
            return True
        if PACKAGE_LINE.match(stripped):
            return False
    return False


def parse(data: bytes) -> Tree:
    return _PARSER.parse(data)


def text(node: Node | None) -> str:
    """The node's source text ('' for None)."""
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")


# -- walking and parents ---------------------------------------------------------------------
#
# ``Node.parent`` costs a descent from the root in tree-sitter (time proportional to the depth),
# so walking up from a node deep in 5,000 nested function literals would be quadratic. Every
# parent leakfix learns is kept here: walks record them on the way down, and a miss is filled
# top-down along the whole path from the root of the file being checked (``checking``). A key
# is a node's id (the address of its subtree); the value, the parent node, keeps that tree
# alive, so an id in the table can never be reused by another tree.
_PARENTS: dict[int, Node] = {}
_ROOTS: list[Node] = []  # roots of the files being checked: where a miss is looked up first
_INERT: dict[int, tuple[Node, bool]] = {}  # big literals already checked for identifiers

# Composite literals this big are checked for identifiers before a walk enters them: a table of
# numbers or strings (an embedded asset, a lookup table) cannot hold a resource.
_INERT_LITERAL_CHILDREN = 16
_STRINGS = re.compile(rb'"(?:[^"\\\n]|\\.)*"|`[^`]*`|\'(?:[^\'\\\n]|\\.)*\'')
_NUMBERS = re.compile(rb"(?<![\w.])\.?\d[\w.]*")
_NAME = re.compile(rb"[A-Za-z_\x80-\xff]")
_LEAF_TYPES = frozenset(
    {
        "comment",
        "interpreted_string_literal",
        "raw_string_literal",
        "rune_literal",
        "int_literal",
        "float_literal",
        "imaginary_literal",
    }
)


def parent_of(node: Node) -> Node | None:
    """``node.parent``, without the cost of a descent from the root each time."""
    found = _PARENTS.get(node.id)
    if found is not None:
        return found
    for root in _ROOTS:
        if _fill_path(root, node):
            return _PARENTS.get(node.id)
    found = node.parent
    if found is not None:
        _PARENTS[node.id] = found
    return found


def _fill_path(root: Node, node: Node) -> bool:
    """Record the parents along the path from ``root`` down to ``node``; False when ``node``
    is not below ``root`` (every parent recorded on the way is true all the same)."""
    if node.id == root.id or not (root.start_byte <= node.start_byte <= node.end_byte):
        return False
    if node.end_byte > root.end_byte:
        return False
    current = root
    while True:
        child = current.child_with_descendant(node)
        if child is None or child.id == current.id:
            return False
        _PARENTS[child.id] = current
        if child.id == node.id:
            return True
        current = child


def checking(roots: list[Node]) -> None:
    """The roots whose nodes the rules work on now (the engine sets them per file)."""
    _ROOTS[:] = roots


def forget_parents() -> None:
    """Drop the parent table (between packages: it keeps their trees alive)."""
    _PARENTS.clear()
    _ROOTS.clear()
    _INERT.clear()


def ancestors(node: Node) -> Iterator[Node]:
    """The parents of ``node``, innermost first, up to the root."""
    current = parent_of(node)
    while current is not None:
        yield current
        current = parent_of(current)


def _enters(node: Node) -> bool:
    """Whether a walk descends into ``node``: never into strings, comments and numbers, nor
    into big composite literals that spell no identifier."""
    kind = node.type
    if kind in _LEAF_TYPES:
        return False
    if kind == "literal_value" and node.child_count > _INERT_LITERAL_CHILDREN:
        return not _inert(node)
    return True


def _inert(literal: Node) -> bool:
    known = _INERT.get(literal.id)
    if known is None:
        data = literal.text or b""
        known = (literal, _NAME.search(_NUMBERS.sub(b"", _STRINGS.sub(b"", data))) is None)
        _INERT[literal.id] = known  # the node kept in the entry keeps its id from reuse
    return known[1]


def walk(node: Node) -> Iterator[Node]:
    """All nodes below ``node`` (included), in source order, except inside strings, comments
    and inert literals (see ``_enters``)."""
    stack = [node]
    parents = _PARENTS
    while stack:
        current = stack.pop()
        yield current
        if not _enters(current):
            continue
        children = current.children
        for child in children:
            parents[child.id] = current
        stack.extend(reversed(children))


def walk_no_funcs(node: Node) -> Iterator[Node]:
    """Like :func:`walk` but does not enter nested function literals."""
    stack = [node]
    parents = _PARENTS
    while stack:
        current = stack.pop()
        yield current
        if (current.type == "func_literal" and current is not node) or not _enters(current):
            continue
        children = current.children
        for child in children:
            parents[child.id] = current
        stack.extend(reversed(children))


def error_nodes(node: Node, nested: bool = False) -> Iterator[Node]:
    """The ERROR and MISSING nodes below ``node`` (with ``nested``, also those inside an
    ERROR), visiting only subtrees that hold one."""
    if not node.has_error:
        return
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "ERROR" or current.is_missing:
            yield current
            if not nested:
                continue
        stack.extend(reversed([c for c in current.children if c.has_error or c.is_missing]))


def count_errors(node: Node) -> int:
    """Number of ERROR or MISSING nodes below ``node``."""
    return sum(1 for _ in error_nodes(node, nested=True))


def top_level_node(source: SourceFile, node: Node) -> Node:
    """The child of the file's root holding ``node`` (found by position, not by walking up)."""
    children = source.top_level
    lo, hi = 0, len(children) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if children[mid].start_byte <= node.start_byte:
            lo = mid
        else:
            hi = mid - 1
    return children[lo] if children else source.root


@dataclass
class SourceFile:
    """A Go file as bytes plus its tree. Every position is a byte offset."""

    path: str
    data: bytes
    tree: Tree = field(init=False)

    def __post_init__(self) -> None:
        self.tree = parse(self.data)

    @property
    def root(self) -> Node:
        return self.tree.root_node

    @cached_property
    def top_level(self) -> list[Node]:
        return self.root.children

    @cached_property
    def newline(self) -> bytes:
        """The file's line ending: CRLF when its first line ends so, else LF."""
        first = self.data.find(b"\n")
        return b"\r\n" if first > 0 and self.data[first - 1 : first] == b"\r" else b"\n"

    @cached_property
    def line_starts(self) -> list[int]:
        starts = [0]
        pos = self.data.find(b"\n")
        while pos != -1:
            starts.append(pos + 1)
            pos = self.data.find(b"\n", pos + 1)
        return starts

    @cached_property
    def package_name(self) -> str:
        for child in self.root.children:
            if child.type == "package_clause":
                for sub in child.children:
                    if sub.type == "package_identifier":
                        return text(sub)
        return ""

    @cached_property
    def is_generated(self) -> bool:
        return is_generated(iter(self.data.splitlines()))

    def nodes(self, *types: str) -> list[Node]:
        """Every node of the given types, in source order (a tree-sitter query: walking the
        tree from Python is ten times slower). The types rules ask for most are captured by
        one query, in one pass over the tree; big inert literals are not searched."""
        cache: dict[str, list[Node]] = self.__dict__.setdefault("_nodes", {})
        wanted = set(types)
        if not wanted <= cache.keys():
            batch = tuple(sorted(wanted | INDEXED_TYPES if wanted <= INDEXED_TYPES else wanted))
            found: dict[str, list[Node]] = {kind: [] for kind in batch}
            regions, split = query_regions(self.root)
            for region in regions:
                for kind, nodes in QueryCursor(_query(batch)).captures(region).items():
                    found[kind].extend(nodes)
            for node in split:
                if node.type in found:
                    found[node.type].append(node)
            for nodes in found.values():
                nodes.sort(key=lambda n: (n.start_byte, -n.end_byte))
            cache.update(found)
        if len(types) == 1:
            return cache[types[0]]
        merged = [n for kind in wanted for n in cache[kind]]
        return sorted(merged, key=lambda n: (n.start_byte, -n.end_byte))

    def line_of(self, offset: int) -> int:
        """0-based line index of a byte offset."""
        lo, hi = 0, len(self.line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column); the column counts bytes, as gc and gopls report."""
        line = self.line_of(offset)
        return line + 1, offset - self.line_starts[line] + 1

    def line_start(self, offset: int) -> int:
        return self.line_starts[self.line_of(offset)]

    def line_end(self, offset: int) -> int:
        """Offset of the end of the line holding ``offset``, before its CR/LF."""
        end = self.data.find(b"\n", offset)
        if end == -1:
            return len(self.data)
        if end > 0 and self.data[end - 1 : end] == b"\r":
            return end - 1
        return end

    def indent_at(self, offset: int) -> bytes:
        """Leading white space of the line holding ``offset``."""
        start = self.line_start(offset)
        end = start
        while end < len(self.data) and self.data[end : end + 1] in (b"\t", b" "):
            end += 1
        return self.data[start:end]

    def text(self, node: Node | None) -> str:
        return text(node)


def contains(outer: Node, inner: Node) -> bool:
    """Whether ``inner`` lies within ``outer``'s bytes."""
    return outer.start_byte <= inner.start_byte and inner.end_byte <= outer.end_byte


def parent_type(node: Node | None) -> str:
    """The type of ``node``'s parent ("" without one)."""
    up = parent_of(node) if node is not None else None
    return up.type if up is not None else ""


def assigned_by(node: Node) -> Node | None:
    """The assignment or ``:=`` statement whose left side is ``node`` (an expression_list)."""
    if node.type != "expression_list":
        return None
    owner = parent_of(node)
    if owner is None or owner.type not in ("assignment_statement", "short_var_declaration"):
        return None
    return owner if owner.child_by_field_name("left") == node else None
