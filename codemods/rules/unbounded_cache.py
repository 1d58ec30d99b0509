"""unbounded-cache: a package-level map or slice that request handlers only ever add to."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from tree_sitter import Node

from codemods.model import Finding
from codemods.package import (
    Package,
    call_arguments,
    call_parts,
    expression_items,
    strip_parens,
    unwrap_type,
)
from codemods.rules.base import Invalid, Rule, RuleContext, Valid
from codemods.source import FUNCTION_TYPES, SourceFile, parent_of, parent_type, text, walk

# Parameter types that make a function a request handler: (import path pattern, type name).
_HANDLER_TYPES = (
    (re.compile(r"^net/http$"), "ResponseWriter"),
    (re.compile(r"^net/http$"), "Request"),
    (re.compile(r"^github\.com/labstack/echo(/v\d+)?$"), "Context"),
    (re.compile(r"^github\.com/gin-gonic/gin$"), "Context"),
    (re.compile(r"^github\.com/gofiber/fiber(/v\d+)?$"), "Ctx"),
)
# sync.Map methods that add a key, and those that remove keys.
_SYNC_MAP_ADDS = frozenset({"Store", "LoadOrStore", "Swap"})
_SYNC_MAP_BOUNDS = frozenset({"Delete", "LoadAndDelete", "CompareAndDelete", "Clear"})
# A call that takes the container and whose name says it removes from it (maps.DeleteFunc,
# evictOldest(cache)): precision first, treat it as a bound.
_REMOVING_CALL = re.compile(r"(?i)delete|clear|evict|prune|purge|remove|reset|trim|expire")
_LITERAL_KEYS = frozenset(
    {
        "interpreted_string_literal",
        "raw_string_literal",
        "int_literal",
        "rune_literal",
        "float_literal",
        "true",
        "false",
        "nil",
    }
)

_ADVICE = (
    "bound it with a size check and eviction, an LRU such as hashicorp/golang-lru, or a TTL cache"
)


@dataclass
class _Target:
    """One package-level container: a variable, or a field of a package-level struct."""

    root: str  # the package variable
    member: str  # the struct field; "" for the variable itself
    kind: str  # "map", "slice" or "sync.Map"
    decl: Node  # the variable's identifier in its declaration
    source: SourceFile
    adds: list[tuple[Node, SourceFile]] = field(default_factory=list)  # adding statements
    bounded: bool = False  # deleted from, length checked, reset, or handed to code that may
    # do so

    @property
    def name(self) -> str:
        return f"{self.root}.{self.member}" if self.member else self.root


class UnboundedCache(Rule):
    """A package-level map or slice that request handlers keep adding to and nothing bounds.

    ## What it does
    Finds package-level maps, slices and `sync.Map`s (also fields of a package-level struct)
    that functions reached from a request handler add to (`m[k] = v`, `s = append(s, x)`,
    `m.Store(k, v)`) while nothing in the package ever deletes from them, checks their length
    or resets them (`delete`, `clear`, `len`, `m = make(...)`, `m = nil`, `s = s[:0]`). A
    handler is a function with an `echo.Context`, `http.ResponseWriter` or `*http.Request`
    parameter (also gin and fiber contexts); functions and methods of the package that a
    handler calls count too. Containers filled only at declaration, in `init` or in `main`
    are registries, not caches, and are not reported; neither are keys that are constants.

    ## Why is this bad?
    Every request with a new key leaves an entry behind for the life of the process: memory
    grows until the service is killed for running out of it, and garbage collection slows
    down long before that. It looks like a cache but has no eviction.

    ## Example
    ```go
    var userCache = make(map[int]User)

    func getUser(c echo.Context) error {
        ...
        userCache[u.ID] = u
        return c.JSON(http.StatusOK, u)
    }
    ```

    ## Use instead
    ```go
    var userCache, _ = lru.New[int, User](10_000) // github.com/hashicorp/golang-lru/v2

    func getUser(c echo.Context) error {
        ...
        userCache.Add(u.ID, u)
        return c.JSON(http.StatusOK, u)
    }
    ```
    or check the size before adding and evict (or reset) when it is full, or use a cache with
    a time to live.

    ## Fix safety
    Report only: the right bound (a size, a time to live, an eviction policy) is a design
    decision leakfix cannot make. A container handed to a function of the package, whose
    address is taken, or (for maps) that is returned or copied to another variable may be
    bounded where leakfix cannot see, and is not reported.
    """

    id = "unbounded-cache"
    summary = "package-level map or slice that request handlers only ever add to"
    fix_summary = ""
    safety = None
    needs_database = False  # runs in every package, not only those using a database

    VALID = [
        Valid(
            """package users

