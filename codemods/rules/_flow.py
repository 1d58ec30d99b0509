"""Statement-level helpers shared by the rules: where a resource is declared, checked, used.

These are conservative approximations of Go's control flow: when a shape is not understood,
the helpers answer "unknown" and the rules stay silent or report without a fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from tree_sitter import Node

from codemods import dbapi
from codemods.model import Edit
from codemods.package import (
    Decl,
    FuncInfo,
    Package,
    call_arguments,
    call_parts,
    expression_items,
    strip_parens,
)
from codemods.source import (
    FUNCTION_TYPES,
    SourceFile,
    assigned_by,
    parent_of,
    parent_type,
    text,
    walk,
    walk_no_funcs,
)

LOOP_TYPES = ("for_statement",)
BREAKABLE = (
    "for_statement",
    "expression_switch_statement",
    "type_switch_statement",
    "select_statement",
)


def statement_of(node: Node) -> Node | None:
    """The statement holding ``node`` that sits directly in a statement list."""
    current: Node | None = node
    while current is not None and parent_of(current) is not None:
        if parent_type(current) == "statement_list":
            return current
        if current.type in FUNCTION_TYPES:
            return None
        current = parent_of(current)
    return None


def next_statement(stmt: Node) -> Node | None:
    sibling = stmt.next_named_sibling
    while sibling is not None and sibling.type == "comment":
        sibling = sibling.next_named_sibling
    return sibling


def is_err_check(stmt: Node | None, err_name: str) -> bool:
    """``if err != nil { ... }`` with no initializer and no else."""
    if stmt is None or stmt.type != "if_statement" or not err_name or err_name == "_":
        return False
    if stmt.child_by_field_name("initializer") is not None:
        return False
    if stmt.child_by_field_name("alternative") is not None:
        return False
    cond = stmt.child_by_field_name("condition")
    if cond is None or cond.type != "binary_expression":
        return False
    left, right = cond.child_by_field_name("left"), cond.child_by_field_name("right")
    operator = cond.child_by_field_name("operator")
    return text(left) == err_name and text(operator) == "!=" and text(right) == "nil"


def error_check(stmt: Node, err_name: str) -> Node | None:
    """The statement after ``stmt`` that checks its error: the next statement, or, past
    ``if errors.Is(err, sql.ErrNoRows) { ... }`` / ``if err == X { ... }`` checks that leave
    (the resource is nil or already closed when the call failed), the ``if err != nil`` after
    them. Without such a check, the next statement."""
    check = next_statement(stmt)
    first = check
    while check is not None and _leaves_on_error(check, err_name):
        check = next_statement(check)
    if check is not None and check is not first and is_err_check(check, err_name):
        return check
    return first


def success_check(stmt: Node, err_name: str) -> Node | None:
    """The ``if err == nil { ... }`` (no else) that uses the resource bound by ``stmt``: the
    ``if`` whose initializer ``stmt`` is, or the statement right after it. The resource is
    there (and must be released) in its body."""
    if not err_name or err_name == "_":
        return None
    holder = parent_of(stmt)
    if holder is None or holder.type != "if_statement":
        holder = next_statement(stmt)
        if holder is None or holder.type != "if_statement":
            return None
        if holder.child_by_field_name("initializer") is not None:
            return None
    elif holder.child_by_field_name("initializer") != stmt:
        return None
    if holder.child_by_field_name("alternative") is not None:
        return None
    cond = holder.child_by_field_name("condition")
    if cond is None or text(cond).replace(" ", "") != f"{err_name}==nil":
        return None
    return holder


def path_start(stmt: Node, anchor: Node, has_check: bool, err_name: str) -> tuple[Node, bool]:
    """Where "released on every path?" starts, and whether from a check's false branch: after
    the error check; with no plain `if err != nil` check, after the last of the `if`s right
    after the call that test the error (`if err != nil && !errors.Is(err, pgx.ErrNoRows)`):
    inside them the resource is nil, or closed by the driver."""
    if has_check or not err_name or err_name == "_":
        return anchor, has_check
    last = None
    current = next_statement(stmt)
    while (
        current is not None
        and current.type == "if_statement"
        and current.child_by_field_name("initializer") is None
        and any(
            n.type == "identifier" and text(n) == err_name
            for n in walk_no_funcs(current.child_by_field_name("condition") or current)
        )
    ):
        last = current
        current = next_statement(current)
    return (last, True) if last is not None else (anchor, False)


def _leaves_on_error(stmt: Node, err_name: str) -> bool:
    """``if errors.Is(err, X) { ...; return }`` or ``if err == X { ... }`` (X not nil), with
    no initializer and no else, whose body leaves."""
    if stmt.type != "if_statement" or not err_name or err_name == "_":
        return False
    if stmt.child_by_field_name("initializer") or stmt.child_by_field_name("alternative"):
        return False
    cond = stmt.child_by_field_name("condition")
    body = stmt.child_by_field_name("consequence")
    if cond is None or body is None or not _block_leaves(body):
        return False
    if cond.type == "binary_expression":
        left, right = cond.child_by_field_name("left"), cond.child_by_field_name("right")
        operator = text(cond.child_by_field_name("operator"))
        return text(left) == err_name and operator == "==" and text(right) != "nil"
    if cond.type == "call_expression":
        _, name, _ = call_parts(cond)
        items = call_arguments(cond)
        return name == "Is" and bool(items) and text(items[0]) == err_name
    return False


def _block_leaves(block: Node) -> bool:
    statements = [s for s in block.named_children if s.type != "comment"]
    if statements and statements[0].type == "statement_list":
        statements = [s for s in statements[0].named_children if s.type != "comment"]
    return bool(statements) and statements[-1].type in (
        "return_statement",
        "break_statement",
        "continue_statement",
    )


def inside_loop(node: Node, stop: Node) -> bool:
    """Whether ``node`` sits in a loop body below ``stop`` (a function)."""
    current = parent_of(node)
    while current is not None and current != stop:
        if current.type in LOOP_TYPES:
            return True
        if current.type in FUNCTION_TYPES:
            return False
        current = parent_of(current)
    return False


def line_insert_after(source: SourceFile, anchor: Node, lines: list[str]) -> Edit:
    """Insert ``lines`` after the line where ``anchor`` ends, indented like the anchor's line."""
    indent = source.indent_at(anchor.start_byte)
    nl = source.newline
    end = source.line_end(anchor.end_byte)
    body = b"".join(nl + (indent + line.encode() if line else b"") for line in lines)
    return Edit(end, end, body)


