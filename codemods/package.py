"""What a Go package knows: imports, types of names, functions, package variables, main.

Type resolution is deliberately small: a name's type comes from its declaration (parameters,
``var`` with a type, ``:=`` from a known constructor or method, struct fields, package
variables). Anything else is unknown, and rules never flag what they cannot type.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar, cast

from tree_sitter import Node

from codemods import dbapi
from codemods.source import FUNCTION_TYPES, SourceFile, parent_of, text, walk

T = TypeVar("T")


@dataclass(frozen=True)
class Decl:
    """Where a name is declared: the declaring node and the type it gets (None: unknown)."""

    name: str
    node: Node  # the identifier node
    type: str | None
    statement: Node | None  # the declaring statement (None for parameters)


def unwrap_type(node: Node | None) -> Node | None:
    while node is not None and node.type in ("pointer_type", "parenthesized_type"):
        node = node.named_children[-1] if node.named_children else None
    return node


def expression_items(node: Node | None) -> list[Node]:
    """The expressions of an expression_list (or the single expression)."""
    if node is None:
        return []
    if node.type == "expression_list":
        return list(node.named_children)
    return [node]


def call_arguments(call: Node) -> list[Node]:
    """The arguments of a call expression, comments left out."""
    args = call.child_by_field_name("arguments")
    return [a for a in args.named_children if a.type != "comment"] if args is not None else []


def strip_parens(node: Node) -> Node:
    while node.type == "parenthesized_expression" and node.named_children:
        node = node.named_children[0]
    return node


def enclosing_function(node: Node) -> Node | None:
    current = parent_of(node)
    while current is not None and current.type not in FUNCTION_TYPES:
        current = parent_of(current)
    return current


def function_body(func: Node) -> Node | None:
    return func.child_by_field_name("body")


def call_parts(call: Node) -> tuple[Node | None, str, Node | None]:
    """(receiver expression, method or function name, argument list) of a call_expression."""
    callee = call.child_by_field_name("function")
    args = call.child_by_field_name("arguments")
    if callee is None:
        return None, "", args
    if callee.type == "selector_expression":
        return (
            callee.child_by_field_name("operand"),
            text(callee.child_by_field_name("field")),
            args,
        )
    if callee.type == "identifier":
        return None, text(callee), args
    return None, "", args


@dataclass
class FileFacts:
    """Per-file facts: the import table."""

    source: SourceFile
    imports: dict[str, str] = field(default_factory=dict)  # local name -> import path
    import_decls: list[Node] = field(default_factory=list)

    def __post_init__(self) -> None:
        for decl in self.source.root.children:
            if decl.type != "import_declaration":
                continue
            self.import_decls.append(decl)
            for spec in walk(decl):
                if spec.type != "import_spec":
                    continue
                path_node = spec.child_by_field_name("path")
                path = text(path_node).strip('"`')
                name_node = spec.child_by_field_name("name")
                name = text(name_node) if name_node is not None else dbapi.default_import_name(path)
                if name in ("_", "."):
                    continue
                self.imports[name] = path

    def family(self, package_name: str) -> str | None:
        path = self.imports.get(package_name)
        return dbapi.family_of(path) if path else None

    def name_for(self, import_path: str) -> str | None:
        """The local name under which ``import_path`` is imported, if it is."""
        for name, path in self.imports.items():
            if path == import_path:
                return name
        return None


@dataclass
class FuncInfo:
    name: str
    node: Node
    source: SourceFile
    receiver_type: str = ""  # local type name of a method's receiver
    results: tuple[str | None, ...] = ()
    result_nodes: tuple[Node, ...] = ()
    param_names: tuple[str, ...] = ()


class Package:
    """A Go package: the files of one folder that share a package clause."""

    def __init__(self, directory: str, name: str, files: list[SourceFile]) -> None:
        self.directory = directory
        self.name = name
        self.files = files
        self.facts = {f.path: FileFacts(f) for f in files}
        self.structs: dict[str, dict[str, tuple[Node, SourceFile]]] = {}
        self.embedded: dict[str, list[tuple[Node, SourceFile]]] = {}
        # Interfaces of the package: method name -> its result type nodes (a Querier, a DBTX).
        self.interfaces: dict[str, dict[str, tuple[list[Node], SourceFile]]] = {}
        self.funcs: dict[str, FuncInfo] = {}
        self.methods: dict[tuple[str, str], FuncInfo] = {}
        self.package_vars: dict[str, tuple[Node, SourceFile]] = {}
        self._param_calls: dict[tuple[str, ...], dict[int, set[int]]] = {}
        self._types: dict[tuple[str, int, int], str | None] = {}
        self._memo: dict[str, object] = {}
        self._lookups: dict[tuple[str, int, str], Decl | None] = {}
        self._collect()

    # -- collection --------------------------------------------------------------------------

    @cached_property
    def uses_database(self) -> bool:
        """Whether any file imports a database package: the gate for every database rule."""
        return any(
            dbapi.family_of(path) in dbapi.DB_FAMILIES
            for facts in self.facts.values()
            for path in facts.imports.values()
        )

    def _collect(self) -> None:
        # Types first: function results name struct types declared in any file.
        for source in self.files:
            for decl in source.root.children:
                if decl.type == "type_declaration":
                    self._collect_types(decl, source)
        for source in self.files:
            for decl in source.root.children:
                if decl.type == "function_declaration":
                    self._collect_func(decl, source, "")
                elif decl.type == "method_declaration":
                    self._collect_func(decl, source, self._receiver_type(decl))
                elif decl.type == "var_declaration":
                    for spec in walk(decl):
                        if spec.type == "var_spec":
                            for name in spec.children_by_field_name("name"):
                                self.package_vars[text(name)] = (name, source)

    def _collect_types(self, decl: Node, source: SourceFile) -> None:
        for spec in decl.named_children:
            if spec.type != "type_spec":
                continue
            type_node = spec.child_by_field_name("type")
            if type_node is not None and type_node.type == "interface_type":
                self._collect_interface(text(spec.child_by_field_name("name")), type_node, source)
                continue
            if type_node is None or type_node.type != "struct_type":
                continue
            name = text(spec.child_by_field_name("name"))
            fields: dict[str, tuple[Node, SourceFile]] = {}
            for fdecl in walk(type_node):
                if fdecl.type != "field_declaration":
                    continue
                ftype = fdecl.child_by_field_name("type")
                names = fdecl.children_by_field_name("name")
                if ftype is None:
                    continue
                if not names:
                    self.embedded.setdefault(name, []).append((ftype, source))
                for fname in names:
                    fields[text(fname)] = (ftype, source)
            self.structs[name] = fields

    def _collect_interface(self, name: str, node: Node, source: SourceFile) -> None:
        methods: dict[str, tuple[list[Node], SourceFile]] = {}
        for elem in node.named_children:
            if elem.type != "method_elem":
                continue
            result = elem.child_by_field_name("result")
            results: list[Node] = []
            if result is not None and result.type == "parameter_list":
                for param in result.named_children:
                    type_node = param.child_by_field_name("type")
                    if type_node is not None:
                        names = param.children_by_field_name("name")
                        results.extend([type_node] * max(1, len(names)))
            elif result is not None:
                results.append(result)
            methods[text(elem.child_by_field_name("name"))] = (results, source)
        self.interfaces[name] = methods

    def interface_handle(self, name: str) -> str | None:
        """The driver handle an interface of the package stands for, judged by what its
        methods return (`QueryContext(...) (*sql.Rows, error)` -> a `*sql.DB`)."""
        families = {
            "sql.Rows": "sql.DB",
            "sql.Row": "sql.DB",
            "sqlx.Rows": "sqlx.DB",
            "sqlx.Row": "sqlx.DB",
            "pgx.Rows": "pgxpool.Pool",
            "pgx.Row": "pgxpool.Pool",
        }
        for results, source in self.interfaces.get(name, {}).values():
            first = self.type_from_node(results[0], source) if results else None
            if first in families:
                return families[first]
        return None

    def _receiver_type(self, decl: Node) -> str:
        receiver = decl.child_by_field_name("receiver")
        if receiver is None:
            return ""
        for param in receiver.named_children:
            type_node = unwrap_type(param.child_by_field_name("type"))
            if type_node is not None:
                if type_node.type == "generic_type":
                    type_node = type_node.child_by_field_name("type")
                return text(type_node)
        return ""

    def _collect_func(self, decl: Node, source: SourceFile, receiver_type: str) -> None:
        name = text(decl.child_by_field_name("name"))
        result = decl.child_by_field_name("result")
        result_nodes: list[Node] = []
        if result is not None:
            if result.type == "parameter_list":
                for param in result.named_children:
                    if param.type != "parameter_declaration":
                        continue
                    type_node = param.child_by_field_name("type")
                    names = param.children_by_field_name("name")
                    if type_node is not None:
                        result_nodes.extend([type_node] * max(1, len(names)))
            else:
                result_nodes.append(result)
        params = decl.child_by_field_name("parameters")
        param_names: list[str] = []
        if params is not None:
            for param in params.named_children:
                for pname in param.children_by_field_name("name"):
                    param_names.append(text(pname))
        info = FuncInfo(
            name=name,
            node=decl,
            source=source,
            receiver_type=receiver_type,
            results=tuple(self.type_from_node(n, source) for n in result_nodes),
            result_nodes=tuple(result_nodes),
            param_names=tuple(param_names),
        )
        if receiver_type:
            self.methods[(receiver_type, name)] = info
        else:
            self.funcs[name] = info

    # -- types ------------------------------------------------------------------------------

    def type_from_node(self, node: Node | None, source: SourceFile) -> str | None:
        """A type expression as ``family.Name`` (known APIs) or ``local.Name`` (package types)."""
        node = unwrap_type(node)
        if node is None:
            return None
        if node.type == "qualified_type":
            package = text(node.child_by_field_name("package"))
            family = self.facts[source.path].family(package)
            name = text(node.child_by_field_name("name"))
            return f"{family}.{name}" if family else None
        if node.type == "type_identifier":
            name = text(node)
            if name in self.structs:
                return f"local.{name}"
            if name in self.interfaces:
                return f"iface.{name}"
            return {"error": "error", "string": "string", "bool": "bool"}.get(name, f"named.{name}")
        return None

    def field_type(self, struct: str, name: str) -> str | None:
        fields = self.structs.get(struct, {})
        if name in fields:
            node, source = fields[name]
            return self.type_from_node(node, source)
        return None

    def embedded_handle(self, struct: str) -> str | None:
        """A struct embedding a handle (``type Store struct{ *sql.DB }``) acts as that handle."""
        for node, source in self.embedded.get(struct, []):
            embedded = self.type_from_node(node, source)
            if dbapi.is_handle(embedded):
                return embedded
        return None

    def unique_field_type(self, name: str) -> str | None:
        """The type of field ``name`` when every struct of the package that has it agrees."""
        found = {
            self.type_from_node(fields[name][0], fields[name][1])
            for fields in self.structs.values()
            if name in fields
        }
        return found.pop() if len(found) == 1 else None

    def expr_type(self, node: Node | None, source: SourceFile, index: int = 0) -> str | None:
        """The type of an expression (result ``index`` of a multi-value call), memoized: the
        same receivers are typed again and again, and chains of selectors would otherwise
        re-resolve every prefix."""
        if node is None:
            return None
        key = (source.path, node.id, index)
        if key in self._types:
            return self._types[key]
        self._types[key] = None  # a cycle resolves to "unknown"
        result = self._expr_type(node, source, index)
        self._types[key] = result
        return result

    def _expr_type(self, node: Node, source: SourceFile, index: int) -> str | None:
        node = strip_parens(node)
        if node.type == "identifier":
            decl = self.lookup(text(node), node, source)
            return decl.type if decl else None
        if node.type == "selector_expression":
            operand = node.child_by_field_name("operand")
            fname = text(node.child_by_field_name("field"))
            operand_type = self.expr_type(operand, source)
            if operand_type and operand_type.startswith("local."):
                return self.field_type(operand_type[6:], fname)
            if operand_type is None and operand is not None and operand.type != "identifier":
                return None
            if (
                operand_type is None
                and operand is not None
                and self._is_package_name(text(operand), operand, source)
            ):
                return None
            return self.unique_field_type(fname) if operand_type is None else None
        if node.type == "call_expression":
            results = self.call_results(node, source)
            return results[index] if index < len(results) else None
        if node.type == "unary_expression" and text(node).startswith("&"):
            inner = node.named_children[-1] if node.named_children else None
            if inner is not None and inner.type == "composite_literal":
                return self.type_from_node(inner.child_by_field_name("type"), source)
        if node.type == "composite_literal":
            return self.type_from_node(node.child_by_field_name("type"), source)
        return None

    def _is_package_name(self, name: str, node: Node, source: SourceFile) -> bool:
        return name in self.facts[source.path].imports and self.lookup(name, node, source) is None

    def call_results(self, call: Node, source: SourceFile) -> tuple[str | None, ...]:
        receiver, name, _ = call_parts(call)
        if receiver is None:
            info = self.funcs.get(name)
            return info.results if info else ()
        if receiver.type == "identifier" and self._is_package_name(text(receiver), call, source):
            family = self.facts[source.path].family(text(receiver))
            return dbapi.CONSTRUCTORS.get(family or "", {}).get(name, ())
        receiver_type = self.expr_type(receiver, source)
        if receiver_type is None:
            return ()
        if receiver_type.startswith("iface."):
            declared = self.interfaces.get(receiver_type[6:], {}).get(name)
            if declared is not None:
                nodes, declared_in = declared
                return tuple(self.type_from_node(n, declared_in) for n in nodes)
            return ()
        if receiver_type.startswith("local."):
            info = self.methods.get((receiver_type[6:], name))
            if info is not None:
                return info.results
            receiver_type = self.embedded_handle(receiver_type[6:])
        method = dbapi.method(receiver_type, name)
        if method is not None:
            return tuple(r or None for r in method.results)
        follow = dbapi.CONTEXT_METHODS.get(receiver_type or "", {}).get(name)
        return (follow,) if follow else ()

    def handle_type(self, receiver: Node | None, source: SourceFile) -> str | None:
        """The database handle type of a method call's receiver, or None."""
        if receiver is None:
            return None
        receiver_type = self.expr_type(receiver, source)
        if receiver_type and receiver_type.startswith("local."):
            receiver_type = self.embedded_handle(receiver_type[6:])
        elif receiver_type and receiver_type.startswith("iface."):
            receiver_type = self.interface_handle(receiver_type[6:])
        return receiver_type if dbapi.is_handle(receiver_type) else None

    # -- scopes -----------------------------------------------------------------------------

    def lookup(self, name: str, at: Node, source: SourceFile) -> Decl | None:
        """The declaration of ``name`` visible at ``at`` (innermost first), or None."""
        key = (source.path, at.id, name)
        if key not in self._lookups:
            self._lookups[key] = self._lookup(name, at, source)
        return self._lookups[key]

    def _lookup(self, name: str, at: Node, source: SourceFile) -> Decl | None:
        child = at
        scope = parent_of(at)
        while scope is not None:
            decl = self._declared_in(name, scope, child, source, at)
            if decl is not None:
                return decl
            child = scope
            scope = parent_of(scope)
        if name in self.package_vars:
            node, var_source = self.package_vars[name]
            return self._var_decl(name, node, var_source)
        return None

    def _declared_in(
        self, name: str, scope: Node, child: Node, source: SourceFile, at: Node
    ) -> Decl | None:
        if scope.type in FUNCTION_TYPES:
            return self._param_decl(name, scope, source)
        if scope.type == "source_file":
            return None  # package scope: the package_vars table answers, order-free as in Go
        if scope.type in ("statement_list", "block"):
            found: Node | None = None
            for stmt in scope.named_children:
                if stmt.start_byte >= child.start_byte and stmt != child:
                    break
                if stmt.end_byte > child.start_byte and stmt.type != "labeled_statement":
                    # The use is inside this statement: `x := f(x)` sees the outer x, but the
                    # declared identifier itself is the declaration.
                    own = self._statement_decl(name, stmt, source)
                    if own is not None and own.node == at:
                        return own
                    if stmt.type not in ("if_statement", "for_statement"):
                        break
                if self._declares(name, stmt):
                    found = stmt
            return self._statement_decl(name, found, source) if found is not None else None
        if scope.type in (
            "if_statement",
            "for_statement",
            "expression_switch_statement",
            "type_switch_statement",
        ):
            for part in scope.named_children:
                if part == child:  # the initializer declaring it: `if rows, err := ...; `
                    own = self._statement_decl(name, part, source)
                    if own is not None and own.node == at:
                        return own
                    break
                if part.start_byte >= child.start_byte:
                    break
                if part.type == "for_clause":
                    part = part.child_by_field_name("initializer") or part
                if part.type == "range_clause":
                    left = part.child_by_field_name("left")
                    for ident in expression_items(left):
                        if text(ident) == name:
                            return Decl(name, ident, None, part)
                decl = self._statement_decl(name, part, source)
                if decl is not None:
                    return decl
            if scope.type == "type_switch_statement":
                alias = scope.child_by_field_name("alias")
                for ident in expression_items(alias):
                    if text(ident) == name:
                        return Decl(name, ident, None, scope)
        return None

    def _declares(self, name: str, stmt: Node) -> bool:
        """Cheap test before typing: does ``stmt`` declare ``name``?"""
        if stmt.type == "short_var_declaration":
            left = stmt.child_by_field_name("left")
            return any(text(i) == name for i in expression_items(left))
        if stmt.type in ("var_declaration", "const_declaration"):
            return any(
                text(n) == name
                for spec in walk(stmt)
                if spec.type in ("var_spec", "const_spec")
                for n in spec.children_by_field_name("name")
            )
        if stmt.type == "labeled_statement" and stmt.named_children:
            return self._declares(name, stmt.named_children[-1])
        return False

    def _param_decl(self, name: str, func: Node, source: SourceFile) -> Decl | None:
        for field_name in ("receiver", "parameters", "result"):
            params = func.child_by_field_name(field_name)
            if params is None or params.type != "parameter_list":
                continue
            for param in params.named_children:
                for pname in param.children_by_field_name("name"):
                    if text(pname) == name:
                        type_node = param.child_by_field_name("type")
                        return Decl(name, pname, self.type_from_node(type_node, source), None)
        return None

    def _statement_decl(self, name: str, stmt: Node, source: SourceFile) -> Decl | None:
        if stmt.type == "short_var_declaration":
            left = expression_items(stmt.child_by_field_name("left"))
            right = expression_items(stmt.child_by_field_name("right"))
            for i, ident in enumerate(left):
                if text(ident) == name:
                    return Decl(name, ident, self._assigned_type(left, right, i, source), stmt)
        elif stmt.type in ("var_declaration", "const_declaration"):
            for spec in walk(stmt):
                if spec.type not in ("var_spec", "const_spec"):
                    continue
                names = spec.children_by_field_name("name")
                for i, ident in enumerate(names):
                    if text(ident) == name:
                        type_node = spec.child_by_field_name("type")
                        if type_node is not None:
                            typ = self.type_from_node(type_node, source)
                        else:
                            right = expression_items(spec.child_by_field_name("value"))
                            typ = self._assigned_type(names, right, i, source)
                        return Decl(name, ident, typ, stmt)
        elif stmt.type == "labeled_statement":
            inner = stmt.named_children[-1] if stmt.named_children else None
            return self._statement_decl(name, inner, source) if inner is not None else None
        return None

    def _assigned_type(
        self, left: list[Node], right: list[Node], index: int, source: SourceFile
    ) -> str | None:
        if len(right) == 1 and len(left) > 1:
            return self.expr_type(right[0], source, index)
        if index < len(right):
            return self.expr_type(right[index], source)
        return None

    def _var_decl(self, name: str, ident: Node, source: SourceFile) -> Decl | None:
        spec = parent_of(ident)
        stmt = spec
        while stmt is not None and stmt.type != "var_declaration":
            stmt = parent_of(stmt)
        if spec is None:
            return None
        type_node = spec.child_by_field_name("type")
        if type_node is not None:
            return Decl(name, ident, self.type_from_node(type_node, source), stmt)
        names = spec.children_by_field_name("name")
        right = expression_items(spec.child_by_field_name("value"))
        index = [text(n) for n in names].index(name)
        return Decl(name, ident, self._assigned_type(names, right, index, source), stmt)

    def is_package_var(self, decl: Decl) -> bool:
        return decl.name in self.package_vars and self.package_vars[decl.name][0] == decl.node

    def memo_get(self, key: str) -> object | None:
        return self._memo.get(key)

    def memo_set(self, key: str, value: object) -> None:
        self._memo[key] = value

    def memo(self, key: str, compute: Callable[[Package], T]) -> T:
        """A package-wide fact computed once per pass (rules run once per file)."""
        if key not in self._memo:
            self._memo[key] = compute(self)
        return cast(T, self._memo[key])

    # -- functions --------------------------------------------------------------------------

    def callee_info(self, call: Node, source: SourceFile) -> FuncInfo | None:
        """The package function or method a call goes to, when leakfix can tell."""
        receiver, name, _ = call_parts(call)
        if receiver is None:
            return self.funcs.get(name)
        receiver_type = self.expr_type(receiver, source)
        if receiver_type and receiver_type.startswith("local."):
            return self.methods.get((receiver_type[6:], name))
        return None

    def param_calls(self, methods: tuple[str, ...]) -> dict[int, set[int]]:
        """Function node id -> indices of parameters on which the function calls one of
        ``methods`` (``p.Close()``, ``p.Err()``), directly or through another such function."""
        key = tuple(sorted(methods))
        if key not in self._param_calls:
            self._param_calls[key] = self._compute_param_calls(set(methods))
        return self._param_calls[key]

    def _compute_param_calls(self, methods: set[str]) -> dict[int, set[int]]:
        result: dict[int, set[int]] = {}
        infos = [*self.funcs.values(), *self.methods.values()]
        for _ in range(3):  # helpers calling helpers: a few rounds reach a fixed point
            changed = False
            for info in infos:
                found = self._params_called(info, methods, result)
                if found - result.get(info.node.id, set()):
                    result[info.node.id] = result.get(info.node.id, set()) | found
                    changed = True
            if not changed:
                break
        return result

    def _params_called(
        self, info: FuncInfo, methods: set[str], known: dict[int, set[int]]
    ) -> set[int]:
        body = function_body(info.node)
        if body is None:
            return set()
        found = set()
        for node in walk(body):
            if node.type != "call_expression":
                continue
            receiver, name, args = call_parts(node)
            if name in methods and receiver is not None and text(receiver) in info.param_names:
                found.add(info.param_names.index(text(receiver)))
            callee = self.callee_info(node, info.source) if args is not None else None
            if callee is None or args is None:
                continue
            for index in known.get(callee.node.id, set()):
                items = [a for a in args.named_children if a.type != "comment"]
                if index < len(items) and text(items[index]) in info.param_names:
                    found.add(info.param_names.index(text(items[index])))
        return found

    def calls_on_argument(
        self, call: Node, index: int, source: SourceFile, methods: tuple[str, ...]
    ) -> bool:
        """Whether the package function called by ``call`` calls ``methods`` on argument
        ``index``."""
        info = self.callee_info(call, source)
        return info is not None and index in self.param_calls(methods).get(info.node.id, set())

    def main_function(self) -> FuncInfo | None:
        return self.funcs.get("main") if self.name == "main" else None

    def all_functions(self) -> Iterator[tuple[Node, SourceFile]]:
        for source in self.files:
            for node in walk(source.root):
                if node.type in FUNCTION_TYPES:
                    yield node, source

    @cached_property
    def declared_names(self) -> set[str]:
        """Every package-level name: functions, types, variables, constants."""
        names = set(self.funcs) | set(self.package_vars) | set(self.structs)
        for source in self.files:
            for decl in source.root.children:
                for node in (
                    walk(decl) if decl.type in ("const_declaration", "type_declaration") else ()
                ):
                    if node.type in ("const_spec", "type_spec"):
                        for ident in node.children_by_field_name("name"):
                            names.add(text(ident))
        return names
