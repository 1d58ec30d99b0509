"""defer-in-loop: a deferred Close/Rollback/Release/cancel inside a loop body."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from tree_sitter import Node

from codemods import dbapi
from codemods.model import Edit, Finding, Fix, Safety
from codemods.package import Decl, FileFacts, Package, enclosing_function, expression_items
from codemods.rules import _flow, _returns
from codemods.rules._flow import jump_target
from codemods.rules.base import Invalid, Rule, RuleContext, Valid
from codemods.rules.cancel_not_called import (
    context_constructor,
    declaration_at,
    is_cancel_func,
    plain_results,
    plain_value,
    terminates,
)
from codemods.source import (
    FUNCTION_TYPES,
    SourceFile,
    contains,
    parent_of,
    parent_type,
    text,
    walk,
    walk_no_funcs,
)

RELEASE_METHODS = frozenset({"Close", "Rollback", "Release"})
# Database values a deferred Close/Rollback/Release holds on to, and what they are called.
_NOUNS = {
    **{t: "rows" for t in dbapi.ROWS},
    **{t: "statement" for t in dbapi.STMTS},
    **{t: "transaction" for t in dbapi.TXS},
    **{t: "connection" for t in (*dbapi.CONNS, "pgx.Conn")},
    **{t: "connection pool" for t in ("sql.DB", "sqlx.DB", "pgxpool.Pool")},
}
_LITERALS = (
    "nil",
    "true",
    "false",
    "int_literal",
    "float_literal",
    "imaginary_literal",
    "rune_literal",
    "interpreted_string_literal",
    "raw_string_literal",
)

_HEADER = """package reports

import (
	"context"
	"database/sql"
	"fmt"
)

"""


class DeferInLoop(Rule):
    """A deferred `Close`/`Rollback`/`Release`/`cancel()` inside a loop waits for the function.

    ## What it does
    Finds `defer` statements directly inside a `for` loop body (not inside a function literal
    of the body) that release a value made in the loop: `rows.Close()`, `stmt.Close()`,
    `tx.Rollback()`, `conn.Close()`/`conn.Release()` on database/sql, sqlx, pgx and pgxpool
    values, and the cancel function of a context made in the loop; also a deferred closure
    that does one of these. Only loops whose next iteration can follow the `defer` are
    reported: a body that always returns after its `defer` holds one value at most. Other
    deferred calls (files, locks) are left to gocritic's `deferInLoop` and revive's `defer`.
    Values held on purpose are not reported either: one that leaves the iteration (a context
    handed to a goroutine the function waits for, rows kept in a slice) or a loop that is
    the only statement of a function literal called on the spot (`func() { for ... }()`).
    The rule runs on every package, since cancel functions matter in any code.

    ## Why is this bad?
    Deferred calls run when the function returns, not when the iteration ends. Every
    iteration adds one more open `rows` (one pooled connection each), one more open
    transaction or one more live context and timer, all held until the loop and the rest of
    the function are done. A long loop exhausts the connection pool (`MaxOpenConns`) and
    then blocks forever waiting for a connection that only its own function can give back.

    ## Example
    ```go
    for _, id := range ids {
        rows, err := db.QueryContext(ctx, "SELECT name FROM items WHERE order_id = $1", id)
        if err != nil {
            return nil, fmt.Errorf("items of %d: %w", id, err)
        }
        defer rows.Close()
        ...
    }
    ```

    ## Use instead
    ```go
    for _, id := range ids {
        if err := func() error {
            rows, err := db.QueryContext(ctx, "SELECT name FROM items WHERE order_id = $1", id)
            if err != nil {
                return fmt.Errorf("items of %d: %w", id, err)
            }
            defer rows.Close()
            ...
            return nil
        }(); err != nil {
            return nil, err
        }
    }
    ```

    ## Fix safety
    Safe. The loop body moves, re-indented by one tab with its comments and blank lines, into
    a function literal called once per iteration, so its defers run at the end of each
    iteration. `continue` becomes `return` inside the literal. A body that returns from the
    function is handled when the function's last result is `error` and every `return` of
    the body gives a non-nil error (`fmt.Errorf`, `errors.New`, or an `err` checked against
    nil) after the same constant leading values: the literal returns the error and the loop
    returns `<values>, err`. No fix (report only) when that cannot be shown, or when the body
    holds a `break` of the loop, a label or `goto`, a `recover`, a multi-line raw string or
    block comment, a deferred call on a value made outside the body, a deferred closure that
    sets variables outside the body, or when the released value (or its context) leaves the
    iteration: returned, stored, sent or used by a goroutine.
    """

    id = "defer-in-loop"
    summary = "deferred Close/Rollback/Release/cancel in a loop body: held until the function ends"
    fix_summary = "run the loop body in a function literal called per iteration"
    safety = Safety.SAFE
    linters = ("gocritic", "revive")
    needs_database = False  # context cancel functions matter in any code

    VALID = [
        Valid(
            _HEADER
            + """func names(ctx context.Context, db *sql.DB, ids []int64) ([]string, error) {
	var out []string
	for _, id := range ids {
		rows, err := db.QueryContext(ctx, "SELECT name FROM items WHERE order_id = $1", id)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, n)
		}
		rows.Close()
	}
	return out, nil
}
"""
        ),
        Valid(
            _HEADER
            + """// One attempt per iteration; every path after the defer leaves the function.
