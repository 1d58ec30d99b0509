"""Which code runs once (setup) and which runs for the life of the service (requests, workers).

query-timeout asks this: a query without a deadline hurts where it can pile up, in code that
serves requests or loops for as long as the service runs; not in code that runs once before
the service takes traffic (constructors, `main`, `init`, migrations, CLI commands), where a
stalled query fails the start and a person sees it.

A function *runs once* when:
- it is `main` or `init`, or its name says it sets something up (`NewStore`, `newServer`,
  `MustOpen`, `Setup`, `InitDB`, `Connect`, `OpenDB`, `Ensure...`, `Bootstrap`, any name with
  `migrat` in it, `CreateTables`/`CreateSchema`/`CreateIndexes`);
- it lies in a migrations folder or file (`migrations/`, `migrate/`, `*migrat*.go`) or under
  a `cmd/` folder of a package `main` (CLI commands);
- or it is unexported and every use of its name in the package is in code that runs once.

Inside such a function, a function literal runs once too when it is called on the spot,
deferred, or handed to a call that is not a handler registration (`e.GET(path, func...)`,
`mux.HandleFunc`, `c.AddFunc`, ...) and not a `go` statement: those literals serve requests or
run in the background. Everything else (exported methods of a storage layer, handlers,
workers) is taken as serving: without facts from other packages, that is the safe reading.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from tree_sitter import Node

from codemods.package import Package, call_parts
from codemods.source import SourceFile, parent_of, text

_SETUP_NAME = re.compile(
    r"^(?:[Nn]ew|[Mm]ust|[Ss]etup|[Ii]nit(?:ialize)?|[Bb]ootstrap|[Cc]onnect|[Oo]pen(?:DB|Database|Conn\w*|Pool|Store)|[Ee]nsure"
    r"|[Ii]nstall|[Uu]pgrade|[Ss]eed|[Cc]reate(?:Tables?|Schema|Index(?:es)?)|[Pp]repare"
    r"(?:Statements?|Stmts?|Queries))(?=[A-Z0-9_]|$)"
)
_MIGRATION = re.compile(r"(?i)migrat")
_ONCE_FOLDERS = frozenset({"migrations", "migration", "migrate", "migrator"})
# Calls that register a literal to run later, per request or per tick: not setup code.
_REGISTRATIONS = re.compile(
    r"^(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|CONNECT|TRACE|Any|Match|Add|Handle|HandleFunc"
    r"|HandlerFunc|Use|Pre|Group|Route|Get|Post|Put|Patch|Delete|Method|Methods|MethodFunc"
    r"|NotFound|AddFunc|AddJob|Schedule|Every|Subscribe|On|OnEvent|Register\w*|Serve\w*"
    r"|ListenAndServe\w*|Go|Submit|AfterFunc|NewTicker|Tick|Store|Range|Do\w+)$"
)


def runs_once(package: Package, source: SourceFile, node: Node) -> bool:
    """Whether ``node`` sits in code that runs once, before or outside serving."""
    facts: dict[str, bool] = package.memo("runs-once", _named_functions_run_once)
    current: Node | None = node
    while current is not None:
        if current.type == "func_literal":
            if not _literal_runs_where_its_function_does(current):
                return False
        elif current.type in ("function_declaration", "method_declaration"):
            return facts.get(_key(source, current), False)
        current = parent_of(current)
    return False


def _key(source: SourceFile, func: Node) -> str:
    return f"{source.path}:{func.start_byte}"


def _literal_runs_where_its_function_does(literal: Node) -> bool:
    parent = parent_of(literal)
    if parent is None:
        return False
    if parent.type == "call_expression" and parent.child_by_field_name("function") == literal:
        return parent_of(parent) is None or parent_of(parent).type != "go_statement"  # type: ignore[union-attr]
    if parent.type != "argument_list":
        return False  # stored, returned, assigned: may run at any time
    call = parent_of(parent)
    if call is None or call.type != "call_expression":
        return False
    if parent_of(call) is not None and parent_of(call).type == "go_statement":  # type: ignore[union-attr]
        return False
    _, name, _ = call_parts(call)
    return not _REGISTRATIONS.match(name)


def _named_functions_run_once(package: Package) -> dict[str, bool]:
    """For every function and method of the package (by file and offset): runs once?"""
    decls: dict[str, tuple[SourceFile, Node, str]] = {}
    for source in package.files:
        for func in source.root.named_children:
            if func.type in ("function_declaration", "method_declaration"):
                name = text(func.child_by_field_name("name"))
                decls[_key(source, func)] = (source, func, name)
    once = {
        key: _once_by_itself(package, source, func, name)
        for key, (source, func, name) in decls.items()
    }
    uses = _uses_by_name(package, {name for _, _, name in decls.values()})
    changed = True
    while changed:
        changed = False
        for key, (_source, _func, name) in decls.items():
            if once[key] or name[:1].isupper() or name not in uses:
                continue
            sites = uses[name]
            if sites and all(site is not None and once.get(site, False) for site in sites):
                once[key] = True
                changed = True
    return once


def _once_by_itself(package: Package, source: SourceFile, func: Node, name: str) -> bool:
    if func.type == "function_declaration" and name in ("main", "init"):
        return True
    if _SETUP_NAME.match(name) or _MIGRATION.search(name):
        return True
    path = PurePath(source.path)
    if _MIGRATION.search(path.name) or _ONCE_FOLDERS & {p.lower() for p in path.parts[:-1]}:
        return True
    return package.name == "main" and "cmd" in path.parts[:-1]


def _uses_by_name(package: Package, names: set[str]) -> dict[str, list[str | None]]:
    """name -> the function (key) holding each use of that name outside its own declaration,
    None for a use that runs at another time (package level, a stored or registered literal)."""
    uses: dict[str, list[str | None]] = {}
    for source in package.files:
        for node in source.nodes("identifier", "field_identifier"):
            name = text(node)
            if name not in names:
                continue
            parent = parent_of(node)
            if (
                parent is not None
                and parent.type in ("function_declaration", "method_declaration")
                and parent.child_by_field_name("name") == node
            ):
                continue  # the declaration itself
            uses.setdefault(name, []).append(_use_site(source, node))
    return uses


def _use_site(source: SourceFile, node: Node) -> str | None:
    """The declared function a use belongs to when it runs as part of that function."""
    current = parent_of(node)
    while current is not None:
        if current.type == "func_literal" and not _literal_runs_where_its_function_does(current):
            return None
        if current.type in ("function_declaration", "method_declaration"):
            return _key(source, current)
        current = parent_of(current)
    return None