def line_insert_before(source: SourceFile, anchor: Node, lines: list[str]) -> Edit:
    """Insert ``lines`` before the line where ``anchor`` starts (above the comment lines that
    belong to it), indented like it."""
    indent = source.indent_at(anchor.start_byte)
    start = source.line_start(leading_comment_start(source, anchor))
    body = b"".join(indent + line.encode() + source.newline for line in lines)
    return Edit(start, start, body)


def leading_comment_start(source: SourceFile, stmt: Node) -> int:
    """Where the comment block directly above ``stmt`` (no blank line between) starts."""
    start = stmt.start_byte
    previous = stmt.prev_sibling
    holder = parent_of(stmt)
    if previous is None and holder is not None and holder.type == "statement_list":
        previous = holder.prev_sibling  # a block's first comments sit outside the list
    while previous is not None and previous.type == "comment":
        if not starts_own_line(source, previous):
            break
        if source.line_of(start) - source.line_of(previous.end_byte) != 1:
            break
        start = previous.start_byte
        previous = previous.prev_sibling
    return start


@dataclass(frozen=True)
class MovedDefer:
    """A `defer x.Close()` that an exit skips, moved up to right after the error check."""

    statement: str  # the defer statement as written
    tail: str  # the end of the finding's message
    edits: list[Edit]


def move_late_defer(
    source: SourceFile, anchor: Node, deferred_calls: list[Node]
) -> MovedDefer | None:
    """A one-line `defer x.Close()` (or Rollback, Release) later in the anchor's own block,
    present but skipped by an exit before it, with the edits that move it right after
    ``anchor``; None when there is none, or it cannot be moved as it is."""
    late = next(
        (
            stmt
            for call in deferred_calls
            if (stmt := parent_of(call)) is not None
            and stmt.type == "defer_statement"
            and parent_of(stmt) == parent_of(anchor)
            and stmt.start_byte > anchor.end_byte
        ),
        None,
    )
    if late is None or source.line_of(late.start_byte) != source.line_of(late.end_byte):
        return None
    removal = line_removal(source, late)
    if removal is None:
        return None
    statement = text(late)
    line = source.position(late.start_byte)[0]
    tail = (
        f"it leaves before `{statement}` on line {line}; move that defer up, right after the "
        "error check"
    )
    return MovedDefer(statement, tail, [line_insert_after(source, anchor, [statement]), removal])


