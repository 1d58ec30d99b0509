"""tx-rollback: a transaction that is not rolled back on every path that does not commit."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from codemods import dbapi
from codemods.model import Finding, Safety
from codemods.package import Package, call_arguments, call_parts, enclosing_function, strip_parens
from codemods.rules import _ending, _flow, _paths
from codemods.rules.base import Invalid, Rule, RuleContext, Valid
from codemods.source import SourceFile, parent_of, parent_type, text

BEGIN_METHODS = frozenset({"Begin", "BeginTx", "Beginx", "BeginTxx", "MustBegin", "MustBeginTx"})
ENDING_METHODS = ("Rollback", "Commit")

_HEADER = """package accounts

import (
	"context"
	"database/sql"
)

const (
	debit  = "UPDATE accounts SET balance = balance - $1 WHERE id = $2"
	credit = "UPDATE accounts SET balance = balance + $1 WHERE id = $2"
)

"""
_PGX_HEADER = """package accounts

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"
)

"""


class TxRollback(Rule):
    """A transaction is not rolled back on every path that does not commit.

    ## What it does
    Finds transactions from `Begin`/`BeginTx` (database/sql), `Beginx`/`BeginTxx`/`MustBegin`
    (sqlx) and `Begin`/`BeginTx` (pgx v4/v5 connections, pools and pgxpool) that some path
    leaves without `Commit` or `Rollback`: typically an early `return err` between `Begin`
    and `Commit` with no `defer tx.Rollback()`. A transaction thrown away (`_, err :=
    db.Begin()`) is found too.
    "Every path" is decided on the function's control-flow graph, as go vet's lostcancel does
    (one analysis shared by rows-close, stmt-close, tx-rollback, conn-close and
    cancel-not-called): a path is covered by `Commit` or `Rollback` on the way, a deferred call
    or deferred closure that does it, or a function of the package that does it to its argument;
    paths through `log.Fatal`, `os.Exit` or `t.Fatal` need nothing. The finding names the path
    that leaks: "transaction is neither committed nor rolled back on the return at line 57".

    ## Why is this bad?
    An open transaction holds its pooled connection, and on the server its locks, snapshots and
    (on CockroachDB) intents, until it ends. A transaction left open on an error path pins one
    connection for good (database/sql rolls back by itself only when the context given to
    `BeginTx` ends; `Begin` and pgx never do): under load the pool reaches `MaxOpenConns` and
    every later request waits, and rows it wrote stay locked, so other transactions block or
    retry.

    ## Example
    ```go
    tx, err := db.BeginTx(ctx, nil)
    if err != nil {
        return err
    }
    if _, err := tx.ExecContext(ctx, debit, from, amount); err != nil {
        return err // the transaction stays open
    }
    return tx.Commit()
    ```

    ## Use instead
    ```go
    tx, err := db.BeginTx(ctx, nil)
    if err != nil {
        return err
    }
    defer tx.Rollback()
    ```

    ## Fix safety
    Safe. `defer tx.Rollback()` goes right after the `if err != nil { ... }` that checks the
    begin's error (the transaction is nil when `Begin` failed), or right after `MustBegin`.
    After a successful `Commit` the deferred `Rollback` does nothing: database/sql returns
    `sql.ErrTxDone`, pgx returns `pgx.ErrTxClosed`, and the error is dropped. With pgx the fix
    is `defer tx.Rollback(ctx)` with the context expression given to `Begin`; when that
    expression is a call leakfix cannot prove free of side effects, the finding has no fix. No
    finding when the transaction has left the function: returned, stored, sent, captured by a
    goroutine or a closure, handed to code outside the package or to a package function that
    keeps it (`return newBatch(tx)`; its owner ends it), when a package function it is handed to
    rolls it back, when a deferred closure commits or rolls back, or when every path already
    ends it explicitly. Transactions run by `crdb.ExecuteTx`, `crdbpgx.ExecuteTx` or
    `pgx.BeginFunc` are never reported: the helper ends them, and their callbacks must not roll
    back. A transaction begun inside a loop is reported without a fix (a deferred `Rollback`
    would wait for the function to return), and so is one used under `if err == nil { ... }`.
    Paths that end in `log.Fatal`, `os.Exit` or `t.Fatal` leak nothing; a `defer tx.Rollback()`
    placed after an early `return` does not cover that return, and the fix adds one right after
    the check.
    """

    id = "tx-rollback"
    summary = "transaction from Begin/BeginTx/Beginx/MustBegin (sql, sqlx, pgx) not always ended"
    fix_summary = "add `defer tx.Rollback()` (pgx: `defer tx.Rollback(ctx)`) after the error check"
    safety = Safety.SAFE
    linters = ()

    VALID = [
        Valid(
            _HEADER
            + """func transfer(ctx context.Context, db *sql.DB, from, to, amount int64) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, debit, amount, from)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, credit, amount, to)
	if err != nil {
		return err
	}
	return tx.Commit()
}
"""
        ),
        Valid(
            _HEADER
            + """// Every early return rolls back first.