import "sync"

type User struct {
	ID   int
	Name string
}

var (
	mu        sync.Mutex
	userCache = make(map[int]User)
)

func safeCacheUser(u User) {
	mu.Lock()
	defer mu.Unlock()
	// Keep cache bounded; in production, use an LRU library
	if len(userCache) > 1000 {
		userCache = make(map[int]User)
	}
	userCache[u.ID] = u
}
"""
        ),
        Valid(
            """package codecs

import "net/http"

var byName = map[string]string{}

func init() {
	byName["json"] = "application/json"
}

func contentType(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", byName[r.URL.Query().Get("codec")])
}
"""
        ),
    ]
    INVALID = [
        Invalid(
            """package users

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

type User struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

var userCache = make(map[string]User)

func getUser(c echo.Context) error {
	u := User{Name: c.Param("name")}
	userCache[u.Name] = u
	return c.JSON(http.StatusOK, u)
}
""",
            r"userCache grows with every request .*golang-lru",
        ),
        Invalid(
            """package audit

import "net/http"

var seen []string

func record(path string) {
	seen = append(seen, path)
}

func handle(w http.ResponseWriter, r *http.Request) {
	record(r.URL.Path)
	w.WriteHeader(http.StatusNoContent)
}
""",
            r"package-level slice seen grows with every request",
        ),
    ]

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for target in ctx.package.memo("unbounded-cache", _unbounded_targets):
            if target.source.path != ctx.source.path:
                continue
            node, add_source = target.adds[0]
            line = add_source.position(node.start_byte)[0]
            where = (
                ""
                if add_source.path == ctx.source.path
                else f" of {os.path.basename(add_source.path)}"
            )
            function = _function_name(node)
            message = (
                f"package-level {target.kind} {target.name} grows with every request "
                f"(`{_one_line(node)}` in {function}, line {line}{where}) and nothing deletes "
                f"from it, checks its length or resets it: {_ADVICE}"
            )
            yield self.finding(ctx, target.decl, message)


# -- package analysis ------------------------------------------------------------------------


def _unbounded_targets(package: Package) -> list[_Target]:
    targets = _targets(package)
    if not targets:
        return []
    by_root: dict[str, list[_Target]] = {}
    for target in targets:
        by_root.setdefault(target.root, []).append(target)
    for source in package.files:
        if source.path.endswith("_test.go"):
            continue  # a test resetting the cache between tests bounds nothing in production
        for ident in source.nodes("identifier"):
            name = text(ident)
            if name not in by_root:
                continue
            first = by_root[name][0]
            if ident == first.decl:
                continue
            decl = package.lookup(name, ident, source)
            if decl is None or decl.node != first.decl:
                continue
            for target in by_root[name]:
                _classify_use(package, source, ident, target)
    reach = _Reach(package)
    found = []
    for target in targets:
        if target.bounded:
            continue
        target.adds = [(n, s) for n, s in target.adds if reach.on_request_path(n, s)]
        if target.adds:
            found.append(target)
    return sorted(found, key=lambda t: (t.source.path, t.decl.start_byte, t.member))


def _targets(package: Package) -> list[_Target]:
    local_types = _local_types(package)
    targets: list[_Target] = []
    for name, (ident, source) in package.package_vars.items():
        spec = parent_of(ident)
        if spec is None or spec.type != "var_spec" or _inside_function(spec):
            continue
        if source.path.endswith("_test.go"):
            continue
        type_node = spec.child_by_field_name("type")
        if type_node is None:
            type_node = _type_of_value(spec, ident)
        if type_node is None:
            continue
        kind = _kind(package, source, type_node, local_types)
        if kind in ("map", "slice", "sync.Map"):
            targets.append(_Target(name, "", kind, ident, source))
            continue
        for fname, ftype in _struct_fields(package, type_node, local_types):
            fkind = _kind(package, source, ftype, local_types)
            if fkind in ("map", "slice", "sync.Map"):
                targets.append(_Target(name, fname, fkind, ident, source))
    return targets


def _inside_function(node: Node) -> bool:
    current = parent_of(node)
    while current is not None:
        if current.type in FUNCTION_TYPES:
            return True
        current = parent_of(current)
    return False


def _type_of_value(spec: Node, ident: Node) -> Node | None:
    """The type of ``var x = <value>`` when the value spells it: a composite literal,
    ``make(T, ...)``, ``new(T)`` or ``&T{...}``."""
    names = spec.children_by_field_name("name")
    values = expression_items(spec.child_by_field_name("value"))
    index = [n.id for n in names].index(ident.id)
    if len(values) != len(names):
        return None
    value = strip_parens(values[index])
    if value.type == "unary_expression" and text(value).startswith("&"):
        value = value.named_children[-1] if value.named_children else value
    if value.type == "composite_literal":
        return value.child_by_field_name("type")
    if value.type == "call_expression":
        callee = text(value.child_by_field_name("function"))
        items = call_arguments(value)
        if callee in ("make", "new") and items:
            return items[0]
    return None


def _local_types(package: Package) -> dict[str, Node]:
    """Package-level type declarations: name -> type expression."""
    types: dict[str, Node] = {}
    for source in package.files:
        for decl in source.root.children:
            if decl.type != "type_declaration":
                continue
            for spec in decl.named_children:
                name = spec.child_by_field_name("name")
                type_node = spec.child_by_field_name("type")
                if spec.type == "type_spec" and name is not None and type_node is not None:
                    types[text(name)] = type_node
    return types


def _kind(
    package: Package, source: SourceFile, type_node: Node, local_types: dict[str, Node]
) -> str:
    node = unwrap_type(type_node)
    seen = 0
    while node is not None and node.type == "type_identifier" and seen < 5:
        node = unwrap_type(local_types.get(text(node)))
        seen += 1
    if node is None:
        return ""
    if node.type == "map_type":
        return "map"
    if node.type == "slice_type":
        return "slice"
    if node.type == "qualified_type":
        package_name = text(node.child_by_field_name("package"))
        path = package.facts[source.path].imports.get(package_name)
        if path == "sync" and text(node.child_by_field_name("name")) == "Map":
            return "sync.Map"
    if node.type == "struct_type":
        return "struct"
    return ""


def _struct_fields(
    package: Package, type_node: Node, local_types: dict[str, Node]
) -> Iterator[tuple[str, Node]]:
    node = unwrap_type(type_node)
    if node is not None and node.type == "type_identifier":
        node = unwrap_type(local_types.get(text(node)))
    if node is None or node.type != "struct_type":
        return
    for fdecl in walk(node):
        if fdecl.type != "field_declaration":
            continue
        ftype = fdecl.child_by_field_name("type")
        if ftype is None:
            continue
        for fname in fdecl.children_by_field_name("name"):
            yield text(fname), ftype


# -- uses ------------------------------------------------------------------------------------


def _classify_use(package: Package, source: SourceFile, ident: Node, target: _Target) -> None:
    """Record what one use of the target's variable does: add, bound, or nothing."""
    use = ident
    parent = parent_of(ident)
    if target.member:
        if (
            parent is not None
            and parent.type == "selector_expression"
            and parent.child_by_field_name("operand") == ident
        ):
            if text(parent.child_by_field_name("field")) != target.member:
                return  # another field, or a method of the struct (mu.Lock())
            use = parent
        elif _assigned_to(ident) is not None:
            if not _initializes(ident, package):
                target.bounded = True  # the whole struct is replaced
            return
        elif _is_read(ident):
            return
        else:
            target.bounded = True  # a copy shares the maps: it may be bounded elsewhere
            return
    _classify_container_use(package, source, use, target)