def line_removal(source: SourceFile, stmt: Node) -> Edit | None:
    """Remove ``stmt`` with its whole line, when it stands alone on it (no comment after)."""
    start = source.line_start(stmt.start_byte)
    end = source.line_end(stmt.end_byte)
    if source.data[start : stmt.start_byte].strip() or source.data[stmt.end_byte : end].strip():
        return None
    newline = source.data.find(b"\n", end)
    stop = newline + 1 if newline >= 0 else end
    before = source.data[:start].rsplit(b"\n", 2)
    blank_before = len(before) >= 2 and not before[-2].strip()
    next_end = source.data.find(b"\n", stop)
    if blank_before and next_end >= 0 and not source.data[stop:next_end].strip():
        stop = next_end + 1  # gofmt keeps one blank line where two would meet
    return Edit(start, stop, b"")


def replace_node(node: Node, new_text: str) -> Edit:
    return Edit(node.start_byte, node.end_byte, new_text.encode())


def starts_own_line(source: SourceFile, node: Node) -> bool:
    """Whether nothing but white space precedes ``node`` on its line."""
    return source.data[source.line_start(node.start_byte) : node.start_byte].strip() == b""


# -- assignments of a call result ----------------------------------------------------------


@dataclass(frozen=True)
class Binding:
    """``x, err := call`` (or ``=``): the statement, the call and the names bound."""

    statement: Node
    call: Node
    names: tuple[str, ...]  # "_" for blanks; one per left-hand expression
    targets: tuple[Node, ...]
    declares: bool  # := rather than =

    def name(self, index: int) -> str:
        return self.names[index] if index < len(self.names) else ""

    @property
    def err_name(self) -> str:
        return self.names[-1] if len(self.names) > 1 else ""


def binding_of(call: Node) -> Binding | None:
    """The assignment whose single right-hand side is ``call``."""
    right = parent_of(call)
    if right is None or right.type != "expression_list" or len(right.named_children) != 1:
        return None
    spec = parent_of(right)
    if spec is not None and spec.type == "var_spec":
        return _var_binding(call, spec)
    stmt = parent_of(right)
    if stmt is None or stmt.type not in ("short_var_declaration", "assignment_statement"):
        return None
    if stmt.child_by_field_name("right") != right:
        return None
    if stmt.type == "assignment_statement" and text(stmt.child_by_field_name("operator")) != "=":
        return None
    targets = tuple(expression_items(stmt.child_by_field_name("left")))
    return Binding(
        statement=stmt,
        call=call,
        names=tuple(text(t) if t.type == "identifier" else "" for t in targets),
        targets=targets,
        declares=stmt.type == "short_var_declaration",
    )


def _var_binding(call: Node, spec: Node) -> Binding | None:
    """``var rows, err = db.Query(...)`` inside a function: one spec, one call."""
    stmt = parent_of(spec)
    if stmt is None or stmt.type != "var_declaration" or len(stmt.named_children) != 1:
        return None
    names = tuple(spec.children_by_field_name("name"))
    return Binding(
        statement=stmt,
        call=call,
        names=tuple(text(n) for n in names),
        targets=names,
        declares=True,
    )


@dataclass
class Usage:
    deferred: bool = False  # closed by defer, by a closure, or by a deferred helper
    deferred_closes: list[Node] = field(default_factory=list)  # closes run by a defer statement
    closed_later: bool = False  # closed by a goroutine or a closure that may run later
    closes: list[Node] = field(default_factory=list)  # non-deferred close statements
    escapes: bool = False  # returned, stored, sent, handed to code leakfix cannot see
    methods: set[str] = field(default_factory=set)  # other methods called on it
    reassigned: list[Node] = field(default_factory=list)  # later `x, err = ...` statements


def _deferred_or_closure(node: Node, func: Node) -> str:
    """How ``node`` runs relative to ``func``: 'defer' when a defer statement runs it, 'go' in
    a goroutine, 'closure' in a function literal that may run later, '' inline (including
    literals called on the spot)."""
    current = parent_of(node)
    while current is not None and current != func:
        if current.type == "defer_statement":
            return "defer"
        if current.type == "go_statement":
            return "go"
        if current.type == "func_literal" and not called_on_the_spot(current):
            return "closure"
        current = parent_of(current)
    return ""


