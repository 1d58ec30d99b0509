"""conn-close: a dedicated or pooled connection that is not closed or released on every path."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from codemods import dbapi
from codemods.model import Finding, Safety
from codemods.package import enclosing_function
from codemods.rules import _ending, _flow, _paths
from codemods.rules.base import Invalid, Rule, RuleContext, Valid
from codemods.source import parent_of, parent_type

CONN_METHODS = frozenset({"Conn", "Connx", "Acquire", "SendBatch"})
# Hijack takes a pgxpool connection out of the pool: whoever hijacked it owns it.
OWNERSHIP_METHODS = frozenset({"Hijack"})

_HEADER = """package sessions

import (
	"context"
	"database/sql"
)

"""
_PGX_HEADER = """package sessions

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"
)

"""


class ConnClose(Rule):
    """A connection taken from a pool is not closed or released on every path.

    ## What it does
    Finds connections from `db.Conn(ctx)` (database/sql), `db.Connx(ctx)` (sqlx) that some path
    leaves without `Close`, and connections from pgxpool's `pool.Acquire(ctx)` (pgx v4 and v5)
    that some path leaves without `Release`, and pgx batch results (`SendBatch`) that some path
    leaves without `Close`: they keep the connection busy until closed. A connection thrown
    away (`_, err := db.Conn(ctx)`) is found too.
    "Every path" is decided on the function's control-flow graph, as go vet's lostcancel does
    (one analysis shared by rows-close, stmt-close, tx-rollback, conn-close and
    cancel-not-called): a path is covered by `Close` or `Release` on the way, a deferred call or
    deferred closure that does it, or a function of the package that does it to its argument;
    paths through `log.Fatal`, `os.Exit` or `t.Fatal` need nothing. The finding names the path
    that leaks: "connection is not closed on the return at line 57".

    ## Why is this bad?
    `Conn` and `Acquire` take one connection out of the pool for the caller alone. The pool
    gets it back only on `Close`/`Release`: each leaked connection shrinks the pool for good,
    until every request waits for a connection that never comes back (and, with pgx, the
    session state set on it — temp tables, `SET` variables — lives on).

    ## Example
    ```go
    conn, err := pool.Acquire(ctx)
    if err != nil {
        return err
    }
    _, err = conn.Exec(ctx, "SET application_name = 'reports'")
    return err
    ```

    ## Use instead
    ```go
    conn, err := pool.Acquire(ctx)
    if err != nil {
        return err
    }
    defer conn.Release()
    ```

    ## Fix safety
    Safe. `defer conn.Close()` (database/sql, sqlx) or `defer conn.Release()` (pgxpool) goes
    right after the `if err != nil { ... }` that checks the acquisition's error (the connection
    is nil when it failed). Closing a `*sql.Conn` twice returns `sql.ErrConnDone` and does
    nothing else, and pgxpool documents `Release` as safe to call more than once, so an existing
    `Close`/`Release` on some paths is kept. A connection that has left the function is not
    reported: returned, stored, used by a goroutine or a closure, handed to code outside the
    package or to a package function that keeps it (`px, err := WithConnection(ctx, conn, cfg)`
    where the proxy holds it), or taken over with pgxpool's `Hijack()`: its owner is elsewhere.
    A connection acquired inside a loop is reported without a fix, since a deferred release
    would wait for the function to return; so is one used under `if err == nil { ... }`, where
    no single line follows a check. Paths that end in `log.Fatal`, `os.Exit` or `t.Fatal` leak
    nothing.
    """

    id = "conn-close"
    summary = (
        "connection from db.Conn/Connx or pgx SendBatch results not closed, or pgxpool Acquire "
        "not released"
    )
    fix_summary = "add `defer conn.Close()` / `defer conn.Release()` after the error check"
    safety = Safety.SAFE
    linters = ()

    VALID = [
        Valid(
            _HEADER
            + """func lockUser(ctx context.Context, db *sql.DB, id int64) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", id)
	return err
}
"""
        ),
        Valid(
            _PGX_HEADER
            + """func ping(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	if err := conn.Ping(ctx); err != nil {
		conn.Release()
		return err
	}
	conn.Release()
	return nil
}
"""
        ),
    ]
    INVALID = [
        Invalid(
            _HEADER
            + """func lockUser(ctx context.Context, db *sql.DB, id int64) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", id)
	return err
}
""",
            r"connection is not closed on the return at line 14",
            _HEADER
            + """func lockUser(ctx context.Context, db *sql.DB, id int64) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", id)
	return err
}
""",
        ),
        Invalid(
            _PGX_HEADER
            + """func setName(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "SET application_name = 'reports'")
	return err
}
""",
            r"pooled connection is not released on the return at line 15",
            _PGX_HEADER
            + """func setName(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	_, err = conn.Exec(ctx, "SET application_name = 'reports'")
	return err
}
""",
        ),
    ]

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        package, source = ctx.package, ctx.source
        for call, _receiver, method in _flow.resource_bindings(
            package, source, CONN_METHODS, dbapi.CONNS | dbapi.BATCHES
        ):
            finding = self._check_call(ctx, call, method)
            if finding is not None:
                yield finding

    def _check_call(self, ctx: RuleContext, call: Node, method: str) -> Finding | None:
        package, source = ctx.package, ctx.source
        func = enclosing_function(call)
        if func is None:
            return None
        results = package.call_results(call, source)
        pooled = bool(results) and results[0] == "pgxpool.Conn"
        batch = bool(results) and results[0] in dbapi.BATCHES
        close = "Release" if pooled else "Close"
        binding = _flow.binding_of(call)
        if binding is None:
            if parent_type(call) == "expression_statement":
                return self.finding(ctx, call, _discarded(method, close, batch))
            return None  # used in an expression (returned, passed on): owned elsewhere
        name = binding.name(0)
        if name == "_":
            if _ending.expects_failure(binding.statement, binding.err_name):
                return None  # a test that expects the call to fail
            return self.finding(ctx, call, _discarded(method, close, batch))
        if not name:
            return None  # stored in a field or an index expression: owned elsewhere
        decl = package.lookup(name, binding.targets[0], source)
        if decl is None or decl.statement is None or package.is_package_var(decl):
            return None  # a package variable, a parameter or a named result: owned elsewhere
        stmt = binding.statement
        if parent_type(stmt) != "statement_list":
            return None
        if not binding.declares and parent_of(decl.statement) != parent_of(stmt):
            return None  # declared in an outer block: it may be closed after this one
        usage = _flow.usage_of(package, source, decl, stmt, func, (close,))
        if usage.escapes or usage.methods & OWNERSHIP_METHODS:
            return None
        if _flow.holds_other_values(package, source, decl, stmt, func):
            return None
        ends = _ending.endings(package, source, decl, func, stmt, (close,))
        if ends.owned:
            return None
        gap = _paths.ending_gap(package, source, func, stmt, binding.err_name, ends)
        if gap is None:
            return None
        where = gap.where
        state = "pooled connection is not released" if pooled else "connection is not closed"
        if batch:
            state = "batch results (and their connection) are not closed"
        message = f"{state} {where}: add `defer {name}.{close}()`"
        if gap.move is not None:
            message = f"{state} {where}: {gap.move.tail}"
        problem = _ending.placement_problem(
            binding.err_name, gap.check, gap.has_check, gap.success, "connection"
        )
        if problem is not None:
            return self.finding(ctx, call, message + problem)
        if _flow.inside_loop(stmt, func):
            return self.finding(
                ctx,
                call,
                f"{state} on every path: {close.lower()} {name} before the next "
                f"iteration (a deferred {close} would wait for the function to return)",
            )
        if gap.move is not None:
            fix = self.make_fix(f"Move `{gap.move.statement}` up", gap.move.edits)
            return self.finding(ctx, call, message, fix)
        edit = _flow.line_insert_after(source, gap.anchor, [f"defer {name}.{close}()"])
        fix = self.make_fix(f"Add `defer {name}.{close}()`", [edit])
        return self.finding(ctx, call, message, fix)


def _discarded(method: str, close: str, batch: bool = False) -> str:
    if batch:
        return (
            f"batch results of {method} are discarded and never closed: their connection stays busy"
        )
    return f"connection from {method} is discarded and never {close.lower()}d"
