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
    if types not in _QUERIES:
        _QUERIES[types] = Query(GO, " ".join(f"({t}) @n" for t in types))
    return _QUERIES[types]


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


def walk(node: Node) -> Iterator[Node]:
    """All nodes below ``node`` (included), in source order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def walk_no_funcs(node: Node) -> Iterator[Node]:
    """Like :func:`walk` but does not enter nested function literals."""
    stack = list(reversed(node.children))
    yield node
    while stack:
        current = stack.pop()
        yield current
        if current.type != "func_literal":
            stack.extend(reversed(current.children))


def count_errors(node: Node) -> int:
    """Number of ERROR or MISSING nodes below ``node``."""
    if not node.has_error:
        return 0
    return sum(1 for n in walk(node) if n.type == "ERROR" or n.is_missing)


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
        tree from Python is ten times slower)."""
        key = tuple(sorted(types))
        cache = self.__dict__.setdefault("_nodes", {})
        if key not in cache:
            captures = QueryCursor(_query(key)).captures(self.root)
            found = [n for nodes in captures.values() for n in nodes]
            cache[key] = sorted(found, key=lambda n: (n.start_byte, -n.end_byte))
        return cache[key]

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
