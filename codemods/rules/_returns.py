"""How a function reports an error: copied from its own code, or built from its signature."""

from __future__ import annotations

from tree_sitter import Node

from codemods.package import Package, expression_items, unwrap_type
from codemods.source import SourceFile, text

_NUMERIC = {
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
    "complex64",
    "complex128",
    "byte",
    "rune",
}
_NIL_KINDS = {
    "pointer_type",
    "slice_type",
    "map_type",
    "channel_type",
    "function_type",
    "interface_type",
}
# Calls that end the process: nothing after them runs, deferred calls included.
PROCESS_EXITS = frozenset({"os.Exit", "log.Fatal", "log.Fatalf", "log.Fatalln"})
_TERMINATING_CALLS = PROCESS_EXITS | {"panic", "log.Panic", "log.Panicf"}


def ends_process(callee: str) -> bool:
    """``os.Exit``, ``log.Fatal*`` or a logger's ``.Fatal``/``.Fatalf`` (Echo's, logrus...)."""
    return callee in PROCESS_EXITS or callee.endswith((".Fatal", ".Fatalf"))


def results_of(func: Node) -> list[tuple[str, Node]]:
    """(name or "", type node) per result of a function declaration or literal."""
    result = func.child_by_field_name("result")
    if result is None:
        return []
    if result.type != "parameter_list":
        return [("", result)]
    out: list[tuple[str, Node]] = []
    for param in result.named_children:
        type_node = param.child_by_field_name("type")
        if type_node is None:
            continue
        names = param.children_by_field_name("name")
        out.extend((text(n), type_node) for n in names) if names else out.append(("", type_node))
    return out


def zero_value(package: Package, source: SourceFile, type_node: Node) -> str | None:
    """Go's zero value for a type, when leakfix can spell it."""
    if type_node.type in _NIL_KINDS:
        return "nil"
    if type_node.type == "qualified_type":
        # Struct types of the standard library whose zero value is spelled T{}.
        if text(type_node).split(".")[-1] in ("Time", "NullString", "NullInt64", "NullTime"):
            return f"{text(type_node)}{{}}"
        return None
    if type_node.type != "type_identifier":
        return None
    name = text(type_node)
    if name in _NUMERIC:
        return "0"
    if name == "string":
        return '""'
    if name == "bool":
        return "false"
    if name in ("error", "any"):
        return "nil"
    if name in package.structs:
        return f"{name}{{}}"
    return None


def error_return(package: Package, source: SourceFile, func: Node, err: str) -> str | None:
    """``return <zero values>, err`` for ``func``'s signature, or None when it cannot be said."""
    results = results_of(func)
    if not results:
        return None
    last = unwrap_type(results[-1][1])
    if last is None or text(last) != "error":
        return None
    values = []
    for name, type_node in results[:-1]:
        value = zero_value(package, source, type_node)
        if value is None:
            if not name or name == "_":
                return None
            value = name  # a named result keeps what the function computed so far
        values.append(value)
    return "return " + ", ".join([*values, err])


def returned_values(stmt: Node) -> list[Node]:
    """The expressions a return statement returns, in order (none for a bare return)."""
    values = [c for c in stmt.named_children if c.type != "comment"]
    return expression_items(values[0]) if values else []


def ends_function(block: Node) -> bool:
    """Whether a block's last statement leaves the function (return, panic, log.Fatal...)."""
    statements = [c for c in block_statements(block) if c.type != "comment"]
    if not statements:
        return False
    last = statements[-1]
    if last.type == "return_statement":
        return True
    if last.type == "expression_statement" and last.named_children:
        call = last.named_children[0]
        if call.type == "call_expression":
            callee = text(call.child_by_field_name("function"))
            return callee in _TERMINATING_CALLS or ends_process(callee)
    return False


def block_statements(block: Node) -> list[Node]:
    """The statements of a block (comments included), in order."""
    for child in block.named_children:
        if child.type == "statement_list":
            return list(child.named_children)
    return []


def block_body_lines(source: SourceFile, block: Node) -> list[str] | None:
    """The lines inside ``{ ... }`` of a multi-line block, relative to the block's indent."""
    if source.line_of(block.start_byte) == source.line_of(block.end_byte):
        return None
    first = source.line_of(block.start_byte) + 1
    last = source.line_of(block.end_byte) - 1
    if first > last:
        return None
    indent = source.indent_at(block.start_byte)
    lines = []
    for index in range(first, last + 1):
        start = source.line_starts[index]
        raw = source.data[start : source.line_end(start)]
        if raw.strip() and not raw.startswith(indent):
            return None
        lines.append(raw[len(indent) :].decode("utf-8") if raw.strip() else "")
    return lines