def called_on_the_spot(literal: Node) -> bool:
    """``func() { ... }()`` (not under go/defer, which the caller checks first)."""
    parent = parent_of(literal)
    return (
        parent is not None
        and parent.type == "call_expression"
        and (parent.child_by_field_name("function") == literal)
    )


def usage_of(
    package: Package,
    source: SourceFile,
    decl: Decl,
    start: Node,
    func: Node,
    close_methods: tuple[str, ...] = ("Close",),
    consumers: frozenset[str] = frozenset(),
    closures_escape: bool = True,
    until: Node | None = None,
) -> Usage:
    """Classify every use of the resource ``decl`` in ``func`` after ``start``.

    With ``closures_escape`` a method call from a goroutine or a stored closure counts as an
    escape (it may run after the function returned); rules that only look for a call (Err)
    turn it off. ``consumers`` are callees that close what they are given: bare names, or
    ``family.Function`` for library functions (``pgx.CollectRows``, aliases followed). With
    ``until`` only uses before that node count (the variable is reassigned there)."""
    usage = Usage()
    body = func.child_by_field_name("body")
    if body is None:
        return usage
    for ident in walk(body):
        if ident.type != "identifier" or text(ident) != decl.name:
            continue
        if ident.start_byte < start.end_byte:
            continue
        if until is not None and ident.start_byte >= until.start_byte:
            continue
        found = package.lookup(decl.name, ident, source)
        if found is None or found.node != decl.node:
            continue
        _classify(package, source, ident, func, usage, close_methods, consumers, closures_escape)
    return usage


def _classify(
    package: Package,
    source: SourceFile,
    ident: Node,
    func: Node,
    usage: Usage,
    close_methods: tuple[str, ...],
    consumers: frozenset[str],
    closures_escape: bool,
) -> None:
    parent = parent_of(ident)
    assert parent is not None
    where = _deferred_or_closure(ident, func)
    if parent.type == "selector_expression" and parent.child_by_field_name("operand") == ident:
        method = text(parent.child_by_field_name("field"))
        call = parent_of(parent)
        if call is None or call.type != "call_expression":
            usage.escapes = True  # a method value such as rows.Close passed around
        elif method in close_methods:
            if where:
                usage.deferred = True  # deferred, or owned by the goroutine/closure that closes
                _record_later_close(usage, call, func)
            else:
                usage.closes.append(call)
        elif where in ("go", "closure") and closures_escape:
            usage.escapes = True  # a goroutine or a later call may use it after we return
        else:
            usage.methods.add(method)
        return
    if parent.type == "argument_list" and (call := parent_of(parent)) is not None:
        arguments = [c for c in parent.named_children if c.type != "comment"]
        index = [c.id for c in arguments].index(ident.id)
        _, callee, _ = call_parts(call)
        qualified = qualified_callee(package, source, call)
        if (
            package.calls_on_argument(call, index, source, close_methods)
            or callee in consumers
            or (qualified and qualified in consumers)
        ):
            if where:
                usage.deferred = True
                _record_later_close(usage, call, func)
            else:
                usage.closes.append(call)
        elif where in ("go", "closure") and closures_escape:
            usage.escapes = True  # `go f(rows)`, or a goroutine handing it on: it outlives us
        elif qualified in dbapi.BORROWING_CALLS:
            usage.methods.add(qualified)  # read by the library, still ours to close
        elif package.callee_info(call, source) is None:
            usage.escapes = True  # handed to code outside the package
        elif keeps_argument(package, source, call, index):
            usage.escapes = True  # the callee returns, stores, sends or hands it on
        elif _result_returned(call) and _returns_resource(package, source, call):
            usage.escapes = True  # wrapped and returned: `return c.wrap(rows), nil`
        return
    owner = assigned_by(parent)
    if owner is not None:
        usage.reassigned.append(owner)
        return
    if parent.type == "binary_expression":
        return  # rows != nil
    if blank_assigned(ident):
        return  # `_ = rows` keeps nothing alive
    usage.escapes = True


def blank_assigned(ident: Node) -> bool:
    """``_ = x`` (also ``_, _ = x, y``): a value thrown away, not handed on."""
    parent = parent_of(ident)
    if parent is None or parent.type != "expression_list":
        return False
    stmt = parent_of(parent)
    if stmt is None or stmt.type != "assignment_statement":
        return False
    if stmt.child_by_field_name("right") != parent:
        return False
    left = stmt.child_by_field_name("left")
    return left is not None and all(text(item) == "_" for item in expression_items(left))


