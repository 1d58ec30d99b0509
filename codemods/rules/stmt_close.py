"""stmt-close: prepared statements that are never closed."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from codemods import dbapi, snippets
from codemods.model import Edit, Finding, Safety
from codemods.package import Decl, FuncInfo, Package, call_parts, enclosing_function
from codemods.rules import _flow, _paths, _returns
from codemods.rules.base import Invalid, Rule, RuleContext, Valid
from codemods.source import assigned_by, parent_of, parent_type, text, walk

PREPARE_METHODS = frozenset(
    {
        "Prepare",
        "PrepareContext",
        "Preparex",
        "PreparexContext",
        "PrepareNamed",
        "PrepareNamedContext",
    }
)
_HEADER = """package users

import (
	"context"
	"database/sql"
)

"""
_MAIN_HEADER = """package main

import (
	"database/sql"
	"log"
)

var db *sql.DB

"""


class StmtClose(Rule):
    """A prepared statement is never closed.

    ## What it does
    Finds statements from `Prepare`/`PrepareContext` (and sqlx `Preparex`/`PrepareNamed`) that
    are made in a function and not closed there, and package-level `*sql.Stmt` variables that
    nothing in the package ever closes. A statement returned by a function of the package is
    its caller's to close, exactly like one the caller prepared itself.
    "Every path" is decided on the function's control-flow graph, as go vet's lostcancel does
    (one analysis shared by rows-close, stmt-close, tx-rollback, conn-close and
    cancel-not-called): a path is covered by `stmt.Close()` on the way, a deferred call or
    deferred closure that does it, or a function of the package that does it to its argument;
    paths through `log.Fatal`, `os.Exit` or `t.Fatal` need nothing. The finding names the path
    that leaks: "prepared statement is not closed on the return at line 57".

    ## Why is this bad?
    A prepared statement lives on every connection it was used on, on the client and on the
    server (`pg_prepared_statements`), until `Close`. Preparing per request without closing
    grows server memory with every call; package-level statements that are never closed are
    left behind on each connection at shutdown.

    ## Example
    ```go
    stmt, err := db.PrepareContext(ctx, "SELECT name FROM users WHERE id = $1")
    if err != nil {
        return err
    }
    return stmt.QueryRowContext(ctx, id).Scan(&name)
    ```

    ## Use instead
    ```go
    stmt, err := db.PrepareContext(ctx, "SELECT name FROM users WHERE id = $1")
    if err != nil {
        return err
    }
    defer stmt.Close()
    ```

    ## Fix safety
    Safe. A local statement gets `defer stmt.Close()` after its error check, unless it has left
    the function: returned, stored in a field or a package variable on any path, sent, captured
    by a goroutine or a closure, or handed to a function that keeps it (its owner closes it). A
    variable that on some path holds a statement it did not prepare (`stmt = m.insertStmt`, a
    cached one) gets no `defer` either: closing it would break the next call. Statements
    prepared on a transaction (`tx.PrepareContext`, sqlx `tx.Preparex`) are not reported: Commit
    or Rollback closes them. For package-level statements one `closePreparedStatements()`
    function (from templates/) closes each; `main` calls it right after the Echo/http server's
    `Shutdown(ctx)`, or defers it when there is no `Shutdown` (note that `log.Fatal` and
    `os.Exit` skip deferred calls). A package without `main` is reported without a fix.
    """

    id = "stmt-close"
    summary = "prepared statement (local or package-level) never closed"
    fix_summary = "`defer stmt.Close()`; package-level: closePreparedStatements() on shutdown"
    safety = Safety.SAFE
    linters = ("sqlclosecheck",)

    VALID = [
        Valid(
            _HEADER
            + """func name(ctx context.Context, db *sql.DB, id int) (string, error) {
	stmt, err := db.PrepareContext(ctx, "SELECT name FROM users WHERE id = $1")
	if err != nil {
		return "", err
	}
	defer stmt.Close()
	var n string
	err = stmt.QueryRowContext(ctx, id).Scan(&n)
	return n, err
}
"""
        )
    ]
    INVALID = [
        Invalid(
            _HEADER
            + """func name(ctx context.Context, db *sql.DB, id int) (string, error) {
	stmt, err := db.PrepareContext(ctx, "SELECT name FROM users WHERE id = $1")
	if err != nil {
		return "", err
	}
	var n string
	err = stmt.QueryRowContext(ctx, id).Scan(&n)
	return n, err
}
""",
            r"statement is never closed",
            _HEADER
            + """func name(ctx context.Context, db *sql.DB, id int) (string, error) {
	stmt, err := db.PrepareContext(ctx, "SELECT name FROM users WHERE id = $1")
	if err != nil {
		return "", err
	}
	defer stmt.Close()
	var n string
	err = stmt.QueryRowContext(ctx, id).Scan(&n)
	return n, err
}
""",
        ),
        Invalid(
            _MAIN_HEADER
            + """var userStmt *sql.Stmt

