"""Finding a context.Context in reach of a call, and calls that could take one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from tree_sitter import Node

from codemods import dbapi
from codemods.package import Package, call_parts, expression_items
from codemods.source import FUNCTION_TYPES, SourceFile, parent_of, parent_type, text

_REQUEST_CONTEXT = {"echo.Context": "{}.Request().Context()", "http.Request": "{}.Context()"}


@dataclass(frozen=True)
class DbCall:
    call: Node
    receiver: Node
    method_name: str
    method: dbapi.Method
    handle: str


def db_calls(package: Package, source: SourceFile) -> Iterator[DbCall]:
    """Every call of a known database method on a known handle."""
    for call in source.nodes("call_expression"):
        receiver, name, _ = call_parts(call)
        if receiver is None or not name:
            continue
        if not any(name in methods for methods in dbapi.METHODS.values()):
            continue
        handle = package.handle_type(receiver, source)
        method = dbapi.method(handle, name)
        if handle is not None and method is not None:
            variant = method.context_variant
            if variant and not receiver_has(package, source, receiver, variant):
                method = replace(method, context_variant="")  # the interface lacks it
            yield DbCall(call, receiver, name, method, handle)


def receiver_has(package: Package, source: SourceFile, receiver: Node, method: str) -> bool:
    """Whether ``receiver`` has ``method``: a driver handle has every variant; a receiver
    typed by an interface of the package has only what the interface declares."""
    receiver_type = package.expr_type(receiver, source)
    if not receiver_type or not receiver_type.startswith("iface."):
        return True
    return method in package.interfaces.get(receiver_type[6:], {})


def _visible_names(at: Node) -> Iterator[tuple[str, Node]]:
    """Names declared before ``at`` in enclosing scopes, innermost first, stopping at a
    goroutine boundary (a request context must not outlive its request)."""
    child = at
    scope = parent_of(at)
    while scope is not None:
        if scope.type in FUNCTION_TYPES:
            for field in ("parameters", "receiver"):
                params = scope.child_by_field_name(field)
                if params is None:
                    continue
                for param in params.named_children:
                    for name in param.children_by_field_name("name"):
                        yield text(name), name
            if _is_goroutine(scope):
                return
        elif scope.type == "statement_list":
            for stmt in reversed(
                [s for s in scope.named_children if s.end_byte <= child.start_byte]
            ):
                for ident in _declared_identifiers(stmt):
                    yield text(ident), ident
        elif scope.type in ("if_statement", "for_statement", "expression_switch_statement"):
            init = scope.child_by_field_name("initializer")
            if init is not None and init.end_byte <= child.start_byte:
                for ident in _declared_identifiers(init):
                    yield text(ident), ident
        child = scope
        scope = parent_of(scope)


def _declared_identifiers(stmt: Node) -> list[Node]:
    if stmt.type == "short_var_declaration":
        return [
            i for i in expression_items(stmt.child_by_field_name("left")) if i.type == "identifier"
        ]
    if stmt.type == "var_declaration":
        out = []
        for spec in stmt.named_children:
            specs = spec.named_children if spec.type == "var_spec_list" else [spec]
            for item in specs:
                if item.type == "var_spec":
                    out.extend(item.children_by_field_name("name"))
        return out
    return []


def _is_goroutine(func: Node) -> bool:
    parent = parent_of(func)
    return (
        parent is not None
        and parent.type == "call_expression"
        and parent_type(parent) == "go_statement"
    )


def context_in_reach(package: Package, source: SourceFile, at: Node) -> str | None:
    """An expression of type context.Context usable at ``at``: a context variable, else the
    request's context from an Echo context or an *http.Request."""
    fallback = None
    seen: set[str] = set()
    if started_as_goroutine(at):
        return None  # `go db.Exec(...)`: the request may be over before the query runs
    for name, ident in _visible_names(at):
        if name in seen or name == "_":
            continue
        seen.add(name)
        decl = package.lookup(name, at, source)
        if decl is None or decl.node != ident:
            continue  # shadowed by something declared nearer
        if decl.type == "context.Context":
            if _deadline_outside_loop(package, source, decl.statement, at):
                return None  # one deadline for every iteration: not ours to hand out
            if not _derived_from_background(package, decl.statement, source):
                return name
            continue
        template = _REQUEST_CONTEXT.get(decl.type or "")
        if template and fallback is None:
            fallback = template.format(name)
    return fallback


