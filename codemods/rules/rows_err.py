"""rows-err: a loop over rows whose function never checks rows.Err()."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from codemods import dbapi
from codemods.model import Edit, Finding, Safety
from codemods.package import call_parts, enclosing_function
from codemods.rules import _flow, _returns
from codemods.rules.base import Invalid, Rule, RuleContext, Valid
from codemods.source import (
    SourceFile,
    contains,
    parent_of,
    parent_type,
    text,
    walk_no_funcs,
)

_HEADER = """package users

import (
	"context"
	"database/sql"
)

"""


class RowsErr(Rule):
    """A `for rows.Next()` loop whose function never checks `rows.Err()`.

    ## What it does
    Finds `for rows.Next()` loops (and `if rows.Next()`, and `return rows.Next(), nil`) over
    database rows where the function never calls `rows.Err()`.

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
    handles this rows' other errors, never more harshly: the query's own `if err != nil { ... }`
    body is reused (an Echo handler returns its `echo.NewHTTPError(...)`, a repository its
    wrapped or internal error, a loop that logs and `continue`s logs and continues); else the
    handling of a failed `Scan` in the loop (a row that is logged and skipped becomes a logged
    read error). Only where every error check of the function returns the error as it is does
    the signature decide (zero values, or the named results, and `err`). Otherwise, and in a
    function that cannot return an error and has nothing to copy, the finding has no fix.
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
        """(for/if/return statement, rows identifier) for each `for rows.Next()`,
        `if rows.Next()` and `return rows.Next(), nil`."""
        for node in ctx.source.nodes("return_statement"):
            for call in _returned_next_calls(node):
                receiver, _, _ = call_parts(call)
                if (
                    receiver is not None
                    and ctx.package.expr_type(receiver, ctx.source) in dbapi.ROWS
                ):
                    yield node, receiver
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
        if _callback_parameter(decl.node):
            return None  # rows handed to a callback: the caller of the callback reads Err()
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
        if loop.type == "return_statement":
            return self.finding(
                ctx,
                loop,
                f"rows.Err() is never checked after {name}.Next(): a failed read looks like "
                "no row (call Next first, and return its Err() with it)",
            )
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
        body = self._handler_lines(ctx, query_stmt, func, loop, name)
        if isinstance(body, str):
            return self.finding(ctx, loop, f"{message} ({body})")
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
        self, ctx: RuleContext, query_stmt: Node | None, func: Node, loop: Node, name: str
    ) -> list[str] | str:
        """The body of the new check, in the function's own style: the query's error handling,
        else the handling of a failed Scan in the loop, else (only where the function returns
        its errors as they are) one built from the function's results. A string says why
        there is none."""
        for block, origin in _error_blocks(query_stmt, func, loop, name):
            copied = _portable_lines(ctx.source, block, origin, loop)
            if copied is not None:
                return copied
        built = _returns.error_return(ctx.package, ctx.source, func, "err")
        if built is None:
            return "no way to return the error here"
        if not _returns_errors_raw(func):
            return "no error handling here to copy: check it the way this function reports errors"
        return ["\t" + built]


def _returned_next_calls(stmt: Node) -> list[Node]:
    """`rows.Next()` returned as a value: `return rows.Next(), nil`."""
    found = []
    for item in _returns.returned_values(stmt):
        if item.type != "call_expression":
            continue
        receiver, name, args = call_parts(item)
        bare = args is None or not args.named_children
        if name == "Next" and receiver is not None and receiver.type == "identifier" and bare:
            found.append(item)
    return found


def _callback_parameter(ident: Node) -> bool:
    """A parameter of a function literal passed as an argument (``QueryFunc(ctx, sql,
    func(rows pgx.Rows) error { ... })``): the function that calls it owns the rows."""
    param = parent_of(ident)
    params = parent_of(param) if param is not None else None
    literal = parent_of(params) if params is not None else None
    return (
        param is not None
        and param.type in ("parameter_declaration", "variadic_parameter_declaration")
        and literal is not None
        and literal.type == "func_literal"
        and parent_type(literal) == "argument_list"
    )