def _record_later_close(usage: Usage, call: Node, func: Node) -> None:
    """A close run by a defer statement of ``func`` itself, or one that a goroutine or a
    closure runs (anywhere above the call, up to ``func``)."""
    deferred = False
    current = parent_of(call)
    while current is not None and current != func:
        if current.type == "go_statement" or (
            current.type == "func_literal" and not called_on_the_spot(current)
        ):
            usage.closed_later = True
            return
        deferred = deferred or current.type == "defer_statement"
        current = parent_of(current)
    if deferred:
        usage.deferred_closes.append(call)
    else:
        usage.closed_later = True


def keeps_argument(package: Package, source: SourceFile, call: Node, index: int) -> bool:
    """Whether the package function called keeps argument ``index`` beyond the call: returns
    it (or a value holding it), stores it in a field, a map or a package variable, sends it,
    lets a goroutine or a closure capture it, or hands it to code that may keep it. A
    variadic or unnamed parameter is assumed kept: when nothing is known, prefer silence."""
    info = package.callee_info(call, source)
    if info is None:
        return True
    return keeps_parameter(package, info, index)


def keeps_parameter(package: Package, info: FuncInfo, index: int) -> bool:
    key = f"keeps:{info.source.path}:{info.node.start_byte}:{index}"
    known = package.memo_get(key)
    if known is not None:
        return bool(known)
    package.memo_set(key, True)  # a cycle (f hands it to g, g to f): assume kept
    kept = _keeps(package, info, index)
    package.memo_set(key, kept)
    return kept


def _keeps(package: Package, info: FuncInfo, index: int) -> bool:
    if index >= len(info.param_names) or _variadic_at(info, index):
        return True
    name = info.param_names[index]
    if name in ("", "_"):
        return False
    decl = package.lookup(name, info.node.child_by_field_name("body") or info.node, info.source)
    params = info.node.child_by_field_name("parameters")
    if decl is None or decl.statement is not None or params is None:
        return True
    usage = usage_of(
        package, info.source, decl, params, info.node, consumers=dbapi.CLOSING_CONSUMERS
    )
    return usage.escapes


def holds_other_values(
    package: Package, source: SourceFile, decl: Decl, acquisition: Node, func: Node
) -> bool:
    """Whether the variable of ``decl`` is given, anywhere in ``func`` but at
    ``acquisition``, a value that is not a fresh resource: a field (``stmt = m.insertStmt``),
    a parameter, another variable, a package variable. On the path through that assignment
    a deferred Close would close a handle someone else still uses."""
    body = func.child_by_field_name("body")
    if body is None:
        return False
    for ident in walk(body):
        if ident.type != "identifier" or text(ident) != decl.name:
            continue
        holder = parent_of(ident)
        owner = assigned_by(holder) if holder is not None else None
        if owner is None or owner.id == acquisition.id:
            continue
        found = package.lookup(decl.name, ident, source)
        if found is None or found.node != decl.node:
            continue
        value = _assigned_value(owner, ident)
        if value is not None and not _fresh_value(package, source, value):
            return True
    statement = decl.statement
    if statement is not None and statement.id != acquisition.id:
        value = _declared_value(statement, decl)
        if value is not None and not _fresh_value(package, source, value):
            return True
    return False


def _assigned_value(owner: Node, target: Node) -> Node | None:
    """The right-hand expression assigned to ``target`` by ``owner`` (None: a multi-value
    call, whose results are typed elsewhere)."""
    left = expression_items(owner.child_by_field_name("left"))
    right = expression_items(owner.child_by_field_name("right"))
    index = next((i for i, item in enumerate(left) if item.id == target.id), -1)
    if index < 0 or len(right) != len(left):
        return None
    return right[index]


def _declared_value(statement: Node, decl: Decl) -> Node | None:
    if statement.type == "var_declaration":
        for spec in statement.named_children:
            names = spec.children_by_field_name("name")
            values = expression_items(spec.child_by_field_name("value"))
            for index, name in enumerate(names):
                if name.id == decl.node.id and len(values) == len(names):
                    return values[index]
        return None
    if statement.type == "short_var_declaration":
        return _assigned_value(statement, decl.node)
    return None