_DEADLINE_FUNCTIONS = ("WithTimeout", "WithDeadline", "WithTimeoutCause", "WithDeadlineCause")


def _deadline_outside_loop(
    package: Package, source: SourceFile, stmt: Node | None, at: Node
) -> bool:
    """``ctx, cancel := context.WithTimeout(...)`` made before a loop that ``at`` runs in: a
    deadline set for one piece of work; every iteration of the loop would share it (a 5 s
    budget for a whole migration), so leakfix does not pass it on."""
    if stmt is None or stmt.type != "short_var_declaration":
        return False
    right = expression_items(stmt.child_by_field_name("right"))
    if len(right) != 1 or right[0].type != "call_expression":
        return False
    callee = text(right[0].child_by_field_name("function"))
    name = context_import_name(package, source)
    if callee not in {f"{name}.{function}" for function in _DEADLINE_FUNCTIONS}:
        return False
    current = parent_of(at)
    while current is not None and current.type not in FUNCTION_TYPES:
        if current.type == "for_statement" and not (
            current.start_byte <= stmt.start_byte < current.end_byte
        ):
            return True
        current = parent_of(current)
    return False


def started_as_goroutine(call: Node) -> bool:
    """``go f(...)``: the call runs in a goroutine of its own."""
    parent = parent_of(call)
    return parent is not None and parent.type == "go_statement"


def background_variable(package: Package, source: SourceFile, arg: Node) -> bool:
    """An identifier declared as ``x := context.Background()`` (or TODO)."""
    if arg.type != "identifier":
        return False
    decl = package.lookup(text(arg), arg, source)
    return decl is not None and _derived_from_background(package, decl.statement, source)


def _derived_from_background(package: Package, stmt: Node | None, source: SourceFile) -> bool:
    """`ctx := context.Background()`: a context in name only (query-timeout's business)."""
    if stmt is None or stmt.type != "short_var_declaration":
        return False
    right = expression_items(stmt.child_by_field_name("right"))
    return len(right) == 1 and is_background(right[0], context_import_name(package, source))


def is_background(node: Node, package_name: str = "context") -> bool:
    """``context.Background()`` or ``context.TODO()`` (under the file's name for context)."""
    if node.type != "call_expression":
        return False
    callee = node.child_by_field_name("function")
    return text(callee) in (f"{package_name}.Background", f"{package_name}.TODO")


def context_import_name(package: Package, source: SourceFile) -> str:
    return package.facts[source.path].name_for("context") or "context"


# Words of a comment saying a query waits (or ignores the request's end) on purpose.
_INTENDED = re.compile(
    r"(?i)\b(?:indefinitely|forever|on purpose|intentional(?:ly)?|deliberate(?:ly)?|as long as"
    r" (?:it )?takes|until the lock|no (?:time ?out|deadline)|without (?:a )?(?:time ?out|dead"
    r"line)|(?:must|should|do(?:es)?)(?: not|n't) (?:time ?out|be cancell?ed|cancel)|never time"
    r" ?s? ?out|detach(?:ed)?|outlives?|survives?)\b"
)


def intended_wait(source: SourceFile, call: Node) -> bool:
    """Whether a comment on the call's lines, or the comment lines right above its statement,
    says the wait (or the missing request context) is intended."""
    stmt = call
    while parent_type(stmt) not in ("statement_list", "source_file", "") and parent_of(stmt):
        stmt = parent_of(stmt)  # type: ignore[assignment]
    first, last = source.line_of(stmt.start_byte), source.line_of(call.end_byte)
    texts = []
    for index in range(first, last + 1):
        line = source.data[source.line_starts[index] : source.line_end(source.line_starts[index])]
        if b"//" in line:
            texts.append(line.split(b"//", 1)[1])
    index = first - 1
    while index >= 0:
        line = source.data[source.line_starts[index] : source.line_end(source.line_starts[index])]
        if not line.strip().startswith(b"//"):
            break
        texts.append(line.strip()[2:])
        index -= 1
    # `// want "..."` is the go/analysis test convention (golden cases): not a person's note.
    notes = [t.decode("utf-8", "replace").strip() for t in texts]
    return any(_INTENDED.search(n) for n in notes if not n.startswith("want "))