func main() {
	var err error
	userStmt, err = db.Prepare("SELECT name FROM users WHERE id = $1")
	if err != nil {
		log.Fatal(err)
	}
}
""",
            r"package-level statement userStmt is never closed",
            _MAIN_HEADER
            + """var userStmt *sql.Stmt

func main() {
	defer closePreparedStatements()
	var err error
	userStmt, err = db.Prepare("SELECT name FROM users WHERE id = $1")
	if err != nil {
		log.Fatal(err)
	}
}

// closePreparedStatements closes the package-level prepared statements, releasing them on the
// server. It runs on the service's shutdown path.
func closePreparedStatements() {
	if userStmt != nil {
		_ = userStmt.Close()
	}
}
""",
        ),
    ]

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        yield from self._local_statements(ctx)
        yield from self._package_statements(ctx)

    # -- statements made in a function ---------------------------------------------------------

    def _local_statements(self, ctx: RuleContext) -> Iterator[Finding]:
        package, source = ctx.package, ctx.source
        prepared = [
            call
            for call, receiver, _method in _flow.resource_bindings(
                package, source, PREPARE_METHODS, dbapi.STMTS
            )
            if package.handle_type(receiver, source) not in dbapi.TXS
        ]
        seen = {call.id for call in prepared}
        # A function of the package that returns a statement hands it to its caller.
        owned = [
            call
            for call, _name in _flow.owned_results(package, source, dbapi.STMTS)
            if call.id not in seen
        ]
        for call in [*prepared, *owned]:
            func = enclosing_function(call)
            binding = _flow.binding_of(call)
            if func is None or binding is None:
                continue
            name = binding.name(0)
            if not name or name == "_":
                continue
            decl = package.lookup(name, binding.targets[0], source)
            if decl is None or package.is_package_var(decl):
                continue
            usage = _flow.usage_of(package, source, decl, binding.statement, func)
            if usage.escapes or _flow.holds_other_values(
                package, source, decl, binding.statement, func
            ):
                continue
            finding = self._local_finding(ctx, call, binding, usage, func)
            if finding is not None:
                yield finding

    def _local_finding(
        self, ctx: RuleContext, call: Node, binding: _flow.Binding, usage: _flow.Usage, func: Node
    ) -> Finding | None:
        stmt = binding.statement
        check = _flow.error_check(stmt, binding.err_name)
        has_check = _flow.is_err_check(check, binding.err_name)
        anchor = check if has_check and check is not None else stmt
        if _flow.closed_on_every_path(usage, anchor, func, parent_of(stmt)):
            return None
        name = binding.name(0)
        state = "never closed"
        if usage.closes:
            start, after_check = _flow.path_start(stmt, anchor, has_check, binding.err_name)
            leak = _paths.leak_after(
                ctx.package, func, start, usage.closes, after_check=after_check, name=name
            )
            if leak is None:
                return None  # closed by hand on every path
            state = f"not closed {leak.describe(ctx.source)}"
        message = f"prepared statement is {state}: add `defer {name}.Close()`"
        if parent_type(stmt) != "statement_list" or _flow.inside_loop(stmt, func):
            return self.finding(ctx, call, message)
        if binding.err_name not in ("", "_") and not has_check:
            return self.finding(ctx, call, message + " after the error check")
        edit = _flow.line_insert_after(ctx.source, anchor, [f"defer {name}.Close()"])
        fix = self.make_fix(f"Add `defer {name}.Close()`", [edit])
        return self.finding(ctx, call, message, fix)

    # -- package-level statements ------------------------------------------------------------

    def _package_statements(self, ctx: RuleContext) -> Iterator[Finding]:
        unclosed = ctx.package.memo("unclosed-statements", unclosed_package_statements)
        declared_here = ctx.package.package_vars
        mine = [d for d in unclosed if declared_here[d.name][1] is ctx.source]
        if not mine:
            return
        fix = self._shutdown_fix(ctx.package, [d.name for d in unclosed])
        note = self._fix_note(ctx.package)
        for decl in mine:
            message = (
                f"package-level statement {decl.name} is never closed: close it on shutdown" + note
            )
            yield self.finding(ctx, decl.node, message, fix)

    def _fix_note(self, package: Package) -> str:
        main = package.main_function()
        if main is None:
            return " (no main in this package to close it from)"
        body = main.node.child_by_field_name("body")
        if _shutdown_statement(main) is None and body is not None and _never_returns(body):
            return (
                " (main never returns normally: add a graceful Shutdown, then close the"
                " statements after it)"
            )
        if _shutdown_statement(main) is None and _exits_early(main):
            return " (log.Fatal and os.Exit in main skip deferred calls)"
        return ""

    def _shutdown_fix(self, package: Package, names: list[str]):  # type: ignore[no-untyped-def]
        main = package.main_function()
        if main is None:
            return None
        body = main.node.child_by_field_name("body")
        if body is None:
            return None
        func_name = _flow.fresh_name(
            ["closePreparedStatements", "closePackageStatements"], package.declared_names
        )
        source = main.source
        nl = source.newline.decode()
        checks = "".join(
            snippets.render("close_statement.go.tmpl", stmt=name) for name in sorted(names)
        )
        function = snippets.render(
            "close_prepared_statements.go.tmpl", name=func_name, body=checks
        ).replace("\n", nl)
        end = source.line_end(main.node.end_byte)
        edits = [Edit(end, end, (nl + nl + function.rstrip(nl)).encode(), path=source.path)]
        shutdown = _shutdown_statement(main)
        if shutdown is not None and shutdown.type == "defer_statement":
            # Deferred calls run last-in first-out: deferring before the Shutdown defer
            # closes the statements after the server stopped.
            edit = _flow.line_insert_before(source, shutdown, [f"defer {func_name}()"])
        elif shutdown is not None:
            edit = _flow.line_insert_after(source, shutdown, [f"{func_name}()"])
        elif _never_returns(body):
            return None
        else:
            first = _first_statement(body)
            if first is None:
                return None
            edit = _flow.line_insert_before(source, first, [f"defer {func_name}()"])
        edits.append(Edit(edit.start, edit.end, edit.text, path=source.path))
        title = f"Close {', '.join(sorted(names))} in {func_name}() on shutdown"
        return self.make_fix(title, edits)


def unclosed_package_statements(package: Package) -> list[Decl]:
    """Package variables holding prepared statements that nothing in the package closes."""
    candidates: dict[str, Decl] = {}
    prepared = _assigned_from_prepare(package)
    for name, (node, source) in package.package_vars.items():
        decl = package.lookup(name, node, source)
        if decl is None or decl.node != node:
            continue
        if decl.type in dbapi.STMTS or name in prepared:
            candidates[name] = Decl(name, node, decl.type, decl.statement)
    if not candidates:
        return []
    for source in package.files:
        for ident in source.nodes("identifier"):
            if text(ident) not in candidates:
                continue
            if ident == candidates[text(ident)].node:
                continue
            if _closes_or_hands_off(ident):
                candidates.pop(text(ident), None)
                if not candidates:
                    return []
    return sorted(candidates.values(), key=lambda d: d.node.start_byte)


def _assigned_from_prepare(package: Package) -> set[str]:
    """Package variables assigned a statement (``userStmt, err = db.Prepare(...)``)."""
    names = set()
    for source in package.files:
        for node in source.nodes("call_expression"):
            receiver, method, _ = call_parts(node)
            if method not in PREPARE_METHODS or package.handle_type(receiver, source) is None:
                continue
            binding = _flow.binding_of(node)
            name = binding.name(0) if binding is not None else ""
            if binding is None or not name or binding.declares:
                continue
            found = package.lookup(name, binding.targets[0], source)
            if found is not None and package.is_package_var(found):
                names.add(name)
    return names


def _closes_or_hands_off(ident: Node) -> bool:
    """A use that closes the statement, or gives it to code that may (precision first)."""
    parent = parent_of(ident)
    if parent is None:
        return False
    if parent.type == "selector_expression" and parent.child_by_field_name("operand") == ident:
        return text(parent.child_by_field_name("field")) == "Close"
    owner = assigned_by(parent)
    if owner is not None and owner.type == "assignment_statement":
        return False
    return parent.type not in ("binary_expression",)


def _shutdown_statement(main: FuncInfo) -> Node | None:
    """The statement in main (or a closure of it) that calls a server's Shutdown(ctx)."""
    for node in walk(main.node):
        if node.type != "call_expression":
            continue
        _, name, _ = call_parts(node)
        if name == "Shutdown":
            stmt = _flow.statement_of(node)
            if stmt is not None:
                return stmt
    return None


def _exits_early(main: FuncInfo) -> bool:
    return any(
        n.type == "call_expression"
        and text(n.child_by_field_name("function")) in _returns.PROCESS_EXITS
        for n in walk(main.node)
    )


def _never_returns(body: Node) -> bool:
    """main ends in log.Fatal(...)/os.Exit(...)/select{}: a deferred call there never runs."""
    last = None
    for child in body.named_children:
        if child.type == "statement_list":
            statements = [s for s in child.named_children if s.type != "comment"]
            last = statements[-1] if statements else None
    if last is None:
        return False
    if last.type == "select_statement" and not last.named_children:
        return True
    if last.type == "for_statement" and len(last.named_children) == 1:
        return True  # for { ... } with no condition
    call = last.named_children[0] if last.type == "expression_statement" else None
    if call is None or call.type != "call_expression":
        return False
    return _returns.ends_process(text(call.child_by_field_name("function")))


def _first_statement(body: Node) -> Node | None:
    for child in body.named_children:
        if child.type == "statement_list":
            for stmt in child.named_children:
                if stmt.type != "comment":
                    return stmt
    return None