def _classify_container_use(
    package: Package, source: SourceFile, use: Node, target: _Target
) -> None:
    parent = parent_of(use)
    if parent is None:
        return
    assignment = _assigned_to(use)
    if assignment is not None:
        if _appends_to_itself(assignment, use) and target.kind == "slice":
            if not _in_init(assignment, package):
                target.adds.append((assignment, source))
        elif not _initializes(use, package):
            target.bounded = True  # reset: m = make(...), s = s[:0], m = nil
        return
    if parent.type == "index_expression" and parent.child_by_field_name("operand") == use:
        if target.kind == "map" and _assigned_to(parent) is not None:
            key = parent.child_by_field_name("index")
            if key is not None and strip_parens(key).type not in _LITERAL_KEYS:
                statement = _assigned_to(parent)
                assert statement is not None
                if not _in_init(statement, package):
                    target.adds.append((statement, source))
        return
    if parent.type == "selector_expression" and parent.child_by_field_name("operand") == use:
        method = text(parent.child_by_field_name("field"))
        call = parent_of(parent)
        if target.kind != "sync.Map" or call is None or call.type != "call_expression":
            target.bounded = True  # a method of a named map type, or a method value
            return
        if method in _SYNC_MAP_BOUNDS:
            target.bounded = True
        elif method in _SYNC_MAP_ADDS and _first_argument_varies(call):
            statement = _statement(call)
            if statement is not None and not _in_init(statement, package):
                target.adds.append((statement, source))
        return
    if parent.type == "argument_list" and (call := parent_of(parent)) is not None:
        _, callee, _ = call_parts(call)
        function = text(call.child_by_field_name("function"))
        if function in ("delete", "clear", "len", "cap"):
            target.bounded = True
        elif function in ("append", "copy"):
            pass  # a read (appending to the container is seen at its assignment)
        elif _REMOVING_CALL.search(callee or function):
            target.bounded = True
        elif target.kind != "slice" and package.callee_info(call, source) is not None:
            target.bounded = True  # a function of the package may delete from it
        return
    if parent.type == "unary_expression" and text(parent).startswith("&"):
        target.bounded = True  # its address escapes
        return
    if target.kind != "slice" and not _is_read(use):
        target.bounded = True  # a map copied, returned or stored shares its keys