func touch(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE accounts SET seen = now()"); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}
"""
        ),
        Valid(
            _HEADER
            + """// The caller owns the transaction.
func begin(ctx context.Context, db *sql.DB) (*sql.Tx, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return tx, nil
}
"""
        ),
    ]
    INVALID = [
        Invalid(
            _HEADER
            + """func transfer(ctx context.Context, db *sql.DB, from, to, amount int64) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, debit, amount, from)
	if err != nil {
		return err
	}
	return tx.Commit()
}
""",
            r"transaction is neither committed nor rolled back on the return at line 20",
            _HEADER
            + """func transfer(ctx context.Context, db *sql.DB, from, to, amount int64) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, debit, amount, from)
	if err != nil {
		return err
	}
	return tx.Commit()
}
""",
        ),
        Invalid(
            _PGX_HEADER
            + """func archive(ctx context.Context, pool *pgxpool.Pool, id int64) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "UPDATE orders SET archived = true WHERE id = $1", id); err != nil {
		return err
	}
	return tx.Commit(ctx)
}
""",
            r"add `defer tx\.Rollback\(ctx\)`",
            _PGX_HEADER
            + """func archive(ctx context.Context, pool *pgxpool.Pool, id int64) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "UPDATE orders SET archived = true WHERE id = $1", id); err != nil {
		return err
	}
	return tx.Commit(ctx)
}
""",
        ),
    ]

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        package, source = ctx.package, ctx.source
        for call, _receiver, method in _flow.resource_bindings(
            package, source, BEGIN_METHODS, dbapi.TXS
        ):
            finding = self._check_begin(ctx, call, method)
            if finding is not None:
                yield finding

    def _check_begin(self, ctx: RuleContext, call: Node, method: str) -> Finding | None:
        package, source = ctx.package, ctx.source
        func = enclosing_function(call)
        if func is None:
            return None
        discarded = f"transaction from {method} is discarded and never ended"
        binding = _flow.binding_of(call)
        if binding is None:
            if parent_type(call) == "expression_statement":
                return self.finding(ctx, call, discarded)
            return None  # used in an expression (returned, passed on): owned elsewhere
        name = binding.name(0)
        if name == "_":
            if _ending.expects_failure(binding.statement, binding.err_name):
                return None  # a test that expects the call to fail
            return self.finding(ctx, call, discarded)
        if not name:
            return None  # stored in a field or an index expression: owned elsewhere
        decl = package.lookup(name, binding.targets[0], source)
        if decl is None or decl.statement is None or package.is_package_var(decl):
            return None  # a package variable, a parameter or a named result: owned elsewhere
        stmt = binding.statement
        if parent_type(stmt) != "statement_list":
            return None  # `if tx, err := ...; err == nil {`: a shape leakfix does not follow
        if not binding.declares and parent_of(decl.statement) != parent_of(stmt):
            return None  # declared in an outer block: it may be ended after this one
        usage = _flow.usage_of(package, source, decl, stmt, func, ENDING_METHODS)
        if usage.escapes or _flow.holds_other_values(package, source, decl, stmt, func):
            return None
        ends = _ending.endings(package, source, decl, func, stmt, ENDING_METHODS)
        if ends.owned:
            return None
        gap = _paths.ending_gap(package, source, func, stmt, binding.err_name, ends)
        if gap is None:
            return None
        where = gap.where
        results = package.call_results(call, source)
        pgx_style = bool(results) and results[0] == "pgx.Tx"
        if not pgx_style and _context_cancelled_on_return(package, source, call, func):
            return None  # database/sql rolls back a transaction whose context ends
        context_arg = _first_argument(call) if pgx_style else None
        argument = text(context_arg) if context_arg is not None else "ctx"
        rollback = f"{name}.Rollback({argument if pgx_style else ''})"
        message = (
            f"transaction is neither committed nor rolled back {where}: add `defer {rollback}`"
        )
        if gap.move is not None:
            message = f"transaction is neither committed nor rolled back {where}: {gap.move.tail}"
        problem = _ending.placement_problem(
            binding.err_name, gap.check, gap.has_check, gap.success, "transaction"
        )
        if problem is not None:
            return self.finding(ctx, call, message + problem)
        if _flow.inside_loop(stmt, func):
            return self.finding(
                ctx,
                call,
                "transaction is not rolled back on every path that does not "
                f"commit: end {name} before the next iteration (a deferred Rollback would "
                "wait for the function to return)",
            )
        if pgx_style and (
            context_arg is None or not reusable_context(package, source, context_arg)
        ):
            return self.finding(
                ctx,
                call,
                f"transaction is neither committed nor rolled back {where}: "
                f"add `defer {name}.Rollback(ctx)` with the context given to {method} (leakfix "
                f"cannot tell whether evaluating `{argument}` again is free of side effects)",
            )
        if gap.move is not None:
            fix = self.make_fix(f"Move `{gap.move.statement}` up", gap.move.edits)
            return self.finding(ctx, call, message, fix)
        edit = _flow.line_insert_after(source, gap.anchor, [f"defer {rollback}"])
        fix = self.make_fix(f"Add `defer {rollback}`", [edit])
        return self.finding(ctx, call, message, fix)


def _context_cancelled_on_return(
    package: Package, source: SourceFile, call: Node, func: Node
) -> bool:
    """``BeginTx(ctx, ...)`` where ``ctx, cancel := context.With...(...)`` in this function
    and ``defer cancel()``: when the function returns, the context ends and database/sql
    rolls the transaction back by itself."""
    argument = _first_argument(call)
    if argument is None or argument.type != "identifier":
        return False
    decl = package.lookup(text(argument), argument, source)
    stmt = decl.statement if decl is not None else None
    if stmt is None or stmt.type != "short_var_declaration" or enclosing_function(stmt) != func:
        return False
    left = [n for n in (stmt.child_by_field_name("left") or stmt).named_children]
    right = text(stmt.child_by_field_name("right"))
    if len(left) != 2 or not re.match(r"^\w+\.With(Cancel|Timeout|Deadline)\w*\(", right):
        return False
    cancel = text(left[1])
    body = func.child_by_field_name("body")
    statements = body.named_children[0].named_children if body and body.named_children else []
    return any(
        s.type == "defer_statement" and text(s).replace(" ", "") == f"defer{cancel}()"
        for s in statements
    )


def _first_argument(call: Node) -> Node | None:
    return next(iter(call_arguments(call)), None)


def reusable_context(package: Package, source: SourceFile, node: Node) -> bool:
    """Whether evaluating the context expression ``node`` a second time gives the same context
    with no side effect: a name, a field, `context.Background()`/`TODO()`, `r.Context()` of an
    `*http.Request`, `c.Request().Context()` of an `echo.Context`."""
    node = strip_parens(node)
    if node.type == "identifier":
        return True
    if node.type == "selector_expression":
        operand = node.child_by_field_name("operand")
        return operand is not None and reusable_context(package, source, operand)
    if node.type != "call_expression":
        return False
    receiver, name, args = call_parts(node)
    if receiver is None or args is None or args.named_children:
        return False
    receiver = strip_parens(receiver)
    if receiver.type == "identifier" and package.lookup(text(receiver), node, source) is None:
        family = package.facts[source.path].family(text(receiver))
        return family == "context" and name in ("Background", "TODO")
    if not reusable_context(package, source, receiver):
        return False
    receiver_type = package.expr_type(receiver, source)
    return (receiver_type, name) in (("http.Request", "Context"), ("echo.Context", "Request"))
