"""Is a resource released on every path? One control-flow graph, used by every resource rule.

go vet's lostcancel answers "is this cancel function called on every path?" on a control-flow
graph of the function; this module does the same over tree-sitter-go's tree. A function body
becomes a graph of statement-level nodes: a simple statement is one node; an ``if``, ``for``,
``switch`` or ``select`` is a header node (its initializer, condition, range or tag: what runs
before the branches) with edges into its branches; ``break``, ``continue``, ``goto`` and
``fallthrough`` go where Go sends them. Function literals are not entered: they are other
functions (a deferred literal is one ``defer`` node, which releases when it closes the
resource).

A rule asks one question, :func:`leak_after` (:func:`ending_leak` for what `_ending` found):
starting after the acquisition (past its error check), is there a path to an exit of the
function (a ``return``, a ``panic``, falling off the end, or back to the acquisition itself in a
loop) that passes no release? Releases are calls the rule names (``rows.Close()``,
``tx.Rollback()``, a helper that closes its argument, a deferred call or closure). Paths that
end the process or the test (``log.Fatal``, ``os.Exit``, ``t.Fatal``) need no release. The
answer names the first leaking exit, so a finding can say "not closed on the return at line 57".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from tree_sitter import Node

from codemods.package import Package
from codemods.rules._ending import (
    Endings,
    called,
    ended_on_every_path,
    not_nil_name,
    region_after,
    statements,
    stops,
    success_branch,
)
from codemods.rules._flow import (
    MovedDefer,
    called_on_the_spot,
    error_check,
    is_err_check,
    move_late_defer,
    path_start,
)
from codemods.source import SourceFile, contains, parent_of, parent_type, text, walk

_SWITCH_TYPES = ("expression_switch_statement", "type_switch_statement")
_CASE_TYPES = ("expression_case", "type_case", "default_case", "communication_case")
_SKIPPED = ("comment", "empty_statement")

# What an exit is, for messages: "not closed on the return at line 57".
EXIT_WORDS = {
    "return": "on the return",
    "panic": "on the panic",
    "goto": "on the jump",
    "end": "at the end of the function",
}


@dataclass
class _Node:
    """One node of the graph: ``parts`` is the syntax that runs when control is here."""

    kind: str  # "stmt", "branch", "loop", "return", "panic", "goto", "end", "stop"
    syntax: Node | None
    parts: tuple[Node, ...] = ()
    succ: list[int] = field(default_factory=list)
    done: int | None = None  # for a loop header: where control goes when the condition fails
    nil_false: int | None = None  # for `if x != nil`: the edge taken when x is nil ...
    nil_name: str = ""  # ... and that x


@dataclass
class _Targets:
    """Where ``break`` and ``continue`` go from inside one loop, switch or select."""

    label: str
    breaks: int
    continues: int | None  # None for switch and select


@dataclass(frozen=True)
class Exit:
    """The first exit reached with the resource still open."""

    kind: str  # a key of EXIT_WORDS, or "again": back to the acquisition in a loop
    node: Node

    def describe(self, source: SourceFile) -> str:
        """Where the resource is lost: "on the return at line 57"."""
        if self.kind == "again":
            return "before the next iteration"
        line = source.position(self._offset())[0]
        return f"{EXIT_WORDS[self.kind]} at line {line}"

    def _offset(self) -> int:
        if self.kind == "end":
            return max(self.node.end_byte - 1, self.node.start_byte)  # the closing brace
        return self.node.start_byte


class Graph:
    """The control-flow graph of one function body."""

    def __init__(self, body: Node) -> None:
        self.nodes: list[_Node] = []
        self.by_syntax: dict[int, int] = {}  # statement or header id -> node index
        self._labels: dict[str, int] = {}
        self._gotos: list[tuple[int, str]] = []
        self._stack: list[_Targets] = []
        end = self._add(_Node("end", body))
        self.entry = self._block(statements(body), end)
        for index, label in self._gotos:
            target = self._labels.get(label)
            if target is not None:  # an unknown label: the goto stays an exit
                self.nodes[index].kind = "stmt"
                self.nodes[index].succ = [target]

    # -- building ----------------------------------------------------------------------------

    def _add(self, node: _Node) -> int:
        self.nodes.append(node)
        if node.syntax is not None and node.kind != "end":
            self.by_syntax.setdefault(node.syntax.id, len(self.nodes) - 1)
        return len(self.nodes) - 1

    def _block(self, statements: Iterable[Node], follow: int) -> int:
        entry = follow
        for stmt in reversed(list(statements)):
            entry = self._statement(stmt, entry)
        return entry

    def _statement(self, stmt: Node, follow: int, label: str = "") -> int:
        kind = stmt.type
        if kind in _SKIPPED:
            return follow
        if kind == "block":
            return self._block(statements(stmt), follow)
        if kind == "labeled_statement":
            return self._labeled(stmt, follow)
        if kind == "if_statement":
            return self._if(stmt, follow)
        if kind == "for_statement":
            return self._for(stmt, follow, label)
        if kind in _SWITCH_TYPES or kind == "select_statement":
            return self._switch(stmt, follow, label)
        if kind == "return_statement":
            return self._add(_Node("return", stmt, (stmt,)))
        if kind == "goto_statement":
            index = self._add(_Node("goto", stmt, (stmt,)))
            self._gotos.append((index, _label_of(stmt)))
            return index
        if kind in ("break_statement", "continue_statement"):
            return self._jump(stmt, follow)
        if called(stmt) == "panic":
            return self._add(_Node("panic", stmt, (stmt,)))
        if stops(stmt):
            return self._add(_Node("stop", stmt, (stmt,)))
        return self._add(_Node("stmt", stmt, (stmt,), [follow]))

    def _labeled(self, stmt: Node, follow: int) -> int:
        label = text(stmt.child_by_field_name("label"))
        inner = [c for c in stmt.named_children if c.type not in ("label_name", "comment")]
        entry = self._statement(inner[-1], follow, label) if inner else follow
        self._labels[label] = entry
        return entry

    def _if(self, stmt: Node, follow: int) -> int:
        parts = _present(stmt, "initializer", "condition")
        header = self._add(_Node("branch", stmt, parts))
        consequence = stmt.child_by_field_name("consequence")
        alternative = stmt.child_by_field_name("alternative")
        then = self._statement(consequence, follow) if consequence is not None else follow
        other = self._statement(alternative, follow) if alternative is not None else follow
        node = self.nodes[header]
        node.succ = [then, other]
        nil_name = not_nil_name(stmt)
        if nil_name:
            node.nil_false, node.nil_name = other, nil_name
        return header

    def _for(self, stmt: Node, follow: int, label: str) -> int:
        clause, condition = loop_header(stmt)
        parts = tuple(p for p in (clause, condition) if p is not None)
        header = self._add(_Node("loop", stmt, parts))
        self._stack.append(_Targets(label, follow, header))
        body = stmt.child_by_field_name("body")
        start = self._block(statements(body), header) if body is not None else header
        self._stack.pop()
        node = self.nodes[header]
        node.succ = [start]
        if loop_has_exit(stmt):
            node.succ.append(follow)
            node.done = follow
        return header

    def _switch(self, stmt: Node, follow: int, label: str) -> int:
        cases = [c for c in stmt.named_children if c.type in _CASE_TYPES]
        parts = tuple(c for c in stmt.named_children if c.type not in _CASE_TYPES + _SKIPPED)
        header = self._add(_Node("branch", stmt, parts))
        self._stack.append(_Targets(label, follow, None))
        entries: list[int] = []
        next_entry = follow  # where a `fallthrough` of the case before goes
        for case in reversed(cases):
            body = statements(case)
            if body and body[-1].type == "fallthrough_statement":
                entry = self._block(body[:-1], next_entry)
            else:
                entry = self._block(body, follow)
            if case.type == "communication_case":
                communication = case.child_by_field_name("communication")
                if communication is not None:
                    entry = self._add(_Node("stmt", communication, (communication,), [entry]))
            entries.append(entry)
            next_entry = entry
        self._stack.pop()
        entries.reverse()
        # A switch without default may match no case; a select waits for one of its cases.
        has_default = any(c.type == "default_case" for c in cases)
        node = self.nodes[header]
        node.succ = entries + ([] if has_default or _is_select(stmt) else [follow])
        return header

    def _jump(self, stmt: Node, follow: int) -> int:
        label = _label_of(stmt)
        for targets in reversed(self._stack):
            if label and targets.label != label:
                continue
            if stmt.type == "break_statement":
                return self._add(_Node("stmt", stmt, (stmt,), [targets.breaks]))
            if targets.continues is not None:
                return self._add(_Node("stmt", stmt, (stmt,), [targets.continues]))
        return self._add(_Node("goto", stmt, (stmt,)))  # not understood: an exit

    # -- the question --------------------------------------------------------------------------

    def releasing_nodes(self, calls: Iterable[Node]) -> set[int]:
        """The nodes whose own syntax runs one of ``calls`` (a deferred call, or a call in a
        literal run on the spot or deferred, counts; a literal stored for later does not)."""
        found: set[int] = set()
        for call in calls:
            current: Node | None = call
            while current is not None:
                if current.id in self.by_syntax:
                    index = self.by_syntax[current.id]
                    if any(contains(part, call) for part in self.nodes[index].parts):
                        found.add(index)
                    break
                if current.type == "func_literal" and not _run_where_written(current):
                    break
                current = parent_of(current)
        return found

    def first_leak(
        self,
        anchor: Node,
        released: set[int],
        *,
        after_check: bool,
        loop_releases: Callable[[Node], bool] | None = None,
        exit_ok: Callable[[Node], bool] | None = None,
        name: str = "",
        then_only: bool = False,
    ) -> Exit | None:
        """The first exit reached from after ``anchor`` with no node of ``released`` on the
        way, or None. With ``after_check`` the anchor is ``if err != nil { ... }`` and only its
        false branch is followed; with ``then_only`` it is ``if x, err := ...; err == nil``
        and only its true branch is. ``loop_releases(loop)`` says when a loop's normal end
        releases (``for rows.Next()``); ``exit_ok(node)`` excuses an exit (pgx closes rows
        after a failed Scan). The resource ``name`` is not nil after its check, so the nil
        branch of ``if name != nil`` is never taken."""
        start = self.by_syntax.get(anchor.id)
        if start is None:
            return Exit("end", anchor)  # not a statement of this graph: assume the worst
        node = self.nodes[start]
        todo = list(node.succ)
        if node.kind == "branch" and after_check:
            todo = node.succ[1:2]
        elif node.kind == "branch" and then_only:
            todo = node.succ[:1]
        seen: set[int] = set()
        while todo:
            index = todo.pop()
            if index in seen:
                continue
            seen.add(index)
            if index == start:
                return Exit("again", anchor)  # back to the acquisition: the old one is lost
            node = self.nodes[index]
            if index in released or node.kind == "stop":
                continue
            if node.kind in ("return", "panic", "goto", "end"):
                assert node.syntax is not None
                if exit_ok is not None and exit_ok(node.syntax):
                    continue
                return Exit(node.kind, node.syntax)
            for succ in reversed(node.succ):
                if name and node.nil_name == name and succ == node.nil_false:
                    continue
                if (
                    succ == node.done
                    and loop_releases is not None
                    and node.syntax is not None
                    and loop_releases(node.syntax)
                ):
                    continue
                todo.append(succ)
        return None


def leak_after(
    package: Package,
    func: Node,
    anchor: Node,
    releases: Iterable[Node],
    *,
    after_check: bool,
    name: str,
    loop_releases: Callable[[Node], bool] | None = None,
    exit_ok: Callable[[Node], bool] | None = None,
    then_only: bool = False,
) -> Exit | None:
    """:meth:`Graph.first_leak` on ``func``'s graph (built once per function and pass)."""
    cache: dict[int, Graph] = package.memo("control-flow-graphs", lambda _package: {})
    graph = graph_of(func, cache)
    if graph is None:
        return Exit("end", anchor)
    return graph.first_leak(
        anchor,
        graph.releasing_nodes(releases),
        after_check=after_check,
        loop_releases=loop_releases,
        exit_ok=exit_ok,
        name=name,
        then_only=then_only,
    )


