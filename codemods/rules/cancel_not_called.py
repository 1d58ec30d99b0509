"""cancel-not-called: the cancel function of a derived context is dropped or not always called."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from codemods.model import Edit, Finding, Safety
from codemods.package import Decl, Package, enclosing_function, expression_items
from codemods.rules import _flow, _paths
from codemods.rules._flow import jump_target
from codemods.rules._returns import results_of
from codemods.rules.base import Invalid, Rule, RuleContext, Valid
from codemods.source import (
    FUNCTION_TYPES,
    SourceFile,
    assigned_by,
    contains,
    parent_of,
    parent_type,
    text,
    walk,
    walk_no_funcs,
)

# Import paths whose With* functions return a cancel function (x/net/context is the old alias).
CONTEXT_PATHS = ("context", "golang.org/x/net/context")
# Constructor -> the argument a deferred call of its cancel function takes.
CONSTRUCTORS = {
    "WithCancel": "",
    "WithTimeout": "",
    "WithDeadline": "",
    "WithCancelCause": "nil",
    "WithTimeoutCause": "",
    "WithDeadlineCause": "",
}
CANCEL_TYPES = ("context.CancelFunc", "context.CancelCauseFunc")
_JUMPS = ("return_statement", "break_statement", "continue_statement", "goto_statement")
_CASES = ("expression_case", "type_case", "default_case", "communication_case")

_ERROR_NAME = re.compile(r"(^e|E)rr$|^err$|^ok$")
_BASIC = frozenset(
    (
        "int",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "uintptr",
        "float32",
        "float64",
        "byte",
        "rune",
    )
)

_HEADER = """package jobs

import (
	"context"
	"database/sql"
	"time"
)

"""


class CancelNotCalled(Rule):
    """The cancel function of `context.WithTimeout`/`WithDeadline`/`WithCancel` is lost.

    ## What it does
    Finds cancel functions returned by `context.WithCancel`, `WithTimeout`, `WithDeadline` (and
    their `Cause` variants) that are discarded (`ctx, _ := context.WithTimeout(...)`) or not
    called on every path out of their scope: no `defer cancel()`, or a plain `cancel()` that an
    early `return`, `continue` or `break` skips. Import aliases of `context` are followed. A
    cancel function that is returned, stored, passed to a function, sent on a channel or used
    by a closure or goroutine is not reported: its owner is elsewhere. This is the check of
    `go vet`'s lostcancel pass, with a fix; it runs on every package, not only on those that
    import a database API.

    ## Why is this bad?
    Until it is cancelled, a derived context stays registered with its parent and, for a
    timeout or deadline, keeps its timer: both live until the parent is cancelled or the timer
    fires. Under a long-lived parent (`context.Background()`, a server's base context) every
    request or job that forgets to cancel leaks memory and timers, and work bound to the
    context (queries, HTTP calls) is not told to stop when the function is done with it.

    ## Example
    ```go
    ctx, _ := context.WithTimeout(context.Background(), 5*time.Second)
    return db.QueryRowContext(ctx, "SELECT count(*) FROM jobs").Scan(&n)
    ```

    ## Use instead
    ```go
    ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
    defer cancel()
    return db.QueryRowContext(ctx, "SELECT count(*) FROM jobs").Scan(&n)
    ```

    ## Fix safety
    Safe. `defer cancel()` goes on the line after the statement that creates the context; a
    discarded cancel function first gets a name that collides with nothing in the function or
    the package (`ctx, _ =` becomes `ctx, cancel :=` only where that declares nothing new but
    the cancel function). An existing plain `cancel()` is kept: calling it twice is harmless.
    No fix is offered when the context may outlive the function (it, or a value made from it
    such as rows or a request, is returned, stored, sent or used by a goroutine or a closure:
    the deferred cancel would end it), nor inside a loop, where a deferred cancel would wait
    for the function to return: call `cancel()` at the end of each iteration instead (or see
    `defer-in-loop`).
    """

    id = "cancel-not-called"
    summary = "cancel func of context.WithTimeout/Deadline/Cancel discarded or not always called"
    fix_summary = "name the cancel func if needed and add `defer cancel()` after the call"
    safety = Safety.SAFE
    linters = ("lostcancel", "govet")
    needs_database = False  # any code that derives contexts

    VALID = [
        Valid(
            _HEADER
            + """func count(db *sql.DB) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var n int
	err := db.QueryRowContext(ctx, "SELECT count(*) FROM jobs").Scan(&n)
	return n, err
}
"""
        ),
        Valid(
            _HEADER
            + """// The caller owns the cancel function.