def _assigned_to(node: Node) -> Node | None:
    """The ``=`` assignment statement whose left side is ``node``, if any."""
    parent = parent_of(node)
    if parent is None or parent.type != "expression_list":
        return None
    statement = parent_of(parent)
    if (
        statement is None
        or statement.type != "assignment_statement"
        or statement.child_by_field_name("left") != parent
    ):
        return None
    if text(statement.child_by_field_name("operator")) != "=":
        return None
    return statement


def _appends_to_itself(statement: Node, use: Node) -> bool:
    """``s = append(s, ...)``."""
    left = expression_items(statement.child_by_field_name("left"))
    right = expression_items(statement.child_by_field_name("right"))
    if len(left) != 1 or len(right) != 1:
        return False
    call = strip_parens(right[0])
    if call.type != "call_expression" or text(call.child_by_field_name("function")) != "append":
        return False
    items = call_arguments(call)
    return bool(items) and text(items[0]) == text(use)


def _initializes(use: Node, package: Package) -> bool:
    """An assignment that creates the container rather than emptying it: in init (or main of
    package main), or guarded by ``if x == nil``."""
    statement = _assigned_to(use)
    if statement is None:
        return False
    if _in_init(statement, package):
        return True
    current = parent_of(statement)
    while current is not None and current.type not in FUNCTION_TYPES:
        if current.type == "if_statement":
            cond = current.child_by_field_name("condition")
            if cond is not None and re.fullmatch(rf"{re.escape(text(use))}\s*==\s*nil", text(cond)):
                return True
        current = parent_of(current)
    return False


def _in_init(node: Node, package: Package) -> bool:
    """Inside ``init`` (or ``main`` of package main): runs once, before any request; also a
    function literal given to ``once.Do``."""
    current = parent_of(node)
    outer = None
    while current is not None:
        if current.type == "func_literal":
            holder = parent_of(current)
            call = parent_of(holder) if holder is not None else None
            if call is not None and call.type == "call_expression":
                _, callee, _ = call_parts(call)
                if callee == "Do":
                    return True
        if current.type in ("function_declaration", "method_declaration"):
            outer = current
        current = parent_of(current)
    if outer is None or outer.type != "function_declaration":
        return outer is None  # at package level: a declaration's initializer
    name = text(outer.child_by_field_name("name"))
    return name == "init" or (name == "main" and package.name == "main")