@dataclass(frozen=True)
class EndingGap:
    """Where a transaction or a connection is left open: its error check (the place for a
    defer), the path that leaks, and a defer already there but too late."""

    check: Node | None
    has_check: bool
    anchor: Node  # the error check, or the binding when there is none
    success: list[Node] | None  # the statements under `if err == nil { ... }`, if so written
    where: str  # "on the return at line 57"
    move: MovedDefer | None


def ending_gap(
    package: Package, source: SourceFile, func: Node, stmt: Node, err_name: str, ends: Endings
) -> EndingGap | None:
    """The gap of the resource bound by ``stmt`` (``ends``: what ends it), or None when it is
    ended on every path. Shared by tx-rollback and conn-close."""
    check = error_check(stmt, err_name)
    has_check = is_err_check(check, err_name)
    anchor = check if has_check and check is not None else stmt
    success = None if has_check else success_branch(check, err_name)
    region = success if success is not None else region_after(anchor)
    if ended_on_every_path(region, ends):
        return None
    where = "on every path"
    if success is None:
        start, after_check = path_start(stmt, anchor, has_check, err_name)
        calls = calls_with_ids(func, ends.inline | ends.deferred)
        leak = leak_after(package, func, start, calls, after_check=after_check, name=ends.name)
        if leak is None:
            return None  # ended on every path, explicitly
        where = leak.describe(source)
    move = move_late_defer(source, anchor, calls_with_ids(func, ends.deferred))
    return EndingGap(check, has_check, anchor, success, where, move)


