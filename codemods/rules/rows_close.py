"""rows-close: rows from a query are not closed on every path."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from codemods import dbapi
from codemods.model import Finding, Safety
from codemods.package import Decl, Package, call_parts, enclosing_function
from codemods.rules import _context, _flow, _paths, _returns
from codemods.rules.base import Invalid, Rule, RuleContext, Valid
from codemods.source import SourceFile, parent_of, parent_type, text, walk

QUERY_METHODS = frozenset(
    {"Query", "QueryContext", "Queryx", "QueryxContext", "NamedQuery", "NamedQueryContext", "Rows"}
)
ROW_METHODS = frozenset({"QueryRow", "QueryRowContext", "QueryRowx", "QueryRowxContext"})
# The Exec form of a single-row query whose row is thrown away: same arguments.
_ROW_EXEC = {
    "QueryRow": "Exec",
    "QueryRowContext": "ExecContext",
    "QueryRowx": "Exec",
    "QueryRowxContext": "ExecContext",
}

_HEADER = """package users

import (
	"context"
	"database/sql"
)

"""


class RowsClose(Rule):
    """Rows returned by a query are not closed on every path.

    ## What it does
    Finds `rows` from `Query`/`QueryContext` (database/sql), `Queryx`/`QueryxContext`/`NamedQuery`
    (sqlx), `Query` (pgx) and gorm's `Rows()` that are not closed on every path out of the
    function: no `defer rows.Close()`, or a plain `rows.Close()` that an early `return` skips.
    Also found: a query whose rows are thrown away (`_, err := db.Query(...)`), rows
    overwritten by a second query (`rows, err = db.Query(...)`) while the first ones are still
    open, and a `QueryRow` whose row is never scanned. Rows returned by a function of the
    package are the caller's to close, exactly like a direct query; a function of the package
    that closes its parameter closes for its callers (also when deferred), and so do pgx's
    `CollectRows`/`CollectOneRow`/`CollectExactlyOneRow`/`ForEachRow`/`AppendRows`.
    Rows read to the end by a `for rows.Next()` loop that nothing can leave early (no
    `return`, `break`, `panic`, `t.Fatal` between the error check and the loop's end) are not
    reported as leaks: database/sql and pgx close rows themselves once `Next` reports false;
    with `--select hardening` they are reported as `hardening` (a panic or a later early
    return would leak them), with the same `defer rows.Close()` fix.
    "Every path" is decided on the function's control-flow graph, as go vet's lostcancel does
    (one analysis shared by rows-close, stmt-close, tx-rollback, conn-close and
    cancel-not-called): a path is covered by `rows.Close()` or `_ = rows.Close()` on the way, a
    `for rows.Next()` loop that ends normally, a deferred call or deferred closure that does it,
    or a function of the package that does it to its argument; paths through `log.Fatal`,
    `os.Exit` or `t.Fatal` need nothing. The finding names the path that leaks: "rows are not
    closed on the return at line 57".

    ## Why is this bad?
    Open rows hold a pooled connection (and, on CockroachDB, server-side buffers) until they are
    closed or fully read. Each leaked `rows` pins one connection: under load the pool reaches
    `MaxOpenConns` and every later request waits forever.

    ## Example
    ```go
    rows, err := db.QueryContext(ctx, "SELECT id FROM users")
    if err != nil {
        return err
    }
    for rows.Next() { ... }
    ```

    ## Use instead
    ```go
    rows, err := db.QueryContext(ctx, "SELECT id FROM users")
    if err != nil {
        return err
    }
    defer rows.Close()
    ```

    ## Fix safety
    Safe. `defer rows.Close()` goes right after the `if err != nil { ... }` that checks the
    query's error (never before it: rows are nil when the query failed), or right after the
    assignment when the error is ignored. An existing `rows.Close()` is kept: closing twice is
    harmless. A `defer rows.Close()` that an earlier return skips is moved up to that place (the
    message names the return), not repeated. Rows that have left the function are not reported:
    returned, stored in a field or a package variable, sent on a channel, captured by a
    goroutine or a closure (`go func() { s.yieldRows(ctx, rows, out) }()`, `go s.drain(rows)`),
    handed to a function outside the package, or to one of the package that keeps them (returns,
    stores or hands them on); their owner is elsewhere. Nor are rows in a variable that on
    another path holds rows it did not query. A query inside a loop is reported without a fix,
    since a deferred close would wait for the function to return. A discarded query becomes the
    matching `Exec`/`ExecContext`. For rows overwritten by a second query the close goes after
    the first query's check: `defer` evaluates `rows` at once, so it closes the first rows, and
    the second query is checked (and fixed) on its own. A `QueryRow` statement whose row is
    dropped (`db.QueryRow(...)`, `_ = db.QueryRow(...)`) becomes the `Exec` form of the same
    handle, which takes the same arguments; a named row that is never scanned is reported only.
    """

    id = "rows-close"
    summary = (
        "rows from Query/QueryContext/Queryx/pgx Query/gorm Rows() not closed on every path; "
        "QueryRow never scanned"
    )
    fix_summary = "add `defer rows.Close()` after the error check; discarded rows/row -> Exec"
    safety = Safety.SAFE
    linters = ("sqlclosecheck", "rowserrcheck")

    VALID = [
        Valid(
            _HEADER
            + """func names(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT name FROM users")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
"""
        ),
        Valid(
            _HEADER
            + """// The caller owns the rows.
func open(ctx context.Context, db *sql.DB) (*sql.Rows, error) {
	rows, err := db.QueryContext(ctx, "SELECT name FROM users")
	if err != nil {
		return nil, err
	}
	return rows, nil
}
"""
        ),
    ]
    INVALID = [
        Invalid(
            _HEADER
            + """func count(ctx context.Context, db *sql.DB) (int, error) {
	rows, err := db.QueryContext(ctx, "SELECT 1")
	if err != nil {
		return 0, err
	}
	n := 0
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			return 0, err
		}
		n++
	}
	return n, rows.Err()
}
""",
            r"rows are not closed",
            _HEADER
            + """func count(ctx context.Context, db *sql.DB) (int, error) {
	rows, err := db.QueryContext(ctx, "SELECT 1")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			return 0, err
		}
		n++
	}
	return n, rows.Err()
}
""",
        ),
        Invalid(
            _HEADER
            + """func touch(ctx context.Context, db *sql.DB) error {
	_, err := db.QueryContext(ctx, "UPDATE users SET seen = now()")
	return err
}
""",
            r"discarded",
            _HEADER
            + """func touch(ctx context.Context, db *sql.DB) error {
	_, err := db.ExecContext(ctx, "UPDATE users SET seen = now()")
	return err
}
""",
        ),
        Invalid(
            _HEADER
            + """func touch(ctx context.Context, db *sql.DB, id int) {
	db.QueryRowContext(ctx, "UPDATE users SET seen = now() WHERE id = $1", id)
}
""",
            r"row of QueryRowContext is never scanned",
            _HEADER
            + """func touch(ctx context.Context, db *sql.DB, id int) {
	db.ExecContext(ctx, "UPDATE users SET seen = now() WHERE id = $1", id)
}
""",
        ),
        Invalid(
            _HEADER
            + """func both(ctx context.Context, db *sql.DB) (n int, err error) {
	rows, err := db.QueryContext(ctx, "SELECT 1 FROM users")
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			return 0, err
		}
		n++
	}
	rows, err = db.QueryContext(ctx, "SELECT 1 FROM admins")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			return 0, err
		}
		n++
	}
	return n, rows.Err()
}
""",
            r"rows are not closed before rows is reassigned",
            _HEADER
            + """func both(ctx context.Context, db *sql.DB) (n int, err error) {
	rows, err := db.QueryContext(ctx, "SELECT 1 FROM users")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			return 0, err
		}
		n++
	}
	rows, err = db.QueryContext(ctx, "SELECT 1 FROM admins")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			return 0, err
		}
		n++
	}
	return n, rows.Err()
}
""",
        ),
    ]

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        package, source = ctx.package, ctx.source
        seen: set[int] = set()
        for call, _receiver, method in _flow.resource_bindings(
            package, source, QUERY_METHODS, dbapi.ROWS
        ):
            seen.add(call.id)
            finding = self._check_call(ctx, call, method)
            if finding is not None:
                yield finding
        for call, function in _flow.owned_results(package, source, dbapi.ROWS):
            if call.id in seen:
                continue
            finding = self._check_call(ctx, call, function, owned=True)
            if finding is not None:
                yield finding
        for call, _receiver, method in _flow.resource_bindings(
            package, source, ROW_METHODS, dbapi.ROW
        ):
            finding = self._check_row(ctx, call, method)
            if finding is not None:
                yield finding

    def _check_call(
        self, ctx: RuleContext, call: Node, method: str, owned: bool = False
    ) -> Finding | None:
        package, source = ctx.package, ctx.source
        func = enclosing_function(call)
        if func is None:
            return None
        binding = _flow.binding_of(call)
        if binding is None:
            if parent_type(call) == "expression_statement":
                return self._discarded(ctx, call, method, owned)
            return None  # used in an expression: leakfix cannot follow it
        rows_name = binding.name(0)
        if rows_name == "_" and len(binding.names) == 2:
            return self._discarded(ctx, call, method, owned)
        if not rows_name or rows_name == "_":
            return None  # stored in a field or an index expression: owned elsewhere
        decl = package.lookup(rows_name, binding.targets[0], source)
        if decl is None or package.is_package_var(decl):
            return None
        if _closed_by_deferred_closure(package, source, decl, binding.statement, func):
            return None
        usage, reassigned = _usage_until_reassigned(package, source, decl, binding.statement, func)
        if usage.escapes or _flow.holds_other_values(
            package, source, decl, binding.statement, func
        ):
            return None
        stmt = binding.statement
        check = _flow.error_check(stmt, binding.err_name)
        has_check = _flow.is_err_check(check, binding.err_name) or _asserts_no_error(
            check, binding.err_name
        )
        anchor = check if has_check and check is not None else stmt
        if _flow.closed_on_every_path(usage, anchor, func, parent_of(stmt)):
            return None
        limit = reassigned.start_byte if reassigned is not None else None
        pgx_rows = decl.type == "pgx.Rows"  # pgx closes rows when Scan/Values fail
        harden = _Hardening(stmt, anchor, has_check, binding.err_name, rows_name, func)
        if _flow.read_to_the_end(
            source, rows_name, anchor, func, before=limit, closes_on_read_error=pgx_rows
        ):
            # Next() closes rows once it reports false, and nothing leaves early: no leak today
            return self._hardening(ctx, call, usage, harden)
        start, after_check = _flow.path_start(stmt, anchor, has_check, binding.err_name)
        success_if = _flow.success_check(stmt, binding.err_name)
        leak = _paths.leak_after(
            package,
            func,
            success_if or start,
            [*usage.closes, *usage.deferred_closes],
            then_only=success_if is not None,
            after_check=after_check and success_if is None,
            name=rows_name,
            loop_releases=lambda loop: _flow.loops_over(loop, rows_name),
            exit_ok=(lambda node: _flow.after_failed_read(node, rows_name)) if pgx_rows else None,
        )
        if leak is None and reassigned is None:
            if success_if is not None:
                return None
            return self._hardening(ctx, call, usage, harden)  # closed, or read to the end
        where = leak.describe(source) if leak is not None else "on every path"
        message = f"rows are not closed {where}: add `defer {rows_name}.Close()`"
        moved = (
            _flow.move_late_defer(source, anchor, usage.deferred_closes)
            if reassigned is None
            else None
        )
        if moved is not None:
            message = f"rows are not closed {where}: {moved.tail}"
        if reassigned is not None:
            line = source.position(reassigned.start_byte)[0]
            message = (
                f"rows are not closed before {rows_name} is reassigned on line {line}: add "
                f"`defer {rows_name}.Close()` (it closes these rows; the next ones need their own)"
            )
        if success_if is not None and reassigned is None:
            return self._success_branch_finding(ctx, call, success_if, rows_name, message)
        if parent_type(stmt) != "statement_list":
            return self.finding(ctx, call, message)
        if binding.err_name not in ("", "_") and not has_check:
            return self.finding(ctx, call, message + ("" if moved else " after the error check"))
        if _flow.inside_loop(stmt, func):
            return self.finding(
                ctx,
                call,
                f"rows are not closed on every path: close {rows_name} before the "
                "next iteration (a deferred close would wait for the function to return)",
            )
        if moved is not None:
            fix = self.make_fix(f"Move `{moved.statement}` up", moved.edits)
            return self.finding(ctx, call, message, fix)
        edit = _flow.line_insert_after(source, anchor, [f"defer {rows_name}.Close()"])
        fix = self.make_fix(f"Add `defer {rows_name}.Close()`", [edit])
        return self.finding(ctx, call, message, fix)

    def _hardening(
        self, ctx: RuleContext, call: Node, usage: _flow.Usage, harden: _Hardening
    ) -> Finding | None:
        """Rows that nothing closes but the end of their `for rows.Next()` loop: no leak
        today, but a panic (a 500 from Echo's Recover, the connection still pinned) or the
        next early return someone adds leaks them. A `hardening` finding, with the same fix."""
        if usage.closes or usage.deferred_closes or usage.closed_later:
            return None
        if ctx.source.path.endswith("_test.go"):
            return None
        stmt, func = harden.stmt, harden.func
        if parent_type(stmt) != "statement_list" or _flow.inside_loop(stmt, func):
            return None  # no single clean place for the defer: nothing to harden here
        if harden.err_name not in ("", "_") and not harden.has_check:
            return None
        name = harden.rows_name
        message = (
            f"{name} is closed only because the loop reads it to the end: a panic, or an early "
            f"return added later, would leave the connection pinned: add `defer {name}.Close()`"
        )
        edit = _flow.line_insert_after(ctx.source, harden.anchor, [f"defer {name}.Close()"])
        fix = self.make_fix(f"Add `defer {name}.Close()`", [edit])
        return self.finding(ctx, call, message, fix, category="hardening")

    def _success_branch_finding(
        self, ctx: RuleContext, call: Node, check: Node, rows_name: str, message: str
    ) -> Finding:
        """``if rows, err := db.Query(...); err == nil { ... }``: the close goes first in the
        body, where the rows are known to be there."""
        body = check.child_by_field_name("consequence")
        statements = (
            [s for s in _returns.block_statements(body) if s.type != "comment"] if body else []
        )
        if not statements or not _flow.starts_own_line(ctx.source, statements[0]):
            return self.finding(ctx, call, message.replace("add", "add, first in the if body,"))
        edit = _flow.line_insert_before(ctx.source, statements[0], [f"defer {rows_name}.Close()"])
        message = message.replace("add `defer", "add, first in the if body, `defer")
        fix = self.make_fix(f"Add `defer {rows_name}.Close()`", [edit])
        return self.finding(ctx, call, message, fix)

    def _discarded(
        self, ctx: RuleContext, call: Node, method: str, owned: bool = False
    ) -> Finding | None:
        if owned:
            return self.finding(
                ctx, call, f"rows returned by {method} are discarded and never closed"
            )
        receiver, _, _ = call_parts(call)
        if _expects_failure(call) or _receiver_released_later(ctx, call, receiver):
            return None
        handle = ctx.package.handle_type(receiver, ctx.source)
        spec = dbapi.method(handle, method)
        message = f"rows of {method} are discarded and never closed: use Exec"
        if spec is None or not spec.exec_variant:
            return self.finding(ctx, call, message)
        return self._exec_finding(ctx, call, message, spec.exec_variant)

    def _exec_finding(self, ctx: RuleContext, call: Node, message: str, variant: str) -> Finding:
        callee = call.child_by_field_name("function")
        field = callee.child_by_field_name("field") if callee is not None else None
        operand = callee.child_by_field_name("operand") if callee is not None else None
        if field is None or operand is None:
            return self.finding(ctx, call, message)
        if not _context.receiver_has(ctx.package, ctx.source, operand, variant):
            return self.finding(ctx, call, message)  # the interface has no such method
        edit = _flow.replace_node(field, variant)
        fix = self.make_fix(f"Use `{variant}`", [edit])
        return self.finding(ctx, call, message.replace("use Exec", f"use {variant}"), fix)

    # -- QueryRow whose row is never scanned -----------------------------------------------

    def _check_row(self, ctx: RuleContext, call: Node, method: str) -> Finding | None:
        package, source = ctx.package, ctx.source
        func = enclosing_function(call)
        if func is None:
            return None
        message = (
            f"row of {method} is never scanned: it holds its connection until Scan; scan it "
            "or use Exec"
        )
        binding = _flow.binding_of(call)
        if binding is None:
            if parent_type(call) != "expression_statement":
                return None  # .Scan(...) chained, or used in an expression
            receiver, _, _ = call_parts(call)
            handle = package.handle_type(receiver, source)
            variant = _ROW_EXEC.get(method, "")
            if not variant or dbapi.method(handle, variant) is None:
                return self.finding(ctx, call, message)
            return self._exec_finding(ctx, call, message, variant)
        name = binding.name(0)
        if len(binding.names) != 1 or not name:
            return None  # stored in a field or an index expression: owned elsewhere
        if name == "_":
            return self._blank_row(ctx, call, method, binding, message)
        decl = package.lookup(name, binding.targets[0], source)
        if decl is None or package.is_package_var(decl):
            return None
        usage, _ = _usage_until_reassigned(
            package, source, decl, binding.statement, func, ("Scan", "Err")
        )
        if usage.escapes or usage.deferred or usage.closes or usage.methods:
            return None
        return self.finding(ctx, call, message.replace("or use Exec", "or drop the query"))

    def _blank_row(
        self, ctx: RuleContext, call: Node, method: str, binding: _flow.Binding, message: str
    ) -> Finding:
        """``_ = db.QueryRow(...)`` becomes ``_, _ = db.Exec(...)``."""
        receiver, _, _ = call_parts(call)
        handle = ctx.package.handle_type(receiver, ctx.source)
        variant = _ROW_EXEC.get(method, "")
        callee = call.child_by_field_name("function")
        field = callee.child_by_field_name("field") if callee is not None else None
        if not variant or dbapi.method(handle, variant) is None or field is None:
            return self.finding(ctx, call, message)
        edits = [
            _flow.replace_node(binding.targets[0], "_, _"),
            _flow.replace_node(field, variant),
        ]
        fix = self.make_fix(f"Use `{variant}`", edits)
        return self.finding(ctx, call, message.replace("use Exec", f"use {variant}"), fix)


@dataclass(frozen=True)
class _Hardening:
    """Where a hardening `defer rows.Close()` would go."""

    stmt: Node
    anchor: Node
    has_check: bool
    err_name: str
    rows_name: str
    func: Node


def _expects_failure(call: Node) -> bool:
    """``_, err := db.Query(...)`` then ``require.Error(t, err)``: a test that expects the query
    to fail (failed queries hold nothing; Exec would test something else)."""
    stmt = _flow.statement_of(call)
    following = _flow.next_statement(stmt) if stmt is not None else None
    if following is None:
        return False
    line = text(following)
    return line.startswith(("require.Error", "assert.Error")) or line.startswith("if err == nil")


def _receiver_released_later(ctx: RuleContext, call: Node, receiver: Node | None) -> bool:
    """Rows discarded on a connection that is released or closed afterwards: tearing down the
    connection ends the rows (a test keeping a connection busy on purpose)."""
    func = enclosing_function(call)
    if receiver is None or receiver.type != "identifier" or func is None:
        return False
    name = text(receiver)
    return any(
        n.start_byte > call.end_byte and text(n) in (f"{name}.Release()", f"{name}.Close()")
        for n in walk(func)
        if n.type == "call_expression"
    )


def _asserts_no_error(stmt: Node | None, err_name: str) -> bool:
    """``require.NoError(t, err)``: a test's error check (the goroutine ends on error)."""
    if stmt is None or stmt.type != "expression_statement" or not err_name or err_name == "_":
        return False
    call = stmt.named_children[0] if stmt.named_children else None
    if call is None or call.type != "call_expression":
        return False
    callee = text(call.child_by_field_name("function"))
    args = call.child_by_field_name("arguments")
    names = [text(a) for a in args.named_children] if args is not None else []
    return callee in ("require.NoError", "require.Nil") and err_name in names


def _usage_until_reassigned(
    package: Package,
    source: SourceFile,
    decl: Decl,
    stmt: Node,
    func: Node,
    close_methods: tuple[str, ...] = ("Close",),
) -> tuple[_flow.Usage, Node | None]:
    """The uses of the value bound by ``stmt``: those before the variable is assigned again
    (later uses belong to the next value). Returns the usage and that reassignment.

    Only a reassignment in the same block as ``stmt`` cuts: after one made under an ``if``,
    later uses may still see these rows, and they are counted as before."""
    usage = _flow.usage_of(
        package, source, decl, stmt, func, close_methods, consumers=dbapi.CLOSING_CONSUMERS
    )
    if not usage.reassigned:
        return usage, None
    until = min(usage.reassigned, key=lambda node: node.start_byte)
    if parent_of(until) != parent_of(stmt):
        return usage, None
    restricted = _flow.usage_of(
        package,
        source,
        decl,
        stmt,
        func,
        close_methods,
        consumers=dbapi.CLOSING_CONSUMERS,
        until=until,
    )
    return restricted, until


def _closed_by_deferred_closure(
    package: Package, source: SourceFile, decl: Decl, stmt: Node, func: Node
) -> bool:
    """``defer func() { rows.Close() }()`` written before the query (``var rows *sql.Rows``
    first): it closes whatever the variable holds when the function returns."""
    body = func.child_by_field_name("body")
    if body is None:
        return False
    for defer in walk(body):
        if defer.type != "defer_statement" or defer.start_byte >= stmt.start_byte:
            continue
        for node in walk(defer):
            if node.type != "call_expression" or not _inside_literal(node, defer):
                continue  # `defer rows.Close()` closes the rows of that moment only
            receiver, name, _ = call_parts(node)
            if name != "Close" or receiver is None or receiver.type != "identifier":
                continue
            found = package.lookup(text(receiver), receiver, source)
            if found is not None and (found.node == decl.node or _same_variable(found, decl)):
                return True
    return False


def _inside_literal(node: Node, stop: Node) -> bool:
    current = parent_of(node)
    while current is not None and current != stop:
        if current.type == "func_literal":
            return True
        current = parent_of(current)
    return False


def _same_variable(earlier: Decl, decl: Decl) -> bool:
    """``rows, err := ...`` in the scope that already declares ``rows`` reuses the variable."""
    statement = decl.statement
    return (
        earlier.name == decl.name
        and statement is not None
        and statement.type == "short_var_declaration"
        and earlier.statement is not None
        and parent_of(earlier.statement) == parent_of(statement)
    )
