"""rows-err: a loop over rows whose function never checks rows.Err()."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from codemods import dbapi
from codemods.model import Edit, Finding, Safety
from codemods.package import call_parts, enclosing_function
from codemods.rules import _flow, _returns
from codemods.rules.base import Invalid, Rule, RuleContext, Valid
from codemods.source import SourceFile, parent_of, parent_type, text, walk_no_funcs

_HEADER = """package users

import (
	"context"
	"database/sql"
)

"""


class RowsErr(Rule):
    """A `for rows.Next()` loop whose function never checks `rows.Err()`.

    ## What it does
    Finds `for rows.Next()` loops (and `if rows.Next()`) over database rows where the function
    never calls `rows.Err()`.

    ## Why is this bad?
    `rows.Next()` returns false both at the end of the result and when reading failed midway
    (a dropped connection, a CockroachDB retry error, a cancelled context). Without `rows.Err()`
    a truncated result is served as if it were complete.

    ## Example
    ```go
    for rows.Next() { ... }
    return users, nil
    ```

    ## Use instead
    ```go
    for rows.Next() { ... }
    if err := rows.Err(); err != nil {
        return nil, err
    }
    return users, nil
    ```

    ## Fix safety
    Safe. The check goes right after the loop and handles the error the way the function
    handles the query's own error (its `if err != nil { ... }` body is reused, so an Echo
    handler returns its `echo.NewHTTPError(...)`, a repository its wrapped error). Without such
    a pattern the function's signature decides: zero values (or the named results) and `err`.
    A function that cannot return an error and has no pattern to copy is reported without a fix.
    """

    id = "rows-err"
    summary = "for rows.Next() loop whose function never checks rows.Err()"
    fix_summary = (
        "add `if err := rows.Err(); err != nil { ... }` after the loop, in the function's style"
    )
    safety = Safety.SAFE
    linters = ("rowserrcheck",)

    VALID = [
        Valid(
            _HEADER
            + """func ids(ctx context.Context, db *sql.DB) ([]int, error) {
	rows, err := db.QueryContext(ctx, "SELECT id FROM users")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
"""
        )
    ]
    INVALID = [
        Invalid(
            _HEADER
            + """func ids(ctx context.Context, db *sql.DB) ([]int, error) {
	rows, err := db.QueryContext(ctx, "SELECT id FROM users")
	if err != nil {
		return nil, fmt.Errorf("list ids: %w", err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}
""".replace('"database/sql"\n', '"database/sql"\n\t"fmt"\n'),
            r"rows\.Err\(\) is never checked",
            _HEADER
            + """func ids(ctx context.Context, db *sql.DB) ([]int, error) {
	rows, err := db.QueryContext(ctx, "SELECT id FROM users")
	if err != nil {
		return nil, fmt.Errorf("list ids: %w", err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list ids: %w", err)
	}
	return out, nil
}
""".replace('"database/sql"\n', '"database/sql"\n\t"fmt"\n'),
        )
    ]

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for loop, rows in self._loops(ctx):
            finding = self._check_loop(ctx, loop, rows)
            if finding is not None:
                yield finding

    def _loops(self, ctx: RuleContext) -> Iterator[tuple[Node, Node]]:
        """(for/if statement, rows identifier) for each `for rows.Next()` / `if rows.Next()`."""
        for node in ctx.source.nodes("for_statement", "if_statement"):
            cond = node.child_by_field_name("condition")
            if cond is None:
                cond = next((c for c in node.named_children if c.type == "call_expression"), None)
            if cond is not None and node.type == "if_statement" and cond.type == "unary_expression":
                cond = cond.child_by_field_name("operand")  # if !rows.Next() { not found }
            if cond is None or cond.type != "call_expression":
                continue
            receiver, name, args = call_parts(cond)
            if name != "Next" or receiver is None or receiver.type != "identifier":
                continue
            if args is not None and args.named_children:
                continue
            if ctx.package.expr_type(receiver, ctx.source) in dbapi.ROWS:
                yield node, receiver

    def _check_loop(self, ctx: RuleContext, loop: Node, rows: Node) -> Finding | None:
        package, source = ctx.package, ctx.source
        decl = package.lookup(text(rows), rows, source)
        func = enclosing_function(loop)
        if decl is None or func is None:
            return None
        owner = enclosing_function(decl.node) or func
        usage = _flow.usage_of(
            package, source, decl, decl.node, owner, close_methods=("Err",), closures_escape=False
        )
        query_stmt = decl.statement
        if usage.reassigned:
            # rows reused for several queries: only this loop's rows count, from the
            # assignment before the loop to the next one after it.
            # Only reassignments of the loop's own block cut: one under an `if` may not run.
            same_block = [r for r in usage.reassigned if parent_of(r) == parent_of(loop)]
            earlier = [r for r in same_block if r.end_byte <= loop.start_byte]
            later = [r for r in same_block if r.start_byte >= loop.end_byte]
            start = max(earlier, key=lambda r: r.start_byte) if earlier else decl.node
            if earlier:
                query_stmt = start
            usage = _flow.usage_of(
                package,
                source,
                decl,
                start,
                owner,
                close_methods=("Err",),
                consumers=dbapi.CLOSING_CONSUMERS,
                closures_escape=False,
                until=min(later, key=lambda r: r.start_byte) if later else None,
            )
        if usage.deferred or usage.closes or usage.escapes or "Err" in usage.methods:
            return None
        name = text(rows)
        message = f"rows.Err() is never checked after iterating {name}"
        if parent_type(loop) != "statement_list":
            return self.finding(ctx, loop, message)
        hand_off = _synchronisation_after(loop)
        if hand_off is not None:
            line = source.position(hand_off.start_byte)[0]
            return self.finding(
                ctx,
                loop,
                f"{message} (an early return here would skip the synchronisation on line "
                f"{line}; check it after that)",
            )
        body = self._handler_lines(ctx, query_stmt, func, loop)
        if body is None:
            return self.finding(ctx, loop, message + " (no way to return the error here)")
        # `err :=` would shadow a result named err, and a copied bare `return` then fails to
        # compile ("result parameter err not in scope"): assign the result instead.
        named_err = "err" in {n for n, _ in _returns.results_of(func)}
        assign = "=" if named_err and any(ln.strip() == "return" for ln in body) else ":="
        lines = [f"if err {assign} {name}.Err(); err != nil {{", *body, "}"]
        edit = self._insertion(source, loop, lines)
        return self.finding(ctx, loop, message, self.make_fix(f"Check `{name}.Err()`", [edit]))

    def _insertion(self, source: SourceFile, loop: Node, lines: list[str]) -> Edit:
        """After the loop; for `if !rows.Next() { ... }` first thing inside the block, where
        Next has just reported false."""
        cond = loop.child_by_field_name("condition")
        block = loop.child_by_field_name("consequence")
        if (
            loop.type == "if_statement"
            and cond is not None
            and cond.type == "unary_expression"
            and block is not None
        ):
            indent = source.indent_at(loop.start_byte) + b"\t"
            end = source.line_end(block.start_byte)
            nl = source.newline
            body = b"".join(nl + (indent + ln.encode() if ln else b"") for ln in lines)
            return Edit(end, end, body)
        return _flow.line_insert_after(source, loop, lines)

    def _handler_lines(
        self, ctx: RuleContext, query_stmt: Node | None, func: Node, loop: Node
    ) -> list[str] | None:
        """The body of the new check: the query's error handling, else one built from the
        function's results."""
        copied = self._copied_handler(ctx.source, query_stmt, func, loop)
        if copied is not None:
            return copied
        built = _returns.error_return(ctx.package, ctx.source, func, "err")
        return ["\t" + built] if built else None

    def _copied_handler(
        self, source: SourceFile, query_stmt: Node | None, func: Node, loop: Node
    ) -> list[str] | None:
        if query_stmt is None or enclosing_function(query_stmt) != func:
            return None
        binding = _flow.binding_of_statement(query_stmt)
        check = _flow.next_statement(query_stmt)
        if binding is None or not _flow.is_err_check(check, binding.err_name) or check is None:
            return None
        block = check.child_by_field_name("consequence")
        if block is None or not _returns.ends_function(block):
            return None
        lines = _returns.block_body_lines(source, block)
        if lines is None:
            return None
        if binding.err_name != "err":
            return None  # the copied code names another variable
        return lines


# Calls after the loop that other goroutines wait for: returning before them leaves a
# goroutine blocked forever (a channel never closed, a WaitGroup never waited for).
_SYNC_METHODS = frozenset({"Wait", "Done", "Unlock", "RUnlock"})
_UNLOCK_METHODS = frozenset({"Unlock", "RUnlock"})
_LOCK_METHODS = frozenset({"Lock", "RLock"})


def _synchronisation_after(loop: Node) -> Node | None:
    """The first statement after ``loop`` in its block, before the block's next return, that
    closes a channel, receives from or sends on one, or waits for or releases goroutines. A
    lock taken and released after the loop is no hand-off: returning before it is harmless."""
    locked: set[str] = set()
    sibling = loop.next_named_sibling
    while sibling is not None and sibling.type != "return_statement":
        if sibling.type == "send_statement" or _synchronises(sibling, locked):
            return sibling
        sibling = sibling.next_named_sibling
    return None


def _synchronises(stmt: Node, locked: set[str]) -> bool:
    for node in walk_no_funcs(stmt):
        if node.type == "unary_expression" and text(node).startswith("<-"):
            return True
        if node.type != "call_expression":
            continue
        receiver, name, _ = call_parts(node)
        if receiver is None and name == "close":
            return True
        if receiver is None:
            continue
        if name in _LOCK_METHODS:
            locked.add(text(receiver))
        elif name in _SYNC_METHODS and not (name in _UNLOCK_METHODS and text(receiver) in locked):
            return True
    return False