def _error_blocks(
    query_stmt: Node | None, func: Node, loop: Node, name: str
) -> Iterator[tuple[Node, Node]]:
    """``if err != nil { ... }`` bodies that handle this rows' errors, with the ``if``: the
    query's own check first, then checks of a failed ``Scan`` inside the loop."""
    if query_stmt is not None and enclosing_function(query_stmt) == func:
        binding = _flow.binding_of_statement(query_stmt)
        check = _flow.next_statement(query_stmt)
        if (
            binding is not None
            and binding.err_name == "err"
            and check is not None
            and _flow.is_err_check(check, "err")
        ):
            block = check.child_by_field_name("consequence")
            if block is not None:
                yield block, check
    body = loop.child_by_field_name("body") or loop.child_by_field_name("consequence")
    if body is None:
        return
    for node in walk_no_funcs(body):
        if node.type == "if_statement" and _checks_failed_scan(node, name):
            block = node.child_by_field_name("consequence")
            if block is not None:
                yield block, node


def _checks_failed_scan(stmt: Node, name: str) -> bool:
    """``if err := rows.Scan(...); err != nil`` or ``err = rows.Scan(...)`` just before
    ``if err != nil``, with no else."""
    if stmt.child_by_field_name("alternative") is not None:
        return False
    cond = stmt.child_by_field_name("condition")
    if cond is None or text(cond).replace(" ", "") != "err!=nil":
        return False
    read = stmt.child_by_field_name("initializer") or stmt.prev_named_sibling
    if read is None or read.type not in ("short_var_declaration", "assignment_statement"):
        return False
    left = read.child_by_field_name("left")
    right = read.child_by_field_name("right")
    return text(left) == "err" and text(right).startswith((f"{name}.Scan(", f"{name}.StructScan("))


def _portable_lines(source: SourceFile, block: Node, check: Node, loop: Node) -> list[str] | None:
    """The lines of ``block`` as they can stand right after ``loop``: its last statement
    returns or ends the process; or it jumps (``continue``) to the loop that also holds the
    insertion point; or, in the rows loop itself, it skips a row (that ``continue`` is
    dropped: after the loop, logging is all that is left). None when they cannot."""
    lines = _returns.block_body_lines(source, block)
    statements = [s for s in _returns.block_statements(block) if s.type != "comment"]
    if lines is None or not statements:
        return None
    if _mentions_names_declared_in(block, loop):
        return None  # names of one row, not in scope after the loop
    last = statements[-1]
    if _returns.ends_function(block):
        return lines
    if last.type not in ("continue_statement", "break_statement"):
        return lines  # logs and carries on: so does the check
    if last.named_children:
        return None  # a labelled jump: leave it to a person
    target = _flow.jump_target(last)
    if target is not None and target == loop:
        kept = lines[: _line_count_before(source, block, last)]
        return kept if any(line.strip() for line in kept) else None
    if target is not None and target == _flow.enclosing_target(loop, last.type) and check != loop:
        return lines
    return None


def _line_count_before(source: SourceFile, block: Node, stmt: Node) -> int:
    """How many lines of ``block``'s body come before ``stmt``."""
    return source.line_of(stmt.start_byte) - source.line_of(block.start_byte) - 1


def _mentions_names_declared_in(block: Node, loop: Node) -> bool:
    """Whether ``block`` (inside ``loop``) uses a name declared inside the loop other than
    ``err``, which the new check declares itself."""
    if not contains(loop, block):
        return False
    declared = {
        text(ident)
        for node in walk_no_funcs(loop)
        if node.type in ("short_var_declaration", "var_spec", "range_clause")
        for ident in walk_no_funcs(node.child_by_field_name("left") or node)
        if ident.type == "identifier"
    }
    declared.discard("err")
    used = {text(n) for n in walk_no_funcs(block) if n.type == "identifier"}
    return bool(declared & used)


def _returns_errors_raw(func: Node) -> bool:
    """Whether every ``if err != nil { ... }`` of ``func`` that returns, returns ``err`` itself
    as its last result: then ``return ..., err`` is the function's own style."""
    body = func.child_by_field_name("body")
    if body is None:
        return False
    for node in walk_no_funcs(body):
        if node.type != "if_statement":
            continue
        cond = node.child_by_field_name("condition")
        if cond is None or not text(cond).replace(" ", "").endswith("!=nil"):
            continue
        checked = text(cond.child_by_field_name("left"))
        block = node.child_by_field_name("consequence")
        statements = _returns.block_statements(block) if block is not None else []
        last = statements[-1] if statements else None
        if last is None:
            continue
        if last.type != "return_statement":
            if last.type in ("continue_statement", "break_statement", "expression_statement"):
                return False  # handled in place: returning would be harsher
            continue
        items = _returns.returned_values(last)
        if items and text(items[-1]) != checked:
            return False
    return True


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
