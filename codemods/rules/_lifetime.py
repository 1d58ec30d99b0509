"""Which code serves (requests, workers, the life of the service) and which runs once.

query-timeout asks this: a query without a deadline hurts where it can pile up, in code that
serves requests or loops for as long as the service runs; not in code that runs once before
the service takes traffic (constructors, `main`, `init`, migrations, CLI commands), where a
stalled query fails the start and a person sees it.

The answer comes from one index over every file of the run (all packages given on the
command line), built from syntax alone:

- *roots* serve by themselves: functions and literals with a handler's parameters
  (`echo.Context`, `http.ResponseWriter`/`*http.Request`, `*gin.Context`, `*fiber.Ctx`),
  literals and method values handed to a registration (`e.GET(path, h.list)`,
  `mux.HandleFunc`, `c.AddFunc`, ...), what a `go` statement starts, and the body of a worker
  loop (`for { ... }`, `for range ticker.C`);
- a function or method *serves* when a root reaches it through calls, followed by name across
  packages (the method `UserByID` called from a handler in `internal/api` makes
  `Storage.UserByID` in `internal/storage` serve); the module-facts work will make this typed;
- a function that something in the run calls, but only code that does not serve, runs once;
- a function nothing in the run calls is dead code when the run covers a whole module (a
  folder with `go.mod` was given) that is an application (it has a package `main`), or when
  it is unexported; else it is an API whose callers are out of sight, taken as serving (a
  deadline there is cheap).

`main`, `init`, migrations (a name, file or folder with `migrat`) and CLI commands (`cmd/` of a
package `main`) never serve outside the roots they contain; nor do constructors and setup
(`NewStore`, `MustOpen`, `Setup`, `InitDB`, `Connect`, `Open`, `Configure...`, `Ensure...`,
`CreateTables`) unless serving code calls them.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePath

from tree_sitter import Node

from codemods.package import FileFacts, Package, call_parts
from codemods.rules._context import started_as_goroutine
from codemods.rules._paths import loop_has_exit, loop_header
from codemods.source import SourceFile, parent_of, text, walk_no_funcs

_SETUP_NAME = re.compile(
    r"^(?:[Nn]ew|[Mm]ust|[Ss]etup|[Ii]nit(?:ialize)?|[Bb]ootstrap|[Cc]onnect"
    r"|[Oo]pen(?:DB|Database|Conn\w*|Pool|Store)?|[Cc]onfigure|[Ee]nsure|[Ii]nstall"
    r"|[Uu]pgrade|[Ss]eed"
    r"|[Cc]reate(?:Tables?|Schema|Index(?:es)?)|[Pp]repare(?:Statements?|Stmts?|Queries))"
    r"(?=[A-Z0-9_]|$)"
)
_MIGRATION = re.compile(r"(?i)migrat")
# Folders of migrations, and of servers and helpers that only tests start.
_ONCE_FOLDERS = frozenset(
    {
        "migrations",
        "migration",
        "migrate",
        "migrator",
        "testserver",
        "testutil",
        "testutils",
        "testhelpers",
        "testing",
        "e2e",
        "integration-test",
        "integration-tests",
        "mocks",
        "test",
        "tests",
        "harness",
        "smoke",
        "devtools",
    }
)
# Calls that register a function to run later, per request or per tick.
_REGISTRATIONS = re.compile(
    r"^(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|CONNECT|TRACE|Any|Match|Add|Handle|HandleFunc"
    r"|HandlerFunc|Use|Pre|Group|Route|Get|Post|Put|Patch|Delete|Method|Methods|MethodFunc"
    r"|NotFound|AddFunc|AddJob|Schedule|Every|Subscribe|On|OnEvent|Register\w*|Serve\w*"
    r"|ListenAndServe\w*|Go|Submit|AfterFunc|Do|Tick)$"
)
# Method names every component has: a call by one of these names says nothing about which
# type's method runs, so the index does not follow it.
_LIFECYCLE_METHODS = frozenset(
    {"Run", "Start", "Stop", "Close", "Open", "Init", "Setup", "Execute", "Main", "Shutdown"}
)
_HANDLER_PARAMS = re.compile(
    r"\b(?:echo\.Context|http\.ResponseWriter|\*http\.Request|\*gin\.Context|\*fiber\.Ctx)\b"
)
_FUNC_DECLS = ("function_declaration", "method_declaration")


@dataclass
class ServingIndex:
    """Keys of the run's functions and methods that serve, and of those called at all. A
    function's key is `package.Name` (its package clause), a method's is its bare name: calls
    through an import name resolve to the function, calls on values to every method of that
    name. ``whole_module``: the run covers a module from its root, so a function that nothing
    calls is dead code, not an API whose callers are out of sight."""

    serving: set[str] = field(default_factory=set)
    called: set[str] = field(default_factory=set)
    whole_module: bool = False
    application: bool = False  # the run has a package main: its exported names are no API


def build_index(sources: Iterable[SourceFile], whole_module: bool = False) -> ServingIndex:
    """The index of every function and method of ``sources`` (all packages of a run)."""
    edges: dict[str, set[str]] = {}
    roots: set[str] = set()
    index = ServingIndex(whole_module=whole_module)
    lifecycle = _Lifecycle()
    for source in sources:
        _index_file(source, edges, roots, index.called, lifecycle)
        index.application = index.application or source.package_name == "main"
    roots |= lifecycle.started()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in index.serving:
            continue
        index.serving.add(name)
        todo.extend(edges.get(name, ()))
    return index


@dataclass
class _Lifecycle:
    """`go sess.Start()`: which type's Start is it? The methods named like that whose
    receiver type the variable's name abbreviates (`sess` -> `Session`)."""

    methods: list[tuple[str, str, str]] = field(default_factory=list)  # (type, name, key)
    started_by: list[tuple[str, str]] = field(default_factory=list)  # (variable, name)

    def started(self) -> set[str]:
        keys = set()
        for variable, name in self.started_by:
            short = variable.lower()
            for type_name, method, key in self.methods:
                if method == name and len(short) >= 3 and type_name.lower().startswith(short):
                    keys.add(key)
        return keys