def _fresh_value(package: Package, source: SourceFile, value: Node) -> bool:
    """``nil``, or a call that makes a new resource (not one of the package's functions
    that hands out a cached one)."""
    if value.type == "nil":
        return True
    if value.type != "call_expression":
        return False
    info = package.callee_info(value, source)
    return info is None or not returns_cached(package, info)


def returns_cached(package: Package, info: FuncInfo) -> bool:
    """Whether a function of the package may return, as its first result, a handle it did
    not make: a field, a parameter, a package variable, or a variable holding one."""
    key = f"cached:{info.source.path}:{info.node.start_byte}"
    known = package.memo_get(key)
    if known is not None:
        return bool(known)
    package.memo_set(key, True)  # recursion: assume the worst
    cached = _returns_cached(package, info)
    package.memo_set(key, cached)
    return cached


def _returns_cached(package: Package, info: FuncInfo) -> bool:
    body = info.node.child_by_field_name("body")
    if body is None:
        return True
    for node in walk_no_funcs(body):
        if node.type != "return_statement":
            continue
        items = [c for c in node.named_children if c.type != "comment"]
        values = expression_items(items[0]) if items else []
        if not values:
            return True  # a bare return of named results: not followed
        first = strip_parens(values[0])
        if first.type in ("nil", "call_expression") and (
            first.type == "nil" or _fresh_value(package, info.source, first)
        ):
            continue
        if first.type != "identifier":
            return True  # a field, an index expression, a conversion: not made here
        decl = package.lookup(text(first), first, info.source)
        if decl is None or decl.statement is None or package.is_package_var(decl):
            return True  # a parameter, a package variable
        if holds_other_values(package, info.source, decl, first, info.node):
            return True
        value = _declared_value(decl.statement, decl)
        if value is not None and not _fresh_value(package, info.source, value):
            return True
    return False


def _variadic_at(info: FuncInfo, index: int) -> bool:
    params = info.node.child_by_field_name("parameters")
    if params is None:
        return True
    position = 0
    for param in params.named_children:
        names = param.children_by_field_name("name")
        count = max(1, len(names))
        if position <= index < position + count:
            return param.type == "variadic_parameter_declaration"
        position += count
    return True


def qualified_callee(package: Package, source: SourceFile, call: Node) -> str:
    """``family.Function`` for a call of an imported package's function (``pgx.CollectRows``,
    aliases followed, type arguments ignored), ``Type.Method`` for a method of a database
    handle (``gorm.DB.ScanRows``); "" otherwise."""
    callee = call.child_by_field_name("function")
    if callee is not None and callee.type in ("index_expression", "generic_type"):
        callee = callee.child_by_field_name("operand") or callee.child_by_field_name("type")
    if callee is None or callee.type != "selector_expression":
        return ""
    operand = callee.child_by_field_name("operand")
    name = text(callee.child_by_field_name("field"))
    if operand is None or not name:
        return ""
    if operand.type == "identifier" and package.lookup(text(operand), operand, source) is None:
        family = package.facts[source.path].family(text(operand))
        return f"{family}.{name}" if family else ""
    handle = package.handle_type(operand, source)
    return f"{handle}.{name}" if handle else ""


def _result_returned(call: Node) -> bool:
    stmt = statement_of(call)
    return stmt is not None and stmt.type == "return_statement"


def _returns_resource(package: Package, source: SourceFile, call: Node) -> bool:
    """Whether the package function called hands back a resource or a wrapper struct."""
    from codemods import dbapi

    info = package.callee_info(call, source)
    owned = dbapi.ROWS | dbapi.STMTS | dbapi.TXS | dbapi.CONNS | dbapi.BATCHES
    return info is not None and any(
        r in owned or (r or "").startswith("local.") for r in info.results
    )


def exits_between(start: Node, end_offset: int, func: Node) -> bool:
    """Whether a return (or a jump out) can leave ``func`` between ``start`` and ``end_offset``."""
    body = func.child_by_field_name("body")
    if body is None:
        return True
    for node in walk_no_funcs(body):
        if node.start_byte < start.end_byte or node.start_byte >= end_offset:
            continue
        if node.type == "return_statement" or node.type == "goto_statement":
            return True
        if node.type == "call_expression" and text(node.child_by_field_name("function")) == "panic":
            return True  # recovered panics (Echo's Recover middleware) leak too
        if node.type in ("break_statement", "continue_statement") and not _jump_stays_inside(
            node, start, end_offset
        ):
            return True
    return False


