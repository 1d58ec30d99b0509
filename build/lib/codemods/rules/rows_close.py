"""rows-close: rows from a query are not closed on every path."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from codemods import dbapi
from codemods.model import Finding, Safety
from codemods.package import call_parts, enclosing_function
from codemods.rules import _flow
from codemods.rules.base import Invalid, Rule, RuleContext, Valid

QUERY_METHODS = frozenset(
    {"Query", "QueryContext", "Queryx", "QueryxContext", "NamedQuery", "NamedQueryContext"}
)

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
    (sqlx) and `Query` (pgx) that are not closed on every path out of the function: no
    `defer rows.Close()`, or a plain `rows.Close()` that an early `return` skips. A query whose
    rows are thrown away (`_, err := db.Query(...)`) is found too.

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
    harmless. Rows that are returned, stored, sent on a channel or handed to a function outside
    the package are not reported: their owner is elsewhere. A query inside a loop is reported
    without a fix, since a deferred close would wait for the function to return. A discarded
    query becomes the matching `Exec`/`ExecContext`.
    """

    id = "rows-close"
    summary = "rows from Query/QueryContext/Queryx/pgx Query not closed on every path"
    fix_summary = "add `defer rows.Close()` after the error check; discarded rows -> Exec"
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
    ]

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        package, source = ctx.package, ctx.source
        for call, _receiver, method in _flow.resource_bindings(
            package, source, QUERY_METHODS, dbapi.ROWS
        ):
            finding = self._check_call(ctx, call, method)
            if finding is not None:
                yield finding

    def _check_call(self, ctx: RuleContext, call: Node, method: str) -> Finding | None:
        package, source = ctx.package, ctx.source
        func = enclosing_function(call)
        if func is None:
            return None
        binding = _flow.binding_of(call)
        if binding is None:
            if call.parent is not None and call.parent.type == "expression_statement":
                return self._discarded(ctx, call, method)
            return None  # used in an expression: leakfix cannot follow it
        rows_name = binding.name(0)
        if rows_name == "_" and len(binding.names) == 2:
            return self._discarded(ctx, call, method)
        if not rows_name or rows_name == "_":
            return None  # stored in a field or an index expression: owned elsewhere
        decl = package.lookup(rows_name, binding.targets[0], source)
        if decl is None or package.is_package_var(decl):
            return None
        usage = _flow.usage_of(package, source, decl, binding.statement, func)
        if usage.escapes:
            return None
        stmt = binding.statement
        check = _flow.next_statement(stmt)
        has_check = _flow.is_err_check(check, binding.err_name)
        anchor = check if has_check and check is not None else stmt
        if _flow.closed_on_every_path(usage, anchor, func, stmt.parent):
            return None
        message = f"rows are not closed on every path: add `defer {rows_name}.Close()`"
        if stmt.parent is None or stmt.parent.type != "statement_list":
            return self.finding(ctx, call, message)
        if binding.err_name not in ("", "_") and not has_check:
            return self.finding(ctx, call, message + " after the error check")
        if _flow.inside_loop(stmt, func):
            return self.finding(
                ctx, call, f"rows are not closed on every path: close {rows_name} before the "
                "next iteration (a deferred close would wait for the function to return)"
            )
        edit = _flow.line_insert_after(source, anchor, [f"defer {rows_name}.Close()"])
        fix = self.make_fix(f"Add `defer {rows_name}.Close()`", [edit])
        return self.finding(ctx, call, message, fix)

    def _discarded(self, ctx: RuleContext, call: Node, method: str) -> Finding | None:
        receiver, _, _ = call_parts(call)
        handle = ctx.package.handle_type(receiver, ctx.source)
        spec = dbapi.method(handle, method)
        message = f"rows of {method} are discarded and never closed: use Exec"
        if spec is None or not spec.exec_variant:
            return self.finding(ctx, call, message)
        callee = call.child_by_field_name("function")
        field = callee.child_by_field_name("field") if callee is not None else None
        if field is None:
            return self.finding(ctx, call, message)
        edit = _flow.replace_node(field, spec.exec_variant)
        fix = self.make_fix(f"Use `{spec.exec_variant}`", [edit])
        return self.finding(ctx, call, message.replace("use Exec", f"use {spec.exec_variant}"), fix)