func withBudget(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(parent, 5*time.Second)
	return ctx, cancel
}
"""
        ),
        Valid(
            _HEADER
            + """func drain(ctx context.Context, db *sql.DB, ids []int64) error {
	for _, id := range ids {
		qctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := db.ExecContext(qctx, "DELETE FROM jobs WHERE id = $1", id)
		cancel()
		if err != nil {
			return err
		}
	}
	return nil
}
"""
        ),
    ]
    INVALID = [
        Invalid(
            _HEADER
            + """func count(db *sql.DB) (int, error) {
	ctx, _ := context.WithTimeout(context.Background(), 5*time.Second)
	var n int
	err := db.QueryRowContext(ctx, "SELECT count(*) FROM jobs").Scan(&n)
	return n, err
}
""",
            r"discarded",
            _HEADER
            + """func count(db *sql.DB) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var n int
	err := db.QueryRowContext(ctx, "SELECT count(*) FROM jobs").Scan(&n)
	return n, err
}
""",
        ),
        Invalid(
            _HEADER
            + """func purge(ctx context.Context, db *sql.DB) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	if _, err := db.ExecContext(ctx, "DELETE FROM jobs WHERE done"); err != nil {
		return err
	}
	cancel()
	return nil
}
""",
            r"not called on every path",
            _HEADER
            + """func purge(ctx context.Context, db *sql.DB) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if _, err := db.ExecContext(ctx, "DELETE FROM jobs WHERE done"); err != nil {
		return err
	}
	cancel()
	return nil
}
""",
        ),
        Invalid(
            _HEADER
            + """func poll(ctx context.Context, db *sql.DB) {
	for {
		qctx, cancel := context.WithTimeout(ctx, time.Second)
		if _, err := db.ExecContext(qctx, "SELECT 1"); err != nil {
			continue
		}
		cancel()
	}
}
""",
            r"before the next iteration",
        ),
    ]

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        taken_in: dict[int, set[str]] = {}
        for call in ctx.source.nodes("call_expression"):
            constructor = context_constructor(ctx.package, ctx.source, call)
            if constructor is None:
                continue
            finding = self._check_call(ctx, call, constructor, taken_in)
            if finding is not None:
                yield finding

    def _check_call(
        self, ctx: RuleContext, call: Node, constructor: str, taken_in: dict[int, set[str]]
    ) -> Finding | None:
        func = enclosing_function(call)
        if func is None:
            return None  # a package-level context lives as long as the program
        what = f"context.{constructor}"
        binding = _flow.binding_of(call)
        if binding is None:
            if parent_type(call) == "expression_statement":
                return self.finding(
                    ctx,
                    call,
                    f"the cancel function of {what} is discarded: {_lifetime(constructor)}",
                )
            return None  # returned or passed on: the receiver owns the cancel function
        if len(binding.targets) != 2:
            return None
        target = binding.targets[1]
        if target.type != "identifier":
            return None  # stored in a field or a map: owned elsewhere
        if text(target) == "_":
            return self._discarded(ctx, binding, func, constructor, taken_in)
        return self._named(ctx, binding, func, constructor)

    # -- `ctx, _ := context.WithTimeout(...)` ------------------------------------------------

    def _discarded(
        self,
        ctx: RuleContext,
        binding: _flow.Binding,
        func: Node,
        constructor: str,
        taken_in: dict[int, set[str]],
    ) -> Finding:
        what = f"context.{constructor}"
        message = f"the cancel function of {what} is discarded: {_lifetime(constructor)}"
        stmt = binding.statement
        blocker = self._fix_blocker(ctx, binding, func)
        if not blocker and binding.targets[0].type == "identifier" and binding.name(0) == "_":
            blocker = "the context is discarded too"
        if not blocker and not binding.declares and not _can_declare(ctx, binding, func):
            blocker = "`=` assigns variables of an outer scope: declare the cancel function first"
        if blocker:
            return self.finding(ctx, binding.call, f"{message} ({blocker})")
        outer = _flow.outermost_function(stmt) or func
        facts = ctx.package.facts[ctx.source.path]
        taken = taken_in.setdefault(outer.id, _flow.declared_names(outer))
        taken |= ctx.package.declared_names | set(facts.imports)
        name = _flow.fresh_name(["cancel", "cancelCtx"], taken)
        taken.add(name)
        edits = [_flow.replace_node(binding.targets[1], name)]
        if not binding.declares:
            operator = stmt.child_by_field_name("operator")
            assert operator is not None
            edits.append(_flow.replace_node(operator, ":="))
        call_text = f"{name}({CONSTRUCTORS[constructor]})"
        edits.append(_flow.line_insert_after(ctx.source, stmt, [f"defer {call_text}"]))
        fix = self.make_fix(f"Name the cancel function and add `defer {call_text}`", edits)
        message = f"{message}: name it and add `defer {call_text}`"
        return self.finding(ctx, binding.call, message, fix)

    # -- `ctx, cancel := context.WithTimeout(...)` -------------------------------------------

    def _named(
        self, ctx: RuleContext, binding: _flow.Binding, func: Node, constructor: str
    ) -> Finding | None:
        package, source = ctx.package, ctx.source
        stmt = binding.statement
        name = binding.name(1)
        decl = package.lookup(name, binding.targets[1], source)
        if decl is None or decl.statement is None or package.is_package_var(decl):
            return None  # a parameter, a named result (returned) or a package variable
        if enclosing_function(decl.node) != func:
            return None  # a variable of an enclosing function: that function owns it
        scope = parent_of(decl.statement)
        if scope is None or scope.type != "statement_list" or not _flow.starts_own_line_node(stmt):
            return None
        if not binding.declares and _loop_between(stmt, scope):
            return None  # reassigned per iteration: whether the old one was called is unclear
        uses = cancel_uses(package, source, decl, stmt, scope)
        if uses is None:
            return None  # escapes: someone else calls it
        leak = _uncovered_exit(stmt, scope, uses)
        if leak is None:
            return None
        if (
            _paths.leak_after(package, func, stmt, uses.covers, after_check=False, name=name)
            is None
        ):
            return None  # the control-flow graph finds a call on every path out
        call_text = f"{name}({CONSTRUCTORS[constructor]})"
        message = (
            f"the cancel function of context.{constructor} is not called on every path "
            f"({leak}): add `defer {call_text}`"
        )
        if _flow.inside_loop(stmt, func):
            return self.finding(
                ctx,
                binding.call,
                f"the cancel function of context.{constructor} is not called on every path "
                f"({leak}): call {call_text} before the next iteration (a deferred cancel "
                "would wait for the function to return)",
            )
        blocker = self._fix_blocker(ctx, binding, func)
        if blocker:
            return self.finding(ctx, binding.call, f"{message} ({blocker})")
        edits = [_flow.line_insert_after(source, stmt, [f"defer {call_text}"])]
        late = next(
            (
                c
                for c in uses.covers
                if c.type == "defer_statement" and parent_of(c) == parent_of(stmt)
            ),
            None,
        )
        removal = _line_removal(source, late) if late is not None else None
        if removal is not None:
            edits.append(removal)
            message = message.replace("add `defer", "move `defer")
        title = f"{'Move' if removal is not None else 'Add'} `defer {call_text}`"
        return self.finding(ctx, binding.call, message, self.make_fix(title, edits))

    def _fix_blocker(self, ctx: RuleContext, binding: _flow.Binding, func: Node) -> str:
        stmt = binding.statement
        if not _flow.starts_own_line_node(stmt):
            return "not a statement of its own"
        if _flow.inside_loop(stmt, func):
            return "inside a loop: a deferred cancel would wait for the function to return"
        if not context_stays_local(ctx.package, ctx.source, binding.targets[0], stmt, func):
            return "the context may outlive the function: cancel it where its owner is done"
        return ""


def _lifetime(constructor: str) -> str:
    if "Cancel" in constructor:
        return "the context leaks until its parent is done"
    return "the context and its timer leak until the deadline passes or the parent is done"


def _line_removal(source: SourceFile, stmt: Node) -> Edit | None:
    """Delete the line that holds only ``stmt`` (a late ``defer cancel()`` that moves up), with
    one of the blank lines around it when both sides are blank; None when a comment sits on
    or right above that line (it would be orphaned)."""
    start = source.line_start(stmt.start_byte)
    end = source.line_end(stmt.end_byte)
    if source.data[start : stmt.start_byte].strip() or source.data[stmt.end_byte : end].strip():
        return None
    previous = stmt.prev_sibling
    if (
        previous is not None
        and previous.type == "comment"
        and (source.line_of(previous.end_byte) == source.line_of(start) - 1)
    ):
        return None
    line = source.line_of(start)
    if line + 1 >= len(source.line_starts):
        return None
    stop = source.line_starts[line + 1]
    above = source.data[source.line_starts[line - 1] : start].strip() if line > 0 else b"x"
    below_end = source.line_end(stop)
    if not above and not source.data[stop:below_end].strip() and line + 2 < len(source.line_starts):
        stop = source.line_starts[line + 2]
    return Edit(start, stop, b"")


# -- shared with defer-in-loop ------------------------------------------------------------------


def context_names(package: Package, source: SourceFile) -> tuple[str, ...]:
    facts = package.facts[source.path]
    return tuple(name for name, path in facts.imports.items() if path in CONTEXT_PATHS)


def context_constructor(package: Package, source: SourceFile, call: Node) -> str | None:
    """``WithTimeout`` (etc.) when ``call`` is ``context.WithTimeout(...)`` under the file's
    name for package context, else None."""
    callee = call.child_by_field_name("function")
    if callee is None or callee.type != "selector_expression":
        return None
    operand = callee.child_by_field_name("operand")
    field = text(callee.child_by_field_name("field"))
    if operand is None or operand.type != "identifier" or field not in CONSTRUCTORS:
        return None
    if text(operand) not in context_names(package, source):
        return None
    if package.lookup(text(operand), operand, source) is not None:
        return None  # a local variable shadows the package name
    return field


def is_cancel_func(package: Package, source: SourceFile, ident: Node) -> Decl | None:
    """The declaration of ``ident`` when it names a cancel function of a derived context."""
    decl = package.lookup(text(ident), ident, source)
    if decl is None:
        return None
    if decl.type in CANCEL_TYPES:
        return decl
    stmt = decl.statement
    if stmt is None or stmt.type not in ("short_var_declaration", "var_declaration"):
        return None
    for call in walk(stmt):
        if call.type == "call_expression" and context_constructor(package, source, call):
            binding = _flow.binding_of(call)
            if (
                binding is not None
                and len(binding.targets) == 2
                and (binding.targets[1] == decl.node)
            ):
                return decl
    return None


@dataclass
class CancelUses:
    """Where a cancel function is called: plain statements and defers (both statements)."""

    covers: list[Node]


def cancel_uses(
    package: Package, source: SourceFile, decl: Decl, after: Node, scope: Node
) -> CancelUses | None:
    """The calls of the cancel function ``decl`` after ``after`` in ``scope``; None when it
    escapes (returned, stored, passed on, sent, used by a closure or a goroutine)."""
    uses = CancelUses([])
    for ident in walk(scope):
        if ident.type != "identifier" or text(ident) != decl.name:
            continue
        if ident.start_byte < after.end_byte or ident == decl.node:
            continue
        found = package.lookup(decl.name, ident, source)
        if found is None or found.node != decl.node:
            continue
        parent = parent_of(ident)
        assert parent is not None
        if _is_assignment_target(ident):
            continue  # another binding: checked on its own
        if parent.type == "binary_expression":
            continue  # cancel != nil
        if _flow.blank_assigned(ident):
            continue  # `_ = cancel` silences the compiler, it calls nothing
        if _in_closure(ident, scope):
            return None
        if parent.type == "call_expression" and parent.child_by_field_name("function") == ident:
            holder = parent_of(parent)
            if holder is not None and holder.type == "defer_statement":
                uses.covers.append(holder)
                continue
            if (
                holder is not None
                and holder.type == "expression_statement"
                and parent_type(holder) == "statement_list"
            ):
                uses.covers.append(holder)
                continue
        return None
    return uses


def _is_assignment_target(ident: Node) -> bool:
    holder = parent_of(ident)
    return holder is not None and assigned_by(holder) is not None


def _in_closure(node: Node, stop: Node) -> bool:
    """Inside a function literal or a go statement below ``stop``."""
    current = parent_of(node)
    while current is not None and current != stop:
        if current.type in FUNCTION_TYPES or current.type == "go_statement":
            return True
        current = parent_of(current)
    return False


def _loop_between(node: Node, scope: Node) -> bool:
    current = parent_of(node)
    while current is not None and current != scope:
        if current.type == "for_statement":
            return True
        current = parent_of(current)
    return False


# -- paths ----------------------------------------------------------------------------------------


def _uncovered_exit(stmt: Node, scope: Node, uses: CancelUses) -> str | None:
    """A way out of ``scope`` reachable from ``stmt`` that passes no call of the cancel
    function, in a few words for the message ("return at line 12"), or None when every way
    out calls it. Climbs from ``stmt`` through the blocks that hold it: at each level the
    statements after it are searched for returns and jumps that leave ``scope``; a level
    whose later statements always call the cancel function (or never fall through) ends the
    climb, else control falls through to the level above and, at ``scope``, out of it."""
    covers = {c.id for c in uses.covers}
    current = stmt
    while current != scope:
        parent = parent_of(current)
        if parent is None or parent.type in FUNCTION_TYPES:
            return None
        if parent.type == "statement_list":
            later = [
                s
                for s in parent.named_children
                if s.start_byte > current.start_byte and s.type != "comment"
            ]
            for sibling in later:
                for node in walk_no_funcs(sibling):
                    if node.type not in _JUMPS:
                        continue
                    if node.type == "goto_statement":
                        return None  # leakfix does not follow goto: stay silent
                    target = None if node.type == "return_statement" else jump_target(node)
                    if node.type != "return_statement":
                        if target is None:
                            return None
                        if contains(scope, target):
                            continue  # stays inside the scope (maybe a level up: see below)
                    if not _covered(node, stmt, scope, covers):
                        word = node.type.split("_")[0]
                        return f"{word} at line {node.start_point[0] + 1}"
            if any(terminates(s) or _always_calls(s, covers) for s in later) and not any(
                _jumps_over(s, current, scope) for s in later
            ):
                return None
            if parent == scope:
                break
        current = parent
    if _ends_function(scope):
        return "end of the function"
    if parent_type(parent_of(scope)) == "for_statement":
        return "end of the loop body"
    return f"end of the block at line {scope.end_point[0] + 1}"


def _jumps_over(stmt: Node, current: Node, scope: Node) -> bool:
    """A break/continue in ``stmt`` that leaves a statement holding ``current`` for a later
    statement of ``scope`` (jumps out of ``scope`` are exits, checked on their own)."""
    for node in walk_no_funcs(stmt):
        if node.type in ("break_statement", "continue_statement"):
            target = jump_target(node)
            if target is not None and contains(target, current) and contains(scope, target):
                return True
    return False


def _ends_function(scope: Node) -> bool:
    return parent_type(parent_of(scope)) in FUNCTION_TYPES


def _covered(exit_node: Node, stmt: Node, scope: Node, covers: set[int]) -> bool:
    """Whether a statement before ``exit_node`` (and after ``stmt``) in one of the blocks that
    hold it always calls the cancel function."""
    current: Node | None = exit_node
    while current is not None and current != scope:
        parent = parent_of(current)
        if parent is not None and parent.type == "statement_list":
            for sibling in parent.named_children:
                if sibling.start_byte >= current.start_byte:
                    break
                if sibling.start_byte >= stmt.end_byte and _always_calls(sibling, covers):
                    return True
        current = parent
    return False


def _always_calls(stmt: Node, covers: set[int]) -> bool:
    """Whether every path through ``stmt`` that goes on after it calls the cancel function."""
    if stmt.id in covers:
        return True
    if stmt.type == "block":
        return _list_always_calls(_statements(stmt), covers)
    if stmt.type == "labeled_statement":
        inner = stmt.named_children[-1] if stmt.named_children else None
        return inner is not None and _always_calls(inner, covers)
    if stmt.type == "if_statement":
        consequence = stmt.child_by_field_name("consequence")
        alternative = stmt.child_by_field_name("alternative")
        if consequence is None or alternative is None:
            return False
        return _list_always_calls(_statements(consequence), covers) and (
            _always_calls(alternative, covers)
            if alternative.type == "if_statement"
            else _list_always_calls(_statements(alternative), covers)
        )
    if stmt.type in ("expression_switch_statement", "type_switch_statement", "select_statement"):
        cases = [c for c in stmt.named_children if c.type in _CASES]
        if not any(c.type == "default_case" for c in cases):
            return False
        if any(n.type == "break_statement" for c in cases for n in walk_no_funcs(c)):
            return False
        following = False
        for case in reversed(cases):
            body = _case_statements(case)
            if body and body[-1].type == "fallthrough_statement":
                ok = following or _list_always_calls(body[:-1], covers)
            else:
                ok = _list_always_calls(body, covers)
            if not ok:
                return False
            following = ok
        return True
    return False


def _list_always_calls(statements: list[Node], covers: set[int]) -> bool:
    return any(_always_calls(s, covers) or terminates(s) for s in statements)


def _statements(block: Node) -> list[Node]:
    for child in block.named_children:
        if child.type == "statement_list":
            return [s for s in child.named_children if s.type != "comment"]
    return []


def _case_statements(case: Node) -> list[Node]:
    for child in case.named_children:
        if child.type == "statement_list":
            return [s for s in child.named_children if s.type != "comment"]
    return []


def terminates(stmt: Node) -> bool:
    """Go's terminating statements (the spec's list, for the shapes leakfix meets)."""
    kind = stmt.type
    if kind in ("return_statement", "goto_statement"):
        return True
    if kind == "expression_statement":
        call = stmt.named_children[0] if stmt.named_children else None
        return (
            call is not None
            and call.type == "call_expression"
            and (text(call.child_by_field_name("function")) == "panic")
        )
    if kind == "block":
        body = _statements(stmt)
        return bool(body) and terminates(body[-1])
    if kind == "labeled_statement":
        inner = stmt.named_children[-1] if stmt.named_children else None
        return inner is not None and terminates(inner)
    if kind == "if_statement":
        consequence = stmt.child_by_field_name("consequence")
        alternative = stmt.child_by_field_name("alternative")
        return (
            consequence is not None
            and alternative is not None
            and (terminates(consequence) and terminates(alternative))
        )
    if kind == "for_statement":
        clause = next(
            (c for c in stmt.named_children if c.type in ("for_clause", "range_clause")), None
        )
        has_condition = any(
            c.type not in ("for_clause", "range_clause", "block", "comment")
            for c in stmt.named_children
        ) or (
            clause is not None
            and (
                clause.type == "range_clause" or clause.child_by_field_name("condition") is not None
            )
        )
        return not has_condition and not _breaks_out(stmt)
    if kind in ("expression_switch_statement", "type_switch_statement", "select_statement"):
        cases = [c for c in stmt.named_children if c.type in _CASES]
        if kind != "select_statement" and not any(c.type == "default_case" for c in cases):
            return False
        if _breaks_out(stmt):
            return False
        for case in cases:
            body = _case_statements(case)
            if not body:
                return False
            last = body[-1]
            if last.type != "fallthrough_statement" and not terminates(last):
                return False
        return True
    return False


def _breaks_out(stmt: Node) -> bool:
    """A break (unlabelled, or labelled with this statement's label) that targets ``stmt``."""
    for node in walk_no_funcs(stmt):
        if node.type == "break_statement" and jump_target(node) == stmt:
            return True
    return False


# -- does the context outlive the function? --------------------------------------------------


def context_stays_local(
    package: Package, source: SourceFile, target: Node, stmt: Node, func: Node
) -> bool:
    """Whether the context bound to ``target`` (and values made from it: rows, requests)
    stay inside the function: never returned, stored, sent, or used by a goroutine or a
    closure that may run later. Passing it to a call is fine."""
    if target.type != "identifier":
        return False
    name = text(target)
    if name == "_":
        return True
    decl = package.lookup(name, target, source)
    if decl is None or package.is_package_var(decl) or _is_result(decl, func):
        return False
    for ref in references(package, source, decl, stmt, func):
        if value_leaves(package, source, ref, func):
            return False
        derived = _derived_targets(ref)
        for item in derived:
            item_decl = declaration_at(package, source, item)
            if item_decl is None or package.is_package_var(item_decl):
                return False
            if plain_value(item_decl):
                continue  # an error, a count, a flag: nothing that holds the context
            for use in references(package, source, item_decl, item, func):
                if value_leaves(package, source, use, func):
                    return False
    return True


def declaration_at(package: Package, source: SourceFile, target: Node) -> Decl | None:
    """The variable a left-hand identifier assigns: the one it declares for ``:=`` (also in an
    ``if``/``switch`` initializer, where a lookup from the identifier itself finds nothing)."""
    parent = parent_of(target)
    owner = parent_of(parent) if parent is not None else None
    if (
        owner is not None
        and owner.type == "short_var_declaration"
        and owner.child_by_field_name("left") == parent
    ):
        found = package.lookup(text(target), target, source)
        if found is not None and found.node == target:
            return found
        return Decl(text(target), target, None, owner)
    return package.lookup(text(target), target, source)


def references(
    package: Package, source: SourceFile, decl: Decl, after: Node, func: Node
) -> Iterator[Node]:
    body = func.child_by_field_name("body")
    if body is None:
        return
    for ident in walk(body):
        if ident.type != "identifier" or text(ident) != decl.name:
            continue
        if ident.start_byte < after.end_byte or ident == decl.node:
            continue
        found = package.lookup(decl.name, ident, source)
        if found is not None and found.node == decl.node:
            yield ident


def _is_result(decl: Decl, func: Node) -> bool:
    result = func.child_by_field_name("result")
    return result is not None and result.start_byte <= decl.node.start_byte < result.end_byte


def value_leaves(package: Package, source: SourceFile, ref: Node, func: Node) -> bool:
    """Whether the value read at ``ref`` may leave the function or outlive its call: it is
    returned, stored (assigned to something other than a local variable, put in a composite
    literal), sent, or read by a goroutine or a closure that is not called on the spot (a
    deferred closure runs before the function returns and is fine)."""
    child = ref
    current = parent_of(ref)
    through_call = False  # the value is an argument: what leaves is the call's result
    while current is not None and current != func:
        kind = current.type
        if kind == "argument_list":
            through_call = True
        if kind == "return_statement":
            owner = enclosing_function(current)
            return not (through_call and owner is not None and plain_results(owner))
        if kind == "go_statement" or kind == "send_statement":
            return True
        if kind in ("composite_literal", "literal_value"):
            return True
        if kind == "func_literal" and not _runs_before_return(current):
            return True
        if kind == "assignment_statement" and current.child_by_field_name("right") == child:
            left = expression_items(current.child_by_field_name("left"))
            for item in left:
                if item.type == "identifier" and text(item) == "_":
                    continue
                if item.type != "identifier":
                    return True
                decl = package.lookup(text(item), item, source)
                if decl is None or package.is_package_var(decl) or _is_result(decl, func):
                    return True
        child = current
        current = parent_of(current)
    return False


def plain_results(func: Node) -> bool:
    """A function whose results are errors, strings, booleans or numbers: none can hold a
    context."""
    return all(
        text(type_node) in ("error", "string", "bool") or text(type_node) in _BASIC
        for _, type_node in results_of(func)
    )


def plain_value(decl: Decl) -> bool:
    if decl.type in ("error", "string", "bool") or _ERROR_NAME.search(decl.name):
        return True
    return bool(decl.type and decl.type.startswith("named.") and decl.type[6:] in _BASIC)


def _runs_before_return(literal: Node) -> bool:
    """``func() {...}()`` called on the spot, or by ``defer``."""
    call = parent_of(literal)
    if call is None or call.type != "call_expression":
        return False
    return call.child_by_field_name("function") == literal and (parent_type(call) != "go_statement")


def _derived_targets(ref: Node) -> list[Node]:
    """``rows, err := db.QueryContext(ctx, ...)``: the values made from the context read at
    ``ref`` (the last of several results is taken to be an error and skipped)."""
    child = ref
    current = parent_of(ref)
    while current is not None:
        if current.type in ("short_var_declaration", "assignment_statement"):
            if current.child_by_field_name("right") != child:
                return []
            left = [
                t
                for t in expression_items(current.child_by_field_name("left"))
                if t.type == "identifier" and text(t) != "_"
            ]
            all_left = expression_items(current.child_by_field_name("left"))
            if len(all_left) > 1 and all_left[-1] in left:
                left.remove(all_left[-1])
            return left
        if current.type == "statement_list" or current.type in FUNCTION_TYPES:
            return []
        child = current
        current = parent_of(current)
    return []


def _can_declare(ctx: RuleContext, binding: _flow.Binding, func: Node) -> bool:
    """Whether ``a, _ = f()`` may become ``a, cancel := f()`` without shadowing ``a``: every
    other target is a variable of the same block (or a parameter, at the function's top)."""
    stmt = binding.statement
    for target in binding.targets[:-1]:
        if target.type != "identifier":
            return False
        if text(target) == "_":
            continue
        decl = ctx.package.lookup(text(target), target, ctx.source)
        if decl is None or ctx.package.is_package_var(decl):
            return False
        if decl.statement is not None:
            if parent_of(decl.statement) != parent_of(stmt):
                return False
        else:
            body = func.child_by_field_name("body")
            top = parent_of(stmt)
            if top is None or parent_of(top) != body or _is_result(decl, func):
                return False
    return True
