"""query-timeout: a query on context.Background()/TODO() or with no context at all."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from codemods import dbapi
from codemods.config import go_duration_expr
from codemods.model import Edit, Finding, Safety
from codemods.package import call_arguments, enclosing_function
from codemods.rules import _context, _flow, _lifetime
from codemods.rules.base import Invalid, Rule, RuleContext, Valid
from codemods.rules.query_context import context_call_edits
from codemods.source import parent_of, parent_type, text, walk_no_funcs

_HEADER = """package users

import (
	"context"
	"database/sql"
	"time"
)

"""
# Results that stop working when the deferred cancel runs: these must not leave the function.
_BOUND_TO_CONTEXT = dbapi.ROWS | dbapi.ROW | dbapi.TXS


class QueryTimeout(Rule):
    """A query can run forever: its context is `context.Background()`/`TODO()`, or it has none.

    ## What it does
    Finds database calls whose context is `context.Background()` or `context.TODO()` (or a
    variable holding one), and calls without a context in functions that have no context in
    reach, in code that serves requests or runs for the life of the service: handlers (Echo,
    net/http, gin, fiber), functions registered as handlers or jobs, goroutines, worker loops
    (`for { select ... }`, `for range ticker.C`), and every function they reach by calls,
    followed by name across the packages of the run; a function nothing in the run calls is
    taken as serving (its callers are out of sight). Code that runs once is left alone
    (`--timeout-scope all` reports it too): `main`, `init`, migrations (a name, file or folder
    with `migrat`), test servers and helpers (`testserver/`, `testutil/`, ...), and, unless
    serving code calls them, constructors and setup (`New*`, `Must*`, `Setup*`, `Init*`,
    `Connect*`, `Ensure*`, `CreateTables`, ...) and CLI commands (`cmd/` of a package `main`).
    Also left alone: test files (`go test -timeout` bounds them), context-free wrappers that
    delegate to their namesake, statements of a transaction (they share its `Begin`'s
    deadline: the unit gets one deadline, not one per statement), and `Background()` where a
    context is in reach (`query-context` says "pass ctx" there).

    ## Why is this bad?
    With no deadline a slow or stuck query (a lock wait, a CockroachDB contention retry, a
    network partition) holds its connection and the goroutine that waits on it indefinitely.
    Enough of them exhaust the pool, and memory grows with the blocked goroutines.

    ## Example
    ```go
    err := db.QueryRowContext(context.Background(), "SELECT count(*) FROM orders").Scan(&n)
    ```

    ## Use instead
    ```go
    ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
    defer cancel()
    err := db.QueryRowContext(ctx, "SELECT count(*) FROM orders").Scan(&n)
    ```

    ## Fix safety
    Unsafe: a deadline changes behaviour (a query that used to take a minute now fails after the
    timeout). It is applied with `--unsafe-fixes`, or when `timeout` is set in `.leakfix.toml`
    (then the team chose the figure and the fix counts as safe). The timeout is `--timeout`
    (default 5s). New names never collide with names of the function or the package. No fix
    inside loops (the deferred cancel would pile up, and one deadline must not be shared by a
    loop of queries), when rows or a transaction leave the function (the cancel would end
    them), or when a comment on the call or just above it says the wait is intended ("wait
    indefinitely until the lock can be acquired").
    """

    id = "query-timeout"
    summary = "query on context.Background()/TODO() or with no context in reach"
    fix_summary = "wrap in `context.WithTimeout` + `defer cancel()` (timeout from --timeout/config)"
    safety = Safety.UNSAFE
    linters = ("noctx",)

    VALID = [
        Valid(
            _HEADER
            + """func count(db *sql.DB) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var n int
	err := db.QueryRowContext(ctx, "SELECT count(*) FROM orders").Scan(&n)
	return n, err
}
"""
        )
    ]
    INVALID = [
        Invalid(
            _HEADER
            + """func count(db *sql.DB) (int, error) {
	var n int
	err := db.QueryRowContext(context.Background(), "SELECT count(*) FROM orders").Scan(&n)
	return n, err
}
""",
            r"no deadline",
            _HEADER
            + """func count(db *sql.DB) (int, error) {
	var n int
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := db.QueryRowContext(ctx, "SELECT count(*) FROM orders").Scan(&n)
	return n, err
}
""",
        )
    ]

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        if ctx.source.path.endswith("_test.go"):
            return  # tests run under `go test -timeout`; a deadline there proves nothing
        taken_in: dict[int, set[str]] = {}
        wrappers: list[_Wrapper] = []
        context_name = _context.context_import_name(ctx.package, ctx.source)
        every_call = ctx.options.timeout_scope == "all"
        for call in _context.db_calls(ctx.package, ctx.source):
            if _in_init(call.call) or _delegates(call):
                continue  # init runs once before the service takes traffic (the seed's init)
            if call.handle in dbapi.TXS:
                continue  # the transaction is the unit: its Begin carries the deadline
            background = self._background_argument(ctx, call, context_name)
            if background is None and not self._without_context(ctx, call):
                continue
            if (
                background is not None
                and background.type == "call_expression"
                and _context.context_in_reach(ctx.package, ctx.source, call.call) is not None
            ):
                continue  # a context is in reach: query-context says "pass it"
            if not every_call and not _lifetime.serves(
                ctx.package, ctx.source, call.call, ctx.options.serving_index
            ):
                continue  # setup that runs once: a stall fails the start, where it is seen
            yield self._finding(ctx, call, background, taken_in, wrappers)

    def _background_argument(
        self, ctx: RuleContext, call: _context.DbCall, context_name: str
    ) -> Node | None:
        """The context argument when it is context.Background()/TODO() or a variable that
        holds one."""
        if not call.method.takes_context:
            return None
        items = call_arguments(call.call)
        first = items[0] if items else None
        if first is None:
            return None
        if _context.is_background(first, context_name) or _context.background_variable(
            ctx.package, ctx.source, first
        ):
            return first
        return None

    def _without_context(self, ctx: RuleContext, call: _context.DbCall) -> bool:
        return (
            not call.method.takes_context
            and bool(call.method.context_variant)
            and _context.context_in_reach(ctx.package, ctx.source, call.call) is None
        )

    def _finding(
        self,
        ctx: RuleContext,
        call: _context.DbCall,
        background: Node | None,
        taken_in: dict[int, set[str]],
        wrappers: list[_Wrapper],
    ) -> Finding:
        what = (
            f"on {self._describe(ctx, background)}"
            if background is not None
            else "without a context"
        )
        message = f"{call.method_name} {what} has no deadline: wrap it in context.WithTimeout"
        blocker = self._fix_blocker(call)
        if not blocker and _context.intended_wait(ctx.source, call.call):
            blocker = "a comment says the wait is intended"
        if not blocker and _maintenance_statement(call.call):
            blocker = "a maintenance statement that runs as long as it must: choose its deadline"
        if blocker:
            return self.finding(ctx, call.call, f"{message} ({blocker})")
        func = enclosing_function(call.call)
        outer = _flow.outermost_function(call.call)
        stmt = _flow.statement_of(call.call)
        assert func is not None and outer is not None and stmt is not None
        facts = ctx.package.facts[ctx.source.path]
        context_pkg = facts.name_for("context") or "context"
        time_pkg = facts.name_for("time") or "time"
        parent = text(background) if background is not None else f"{context_pkg}.Background()"
        duration = go_duration_expr(ctx.options.timeout).replace("time.", f"{time_pkg}.")
        wrapper = next((w for w in wrappers if w.covers(stmt, parent)), None)
        if wrapper is None:
            taken = taken_in.setdefault(outer.id, _flow.declared_names(outer))
            taken |= ctx.package.declared_names | set(facts.imports)
            ctx_name = _flow.fresh_name(["ctx", "queryCtx"], taken)
            cancel_name = _flow.fresh_name(["cancel", "cancelQuery"], taken)
            taken.update((ctx_name, cancel_name))
            insert = _flow.line_insert_before(
                ctx.source,
                stmt,
                [
                    f"{ctx_name}, {cancel_name} := {context_pkg}.WithTimeout({parent}, {duration})",
                    f"defer {cancel_name}()",
                ],
            )
            wrapper = _Wrapper(stmt, parent, ctx_name, insert)
            wrappers.append(wrapper)
        ctx_name = wrapper.ctx_name
        # Later queries of the block share the first wrapper; each fix carries the identical
        # insertion so that it stands alone (the engine coalesces the copies).
        edits: list[Edit] = [wrapper.insert]
        if background is not None:
            edits.append(_flow.replace_node(background, ctx_name))
        else:
            edits.extend(context_call_edits(ctx.source, call, ctx_name))
        safety = Safety.SAFE if ctx.options.timeout_configured else Safety.UNSAFE
        fix = self.make_fix(
            f"Wrap in `context.WithTimeout(..., {duration})`",
            edits,
            imports=["context", "time"],
            safety=safety,
        )
        return self.finding(ctx, call.call, message, fix)

    def _describe(self, ctx: RuleContext, background: Node) -> str:
        if background.type == "identifier":
            decl = ctx.package.lookup(text(background), background, ctx.source)
            if decl is not None and decl.statement is not None:
                right = decl.statement.child_by_field_name("right")
                return f"{text(background)} ({text(right)})"
        return text(background)

    def _fix_blocker(self, call: _context.DbCall) -> str:
        """Why no fix can be offered, or ""."""
        func = enclosing_function(call.call)
        stmt = _flow.statement_of(call.call)
        if func is None or stmt is None or not _flow.starts_own_line_node(stmt):
            return "not inside a function body"
        if parent_type(call.call) in (
            "go_statement",
            "defer_statement",
        ):
            return "it runs after the function moves on: give it its own context where it runs"
        if _flow.inside_loop(stmt, func) or _in_loop_header(call.call, func):
            return "inside a loop: a deferred cancel would wait for the function to return"
        bound = bool(call.method.results) and call.method.results[0] in _BOUND_TO_CONTEXT
        if bound and self._leaves_function(call, func):
            return "its result leaves the function, where a deferred cancel would end it"
        return ""

    def _leaves_function(self, call: _context.DbCall, func: Node) -> bool:
        parent = parent_of(call.call)
        if parent is not None and parent.type == "expression_list":
            owner = parent_of(parent)
            if owner is not None and owner.type == "return_statement":
                return True
        binding = _flow.binding_of(call.call)
        if binding is None:
            return False
        name = binding.name(0)
        if not name or name == "_":
            return bool(binding.targets) and binding.targets[0].type != "identifier"
        return _flow.name_escapes(name, binding.statement, func)


@dataclass(frozen=True)
class _Wrapper:
    """A `ctx, cancel := context.WithTimeout(parent, ...)` inserted before ``statement``."""

    statement: Node
    parent_text: str
    ctx_name: str
    insert: Edit

    def covers(self, stmt: Node, parent_text: str) -> bool:
        """Whether a later statement of the same block (or below it) can use this context."""
        block = parent_of(self.statement)
        return (
            parent_text == self.parent_text
            and block is not None
            and block.start_byte <= stmt.start_byte
            and stmt.end_byte <= block.end_byte
            and stmt.start_byte >= self.statement.start_byte
            and enclosing_function(stmt) == enclosing_function(self.statement)
        )


_MAINTENANCE = re.compile(
    r"(?is)^\W*(?:VACUUM|ANALYZE|REINDEX|CLUSTER|REFRESH\s+MATERIALIZED\s+VIEW"
    r"|CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY)\b"
)


def _maintenance_statement(call: Node) -> bool:
    """A call whose SQL is VACUUM, REFRESH MATERIALIZED VIEW, ...: long by design, so a
    five-second deadline would abort it every time. The SQL is a string literal argument, or
    a variable (`q := "REFRESH MATERIALIZED VIEW %s"`) set from a literal in the function."""
    args = call.child_by_field_name("arguments")
    for arg in args.named_children if args is not None else ():
        if arg.type in ("interpreted_string_literal", "raw_string_literal"):
            return bool(_MAINTENANCE.match(text(arg)[1:]))
        if arg.type == "identifier":
            func = enclosing_function(call)
            return func is not None and any(
                _MAINTENANCE.match(text(literal)[1:])
                for literal in _literals_assigned_to(func, text(arg))
            )
    return False


def _literals_assigned_to(func: Node, name: str) -> list[Node]:
    """String literals on the right of `name := ...` / `name = ...` in ``func``."""
    found: list[Node] = []
    body = func.child_by_field_name("body")
    for node in walk_no_funcs(body) if body is not None else ():
        if node.type not in ("short_var_declaration", "assignment_statement"):
            continue
        if text(node.child_by_field_name("left")) != name:
            continue
        right = node.child_by_field_name("right")
        if right is not None:
            found.extend(
                n
                for n in walk_no_funcs(right)
                if n.type in ("interpreted_string_literal", "raw_string_literal")
            )
    return found


def _delegates(call: _context.DbCall) -> bool:
    """A context-free API method delegating to its namesake (sqlx's NamedStmt.Exec calls
    Stmt.Exec): its callers choose the variant, so the wrapper is not the place to fix."""
    func = enclosing_function(call.call)
    return (
        func is not None
        and func.type == "method_declaration"
        and text(func.child_by_field_name("name")) == call.method_name
        and not call.method.takes_context
    )


def _in_init(node: Node) -> bool:
    func = _flow.outermost_function(node)
    return (
        func is not None
        and func.type == "function_declaration"
        and text(func.child_by_field_name("name")) == "init"
    )


def _in_loop_header(node: Node, func: Node) -> bool:
    current = parent_of(node)
    while current is not None and current != func:
        if current.type in ("for_clause", "range_clause"):
            return True
        current = parent_of(current)
    return False