def _index_file(
    source: SourceFile,
    edges: dict[str, set[str]],
    roots: set[str],
    called: set[str],
    lifecycle: _Lifecycle,
) -> None:
    decls = [n for n in source.root.named_children if n.type in _FUNC_DECLS]
    starts = [d.start_byte for d in decls]
    package = source.package_name
    imports = set(FileFacts(source).imports)
    for decl in decls:
        if _is_handler(decl) or _has_worker_loop(decl):
            roots.add(_decl_key(package, decl))
        if decl.type == "method_declaration" and _name(decl) in _LIFECYCLE_METHODS:
            lifecycle.methods.append((_receiver_name(decl), _name(decl), _decl_key(package, decl)))
    root_literals = {lit.id for lit in source.nodes("func_literal") if _is_root_literal(lit)}
    for call in source.nodes("call_expression"):
        callee = _callee_key(call.child_by_field_name("function"), package, imports)
        if not callee:
            continue
        called.add(callee)
        if root_literals and _within(call, root_literals):
            roots.add(callee)
        receiver, name, args = call_parts(call)
        in_goroutine = started_as_goroutine(call)
        if in_goroutine and callee not in _LIFECYCLE_METHODS:
            roots.add(callee)
        elif in_goroutine and receiver is not None and receiver.type == "identifier":
            lifecycle.started_by.append((text(receiver), callee))
        if in_goroutine or _REGISTRATIONS.match(name):
            for arg in args.named_children if args is not None else ():
                key = _callee_key(arg, package, imports)
                if key:
                    roots.add(key)  # e.GET("/users", h.list): a method value
        if callee in _LIFECYCLE_METHODS:
            continue  # s.Run(), srv.Start(): every component has one; following them by name
            # would make the whole program serve
        position = bisect_right(starts, call.start_byte) - 1
        if position >= 0 and call.end_byte <= decls[position].end_byte:
            edges.setdefault(_decl_key(package, decls[position]), set()).add(callee)


def _within(node: Node, literal_ids: set[int]) -> bool:
    """Whether one of the function literals ``literal_ids`` holds ``node``."""
    current = parent_of(node)
    while current is not None and current.type not in _FUNC_DECLS:
        if current.id in literal_ids:
            return True
        current = parent_of(current)
    return False


def _decl_key(package: str, decl: Node) -> str:
    name = _name(decl)
    if decl.type != "method_declaration":
        return f"{package}.{name}"
    if name in _LIFECYCLE_METHODS:  # never followed by name: kept apart per type
        receiver = decl.child_by_field_name("receiver")
        return f"{package}.{text(receiver)}.{name}"
    return name


def _receiver_name(decl: Node) -> str:
    """The receiver's type name, without `*` or type parameters."""
    receiver = decl.child_by_field_name("receiver")
    found = re.search(r"\*?\s*([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*\)$", text(receiver))
    return found.group(1) if found else ""


def _callee_key(expr: Node | None, package: str, imports: set[str]) -> str:
    """`pkg.F` for a function of this package or of an imported one, `M` for a method."""
    if expr is None:
        return ""
    if expr.type == "identifier":
        return f"{package}.{text(expr)}"
    if expr.type != "selector_expression":
        return ""
    operand = expr.child_by_field_name("operand")
    field_name = text(expr.child_by_field_name("field"))
    if operand is not None and operand.type == "identifier" and text(operand) in imports:
        return f"{text(operand)}.{field_name}"
    return field_name


