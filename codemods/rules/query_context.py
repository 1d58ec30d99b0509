"""query-context: a query without a context while one is in reach."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from codemods.model import Edit, Finding, Safety
from codemods.package import call_arguments
from codemods.rules import _context, _flow
from codemods.rules.base import Invalid, Rule, RuleContext, Valid
from codemods.source import SourceFile, text, walk

_HEADER = """package users

import (
	"database/sql"
	"net/http"
)

"""


def context_call_edits(source: SourceFile, call: _context.DbCall, ctx_expr: str) -> list[Edit]:
    """Rename the method to its *Context variant and pass ``ctx_expr`` first, laid out the
    way gofmt leaves the call."""
    callee = call.call.child_by_field_name("function")
    field = callee.child_by_field_name("field") if callee is not None else None
    args = call.call.child_by_field_name("arguments")
    assert field is not None and args is not None
    edits = [_flow.replace_node(field, call.method.context_variant)]
    arguments = [a for a in args.named_children if a.type != "comment"]
    if not arguments:
        extra = ", nil" if call.method.begin_style else ""
        return [*edits, Edit(args.start_byte + 1, args.end_byte - 1, f"{ctx_expr}{extra}".encode())]
    first = arguments[0]
    if source.line_of(first.start_byte) != source.line_of(args.start_byte):
        # One argument per line: the context gets a line of its own, first.
        indent = source.indent_at(first.start_byte)
        end = source.line_end(args.start_byte)
        edits.append(Edit(end, end, source.newline + indent + f"{ctx_expr},".encode()))
    else:
        edits.append(Edit(first.start_byte, first.start_byte, f"{ctx_expr}, ".encode()))
        if len(arguments) == 1:
            edits.extend(_compact_binary_operators(source, first))
    return edits


def _compact_binary_operators(source: SourceFile, argument: Node) -> list[Edit]:
    """gofmt drops the spaces around binary operators in a call with several arguments
    (``f("a" + b)`` but ``f(ctx, "a"+b)``); a one-line argument is respaced to match."""
    if source.line_of(argument.start_byte) != source.line_of(argument.end_byte):
        return []
    edits = []
    for node in walk(argument):
        if node.type in ("func_literal", "composite_literal"):
            return []  # their own layout rules: leave them to the gofmt guard
        if node.type != "binary_expression":
            continue
        operator = node.child_by_field_name("operator")
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if operator is None or left is None or right is None:
            continue
        if right.type == "unary_expression":
            return []  # `a - -b` keeps its spaces
        edits.append(Edit(left.end_byte, operator.start_byte, b""))
        edits.append(Edit(operator.end_byte, right.start_byte, b""))
    return [e for e in edits if e.start != e.end]


class QueryContext(Rule):
    """A query runs without a context although one is in reach.

    ## What it does
    Finds `Query`, `QueryRow`, `Exec`, `Prepare`, `Begin` (and sqlx's `Queryx`, `Select`, `Get`,
    `NamedExec`, ...) called without a context in a function that has one: a `context.Context`
    variable, an Echo `c echo.Context` (`c.Request().Context()`) or an `*http.Request`
    (`r.Context()`). Also calls given `context.Background()`/`TODO()` while such a context is
    in reach, outside tests: "pass ctx", not a new deadline.

    ## Why is this bad?
    A query without a context runs to completion even after the client went away or the
    request timed out, holding a connection the whole time. Under load, abandoned queries
    fill the pool and the service stalls.

    ## Example
    ```go
    func handler(w http.ResponseWriter, r *http.Request) {
        rows, err := db.Query("SELECT id FROM users")
    ```

    ## Use instead
    ```go
    func handler(w http.ResponseWriter, r *http.Request) {
        rows, err := db.QueryContext(r.Context(), "SELECT id FROM users")
    ```

    ## Fix safety
    Safe. The call becomes its `*Context` variant with the context in reach (`Begin()` becomes
    `BeginTx(ctx, nil)`), or `context.Background()` is replaced by the context in reach; no new
    name is introduced. The nearest context variable wins; a request context is not carried
    into a goroutine started inside the handler, nor handed to a loop of queries from a
    deadline set before the loop. A comment saying the detached context is intended ("must
    survive the client hanging up") leaves the call alone but reported; so does a fix that
    would leave the `context` import unused.
    """

    id = "query-context"
    summary = "Query/QueryRow/Exec/Prepare/Begin without a context while one is in reach"
    fix_summary = "use the *Context variant with the context in scope"
    safety = Safety.SAFE
    linters = ("noctx", "contextcheck")

    VALID = [
        Valid(
            _HEADER
            + """func touch(w http.ResponseWriter, r *http.Request, db *sql.DB) {
	if _, err := db.ExecContext(r.Context(), "UPDATE users SET seen = now()"); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}
"""
        )
    ]
    INVALID = [
        Invalid(
            _HEADER
            + """func touch(w http.ResponseWriter, r *http.Request, db *sql.DB) {
	if _, err := db.Exec("UPDATE users SET seen = now()"); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}
""",
            r"Exec without a context",
            _HEADER
            + """func touch(w http.ResponseWriter, r *http.Request, db *sql.DB) {
	if _, err := db.ExecContext(r.Context(), "UPDATE users SET seen = now()"); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}
""",
        )
    ]

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        context_name = _context.context_import_name(ctx.package, ctx.source)
        for call in _context.db_calls(ctx.package, ctx.source):
            if call.method.takes_context:
                finding = self._background_in_reach(ctx, call, context_name)
                if finding is not None:
                    yield finding
                continue
            if not call.method.context_variant:
                continue
            ctx_expr = _context.context_in_reach(ctx.package, ctx.source, call.call)
            if ctx_expr is None:
                continue  # no context in reach: query-timeout reports it
            variant = call.method.context_variant
            fix = self.make_fix(
                f"Use `{variant}` with `{ctx_expr}`",
                context_call_edits(ctx.source, call, ctx_expr),
            )
            message = f"{call.method_name} without a context: use {variant} with {ctx_expr}"
            yield self.finding(ctx, call.call, message, fix)

    def _background_in_reach(
        self, ctx: RuleContext, call: _context.DbCall, context_name: str
    ) -> Finding | None:
        """``db.QueryContext(context.Background(), ...)`` where a context is in reach: the
        query outlives the request that asked for it. Pass the context that is there."""
        if ctx.source.path.endswith("_test.go"):
            return None  # tests pick their contexts on purpose, and `go test -timeout` ends them
        items = call_arguments(call.call)
        if not items or not _context.is_background(items[0], context_name):
            return None
        ctx_expr = _context.context_in_reach(ctx.package, ctx.source, call.call)
        if ctx_expr is None:
            return None  # query-timeout's business
        message = (
            f"{call.method_name} on {text(items[0])} while {ctx_expr} is in reach: pass {ctx_expr}"
        )
        if _context.intended_wait(ctx.source, call.call):
            return self.finding(ctx, call.call, f"{message} (a comment says this is intended)")
        if not _package_used_beyond_background(ctx.source, context_name):
            # leakfix adds imports but never removes one: the file would not compile.
            return self.finding(ctx, call.call, f"{message} (and drop the context import)")
        fix = self.make_fix(f"Pass `{ctx_expr}`", [_flow.replace_node(items[0], ctx_expr)])
        return self.finding(ctx, call.call, message, fix)


def _package_used_beyond_background(source: SourceFile, name: str) -> bool:
    """Whether the file uses the context package ``name`` for something other than
    ``Background()``/``TODO()`` (which the fixes may replace, all of them in one pass)."""
    for node in source.nodes("selector_expression", "qualified_type"):
        first = node.named_children[0] if node.named_children else None
        if first is None or first.type not in ("identifier", "package_identifier"):
            continue
        if text(first) != name:
            continue
        last = node.named_children[-1]
        if node.type == "qualified_type" or text(last) not in ("Background", "TODO"):
            return True
    return False