func first(ctx context.Context, db *sql.DB, queries []string) (string, error) {
	for _, q := range queries {
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			continue
		}
		defer rows.Close()
		var n string
		if rows.Next() {
			err = rows.Scan(&n)
		}
		return n, err
	}
	return "", fmt.Errorf("no query worked")
}
"""
        ),
    ]
    INVALID = [
        Invalid(
            _HEADER
            + """func names(ctx context.Context, db *sql.DB, ids []int64) ([]string, error) {
	var out []string
	for _, id := range ids {
		rows, err := db.QueryContext(ctx, "SELECT name FROM items WHERE order_id = $1", id)
		if err != nil {
			return nil, fmt.Errorf("items of %d: %w", id, err)
		}
		defer rows.Close()

		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				return nil, err
			}
			out = append(out, n)
		}
	}
	return out, nil
}
""",
            r"holds every iteration's rows",
            _HEADER
            + """func names(ctx context.Context, db *sql.DB, ids []int64) ([]string, error) {
	var out []string
	for _, id := range ids {
		if err := func() error {
			rows, err := db.QueryContext(ctx, "SELECT name FROM items WHERE order_id = $1", id)
			if err != nil {
				return fmt.Errorf("items of %d: %w", id, err)
			}
			defer rows.Close()

			for rows.Next() {
				var n string
				if err := rows.Scan(&n); err != nil {
					return err
				}
				out = append(out, n)
			}
			return nil
		}(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
""",
        ),
        Invalid(
            _HEADER
            + """func touch(ctx context.Context, db *sql.DB, ids []int64) {
	for _, id := range ids {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			continue
		}
		defer tx.Rollback()
		_, err = tx.ExecContext(ctx, "UPDATE items SET n = n + 1 WHERE id = $1", id)
		if err != nil {
			continue
		}
		_ = tx.Commit()
	}
}
""",
            r"holds every iteration's transaction",
            _HEADER
            + """func touch(ctx context.Context, db *sql.DB, ids []int64) {
	for _, id := range ids {
		func() {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return
			}
			defer tx.Rollback()
			_, err = tx.ExecContext(ctx, "UPDATE items SET n = n + 1 WHERE id = $1", id)
			if err != nil {
				return
			}
			_ = tx.Commit()
		}()
	}
}
""",
        ),
        Invalid(
            _HEADER
            + """func scan(ctx context.Context, db *sql.DB, ids []int64) (int, error) {
	n := 0
	for _, id := range ids {
		rows, err := db.QueryContext(ctx, "SELECT 1 FROM items WHERE id = $1", id)
		if err != nil {
			return n, err
		}
		defer rows.Close()
		if !rows.Next() {
			break
		}
		n++
	}
	return n, nil
}
""",
            r"break",
        ),
    ]

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        plans: dict[int, _Plan] = {}
        for defer in ctx.source.nodes("defer_statement"):
            func = enclosing_function(defer)
            loop = _nearest_loop(defer)
            if func is None or loop is None or _scoped_on_purpose(loop, func):
                continue
            released = release_of(ctx.package, ctx.source, defer, loop)
            if released is None or not reaches_next_iteration(defer, loop):
                continue
            if _handed_on(ctx.package, ctx.source, released, loop):
                continue  # a goroutine or a later owner uses it: held on purpose
            plan = plans.get(loop.id)
            if plan is None:
                plan = plans[loop.id] = self._plan(ctx, loop, func)
            message = (
                f"`defer {released.call}` inside a loop holds every iteration's {released.noun} "
                "until the function returns"
            )
            if plan.blocker:
                yield self.finding(ctx, defer, f"{message} ({plan.blocker})")
                continue
            yield self.finding(
                ctx, defer, f"{message}: run the loop body in a function literal", plan.fix
            )

    # -- the fix -------------------------------------------------------------------------------

    def _plan(self, ctx: RuleContext, loop: Node, func: Node) -> _Plan:
        try:
            return _Planner(ctx, loop, func).plan(self)
        except _NoFix as reason:
            return _Plan(blocker=str(reason))


@dataclass(frozen=True)
class Released:
    """What a deferred call releases: the call as written, a noun, the values it holds."""

    call: str
    noun: str
    decls: tuple[Decl, ...]


def _scoped_on_purpose(loop: Node, func: Node) -> bool:
    """``func() { for ... { defer x.Release() } }()``: a function literal called on the spot
    that holds nothing but the loop exists to scope the loop's defers: holding every
    iteration's value until it returns is the intent."""
    call = parent_of(func)
    if func.type != "func_literal" or call is None or call.type != "call_expression":
        return False
    if call.child_by_field_name("function") != func or (parent_type(call) == "go_statement"):
        return False
    body = func.child_by_field_name("body")
    statements = _statements_of(body) if body is not None else []
    return len(statements) == 1 and statements[0] == loop


def _handed_on(package: Package, source: SourceFile, released: Released, loop: Node) -> bool:
    """Whether the released value (or the context of a cancel function) itself leaves the
    iteration: then it is meant to live until the function returns (contexts handed to
    goroutines that the function waits for, values stored for later)."""
    body = loop.child_by_field_name("body")
    if body is None:
        return True
    return any(
        leaves_iteration(package, source, ref, body)
        for decl in released.decls
        for ref in refs_in(package, source, decl, body)
    )


def _nearest_loop(node: Node) -> Node | None:
    current = parent_of(node)
    while current is not None and current.type not in FUNCTION_TYPES:
        if current.type == "for_statement":
            return current
        current = parent_of(current)
    return None


def release_of(package: Package, source: SourceFile, defer: Node, loop: Node) -> Released | None:
    """What ``defer`` releases when it is a release of a value made inside ``loop``."""
    call = next((c for c in defer.named_children if c.type == "call_expression"), None)
    if call is None:
        return None
    callee = call.child_by_field_name("function")
    if callee is not None and callee.type == "func_literal":
        body = callee.child_by_field_name("body")
        for inner in walk_no_funcs(body) if body is not None else ():
            if inner.type == "call_expression":
                found = _release_call(package, source, inner, loop)
                if found is not None:
                    return Released("func() { ... }()", found.noun, found.decls)
        return None
    found = _release_call(package, source, call, loop)
    if found is None:
        return None
    return Released(" ".join(text(call).split()), found.noun, found.decls)


def _release_call(package: Package, source: SourceFile, call: Node, loop: Node) -> Released | None:
    callee = call.child_by_field_name("function")
    if callee is None:
        return None
    if callee.type == "identifier":
        decl = is_cancel_func(package, source, callee)
        if decl is None or not contains(loop, decl.node):
            return None
        contexts = _contexts_of(package, source, decl, loop)
        if contexts is None:
            return None  # the context outlives the iteration: its cancel must wait too
        return Released(text(call), "context and its timer", (decl, *contexts))
    if callee.type != "selector_expression":
        return None
    operand = callee.child_by_field_name("operand")
    if operand is None or operand.type != "identifier":
        return None
    if text(callee.child_by_field_name("field")) not in RELEASE_METHODS:
        return None
    noun = _NOUNS.get(package.expr_type(operand, source) or "")
    decl = package.lookup(text(operand), operand, source)
    if noun is None or decl is None or not contains(loop, decl.node):
        return None
    return Released(text(call), noun, (decl,))


def _contexts_of(
    package: Package, source: SourceFile, cancel: Decl, loop: Node
) -> list[Decl] | None:
    """The contexts made with the cancel function ``cancel`` inside ``loop``
    (``ctx, cancel := context.WithTimeout(...)``); None when one is kept in a variable of
    an outer scope or a field, where a later iteration or the rest of the function uses it."""
    body = loop.child_by_field_name("body")
    found: list[Decl] = []
    for call in walk_no_funcs(body) if body is not None else ():
        if call.type != "call_expression" or not context_constructor(package, source, call):
            continue
        binding = _flow.binding_of(call)
        if binding is None or len(binding.targets) != 2:
            continue
        target = binding.targets[1]
        bound = declaration_at(package, source, target) if target.type == "identifier" else None
        if bound is None or bound.node != cancel.node:
            continue
        context = binding.targets[0]
        if context.type == "identifier" and text(context) == "_":
            continue
        decl = declaration_at(package, source, context) if context.type == "identifier" else None
        if decl is None or body is None or not contains(body, decl.node):
            return None
        found.append(decl)
    return found


def reaches_next_iteration(defer: Node, loop: Node) -> bool:
    """Whether, after ``defer`` ran, the loop may start another iteration: climbing from the
    defer through the blocks that hold it, a ``continue`` of the loop follows it at some
    level, or no level stops control (with a return or a panic) before the end of the body."""
    body = loop.child_by_field_name("body")
    if body is None:
        return False
    current = defer
    while True:
        parent = parent_of(current)
        if parent is None or parent == loop:
            return parent == loop
        if parent.type == "statement_list":
            later = [
                s
                for s in parent.named_children
                if s.start_byte > current.start_byte and s.type != "comment"
            ]
            if any(
                node.type == "continue_statement" and jump_target(node) == loop
                for s in later
                for node in walk_no_funcs(s)
            ):
                return True
            if any(terminates(s) for s in later) and not any(
                _leaves_level(s, current, body) for s in later
            ):
                return False
        current = parent


def _leaves_level(stmt: Node, current: Node, body: Node) -> bool:
    """A break/continue in ``stmt`` that leaves a statement of ``body`` holding ``current``."""
    for node in walk_no_funcs(stmt):
        if node.type in ("break_statement", "continue_statement"):
            target = jump_target(node)
            if target is not None and contains(target, current) and contains(body, target):
                return True
    return False


# -- planning the fix ---------------------------------------------------------------------------


class _NoFix(Exception):
    """Why the loop body cannot move into a function literal."""


@dataclass
class _Plan:
    fix: Fix | None = None
    blocker: str = ""


@dataclass
class _Planner:
    ctx: RuleContext
    loop: Node
    func: Node
    edits: list[Edit] = field(default_factory=list)

    @property
    def source(self) -> SourceFile:
        return self.ctx.source

    @property
    def package(self) -> Package:
        return self.ctx.package

    def plan(self, rule: Rule) -> _Plan:
        body = self.loop.child_by_field_name("body")
        if body is None or len(body.children) < 2:
            raise _NoFix("the loop has no body leakfix can move")
        self._check_layout(body)
        self._check_statements(body)
        self._check_defers(body)
        returns = [n for n in walk_no_funcs(body) if n.type == "return_statement"]
        leading, err_name = self._propagation(body, returns)
        propagate = err_name is not None
        for node in walk_no_funcs(body):
            if node.type == "continue_statement" and jump_target(node) == self.loop:
                self.edits.append(_flow.replace_node(node, "return nil" if propagate else "return"))
        self._wrap(body, propagate, leading, err_name or "err")
        title = "Run the loop body in a function literal called per iteration"
        ordered = sorted(self.edits)
        region = (ordered[0].start, ordered[-1].end) if ordered else None
        return _Plan(fix=rule.make_fix(title, self.edits, region=region))

    # each check raises _NoFix with the reason shown in the message ----------------------------

    def _check_layout(self, body: Node) -> None:
        source = self.source
        open_brace, close_brace = body.children[0], body.children[-1]
        if source.line_of(open_brace.start_byte) == source.line_of(close_brace.start_byte):
            raise _NoFix("the loop body is on one line")
        rest = source.data[open_brace.end_byte : source.line_end(open_brace.end_byte)].strip()
        if rest and not rest.startswith(b"//"):
            raise _NoFix("code follows the loop's opening brace")
        if not _flow.starts_own_line(source, close_brace):
            raise _NoFix("the loop's closing brace does not start a line")
        for node in walk(body):
            if node.type == "ERROR" or node.is_missing:
                raise _NoFix("leakfix cannot parse the loop body")
            if node.type in ("raw_string_literal", "comment", "interpreted_string_literal") and (
                b"\n" in (node.text or b"")
            ):
                raise _NoFix("a multi-line raw string or comment would change when re-indented")

    def _check_statements(self, body: Node) -> None:
        if parent_type(self.loop) == "labeled_statement":
            raise _NoFix("the loop has a label")
        for node in walk_no_funcs(body):
            if node.type in ("labeled_statement", "goto_statement"):
                raise _NoFix("the loop body has labels or goto")
            if node.type in ("break_statement", "continue_statement"):
                target = jump_target(node)
                if target is None:
                    raise _NoFix("a jump leakfix cannot follow")
                if node.type == "continue_statement" and target == self.loop:
                    continue
                if not contains(body, target):
                    raise _NoFix(f"`{text(node)}` leaves the loop: a function literal cannot")
        for node in walk(body):
            if (
                node.type == "call_expression"
                and text(node.child_by_field_name("function")) == "recover"
            ):
                raise _NoFix("a recover would catch the panics of one iteration only")

    def _check_defers(self, body: Node) -> None:
        """Every defer of the body must release something made in it, and what it releases
        must not leave the iteration."""
        for defer in walk_no_funcs(body):
            if defer.type != "defer_statement":
                continue
            call = next((c for c in defer.named_children if c.type == "call_expression"), None)
            callee = call.child_by_field_name("function") if call is not None else None
            if call is None or callee is None:
                raise _NoFix("a defer leakfix cannot read")
            if callee.type == "func_literal":
                self._check_deferred_closure(callee, body)
            elif not self._made_in_body(callee, body):
                raise _NoFix(f"`defer {' '.join(text(call).split())}` would run per iteration too")
            released = release_of(self.package, self.source, defer, self.loop)
            for decl in released.decls if released is not None else ():
                self._stays_in_iteration(decl, body)

    def _made_in_body(self, node: Node, body: Node) -> bool:
        return made_in(self.package, self.source, node, body)

    def _check_deferred_closure(self, literal: Node, body: Node) -> None:
        for node in walk(literal):
            targets: list[Node] = []
            if node.type in ("assignment_statement", "short_var_declaration"):
                if node.type == "short_var_declaration":
                    continue
                targets = expression_items(node.child_by_field_name("left"))
            elif node.type in ("inc_statement", "dec_statement"):
                targets = node.named_children[:1]
            for target in targets:
                if target.type == "identifier" and text(target) == "_":
                    continue
                if not self._made_in_body(target, body):
                    raise _NoFix("a deferred closure sets variables outside the loop body")
        if release_of_literal(self.package, self.source, literal, self.loop) is None:
            raise _NoFix("a deferred closure would run per iteration too")

    def _stays_in_iteration(self, decl: Decl, body: Node) -> None:
        package, source = self.package, self.source
        for ref in refs_in(package, source, decl, body):
            if leaves_iteration(package, source, ref, body):
                raise _NoFix(f"{decl.name} leaves the iteration")
            for item in _assigned_from(ref):
                item_decl = declaration_at(package, source, item)
                if item_decl is None or not contains(body, item_decl.node):
                    raise _NoFix(f"{decl.name} leaves the iteration")
                if plain_value(item_decl):
                    continue
                for use in refs_in(package, source, item_decl, body):
                    if leaves_iteration(package, source, use, body):
                        raise _NoFix(
                            f"{item_decl.name}, made from {decl.name}, leaves the iteration"
                        )

    # returns -----------------------------------------------------------------------------------

    def _propagation(self, body: Node, returns: list[Node]) -> tuple[str, str | None]:
        """(leading values, error name) for a body that returns from the function; ("", None)
        when it has no return."""
        if not returns:
            return "", None
        results = _returns.results_of(self.func)
        if not results:
            raise _NoFix("a return in the loop body would only leave the function literal")
        if text(results[-1][1]) != "error":
            raise _NoFix(
                "the function's last result is not an error: returns cannot pass "
                "through a function literal"
            )
        leading_texts: set[str] = set()
        names: set[str] = set()
        for ret in returns:
            values = [v for v in expression_items(_return_values(ret)) if v.type != "comment"]
            if len(values) != len(results):
                raise _NoFix("a bare or multi-value return in the loop body")
            if not self._non_nil_error(values[-1], ret, body):
                raise _NoFix(
                    f"`{' '.join(text(ret).split())}` may return a nil error, which a function "
                    "literal could not tell from the end of an iteration"
                )
            for value in values[:-1]:
                if not self._constant(value, body):
                    raise _NoFix(
                        f"`{text(value)}` in a return of the loop body is not a "
                        "constant or a variable of the function"
                    )
                names.update(text(n) for n in walk(value) if n.type == "identifier")
            leading_texts.add(", ".join(" ".join(text(v).split()) for v in values[:-1]))
            if len(values) > 1:
                self.edits.append(Edit(values[0].start_byte, values[-1].start_byte, b""))
        if len(leading_texts) != 1:
            raise _NoFix("the returns of the loop body return different values")
        return leading_texts.pop(), _flow.fresh_name(["err", "iterErr"], names)

    def _non_nil_error(self, value: Node, ret: Node, body: Node) -> bool:
        facts = self.package.facts[self.source.path]
        if value.type == "call_expression":
            return text(value.child_by_field_name("function")) in _error_constructors(facts)
        if value.type == "unary_expression" and text(value).startswith("&"):
            return any(c.type == "composite_literal" for c in value.named_children)
        if value.type != "identifier":
            return False
        decl = self.package.lookup(text(value), value, self.source)
        if decl is None:
            return False
        if self.package.is_package_var(decl):
            return _sentinel(decl, _error_constructors(facts))
        return _checked_non_nil(self.package, self.source, value, decl, ret, body)

    def _constant(self, value: Node, body: Node) -> bool:
        if value.type in _LITERALS:
            return True
        if value.type == "unary_expression":
            inner = value.named_children[-1] if value.named_children else None
            return text(value)[:1] in "-+" and inner is not None and inner.type in _LITERALS
        if value.type == "composite_literal":
            literal = value.child_by_field_name("body")
            return literal is not None and not literal.named_children
        if value.type == "identifier":
            decl = self.package.lookup(text(value), value, self.source)
            if decl is None:
                return text(value) in self.package.declared_names  # a constant of the package
            return not contains(body, decl.node)
        return False

    # edits --------------------------------------------------------------------------------------

    def _wrap(self, body: Node, propagate: bool, leading: str, err: str) -> None:
        source = self.source
        nl = source.newline
        open_brace, close_brace = body.children[0], body.children[-1]
        indent = source.indent_at(close_brace.start_byte)
        inner = indent + b"\t"
        header = f"if {err} := func() error {{" if propagate else "func() {"
        end_of_open = source.line_end(open_brace.end_byte)
        self.edits.append(Edit(end_of_open, end_of_open, nl + inner + header.encode()))
        first = source.line_of(open_brace.start_byte) + 1
        last = source.line_of(close_brace.start_byte)
        for index in range(first, last):
            start = source.line_starts[index]
            if source.data[start : source.line_end(start)].strip():
                self.edits.append(Edit(start, start, b"\t"))
        footer: list[bytes] = []
        if propagate:
            statements = _statements_of(body)
            if not statements or not _ends_iteration(statements[-1], self.loop):
                footer.append(inner + b"\treturn nil")
            result = f"return {leading}, {err}" if leading else f"return {err}"
            footer += [
                inner + f"}}(); {err} != nil {{".encode(),
                inner + b"\t" + result.encode(),
                inner + b"}",
            ]
        else:
            footer.append(inner + b"}()")
        start = source.line_start(close_brace.start_byte)
        self.edits.append(Edit(start, start, b"".join(line + nl for line in footer)))


def release_of_literal(
    package: Package, source: SourceFile, literal: Node, loop: Node
) -> Released | None:
    body = literal.child_by_field_name("body")
    for inner in walk_no_funcs(body) if body is not None else ():
        if inner.type == "call_expression":
            found = _release_call(package, source, inner, loop)
            if found is not None:
                return found
    return None


def made_in(package: Package, source: SourceFile, node: Node, body: Node) -> bool:
    """``x``, ``x.f`` or ``x.Close`` where variable ``x`` is declared inside ``body``."""
    root = node
    while root.type == "selector_expression":
        operand = root.child_by_field_name("operand")
        if operand is None:
            return False
        root = operand
    if root.type != "identifier":
        return False
    decl = package.lookup(text(root), root, source)
    return decl is not None and contains(body, decl.node)


def refs_in(package: Package, source: SourceFile, decl: Decl, body: Node) -> Iterator[Node]:
    """The identifiers of ``body`` that name the variable ``decl``."""
    for ident in walk(body):
        if ident.type != "identifier" or text(ident) != decl.name or ident == decl.node:
            continue
        found = package.lookup(decl.name, ident, source)
        if found is not None and found.node == decl.node:
            yield ident


def leaves_iteration(package: Package, source: SourceFile, ref: Node, body: Node) -> bool:
    """Whether the value read at ``ref`` may outlive the iteration of the loop whose body is
    ``body``: returned, sent, put in a composite literal, assigned to a variable declared
    outside the body (or a field), or read by a goroutine or a closure kept for later."""
    child = ref
    current = parent_of(ref)
    through_call = False  # a receiver or an argument: what goes on is the call's result
    while current is not None and current != body:
        kind = current.type
        if kind == "call_expression":
            through_call = True
        if kind == "return_statement":
            func = enclosing_function(current)
            return not (through_call and func is not None and plain_results(func))
        if kind in ("go_statement", "send_statement"):
            return True
        if kind in ("composite_literal", "literal_value"):
            return True
        if kind == "func_literal" and not _called_now(current):
            return True
        if kind == "assignment_statement" and current.child_by_field_name("right") == child:
            for item in expression_items(current.child_by_field_name("left")):
                if item.type == "identifier" and text(item) == "_":
                    continue
                if item.type != "identifier" or not made_in(package, source, item, body):
                    return True
        child = current
        current = parent_of(current)
    return False


def _called_now(literal: Node) -> bool:
    """``func() {...}()`` called on the spot or deferred (both run within the iteration once
    the body is a function literal)."""
    call = parent_of(literal)
    return (
        call is not None
        and call.type == "call_expression"
        and call.child_by_field_name("function") == literal
        and (parent_type(call) != "go_statement")
    )


def _assigned_from(ref: Node) -> list[Node]:
    """Variables assigned from an expression that reads ``ref`` (the last of several is taken
    to be an error and skipped)."""
    child = ref
    current = parent_of(ref)
    while current is not None and current.type not in FUNCTION_TYPES:
        if current.type in ("short_var_declaration", "assignment_statement"):
            if current.child_by_field_name("right") != child:
                return []
            left = expression_items(current.child_by_field_name("left"))
            named = [t for t in left if t.type == "identifier" and text(t) != "_"]
            if len(left) > 1 and left[-1] in named:
                named.remove(left[-1])
            return named
        if current.type == "statement_list":
            return []
        child = current
        current = parent_of(current)
    return []


def _return_values(ret: Node) -> Node | None:
    return next((c for c in ret.named_children if c.type != "comment"), None)


def _statements_of(block: Node) -> list[Node]:
    for child in block.named_children:
        if child.type == "statement_list":
            return [s for s in child.named_children if s.type != "comment"]
    return []


def _ends_iteration(stmt: Node, loop: Node) -> bool:
    """A terminating statement once ``continue`` of the loop has become ``return``."""
    if terminates(stmt):
        return True
    if stmt.type == "continue_statement":
        return jump_target(stmt) == loop
    if stmt.type == "block":
        inner = _statements_of(stmt)
        return bool(inner) and _ends_iteration(inner[-1], loop)
    if stmt.type == "if_statement":
        consequence = stmt.child_by_field_name("consequence")
        alternative = stmt.child_by_field_name("alternative")
        return (
            consequence is not None
            and alternative is not None
            and _ends_iteration(consequence, loop)
            and _ends_iteration(alternative, loop)
        )
    return False


_CONDITION_SPLIT = re.compile(r"\s*&&\s*")


def _checked_non_nil(
    package: Package, source: SourceFile, value: Node, decl: Decl, ret: Node, body: Node
) -> bool:
    """``if err != nil { ...; return ..., err }``: the return sits in the body of an ``if``
    whose condition (or one of its ``&&`` terms) is ``err != nil``, and nothing assigns
    ``err`` between the check and the return."""
    child = ret
    current = parent_of(ret)
    while current is not None and current != body:
        if current.type == "if_statement" and current.child_by_field_name("consequence") == child:
            condition = current.child_by_field_name("condition")
            if condition is not None and _tests_not_nil(package, source, condition, decl):
                return not _assigned_between(package, source, decl, condition, ret)
        child = current
        current = parent_of(current)
    return False


def _tests_not_nil(package: Package, source: SourceFile, condition: Node, decl: Decl) -> bool:
    while condition.type == "parenthesized_expression" and condition.named_children:
        condition = condition.named_children[0]
    if condition.type != "binary_expression":
        return False
    operator = text(condition.child_by_field_name("operator"))
    left = condition.child_by_field_name("left")
    right = condition.child_by_field_name("right")
    if left is None or right is None:
        return False
    if operator == "&&":
        return _tests_not_nil(package, source, left, decl) or _tests_not_nil(
            package, source, right, decl
        )
    if operator != "!=":
        return False
    for name, other in ((left, right), (right, left)):
        if other.type == "nil" and name.type == "identifier" and text(name) == decl.name:
            found = package.lookup(decl.name, name, source)
            return found is not None and found.node == decl.node
    return False


def _assigned_between(
    package: Package, source: SourceFile, decl: Decl, start: Node, ret: Node
) -> bool:
    func = enclosing_function(ret)
    scope = func.child_by_field_name("body") if func is not None else None
    if scope is None:
        return True
    for ident in walk(scope):
        if ident.type != "identifier" or text(ident) != decl.name:
            continue
        if not (start.end_byte <= ident.start_byte < ret.start_byte):
            continue
        parent = parent_of(ident)
        owner = parent_of(parent) if parent is not None else None
        if (
            parent is not None
            and parent.type == "expression_list"
            and owner is not None
            and owner.type in ("assignment_statement", "short_var_declaration")
            and owner.child_by_field_name("left") == parent
        ):
            found = package.lookup(decl.name, ident, source)
            if found is not None and found.node == decl.node:
                return True
        if parent is not None and parent.type == "unary_expression" and text(parent)[:1] == "&":
            return True  # &err handed to something that may set it
    return False


def _error_constructors(facts: FileFacts) -> set[str]:
    """Calls that always return a non-nil error, under the file's import names."""
    found = set()
    for name, path in facts.imports.items():
        if path == "fmt":
            found.add(f"{name}.Errorf")
        elif path == "errors":
            found.add(f"{name}.New")
        elif path == "github.com/pkg/errors":
            found.update((f"{name}.New", f"{name}.Errorf"))
    return found


def _sentinel(decl: Decl, constructors: set[str]) -> bool:
    """A package variable ``var ErrX = errors.New(...)`` (or fmt.Errorf)."""
    stmt = decl.statement
    spec = parent_of(decl.node)
    if stmt is None or spec is None or spec.type != "var_spec":
        return False
    values = expression_items(spec.child_by_field_name("value"))
    names = spec.children_by_field_name("name")
    if len(values) != len(names):
        return False
    value = values[[n.id for n in names].index(decl.node.id)]
    callee = text(value.child_by_field_name("function")) if value.type == "call_expression" else ""
    return callee in constructors