def _first_argument_varies(call: Node) -> bool:
    items = call_arguments(call)
    return bool(items) and strip_parens(items[0]).type not in _LITERAL_KEYS


def _is_read(node: Node) -> bool:
    """Uses that cannot change the container: compared, ranged over, printed (an argument
    to a function outside the package is handled by the caller)."""
    parent = parent_of(node)
    if parent is None:
        return True
    if parent.type == "binary_expression":
        return True
    if parent.type == "range_clause" and parent.child_by_field_name("right") == node:
        return True
    return parent.type in ("argument_list", "expression_statement")


def _statement(node: Node) -> Node | None:
    current: Node | None = node
    while current is not None and parent_of(current) is not None:
        if parent_type(current) in ("statement_list", "block"):
            return current
        current = parent_of(current)
    return None


def _one_line(node: Node) -> str:
    line = text(node).splitlines()[0] if text(node) else ""
    return line if len(line) <= 60 else line[:57] + "..."


def _function_name(node: Node) -> str:
    current = parent_of(node)
    name = ""
    while current is not None:
        if current.type in ("function_declaration", "method_declaration"):
            name = text(current.child_by_field_name("name"))
        current = parent_of(current)
    return name or "a function literal"


# -- request paths ---------------------------------------------------------------------------


class _Reach:
    """Functions of the package that run while serving a request: handlers (by their
    parameters) and every package function or method they call, transitively."""

    def __init__(self, package: Package) -> None:
        self.package = package
        self.handlers: set[int] = set()
        self.reachable: set[int] = set()
        self._compute()

    def _compute(self) -> None:
        package = self.package
        by_method: dict[str, list[Node]] = {}
        for (_, name), info in package.methods.items():
            by_method.setdefault(name, []).append(info.node)
        queue: list[tuple[Node, SourceFile]] = []
        for func, source in package.all_functions():
            if source.path.endswith("_test.go"):
                continue
            if self._is_handler(func, source):
                self.handlers.add(func.id)
                queue.append((func, source))
        infos = {
            info.node.id: info for info in [*package.funcs.values(), *package.methods.values()]
        }
        done: set[int] = set()
        while queue:
            func, source = queue.pop()
            if func.id in done:
                continue
            done.add(func.id)
            for node in walk(func):
                if node.type != "call_expression":
                    continue
                for callee in self._callees(node, source, by_method):
                    if callee.id not in self.reachable and callee.id in infos:
                        self.reachable.add(callee.id)
                        queue.append((callee, infos[callee.id].source))

    def _callees(
        self, call: Node, source: SourceFile, by_method: dict[str, list[Node]]
    ) -> list[Node]:
        info = self.package.callee_info(call, source)
        if info is not None:
            return [info.node]
        receiver, name, _ = call_parts(call)
        if receiver is not None and len(by_method.get(name, [])) == 1:
            return by_method[name]  # receiver not typed: the package's only method of the name
        return []

    def _is_handler(self, func: Node, source: SourceFile) -> bool:
        params = func.child_by_field_name("parameters")
        if params is None:
            return False
        imports = self.package.facts[source.path].imports
        for param in params.named_children:
            type_node = unwrap_type(param.child_by_field_name("type"))
            if type_node is None or type_node.type != "qualified_type":
                continue
            path = imports.get(text(type_node.child_by_field_name("package")), "")
            name = text(type_node.child_by_field_name("name"))
            if any(p.match(path) and name == n for p, n in _HANDLER_TYPES):
                return True
        return False

    def on_request_path(self, node: Node, source: SourceFile) -> bool:
        if source.path.endswith("_test.go"):
            return False
        current = parent_of(node)
        outer = None
        while current is not None:
            if current.type in FUNCTION_TYPES:
                if current.id in self.handlers:
                    return True
                outer = current
            current = parent_of(current)
        return outer is not None and outer.id in self.reachable