def graph_of(func: Node, cache: dict[int, Graph] | None = None) -> Graph | None:
    """The graph of ``func``'s body (memoised in ``cache`` by the function's id)."""
    body = func.child_by_field_name("body")
    if body is None:
        return None
    if cache is not None and func.id in cache:
        return cache[func.id]
    graph = Graph(body)
    if cache is not None:
        cache[func.id] = graph
    return graph


def calls_with_ids(func: Node, ids: set[int]) -> list[Node]:
    """The call expressions of ``func`` whose ids are in ``ids``."""
    if not ids:
        return []
    return [n for n in walk(func) if n.type == "call_expression" and n.id in ids]


# -- syntax helpers ------------------------------------------------------------------------------


def _present(node: Node, *fields: str) -> tuple[Node, ...]:
    found = (node.child_by_field_name(name) for name in fields)
    return tuple(part for part in found if part is not None)


def _label_of(stmt: Node) -> str:
    label = next((c for c in stmt.named_children if c.type == "label_name"), None)
    return text(label) if label is not None else ""


def loop_header(loop: Node) -> tuple[Node | None, Node | None]:
    """A for statement's clause (``for_clause``/``range_clause``) and bare condition."""
    clause = next(
        (c for c in loop.named_children if c.type in ("for_clause", "range_clause")), None
    )
    condition = loop.child_by_field_name("condition")
    if condition is None:
        condition = next(
            (
                c
                for c in loop.named_children
                if c.type not in ("block", "for_clause", "range_clause", "comment")
            ),
            None,
        )
    return clause, condition


def loop_has_exit(loop: Node) -> bool:
    """Whether a for statement can end by itself: a condition or a range. ``for { ... }``
    and ``for init; ; post { ... }`` leave only by break, return or panic."""
    clause, condition = loop_header(loop)
    if condition is not None:
        return True
    if clause is None:
        return False
    if clause.type == "range_clause":
        return True
    return clause.child_by_field_name("condition") is not None


def _is_select(stmt: Node) -> bool:
    """A select without default waits for one of its cases: no edge past it."""
    return stmt.type == "select_statement"


def _run_where_written(literal: Node) -> bool:
    """A literal called right where it is written: ``func() { ... }()``, also under defer,
    not under go."""
    return called_on_the_spot(literal) and parent_type(parent_of(literal)) != "go_statement"
