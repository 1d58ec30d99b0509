"""Whether a transaction or a connection is ended on every path after it was opened.

Used by ``tx-rollback`` and ``conn-close``. A resource bound by ``x, err := h.Begin(...)`` (or
``Conn``/``Acquire``) lives in the statements that follow its error check: its *region*. An
*ending call* is a method that ends it (``Rollback``/``Commit``, ``Close``, ``Release``) or a
package function that calls one on its parameter. The resource is ended on every path when
the statements of the region, taken in order, reach a statement that always ends it (a plain
ending call, ``return tx.Commit()``, ``if err := tx.Commit(); ...``, an ``if``/``else`` whose
both branches end it, or a ``defer`` of an ending call) before falling off the region's end,
and every ``return``, ``panic`` or jump out of the region on the way is preceded, in its own
block or an enclosing one, by an ending statement.

Unlike ``_flow.closed_on_every_path``, an early ``return`` that rolls back first is a path that
ends the resource, so ``if err != nil { tx.Rollback(); return err }`` before a final
``tx.Commit()`` is no leak. Paths through ``log.Fatal``, ``os.Exit`` or ``t.Fatal`` leak
nothing. Shapes not understood (loops, select, a switch without default) never count as
ending, so the rules err towards a finding there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tree_sitter import Node

from codemods.package import Decl, Package, call_parts
from codemods.rules._returns import PROCESS_EXITS
from codemods.source import FUNCTION_TYPES, SourceFile, parent_of, text, walk, walk_no_funcs

_BREAK_TARGETS = (
    "for_statement",
    "expression_switch_statement",
    "type_switch_statement",
    "select_statement",
)
_SWITCH_TYPES = ("expression_switch_statement", "type_switch_statement")
_SWITCH_HEADS = ("initializer", "value")
_CASE_TYPES = ("expression_case", "type_case", "default_case")
# Calls that end the process or the test goroutine: a path through them leaks nothing.
_STOP_CALLS = PROCESS_EXITS
_STOP_SUFFIXES = (".Fatal", ".Fatalf", ".Fatalln", ".FailNow", ".SkipNow", ".Skip", ".Skipf")
_PANIC_CALLS = frozenset({"panic", "log.Panic", "log.Panicf", "log.Panicln"})


@dataclass
class Endings:
    """The calls that end one resource, by when they run."""

    inline: set[int] = field(default_factory=set)  # ids of calls that run where they stand
    deferred: set[int] = field(default_factory=set)  # ids of calls run by a defer statement
    owned: bool = False  # ended by a goroutine or a closure that may run later
    name: str = ""  # the resource's variable


def endings(
    package: Package,
    source: SourceFile,
    decl: Decl,
    func: Node,
    start: Node,
    methods: tuple[str, ...],
) -> Endings:
    """Every call after ``start`` in ``func`` that ends the resource declared by ``decl``."""
    found = Endings(name=decl.name)
    body = func.child_by_field_name("body")
    if body is None:
        return found
    for call in walk(body):
        if call.type != "call_expression" or call.start_byte < start.end_byte:
            continue
        if not _ends_resource(package, source, call, decl, methods):
            continue
        when = _when(call, func)
        if when == "defer":
            found.deferred.add(call.id)
        elif when:
            found.owned = True
        else:
            found.inline.add(call.id)
    return found


def _is_resource(package: Package, source: SourceFile, node: Node, decl: Decl) -> bool:
    if node.type != "identifier" or text(node) != decl.name:
        return False
    resolved = package.lookup(decl.name, node, source)
    return resolved is not None and resolved.node == decl.node


def _ends_resource(
    package: Package, source: SourceFile, call: Node, decl: Decl, methods: tuple[str, ...]
) -> bool:
    receiver, name, args = call_parts(call)
    if receiver is not None and name in methods and _is_resource(package, source, receiver, decl):
        return True
    if args is None:
        return False
    arguments = [a for a in args.named_children if a.type != "comment"]
    return any(
        _is_resource(package, source, arg, decl)
        and package.calls_on_argument(call, index, source, methods)
        for index, arg in enumerate(arguments)
    )


def _when(node: Node, func: Node) -> str:
    """'defer' when a defer statement of ``func`` runs ``node``, 'go' or 'closure' when a
    goroutine or a function literal that may run later does, '' when it runs in place."""
    current = parent_of(node)
    while current is not None and current != func:
        if current.type == "defer_statement":
            return "defer"
        if current.type == "go_statement":
            return "go"
        if current.type == "func_literal":
            parent = parent_of(current)
            if (
                parent is None
                or parent.type != "call_expression"
                or (parent.child_by_field_name("function") != current)
            ):
                return "closure"
        current = parent_of(current)
    return ""


# -- the region and its paths ---------------------------------------------------------------


def region_after(anchor: Node) -> list[Node]:
    """The statements that follow ``anchor`` in its statement list (comments left out)."""
    out = []
    sibling = anchor.next_named_sibling
    while sibling is not None:
        if sibling.type != "comment":
            out.append(sibling)
        sibling = sibling.next_named_sibling
    return out


def ended_on_every_path(region: list[Node], found: Endings) -> bool:
    """Whether every path through ``region`` ends the resource before leaving it."""
    if not region:
        return False
    region_start = region[0].start_byte
    for stmt in region:
        for exit_node in _exits(stmt, region_start):
            if not _covered(exit_node, stmt, found):
                return False
        if _ends(stmt, found):
            return True
    return False  # fell off the end: the resource goes out of scope still open


def _exits(stmt: Node, region_start: int) -> list[Node]:
    """Returns, panics, gotos and jumps in ``stmt`` that leave the region."""
    return [node for node in walk_no_funcs(stmt) if _is_exit(node, region_start)]


def _is_exit(node: Node, region_start: int) -> bool:
    if node.type in ("return_statement", "goto_statement"):
        return True
    if node.type == "call_expression":
        return text(node.child_by_field_name("function")) == "panic"
    if node.type in ("break_statement", "continue_statement"):
        return _jump_leaves(node, region_start)
    return False


def _jump_leaves(jump: Node, region_start: int) -> bool:
    """A break/continue whose target loop, switch or label starts before the region."""
    label = next((c for c in jump.named_children if c.type == "label_name"), None)
    current = parent_of(jump)
    while current is not None and current.type not in FUNCTION_TYPES:
        if label is not None:
            if current.type == "labeled_statement" and text(
                current.child_by_field_name("label")
            ) == text(label):
                return current.start_byte < region_start
        elif current.type == "for_statement" or (
            jump.type == "break_statement" and current.type in _BREAK_TARGETS
        ):
            return current.start_byte < region_start
        current = parent_of(current)
    return True


def _covered(exit_node: Node, top: Node, found: Endings) -> bool:
    """Whether the resource is surely ended when ``exit_node`` (inside ``top``) runs."""
    if exit_node.type == "return_statement" and _unconditional(exit_node, found):
        return True  # return tx.Commit()
    child = exit_node
    while child != top and (parent := parent_of(child)) is not None:
        if parent.type == "statement_list":
            for sibling in parent.named_children:
                if sibling == child:
                    break
                if _ends(sibling, found):
                    return True
        elif parent.type == "if_statement" and child in (
            parent.child_by_field_name("consequence"),
            parent.child_by_field_name("alternative"),
        ):
            if _unconditional(parent.child_by_field_name("initializer"), found) or (
                _unconditional(parent.child_by_field_name("condition"), found)
            ):
                return True
        elif (
            parent.type in _SWITCH_TYPES
            and child.type in _CASE_TYPES
            and any(_unconditional(parent.child_by_field_name(f), found) for f in _SWITCH_HEADS)
        ):
            return True
        child = parent
    return False


def _ends(stmt: Node, found: Endings) -> bool:
    """Whether running ``stmt`` always ends the resource (or defers its ending)."""
    if stmt.type == "defer_statement":
        return any(n.id in found.deferred for n in walk(stmt))
    if stmt.type == "labeled_statement":
        inner = stmt.named_children[-1] if stmt.named_children else None
        return inner is not None and _ends(inner, found)
    if stmt.type == "if_statement":
        if _unconditional(stmt.child_by_field_name("initializer"), found) or _unconditional(
            stmt.child_by_field_name("condition"), found
        ):
            return True
        consequence = stmt.child_by_field_name("consequence")
        alternative = stmt.child_by_field_name("alternative")
        if alternative is None and consequence is not None and _is_not_nil(stmt, found.name):
            return _ends(consequence, found)  # if conn != nil { conn.Release() }
        return (
            consequence is not None
            and alternative is not None
            and _ends(consequence, found)
            and _ends(alternative, found)
        )
    if stmt.type == "block":
        return any(_ends(s, found) for s in statements(stmt))
    if stmt.type in _SWITCH_TYPES:
        if any(_unconditional(stmt.child_by_field_name(f), found) for f in _SWITCH_HEADS):
            return True
        cases = [c for c in stmt.named_children if c.type in _CASE_TYPES]
        return any(c.type == "default_case" for c in cases) and all(
            any(_ends(s, found) for s in statements(c)) for c in cases
        )
    if stops(stmt):
        return True  # the process or the test ends here: nothing is left open
    if stmt.type in (
        "expression_statement",
        "assignment_statement",
        "short_var_declaration",
        "var_declaration",
        "return_statement",
        "send_statement",
    ):
        return _unconditional(stmt, found)
    return False


def _is_not_nil(stmt: Node, name: str) -> bool:
    """``if x != nil`` on the resource itself, with no initializer."""
    return bool(name) and not_nil_name(stmt) == name


def not_nil_name(stmt: Node) -> str:
    """The x of ``if x != nil`` (an identifier, no initializer), else ""."""
    if stmt.child_by_field_name("initializer") is not None:
        return ""
    cond = stmt.child_by_field_name("condition")
    if cond is None or cond.type != "binary_expression":
        return ""
    left, right = cond.child_by_field_name("left"), cond.child_by_field_name("right")
    operator = text(cond.child_by_field_name("operator"))
    if operator != "!=" or text(right) != "nil" or left is None or left.type != "identifier":
        return ""
    return text(left)


def _unconditional(node: Node | None, found: Endings) -> bool:
    """An ending call in ``node`` outside nested blocks and function literals."""
    if node is None:
        return False
    return any(n.type == "call_expression" and n.id in found.inline for n in walk_no_funcs(node))


def statements(node: Node) -> list[Node]:
    """The statements of a block or a switch case (comments left out)."""
    for child in node.named_children:
        if child.type == "statement_list":
            return [s for s in child.named_children if s.type != "comment"]
    return []


def check_terminates(check: Node) -> bool:
    """Whether the body of ``if err != nil { ... }`` always leaves (return, panic, jump): only
    then is the resource non-nil after it, and a deferred call on it safe."""
    body = check.child_by_field_name("consequence")
    body_statements = statements(body) if body is not None else []
    if not body_statements:
        return False
    last = body_statements[-1]
    if last.type in ("return_statement", "goto_statement", "break_statement", "continue_statement"):
        return True
    return called(last) in _PANIC_CALLS or stops(last)


def called(stmt: Node) -> str:
    """The callee of an expression statement that is a single call ('' otherwise)."""
    if stmt.type != "expression_statement" or not stmt.named_children:
        return ""
    call = stmt.named_children[0]
    if call.type != "call_expression":
        return ""
    return text(call.child_by_field_name("function"))


def stops(stmt: Node) -> bool:
    """``os.Exit(1)``, ``log.Fatal(err)``, ``t.Fatal(err)``: the process or the test ends."""
    callee = called(stmt)
    return callee in _STOP_CALLS or (callee.endswith(_STOP_SUFFIXES) and "." in callee)


def success_branch(check: Node | None, err_name: str) -> list[Node] | None:
    """For ``if err == nil { ... }`` (no else) right after the binding, the statements that run
    with the resource open: the body, then the statements after the ``if``."""
    if check is None or check.type != "if_statement" or not err_name or err_name == "_":
        return None
    if check.child_by_field_name("initializer") is not None:
        return None
    if check.child_by_field_name("alternative") is not None:
        return None
    if not _compares_to_nil(check.child_by_field_name("condition"), err_name, exact=True):
        return None
    body = check.child_by_field_name("consequence")
    return (statements(body) if body is not None else []) + region_after(check)


def expects_failure(statement: Node, err_name: str) -> bool:
    """Whether the code right after a discarded resource's binding expects the call to fail
    (tests: ``if err == nil { t.Fatal(...) }``, ``require.Error(t, err)``)."""
    if not err_name or err_name == "_":
        return False
    parent = parent_of(statement)
    if parent is not None and parent.type == "if_statement":
        return _compares_to_nil(parent.child_by_field_name("condition"), err_name)
    following = statement.next_named_sibling
    while following is not None and following.type == "comment":
        following = following.next_named_sibling
    if following is None:
        return False
    if following.type == "if_statement":
        return _compares_to_nil(following.child_by_field_name("condition"), err_name)
    callee = called(following)
    if "Error" not in callee.rsplit(".", 1)[-1]:
        return False
    call = following.named_children[0]
    args = call.child_by_field_name("arguments")
    return args is not None and any(text(a) == err_name for a in args.named_children)


def _compares_to_nil(cond: Node | None, err_name: str, exact: bool = False) -> bool:
    """``err == nil`` is the condition (``exact``); otherwise the condition, or a part of it,
    expects a failure: ``err == nil``, ``err != context.Canceled``, ``!errors.Is(err, x)``."""
    if cond is None:
        return False
    for node in [cond] if exact else list(walk_no_funcs(cond)):
        if node.type == "binary_expression":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            operator = text(node.child_by_field_name("operator"))
            if text(left) != err_name:
                continue
            if operator == "==" and text(right) == "nil":
                return True
            if not exact and operator == "!=" and text(right) != "nil":
                return True
        elif not exact and node.type == "unary_expression" and text(node).startswith("!"):
            call = node.child_by_field_name("operand")
            if call is None or call.type != "call_expression":
                continue
            callee = text(call.child_by_field_name("function"))
            args = call.child_by_field_name("arguments")
            first = args.named_children[0] if args is not None and args.named_children else None
            if callee.endswith(".Is") and first is not None and text(first) == err_name:
                return True
    return False


def placement_problem(
    err_name: str, check: Node | None, has_check: bool, success: object | None, noun: str
) -> str | None:
    """Why `defer x.Close()` has no single place right after the error check: a suffix for
    the finding's message, or None when it has one."""
    if success is not None:
        return ""  # `if err == nil { ... }`: the resource is used inside, no single place
    if err_name not in ("", "_") and not has_check:
        return " after the error check"
    if has_check and check is not None and not check_terminates(check):
        return f" (the error check does not return, so the {noun} may be nil after it)"
    return None