def _jump_stays_inside(jump: Node, start: Node, end_offset: int) -> bool:
    """A break/continue whose loop (or switch) lies wholly between start and end."""
    if jump.named_children:  # labelled: be conservative
        return False
    current = parent_of(jump)
    while current is not None:
        if current.type in BREAKABLE:
            if jump.type == "continue_statement" and current.type != "for_statement":
                current = parent_of(current)
                continue
            return current.start_byte >= start.end_byte and current.end_byte <= end_offset
        if current.type in FUNCTION_TYPES:
            return False
        current = parent_of(current)
    return False


def closed_on_every_path(usage: Usage, anchor: Node, func: Node, decl_list: Node | None) -> bool:
    """Closed by a goroutine or closure that owns it, or a plain or deferred close in the
    declaring block with no exit before it. Anything else is for the path engine."""
    if usage.closed_later:
        return True
    for close in [*usage.closes, *usage.deferred_closes]:
        stmt = _defer_of(close) or statement_of(close)
        if stmt is None or parent_of(stmt) != decl_list:
            continue
        if not exits_between(anchor, stmt.start_byte, func):
            return True
    return False


def _defer_of(call: Node) -> Node | None:
    """The defer statement that runs ``call`` (directly or in its deferred literal)."""
    current = parent_of(call)
    while current is not None and current.type != "defer_statement":
        if current.type in ("function_declaration", "method_declaration"):
            return None
        current = parent_of(current)
    return current


def declared_names(func: Node) -> set[str]:
    """Every identifier spelled in ``func`` (a superset of its local names)."""
    return {text(n) for n in walk(func) if n.type in ("identifier", "field_identifier")}


def fresh_name(preferred: list[str], taken: set[str]) -> str:
    for name in preferred:
        if name not in taken:
            return name
    base = preferred[0]
    index = 2
    while f"{base}{index}" in taken:
        index += 1
    return f"{base}{index}"


def outermost_function(node: Node) -> Node | None:
    found = None
    current: Node | None = node
    while current is not None:
        if current.type in FUNCTION_TYPES:
            found = current
        current = parent_of(current)
    return found


def resource_bindings(
    package: Package, source: SourceFile, methods: frozenset[str], result_types: frozenset[str]
) -> Iterator[tuple[Node, Node, str]]:
    """Calls on database handles whose method returns one of ``result_types``.

    Yields (call, handle receiver, method name).
    """
    for call in source.nodes("call_expression"):
        receiver, name, _ = call_parts(call)
        if name not in methods or receiver is None:
            continue
        handle = package.handle_type(receiver, source)
        if handle is None:
            continue
        results = package.call_results(call, source)
        if results and results[0] in result_types:
            yield call, receiver, name


def owned_results(
    package: Package, source: SourceFile, result_types: frozenset[str]
) -> Iterator[tuple[Node, str]]:
    """Calls of the package's own functions and methods whose first result is one of
    ``result_types`` (``rows, err := s.listRows(ctx)``): the callee hands the resource to
    its caller, who must release it as if it had called the database itself.

    Yields (call, function name)."""
    names = {
        info.name
        for info in [*package.funcs.values(), *package.methods.values()]
        if info.results and info.results[0] in result_types
    }
    if not names:
        return
    for call in source.nodes("call_expression"):
        receiver, name, _ = call_parts(call)
        if name not in names:
            continue
        if receiver is None and package.lookup(name, call, source) is not None:
            continue  # a local variable holding a function shadows the package's
        info = package.callee_info(call, source)
        if info is None or not info.results or info.results[0] not in result_types:
            continue
        if not returns_cached(package, info):  # `return m.insertStmt`: not the caller's
            yield call, info.name


def binding_of_statement(stmt: Node) -> Binding | None:
    """The binding made by an assignment statement whose right side is one call."""
    right = stmt.child_by_field_name("right")
    items = expression_items(right)
    if len(items) != 1 or items[0].type != "call_expression":
        return None
    return binding_of(items[0])


def starts_own_line_node(stmt: Node) -> bool:
    """Statements leakfix inserts before must start a line of their own."""
    return parent_type(stmt) == "statement_list"