def serves(
    package: Package, source: SourceFile, node: Node, serving_index: ServingIndex | None
) -> bool:
    """Whether ``node`` runs in code that serves, by the run's index (see the module doc)."""
    index = serving_index
    if index is None:
        index = package.memo("serving-index", lambda p: build_index(p.files))
    current: Node | None = node
    while current is not None:
        if current.type == "for_statement" and _is_worker_loop(current):
            return True
        if current.type == "func_literal" and _is_root_literal(current):
            return True
        if current.type == "func_literal" and _handed_to_setup(current):
            return False  # newFuncMigration("0.2.0", func(db *sql.DB) error { ... })
        if current.type in _FUNC_DECLS:
            return _decl_serves(source, current, index)
        current = parent_of(current)
    return True  # package level: not a function of anyone's


def _decl_serves(source: SourceFile, decl: Node, index: ServingIndex) -> bool:
    name = _name(decl)
    key = _decl_key(source.package_name, decl)
    if _is_handler(decl):
        return True
    if _never_serves(source, decl, name):
        return False
    if _SETUP_NAME.match(name) and decl.type == "method_declaration":
        return False  # a method is reached by name only: its setup name says more
    if key in index.serving:
        return True
    if _SETUP_NAME.match(name) or _is_command(source):
        return False  # setup or a command, and nothing that serves calls it
    dead = index.whole_module and (index.application or not name[:1].isupper())
    if dead:
        return False  # a whole application is in sight: nothing calls this
    return key not in index.called  # nothing here calls it: its callers are out of sight


def _never_serves(source: SourceFile, decl: Node, name: str) -> bool:
    """`main`, `init`, migrations and test servers: code that runs once (or only under
    tests), whatever calls it."""
    if decl.type == "function_declaration" and name in ("main", "init"):
        return True
    if _MIGRATION.search(name):
        return True
    path = PurePath(source.path)
    folders = {p.lower() for p in path.parts[:-1]}
    return bool(_MIGRATION.search(path.name) or _ONCE_FOLDERS & folders)


def _is_command(source: SourceFile) -> bool:
    """A CLI command: a file of a package `main` under a `cmd/` folder."""
    return source.package_name == "main" and "cmd" in PurePath(source.path).parts[:-1]


# -- syntax ------------------------------------------------------------------------------------


def _name(decl: Node) -> str:
    return text(decl.child_by_field_name("name"))


def _is_handler(func: Node) -> bool:
    params = func.child_by_field_name("parameters")
    return params is not None and bool(_HANDLER_PARAMS.search(text(params)))


def _is_root_literal(literal: Node) -> bool:
    """A literal that serves wherever it is written: a handler, a registered function, or the
    body of a goroutine."""
    if _is_handler(literal):
        return True
    parent = parent_of(literal)
    if parent is None:
        return False
    if parent.type == "call_expression" and parent.child_by_field_name("function") == literal:
        return started_as_goroutine(parent)
    if parent.type != "argument_list":
        return False
    call = parent_of(parent)
    if call is None or call.type != "call_expression":
        return False
    _, name, _ = call_parts(call)
    return started_as_goroutine(call) or bool(_REGISTRATIONS.match(name))


def _handed_to_setup(literal: Node) -> bool:
    """A literal given to a migration or setup call: it runs when that runs, once."""
    parent = parent_of(literal)
    call = parent_of(parent) if parent is not None and parent.type == "argument_list" else None
    if call is None or call.type != "call_expression":
        return False
    _, name, _ = call_parts(call)
    return bool(_MIGRATION.search(name) or _SETUP_NAME.match(name))


def _has_worker_loop(decl: Node) -> bool:
    body = decl.child_by_field_name("body")
    if body is None:
        return False
    return any(n.type == "for_statement" and _is_worker_loop(n) for n in walk_no_funcs(body))


def _is_worker_loop(loop: Node) -> bool:
    """``for { select { ... } }`` with no condition, or ``for range ticker.C`` /
    ``time.Tick(...)``: a loop that runs for as long as the service does (a retry loop with
    no select is not one)."""
    clause, _ = loop_header(loop)
    if clause is not None and clause.type == "range_clause":
        ranged = text(clause.child_by_field_name("right"))
        return ranged.endswith(".C") or "Tick(" in ranged
    body = loop.child_by_field_name("body")
    waits = body is not None and any(n.type == "select_statement" for n in walk_no_funcs(body))
    return not loop_has_exit(loop) and waits