def name_escapes(name: str, after: Node, func: Node) -> bool:
    """A cheap syntactic check: ``name`` returned, stored, sent or captured after ``after``."""
    body = func.child_by_field_name("body")
    if body is None:
        return True
    for node in walk(body):
        if node.start_byte < after.end_byte or node.type != "identifier" or text(node) != name:
            continue
        parent = parent_of(node)
        if parent is None:
            continue
        if parent.type == "selector_expression" and parent.child_by_field_name("operand") == node:
            continue
        if parent.type == "binary_expression":
            continue
        if assigned_by(parent) is not None:
            continue
        return True
    return False


def read_to_the_end(
    source: SourceFile,
    name: str,
    anchor: Node,
    func: Node,
    before: int | None = None,
    closes_on_read_error: bool = False,
) -> bool:
    """Whether rows ``name`` are read by a `for name.Next()` loop of the anchor's block that
    nothing can leave early: database/sql and pgx close rows themselves once Next reports
    false, so such rows do not leak even without Close. With ``closes_on_read_error`` (pgx:
    a failed Scan or Values closes the rows too) leaving right after such a failure is fine.
    t.Fatal and require.* end the test goroutine; the test's cleanup closes its connection."""
    block = parent_of(anchor)
    if block is None:
        return False
    loop = next(
        (
            s
            for s in block.named_children
            if s.start_byte > anchor.end_byte and s.type == "for_statement" and loops_over(s, name)
        ),
        None,
    )
    if loop is None or (before is not None and loop.end_byte > before):
        return False
    body = func.child_by_field_name("body")
    assert body is not None
    for node in walk_no_funcs(body):
        if node.start_byte < anchor.end_byte or node.start_byte >= loop.end_byte:
            continue
        if node.type == "break_statement" and enclosing_target(node, "break_statement") == loop:
            return False
        if not _is_exit(node, anchor, loop.end_byte):
            continue
        if not (closes_on_read_error and after_failed_read(node, name)):
            return False
    return True


def _is_exit(node: Node, start: Node, end_offset: int) -> bool:
    if node.type in ("return_statement", "goto_statement"):
        return True
    if node.type == "call_expression":
        return text(node.child_by_field_name("function")) == "panic"
    if node.type in ("break_statement", "continue_statement"):
        return not _jump_stays_inside(node, start, end_offset)
    return False


def after_failed_read(exit_node: Node, name: str) -> bool:
    """The exit sits in `if err != nil { ... }` checking ``name.Scan(...)``/``name.Values()``
    (in the if's initializer or the statement just before it)."""
    current = parent_of(exit_node)
    while current is not None and current.type not in FUNCTION_TYPES:
        if current.type == "if_statement":
            reads = [current.child_by_field_name("initializer"), current.prev_named_sibling]
            if any(r is not None and _reads_rows(r, name) for r in reads):
                return True
        current = parent_of(current)
    return False


def _reads_rows(stmt: Node, name: str) -> bool:
    if stmt.type not in ("short_var_declaration", "assignment_statement"):
        return False
    right = text(stmt.child_by_field_name("right"))
    return right.startswith((f"{name}.Scan(", f"{name}.Values(", f"{name}.RawValues("))


def loops_over(loop: Node, name: str) -> bool:
    cond = loop.child_by_field_name("condition")
    if cond is None:
        cond = next((c for c in loop.named_children if c.type == "call_expression"), None)
    if cond is None:  # for k := 0; rows.Next(); k++ { ... }
        clause = next((c for c in loop.named_children if c.type == "for_clause"), None)
        cond = clause.child_by_field_name("condition") if clause is not None else None
    return cond is not None and text(cond) == f"{name}.Next()"


def jump_target(jump: Node) -> Node | None:
    """The statement a break/continue leaves (a loop, switch or select), or None."""
    label = next((c for c in jump.named_children if c.type == "label_name"), None)
    if label is None:
        return enclosing_target(jump, jump.type)
    current = parent_of(jump)
    while current is not None and current.type not in FUNCTION_TYPES:
        if current.type == "labeled_statement" and text(
            current.child_by_field_name("label")
        ) == text(label):
            return current.named_children[-1] if current.named_children else None
        current = parent_of(current)
    return None


def enclosing_target(node: Node, jump_type: str) -> Node | None:
    """What an unlabelled jump of ``jump_type`` written at ``node`` would leave: the
    innermost loop for a continue, the innermost loop, switch or select for a break."""
    current = parent_of(node)
    while current is not None and current.type not in FUNCTION_TYPES:
        if current.type == "for_statement" or (
            jump_type == "break_statement" and current.type in BREAKABLE
        ):
            return current
        current = parent_of(current)
    return None
