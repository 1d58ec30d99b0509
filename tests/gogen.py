"""Generate whole, compilable Go files of database code from a small grammar.

`go_files()` is a hypothesis strategy; `collect(n)` draws n files deterministically (hypothesis
with `derandomize=True`, generate phase only), and `from_seed(seed)` drives the same grammar
with a seeded `random.Random` (handy to reproduce one file: `python tests/gogen.py 17`).

The grammar, roughly:

    file      := package, imports (computed from what the code uses), 1..3 functions
    function  := plain func | method on a struct holding a handle | func on a package-level
                 handle | Echo handler (method or `func(db) echo.HandlerFunc`) | net/http handler
                 (method or `func(db) http.HandlerFunc`)
    handle    := *sql.DB | *sql.Tx | *sql.Conn | *sqlx.DB | *pgx.Conn | *pgxpool.Pool, pgx v5
                 or v4 (v4 imported as pgx4/pgxpool4 when the file uses both)
    statement := rows (Query*, `for rows.Next()` + Scan, early exits, defer or not, rows.Err()
                 or not, rows handed to a goroutine or a closure) | QueryRow | Exec | discarded
                 rows | Prepare + use | Begin + use + Commit | Conn/Acquire + use |
                 context.WithTimeout/WithCancel/WithDeadline + use | `for range ids` loop |
                 `if` | closure called on the spot | goroutine
    error     := `return err` | `return nil, err` | `return fmt.Errorf(...)` | naked return |
                 `log.Printf` + return/continue/break | `http.Error` | `echo.NewHTTPError`

Every name is unique in its function (`rows3`, `tx7`, ...), every declared local is used,
`:=` always declares something new, and a file is gofmt-clean as printed. Inputs leak cancel
functions on purpose: vet them with `-lostcancel=false`.
"""

from __future__ import annotations

import random
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

T = TypeVar("T")


# -- choices ---------------------------------------------------------------------------------


class Chooser:
    """Where the grammar's choices come from. Options are listed simplest first."""

    def choice(self, options: Sequence[T]) -> T:
        raise NotImplementedError

    def chance(self, percent: int) -> bool:
        raise NotImplementedError

    def integer(self, low: int, high: int) -> int:
        raise NotImplementedError


class DrawChooser(Chooser):
    """Choices drawn by hypothesis (they shrink towards the first option, towards False)."""

    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any]) -> None:
        self.draw = draw

    def choice(self, options: Sequence[T]) -> T:
        return self.draw(st.sampled_from(options))

    def chance(self, percent: int) -> bool:
        return self.draw(st.integers(0, 99)) >= 100 - percent

    def integer(self, low: int, high: int) -> int:
        return self.draw(st.integers(low, high))


class RandomChooser(Chooser):
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def choice(self, options: Sequence[T]) -> T:
        return options[self.rng.randrange(len(options))]

    def chance(self, percent: int) -> bool:
        return self.rng.randrange(100) < percent

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)


# -- the model -------------------------------------------------------------------------------

SQL_FAMILY = ("sql.DB", "sql.Tx", "sql.Conn", "sql.Stmt", "sqlx.DB", "sqlx.Tx", "sqlx.Conn")
# Handles that only have the *Context methods.
CTX_ONLY = ("sql.Conn", "sqlx.Conn")
TABLES = ("items", "orders", "users", "sessions", "audit_log", "accounts")


@dataclass(frozen=True)
class Handle:
    kind: str  # "sql.DB", "pgx.Conn", "pgxpool.Pool", "pgx.Tx", ...
    expr: str  # how the code names it: db, s.db, tx3, pool
    version: int = 0  # pgx major version (4 or 5); 0 for database/sql and sqlx

    @property
    def pgx(self) -> bool:
        return self.kind not in SQL_FAMILY

    @property
    def value(self) -> str:
        """The handle as a value to pass on (an embedded handle is a field of its own)."""
        return f"s.{self.kind.split('.')[1]}" if self.expr == "s" else self.expr


@dataclass
class Func:
    """A function or a function literal: how its returns look."""

    name: str
    kind: str  # none | error | slice | int | named | echo | http
    echo_ctx: bool = False


@dataclass
class Block:
    fn: Func
    parent: Block | None = None
    names: set[str] = field(default_factory=set)
    in_loop: bool = False  # continue/break reach a loop of the same function
    ctx: str | None = None  # the context expression in reach
    ident: tuple[str, str] = ("id", "int64")  # the id in reach: name, type
    cleanup: tuple[str, ...] = ()  # lines run before every error return (explicit Rollback)
    label: str | None = None  # the label of the enclosing range loop, if any
    top: bool = False  # the function's own body block

    def child(self, **changes: Any) -> Block:
        """A nested block: it sees this one's names, declares its own."""
        values: dict[str, Any] = {"parent": self, "names": set(), "top": False}
        values.update(changes)
        return replace(self, **values)

    def declares(self, name: str) -> bool:
        return name in self.names

    def err_is_result(self) -> bool:
        """`err` here is the function's named result (a naked return returns it)."""
        block: Block | None = self
        while block is not None:
            if "err" in block.names:
                return block.top and block.fn.kind == "named"
            if block.top:
                return False
            block = block.parent
        return False


@dataclass(frozen=True)
class GoFile:
    source: bytes
    tags: frozenset[str]

    @property
    def text(self) -> str:
        return self.source.decode()


IMPORTS = {
    "context": "context",
    "errors": "errors",
    "fmt": "fmt",
    "http": "net/http",
    "log": "log",
    "sql": "database/sql",
    "time": "time",
    "echo": "github.com/labstack/echo/v4",
    "sqlx": "github.com/jmoiron/sqlx",
}
USES = re.compile(r"(?<![\w.])([a-z][a-z0-9]*)\.[A-Z]")


LABEL = "\x01"  # marks a label line: gofmt prints labels one tab left of their statement


def indent(lines: list[str]) -> list[str]:
    """One more tab on every line (an element may hold several lines: a multi-line call)."""
    return [_indent_block(line) for line in lines]


def _indent_block(line: str) -> str:
    return "\n".join(_indent_one(sub) for sub in line.split("\n"))


def _indent_one(line: str) -> str:
    if line.startswith(LABEL):
        return line[1:]
    return "\t" + line if line else line


# -- the generator -----------------------------------------------------------------------------


class FileGen:
    def __init__(self, chooser: Chooser) -> None:
        self.c = chooser
        self.tags: set[str] = set()
        self.decls: list[str] = []  # package-level types and variables
        self.counter = 0
        self.used: set[str] = set()  # lazily declared names that the code used
        self.pgx_mode = "v5"
        self.helpers: dict[str, str] = {}
        self.helper_decls: list[str] = []
        self.aliases: dict[str, str] = {}  # package name -> alias used for it

    # names and bookkeeping

    def fresh(self, base: str) -> str:
        self.counter += 1
        return f"{base}{self.counter}"

    def tag(self, *names: str) -> None:
        self.tags.update(names)

    def use(self, expr: str) -> str:
        self.used.add(expr)
        return expr

    def pgx_pkg(self, name: str, version: int) -> str:
        """`pgx`/`pgxpool` of a version, aliased for v4 when the file also uses v5."""
        return f"{name}4" if version == 4 and self.pgx_mode == "both" else name

    def go_type(self, h: Handle) -> str:
        if not h.pgx:
            return "*" + h.kind
        package, name = h.kind.split(".")
        prefix = "" if h.kind == "pgx.Tx" else "*"
        return f"{prefix}{self.pgx_pkg(package, h.version)}.{name}"

    def ident(self, b: Block) -> str:
        return self.use(b.ident[0])

    def sql_text(self, verb: str) -> str:
        table = self.c.choice(TABLES)
        if verb == "select":
            return f'"SELECT id FROM {table} WHERE owner_id = $1"'
        if verb == "update":
            return f'"UPDATE {table} SET seen_at = now() WHERE id = $1"'
        return f'"INSERT INTO {table} (owner_id) VALUES ($1)"'

    # contexts

    def context_arg(self, b: Block, required: bool) -> str | None:
        """The context a call passes: the one in reach, Background/TODO, or none."""
        options: list[str | None] = []
        if b.ctx is not None:
            options += [b.ctx, b.ctx, b.ctx]
        if not required:
            options.append(None)
        options += ["context.Background()"]
        if b.ctx is None:
            options += [None] if not required else []
            options.append("context.TODO()")
        chosen = self.c.choice(options)
        if chosen is None:
            self.tag("ctx:none")
        elif chosen.startswith("context."):
            self.tag("ctx:background")
        else:
            self.tag("ctx:inreach")
            self.use(chosen)
        return chosen

    def required_ctx(self, b: Block) -> str:
        ctx = self.context_arg(b, required=True)
        assert ctx is not None
        return ctx

    # error handling

    def err_lines(self, b: Block, err: str = "err") -> list[str]:
        """The body of `if err != nil {`: handle the error the function's way."""
        fn = b.fn
        lines = list(b.cleanup)
        tag = fn.name
        if b.in_loop and self.c.chance(20):
            self.tag("err:log-continue")
            word = self.c.choice(["continue", "break"])
            if b.label and self.c.chance(50):
                self.tag("label:continue")
                word = f"continue {self.use(b.label)}"
            return [*lines, f'log.Printf("{tag}: %v", {err})', word]
        wrapped = err
        if fn.kind in ("error", "slice", "int", "named") and self.c.chance(35):
            wrapped = f'fmt.Errorf("{tag}: %w", {err})'
            self.tag("err:wrap")
        if fn.kind == "none":
            return [*lines, f'log.Printf("{tag}: %v", {err})', "return"]
        if fn.kind == "main":
            self.tag("err:fatal")
            return [*lines, f"log.Fatal({err})"]
        if fn.kind == "error":
            return [*lines, f"return {wrapped}"]
        if fn.kind == "slice":
            self.tag("err:nil-err")
            return [*lines, f"return nil, {wrapped}"]
        if fn.kind == "int":
            return [*lines, f"return 0, {wrapped}"]
        if fn.kind == "named":
            if err == "err" and b.err_is_result() and self.c.chance(50):
                self.tag("err:naked")
                return [*lines, "return"]
            return [*lines, f"return n, {wrapped}"]
        if fn.kind == "echo":
            self.tag("err:echo")
            return [
                *lines,
                self.c.choice(
                    [
                        f"return echo.NewHTTPError(http.StatusInternalServerError, {err}.Error())",
                        f"return {err}",
                        f"return c.String(http.StatusInternalServerError, {err}.Error())",
                    ]
                ),
            ]
        assert fn.kind == "http"
        return [*lines, f"http.Error(w, {err}.Error(), http.StatusInternalServerError)", "return"]

    def exit_lines(self, b: Block, value: str | None = None) -> list[str]:
        """An early exit that is not an error: break, return nil, a 404."""
        fn = b.fn
        self.tag("early-exit")
        if b.in_loop and self.c.chance(25):
            return ["break"]
        if fn.kind in ("none", "main"):
            return ["return"]
        if fn.kind == "error":
            options = ["return nil", 'return errors.New("not found")']
            if value is not None:
                options.append(f'return fmt.Errorf("{fn.name}: bad value %d", {value})')
            return [self.c.choice(options)]
        if fn.kind == "slice":
            if self.c.chance(50):
                self.use("out")
                return ["return out, nil"]
            return ["return nil, nil"]
        if fn.kind == "int":
            return ["return 0, nil"]
        if fn.kind == "named":
            return ["return"] if b.err_is_result() and self.c.chance(50) else ["return n, nil"]
        if fn.kind == "echo":
            return ["return c.NoContent(http.StatusNotFound)"]
        return ["http.NotFound(w, r)", "return"]

    def check(self, b: Block, err: str = "err") -> list[str]:
        return [f"if {err} != nil {{", *indent(self.err_lines(b, err)), "}"]

    def err_decl(self, b: Block, new_left: bool) -> str:
        """`err :=` or `err =` for a statement `X, err ...` (new_left: X is a new name)."""
        if new_left or not b.declares("err"):
            b.names.add("err")
            return ":="
        return "="

    # calls

    def call(self, b: Block, h: Handle, op: str, args: str) -> str:
        """A call of op (Query, QueryRow, Exec, Prepare) on h, with or without a context."""
        if h.pgx:
            self.tag(f"call:pgx.{op}")
            return self.format_call(f"{h.expr}.{op}", [self.required_ctx(b), *args.split(", ")])
        ctx = self.context_arg(b, required=h.kind in CTX_ONLY)
        name = op
        sqlx_op = h.kind.startswith("sqlx.") and op in ("Query", "QueryRow", "Prepare")
        if sqlx_op and self.c.chance(40):
            name = op + "x"
        self.tag(f"call:{name}")
        if ctx is None:
            return self.format_call(f"{h.expr}.{name}", args.split(", "))
        return self.format_call(f"{h.expr}.{name}Context", [ctx, *args.split(", ")])

    def format_call(self, function: str, args: list[str]) -> str:
        """`f(a, b)`, or now and then one argument a line."""
        if self.c.chance(12):
            self.tag("call:multiline")
            return f"{function}(\n" + "".join(f"\t{a},\n" for a in args) + ")"
        return f"{function}({', '.join(args)})"

    def comment(self, line: str) -> str:
        """Now and then a trailing comment (only on lines whose neighbours have none)."""
        if self.c.chance(12):
            self.tag("comment:trailing")
            return line + " // " + self.c.choice(["read them", "want rows", "see #12"])
        return line

    def query_args(self, b: Block, h: Handle, verb: str) -> str:
        if h.kind == "sql.Stmt":
            return self.ident(b)
        if self.c.chance(20):
            return f'"SELECT id FROM {self.c.choice(TABLES)}"'
        return f"{self.sql_text(verb)}, {self.ident(b)}"

    # statements

    def statements(self, b: Block, h: Handle, count: int, depth: int) -> list[str]:
        lines: list[str] = []
        for _ in range(count):
            lines += self.statement(b, h, depth)
        return lines

    def statement(self, b: Block, h: Handle, depth: int) -> list[str]:
        kinds = ["rows", "rows", "rows", "queryrow", "exec", "discard"]
        if h.kind in ("sql.DB", "sql.Tx", "sql.Conn", "sqlx.DB", "sqlx.Tx", "sqlx.Conn"):
            kinds.append("prepare")
        if h.kind in ("sql.DB", "sql.Conn", "sqlx.DB", "sqlx.Conn", "pgx.Conn", "pgxpool.Pool"):
            kinds += ["begin", "begin"]
        if h.kind in ("pgxpool.Conn",):
            kinds.append("begin")
        if h.kind in ("sql.DB", "sqlx.DB", "pgxpool.Pool"):
            kinds += ["conn", "conn"] if h.kind == "pgxpool.Pool" else ["conn"]
        if h.kind in ("sqlx.DB", "sqlx.Tx", "sqlx.Conn"):
            kinds += ["select", "select"]
        if depth < 2:
            kinds += ["timeout", "timeout", "loop", "if", "closure", "goroutine"]
        kind = self.c.choice(kinds)
        self.tag(f"stmt:{kind}", f"on:{h.kind}")
        lines = []
        if self.c.chance(10):
            lines.append(f"// {kind} on {h.expr}")
        method = getattr(self, f"stmt_{kind}")
        return lines + method(b, h, depth)

    def stmt_rows(self, b: Block, h: Handle, depth: int) -> list[str]:
        rows = self.fresh("rows")
        if h.kind in ("sql.DB", "sqlx.DB", "pgx.Conn", "pgxpool.Pool") and self.c.chance(25):
            call, rows_type = self.rows_helper(b, h)
        else:
            call = self.call(b, h, "Query", self.query_args(b, h, "select"))
            rows_type = self.rows_type(h, call)
        errs = self.c.choice(["check", "check", "check", "ignore", "errnil"])
        self.tag(f"rows-err-style:{errs}")
        lines: list[str] = []
        if errs == "ignore":
            lines.append(f"{rows}, _ := {call}")
        elif errs == "check":
            lines.append(self.comment(f"{rows}, err {self.err_decl(b, True)} {call}"))
        else:
            lines.append(f"{rows}, err {self.err_decl(b, True)} {call}")
        inner = b
        if errs == "check":
            lines += self.check(b)
        body: list[str] = []
        if errs == "errnil":
            inner = b.child()
        close = self.c.choice(["defer", "defer", "closure", "end", "none", "none"])
        consume = self.c.choice(
            ["loop", "loop", "loop", "next", "goroutine", "closure", "none", "drain", "collect"]
        )
        if h.pgx and h.version == 5 and self.c.chance(15):
            consume = "collect"
        if consume == "collect" and not (h.pgx and h.version == 5):
            consume = "loop"
        self.tag(f"close:{close}", f"consume:{consume}")
        if close == "defer" and consume not in ("goroutine", "closure"):
            body.append(f"defer {rows}.Close()")
        elif close == "closure":
            if h.pgx:
                body += ["defer func() {", f"\t{rows}.Close()", "}()"]
            else:
                body += [
                    "defer func() {",
                    f"\tif cerr := {rows}.Close(); cerr != nil {{",
                    '\t\tlog.Printf("close: %v", cerr)',
                    "\t}",
                    "}()",
                ]
        if consume in ("goroutine", "closure"):
            fn = Func(b.fn.name, "none")
            sub = inner.child(fn=fn, in_loop=False, cleanup=(), top=True, label=None)
            sub.names = set()
            inside = []
            if close == "defer":
                inside.append(f"defer {rows}.Close()")
            inside += self.rows_loop(sub, rows, h)
            if consume == "goroutine":
                done = self.fresh("done")
                body += [
                    f"{done} := make(chan struct{{}})",
                    "go func() {",
                    f"\tdefer close({done})",
                    *indent(inside),
                    "}()",
                    f"<-{done}",
                ]
            else:
                body += ["func() {", *indent(inside), "}()"]
        elif consume == "loop" or consume == "next":
            body += self.rows_loop(inner, rows, h, single=consume == "next")
            if errs == "check" and h.kind != "sql.Stmt" and self.c.chance(15):
                # The same variable gets the rows of a second query.
                self.tag("rows:requery")
                body += [f"{rows}, err = {call}", *self.check(inner)]
                body += self.rows_loop(inner, rows, h)
        elif consume == "drain":
            body.append(f"{self.drain_helper(rows_type)}({rows})")
        elif consume == "collect":
            values = self.fresh("vals")
            pgx = self.pgx_pkg("pgx", 5)
            collect = f"{values}, err {self.err_decl(inner, True)} "
            body += [
                collect + f"{pgx}.CollectRows({rows}, {pgx}.RowTo[int64])",
                *self.check(inner),
            ]
            if self.c.chance(50):
                self.use("out")
                body.append(f"out = append(out, {values}...)")
            else:
                body.append(f"_ = {values}")
        else:
            body.append(f"_ = {rows}")
        if close == "end":
            body.append(f"{rows}.Close()")
        if errs == "errnil":
            lines += ["if err == nil {", *indent(body), "}"]
        else:
            lines += body
        return lines

    def record_type(self) -> str:
        def decl(name: str) -> str:
            return f"type {name} struct {{\n\tID   int64\n\tName string\n}}"

        return self.helper("record", "record", decl)

    def rows_type(self, h: Handle, call: str) -> str:
        if h.pgx:
            return f"{self.pgx_pkg('pgx', h.version)}.Rows"
        return "*sqlx.Rows" if ".Queryx" in call else "*sql.Rows"

    def helper(self, key: str, base: str, decl: Callable[[str], str]) -> str:
        """A package function of the file, declared once per key."""
        if key not in self.helpers:
            name = self.fresh(base)
            self.helpers[key] = name
            self.helper_decls.append(decl(name))
        return self.helpers[key]

    def rows_helper(self, b: Block, h: Handle) -> tuple[str, str]:
        """Rows from a package function: the caller owns them, as if it queried itself."""
        ctx = self.context_arg(b, required=True)
        handle = Handle(h.kind, "db", h.version)
        htype = self.go_type(handle)
        rows_type = self.rows_type(handle, "")
        method = "Query" if h.pgx else "QueryContext"
        self.tag("rows:helper")

        def decl(name: str) -> str:
            return (
                f"func {name}(ctx context.Context, db {htype}, id any) ({rows_type}, error) {{\n"
                f'\treturn db.{method}(ctx, "SELECT id FROM items WHERE owner_id = $1", id)\n'
                "}"
            )

        name = self.helper(f"rows {htype}", "queryItems", decl)
        return f"{name}({ctx}, {h.value}, {self.ident(b)})", rows_type

    def drain_helper(self, rows_type: str) -> str:
        """A package function that reads rows to the end and closes them."""
        self.tag("rows:drained")

        def decl(name: str) -> str:
            return (
                f"func {name}(rows {rows_type}) {{\n"
                "\tdefer rows.Close()\n"
                "\tfor rows.Next() {\n"
                "\t}\n"
                "}"
            )

        return self.helper(f"drain {rows_type}", "drain", decl)

    def rows_loop(self, b: Block, rows: str, h: Handle, single: bool = False) -> list[str]:
        """`for rows.Next() { Scan ... }` and maybe the rows.Err() check after it."""
        loop = b.child(in_loop=not single or b.in_loop)
        value = self.fresh("v")
        body = [f"var {value} int64"]
        if self.c.chance(20):
            self.tag("scan:struct")
            record = self.fresh("rec")
            body = [f"var {record} {self.record_type()}"]
            # Scan into the fields; `value` names the id field from here on.
            targets = f"&{record}.ID, &{record}.Name"
            value = f"{record}.ID"
        else:
            targets = f"&{value}"
        scan = self.c.choice(["check", "check", "check", "bare", "inline"])
        self.tag(f"scan:{scan}")
        if scan == "check":
            body.append(f"if err := {rows}.Scan({targets}); err != nil {{")
            body += indent(self.err_lines(loop.child(names={"err"})))
            body.append("}")
        elif scan == "inline":
            body += [f"if {rows}.Scan({targets}) != nil {{"]
            body += indent(["continue"] if not single else self.exit_lines(loop))
            body.append("}")
        else:
            body.append(f"_ = {rows}.Scan({targets})")
        exits = self.c.choice(["none", "none", "if", "switch"])
        if exits == "if":
            body += [f"if {value} < 0 {{", *indent(self.exit_lines(loop, value)), "}"]
        elif exits == "switch":
            self.tag("exit:switch")  # a `break` here leaves the switch, not the loop
            body += ["switch {", f"case {value} < 0:", *indent(self.exit_lines(loop, value))]
            if loop.in_loop:
                body += [f"case {value} == 0:", "\tcontinue"]
            body.append("}")
        if self.c.chance(60):
            self.use("out")
            body.append(f"out = append(out, {value})")
        head = "if" if single else "for"
        lines = [f"{head} {rows}.Next() {{", *indent(body), "}"]
        if self.c.chance(55):
            self.tag("rows.Err:checked")
            lines += [f"if err := {rows}.Err(); err != nil {{"]
            lines += indent(self.err_lines(b.child(names={"err"})))
            lines.append("}")
        else:
            self.tag("rows.Err:unchecked")
        return lines

    def stmt_queryrow(self, b: Block, h: Handle, depth: int) -> list[str]:
        value = self.fresh("v")
        call = self.call(b, h, "QueryRow", self.query_args(b, h, "select"))
        style = self.c.choice(["if", "if", "assign", "bare", "blank", "later"])
        self.tag(f"queryrow:{style}")
        if style == "if":
            lines = [
                f"var {value} int64",
                f"if err := {call}.Scan(&{value}); err != nil {{",
                *indent(self.err_lines(b.child(names={"err"}))),
                "}",
            ]
            if self.c.chance(30):
                self.tag("queryrow:else")
                self.use("out")
                lines[-1] = "} else {"
                lines += [f"\tout = append(out, {value})", "}"]
            return lines
        if style == "assign":
            decl = self.err_decl(b, False)
            return [f"var {value} int64", f"err {decl} {call}.Scan(&{value})", *self.check(b)]
        if style == "bare":
            return [call]
        if style == "blank":
            return [f"_ = {call}"]
        row = self.fresh("row")
        return [
            f"{row} := {call}",
            f"var {value} int64",
            f"if err := {row}.Scan(&{value}); err != nil {{",
            *indent(self.err_lines(b.child(names={"err"}))),
            "}",
        ]

    def stmt_exec(self, b: Block, h: Handle, depth: int) -> list[str]:
        call = self.call(b, h, "Exec", self.query_args(b, h, "update"))
        style = self.c.choice(["if", "if", "assign", "result", "blank", "bare"])
        self.tag(f"exec:{style}")
        if style == "if":
            return [
                f"if _, err := {call}; err != nil {{",
                *indent(self.err_lines(b.child(names={"err"}))),
                "}",
            ]
        if style == "assign":
            return [f"_, err {self.err_decl(b, False)} {call}", *self.check(b)]
        if style == "blank":
            return [f"_, _ = {call}"]
        if style == "bare":
            return [call]
        result = self.fresh("res")
        lines = [f"{result}, err {self.err_decl(b, True)} {call}", *self.check(b)]
        if h.pgx:
            lines += [f"if {result}.RowsAffected() == 0 {{", *indent(self.exit_lines(b)), "}"]
        else:
            count = self.fresh("affected")
            lines += [
                f"if {count}, rerr := {result}.RowsAffected(); rerr == nil && {count} == 0 {{",
                *indent(self.exit_lines(b)),
                "}",
            ]
        return lines

    def stmt_select(self, b: Block, h: Handle, depth: int) -> list[str]:
        """sqlx's Select into a slice or Get into a value."""
        dest = self.fresh("dest")
        many = self.c.chance(50)
        op = "Select" if many else "Get"
        call = self.call(b, h, op, f"&{dest}, {self.query_args(b, h, 'select')}")
        lines = [
            f"var {dest} {'[]int64' if many else 'int64'}",
            f"if err := {call}; err != nil {{",
            *indent(self.err_lines(b.child(names={"err"}))),
            "}",
        ]
        if self.c.chance(50):
            self.use("out")
            lines.append(f"out = append(out, {dest}{'...' if many else ''})")
        return lines

    def stmt_discard(self, b: Block, h: Handle, depth: int) -> list[str]:
        call = self.call(b, h, "Query", self.query_args(b, h, "update"))
        style = self.c.choice(["assign", "blank", "bare"])
        self.tag(f"discard:{style}")
        if style == "assign":
            return [f"_, err {self.err_decl(b, False)} {call}", *self.check(b)]
        if style == "blank":
            return [f"_, _ = {call}"]
        return [call]

    def stmt_prepare(self, b: Block, h: Handle, depth: int) -> list[str]:
        stmt = self.fresh("stmt")
        call = self.call(b, h, "Prepare", self.sql_text("insert"))
        lines = [f"{stmt}, err {self.err_decl(b, True)} {call}", *self.check(b)]
        close = self.c.choice(["defer", "none", "end"])
        self.tag(f"stmt-close:{close}")
        if close == "defer":
            lines.append(f"defer {stmt}.Close()")
        handle = Handle("sql.Stmt", stmt)
        self.tag("on:sql.Stmt")
        uses = self.c.integer(1, 2)
        for _ in range(uses):
            lines += self.c.choice([self.stmt_exec, self.stmt_rows, self.stmt_queryrow])(
                b, handle, 2
            )
        if close == "end":
            lines.append(f"{stmt}.Close()")
        return lines

    def stmt_begin(self, b: Block, h: Handle, depth: int) -> list[str]:
        tx = self.fresh("tx")
        ctx = None
        lines: list[str] = []
        if h.pgx:
            ctx = self.context_arg(b, required=True)
            txkind = Handle("pgx.Tx", tx, h.version)
            opts = f"{self.pgx_pkg('pgx', h.version)}.TxOptions{{}}"
            call = self.c.choice([f"Begin({ctx})", f"BeginTx({ctx}, {opts})"])
            lines += [f"{tx}, err {self.err_decl(b, True)} {h.expr}.{call}", *self.check(b)]
        else:
            ctx = self.context_arg(b, required=h.kind in CTX_ONLY)
            if ctx is None:
                options = [("Begin()", "sql.Tx")]
                if h.kind == "sqlx.DB":
                    options += [("Beginx()", "sqlx.Tx"), ("MustBegin()", "sqlx.Tx")]
            else:
                options = [(f"BeginTx({ctx}, nil)", "sql.Tx")]
                if h.kind in ("sqlx.DB", "sqlx.Conn"):
                    options.append((f"BeginTxx({ctx}, nil)", "sqlx.Tx"))
                if h.kind == "sqlx.DB":
                    options.append((f"MustBeginTx({ctx}, nil)", "sqlx.Tx"))
            call, txtype = self.c.choice(options)
            txkind = Handle(txtype, tx)
            self.tag(f"begin:{call.split('(')[0]}")
            if call.startswith("Must"):
                lines.append(f"{tx} := {h.expr}.{call}")
            else:
                lines += [f"{tx}, err {self.err_decl(b, True)} {h.expr}.{call}", *self.check(b)]
        rollback = f"{tx}.Rollback({ctx})" if h.pgx else f"{tx}.Rollback()"
        style = self.c.choice(["defer", "defer", "closure", "explicit", "none", "iferr"])
        if style == "iferr" and "Must" in lines[-1]:
            style = "none"
        self.tag(f"rollback:{style}")
        if style == "defer":
            lines.append(f"defer {rollback}")
        elif style == "closure":
            lines += ["defer func() {", f"\t_ = {rollback}", "}()"]
        elif style == "iferr":
            if b.err_is_result():
                self.tag("rollback:iferr-named")
            lines += ["defer func() {", "\tif err != nil {", f"\t\t_ = {rollback}", "\t}", "}()"]
        saved = b.cleanup
        if style == "explicit":
            b.cleanup = (*b.cleanup, f"_ = {rollback}")
        lines += self.statements(b, txkind, self.c.integer(1, 2), depth + 1)
        b.cleanup = saved
        commit = f"{tx}.Commit({ctx})" if h.pgx else f"{tx}.Commit()"
        ending = self.c.choice(["check", "check", "blank", "none"])
        self.tag(f"commit:{ending}")
        if ending == "check":
            lines += [f"if err := {commit}; err != nil {{"]
            lines += indent(self.err_lines(b.child(names={"err"})))
            lines.append("}")
        elif ending == "blank":
            lines.append(f"_ = {commit}")
        return lines

    def stmt_conn(self, b: Block, h: Handle, depth: int) -> list[str]:
        conn = self.fresh("conn")
        ctx = self.context_arg(b, required=True)
        if h.kind == "pgxpool.Pool":
            call, kind, release = f"Acquire({ctx})", "pgxpool.Conn", f"{conn}.Release()"
        elif h.kind == "sqlx.DB" and self.c.chance(50):
            call, kind, release = f"Connx({ctx})", "sqlx.Conn", f"{conn}.Close()"
        else:
            call, kind, release = f"Conn({ctx})", "sql.Conn", f"{conn}.Close()"
        self.tag(f"conn:{kind}")
        lines = [f"{conn}, err {self.err_decl(b, True)} {h.expr}.{call}", *self.check(b)]
        style = self.c.choice(["defer", "none", "end"])
        self.tag(f"release:{style}")
        if style == "defer":
            lines.append(f"defer {release}")
        handle = Handle(kind, conn, h.version)
        lines += self.statements(b, handle, self.c.integer(1, 2), depth + 1)
        if style == "end":
            lines.append(release)
        return lines

    def stmt_timeout(self, b: Block, h: Handle, depth: int) -> list[str]:
        parent = self.use(b.ctx) if b.ctx is not None else "context.Background()"
        cancel = self.fresh("cancel")
        maker = self.c.choice(
            [
                f"context.WithTimeout({parent}, 2*time.Second)",
                f"context.WithCancel({parent})",
                f"context.WithDeadline({parent}, time.Now().Add(time.Minute))",
            ]
        )
        style = self.c.choice(["defer", "defer", "end", "discard"])
        ctx = self.fresh("ctx")
        if b.top and b.ctx == "ctx" and style != "discard" and self.c.chance(30):
            ctx = "ctx"  # ctx, cancel := context.WithTimeout(ctx, ...) on the function's ctx
            self.tag("ctx:shadowed")
        self.tag(f"cancel:{style}", f"ctx-maker:{maker.split('(')[0]}")
        lines = [f"{ctx}, {'_' if style == 'discard' else cancel} := {maker}"]
        if style == "defer":
            lines.append(f"defer {cancel}()")
        saved = b.ctx
        b.ctx = ctx
        self.used.discard(ctx)
        lines += self.statements(b, h, self.c.integer(1, 2), depth + 1)
        b.ctx = saved
        if ctx not in self.used:
            lines += [f"if err := {ctx}.Err(); err != nil {{"]
            lines += indent(self.err_lines(b.child(names={"err"})))
            lines.append("}")
        if ctx == "ctx":
            self.use("ctx")
        if style == "end":
            lines.append(f"{cancel}()")
        return lines

    def stmt_loop(self, b: Block, h: Handle, depth: int) -> list[str]:
        style = self.c.choice(["range", "range", "three", "forever"])
        self.tag(f"loop:{style}")
        if style == "three":
            item = self.fresh("i")
            inner = b.child(in_loop=True, ident=(item, "int"))
            body = self.statements(inner, h, self.c.integer(1, 2), depth + 1)
            return [f"for {item} := 0; {item} < 3; {item}++ {{", *indent(body), "}"]
        if style == "forever":
            inner = b.child(in_loop=True)
            body = self.statements(inner, h, self.c.integer(1, 2), depth + 1)
            return ["for {", *indent(body), "\tbreak", "}"]
        ids = self.fresh("ids")
        item = self.fresh("id")
        label = self.fresh("outer") if self.c.chance(30) else None
        inner = b.child(in_loop=True, ident=(item, "int64"), label=label)
        body = self.statements(inner, h, self.c.integer(1, 2), depth + 1)
        head = f"for _, {item} := range {ids} {{" if item in self.used else f"for range {ids} {{"
        lines = [f"{ids} := []int64{{1, 2, 3}}"]
        if label is not None and label in self.used:  # Go rejects a label nothing uses
            lines.append(f"{LABEL}{label}:")
        return [*lines, head, *indent(body), "}"]

    def stmt_if(self, b: Block, h: Handle, depth: int) -> list[str]:
        name, typ = b.ident
        cond = f'{self.use(name)} != ""' if typ == "string" else f"{self.use(name)} != 0"
        body = self.statements(b.child(), h, self.c.integer(1, 2), depth + 1)
        return [f"if {cond} {{", *indent(body), "}"]

    def stmt_closure(self, b: Block, h: Handle, depth: int) -> list[str]:
        if self.c.chance(50):
            fn = Func(b.fn.name, "none")
            sub = b.child(fn=fn, in_loop=False, cleanup=(), top=True, label=None)
            sub.names = set()
            body = self.statements(sub, h, self.c.integer(1, 2), depth + 1)
            self.tag("closure:plain")
            return ["func() {", *indent(body), "}()"]
        fn = Func(b.fn.name, "error")
        sub = b.child(fn=fn, in_loop=False, cleanup=(), top=True, label=None)
        sub.names = set()
        body = self.statements(sub, h, self.c.integer(1, 2), depth + 1)
        self.tag("closure:error")
        return [
            "if err := func() error {",
            *indent(body),
            "\treturn nil",
            "}(); err != nil {",
            *indent(self.err_lines(b.child(names={"err"}))),
            "}",
        ]

    def stmt_goroutine(self, b: Block, h: Handle, depth: int) -> list[str]:
        fn = Func(b.fn.name, "none")
        sub = b.child(fn=fn, in_loop=False, cleanup=(), top=True, label=None)
        sub.names = set()
        body = self.statements(sub, h, self.c.integer(1, 2), depth + 1)
        if self.c.chance(50):
            self.tag("goroutine:fire-and-forget")
            return ["go func() {", *indent(body), "}()"]
        self.tag("goroutine:waited")
        done = self.fresh("done")
        return [
            f"{done} := make(chan struct{{}})",
            "go func() {",
            f"\tdefer close({done})",
            *indent(body),
            "}()",
            f"<-{done}",
        ]

    # functions

    def handle_kind(self) -> tuple[str, int]:
        kinds = ["sql.DB", "sql.DB", "sqlx.DB", "pgx.Conn", "pgxpool.Pool", "pgxpool.Pool"]
        kind = self.c.choice(kinds)
        version = 0
        if kind.startswith("pgx"):
            version = {"v5": 5, "v4": 4}.get(self.pgx_mode) or self.c.choice([5, 4])
        return kind, version

    def function(self) -> list[str]:
        shape = self.c.choice(["plain", "method", "pkgvar", "echo", "http"])
        kind, version = self.handle_kind()
        if shape == "plain" and not kind.startswith("pgx") and self.c.chance(35):
            kind = self.c.choice(["sql.Tx", "sql.Conn", "sql.Tx"])
        base = self.c.choice(["list", "load", "sync", "count", "touch", "purge", "report"])
        name = self.fresh(base)
        self.tag(f"fn:{shape}", f"handle:{kind}", f"pgx:v{version}" if version else "pgx:none")
        param = {"pgxpool.Pool": "pool", "pgx.Conn": "conn", "sql.Conn": "conn"}.get(kind, "db")
        if kind == "sql.Tx":
            param = "tx"
        handle = Handle(kind, param, version)
        htype = self.go_type(handle)
        self.used = set()
        decls: list[str] = []
        receiver = ""
        if shape in ("method", "echo", "http") and self.c.chance(60 if shape != "method" else 100):
            store = self.fresh("store")
            receiver = f"(s *{store}) "
            factory = False
            if self.c.chance(30):
                self.tag("handle:embedded")
                decls.append(f"type {store} struct {{\n\t{htype}\n}}")
                handle = Handle(kind, "s", version)
            else:
                decls.append(f"type {store} struct {{\n\tdb {htype}\n}}")
                handle = Handle(kind, "s.db", version)
        elif shape == "pkgvar":
            var = self.fresh("db")
            decls.append(f"var {var} {htype}")
            handle = Handle(kind, var, version)
            factory = False
        else:
            factory = shape in ("echo", "http")
        if shape in ("echo", "http"):
            fn = Func(name, shape)
            ident = ("id", "string")
            lazy_ctx = self.c.chance(50)
            ctx: str | None = (
                "ctx"
                if lazy_ctx
                else ("c.Request().Context()" if shape == "echo" else "r.Context()")
            )
        else:
            fn = Func(name, self.c.choice(["error", "slice", "int", "named", "named", "none"]))
            ident = ("id", "int64")
            ctx = "ctx" if self.c.chance(60) else None
            lazy_ctx = False
        self.tag(f"result:{fn.kind}")
        top = Block(fn, ctx=ctx, ident=ident, top=True)
        if fn.kind == "named":
            top.names = {"n", "err"}
        body = self.statements(top, handle, self.c.integer(1, 3), 0)
        prologue: list[str] = []
        if shape in ("echo", "http"):
            if lazy_ctx and "ctx" in self.used:
                prologue.append(
                    "ctx := c.Request().Context()" if shape == "echo" else "ctx := r.Context()"
                )
            if "id" in self.used:
                prologue.append(
                    'id := c.Param("id")' if shape == "echo" else 'id := r.URL.Query().Get("id")'
                )
        if "out" in self.used:
            prologue.append("var out []int64")
        body = prologue + body + self.epilogue(top, "out" in self.used)
        params = self.params(shape, ctx, factory, param, htype)
        results = {
            "none": "",
            "error": " error",
            "slice": " ([]int64, error)",
            "int": " (int64, error)",
            "named": " (n int64, err error)",
            "echo": " error",
            "http": "",
        }[fn.kind]
        if factory:
            literal = (
                "func(c echo.Context) error"
                if shape == "echo"
                else ("func(w http.ResponseWriter, r *http.Request)")
            )
            ret = "echo.HandlerFunc" if shape == "echo" else "http.HandlerFunc"
            lines = [
                f"func {name}({param} {htype}) {ret} {{",
                f"\treturn {literal} {{",
                *indent(indent(body)),
                "\t}",
                "}",
            ]
        else:
            lines = [f"func {receiver}{name}({params}){results} {{", *indent(body), "}"]
        if self.c.chance(50):
            lines.insert(0, f"// {name} is generated code.")
        return [*decls, "\n".join(lines)]

    def params(self, shape: str, ctx: str | None, factory: bool, param: str, htype: str) -> str:
        if shape == "echo":
            return "c echo.Context"
        if shape == "http":
            return "w http.ResponseWriter, r *http.Request"
        parts = ["ctx context.Context"] if ctx else []
        if shape == "plain":
            parts.append(f"{param} {htype}")
        parts.append("id int64")
        return ", ".join(parts)

    def epilogue(self, b: Block, out: bool) -> list[str]:
        kind = b.fn.kind
        if kind in ("none", "main"):
            return ["log.Println(out)"] if out else []
        if kind == "error":
            return ['log.Printf("%d values", len(out))', "return nil"] if out else ["return nil"]
        if kind == "slice":
            return ["return out, nil"] if out else ["return nil, nil"]
        if kind == "int":
            return ["return int64(len(out)), nil"] if out else ["return 0, nil"]
        if kind == "named":
            lines = ["n = int64(len(out))"] if out else []
            return [*lines, self.c.choice(["return", "return n, nil"])]
        if kind == "echo":
            return (
                ["return c.JSON(http.StatusOK, out)"]
                if out
                else ["return c.NoContent(http.StatusOK)"]
            )
        return ["fmt.Fprintln(w, out)"] if out else ["w.WriteHeader(http.StatusNoContent)"]

    def main_function(self) -> list[str]:
        """`func main`: open the database, prepare package-level statements, serve, shut down."""
        self.used = set()
        self.tag("fn:main")
        stmts = [self.fresh("stmt") for _ in range(self.c.integer(1, 2))]
        decls = [f"var {name} *sql.Stmt" for name in stmts]
        top = Block(Func("main", "main"), ident=("1", "int"), top=True)
        top.names = {"db", "err"}
        lines = [
            'db, err := sql.Open("postgres", "postgres://localhost/app")',
            "if err != nil {",
            "\tlog.Fatal(err)",
            "}",
            "defer db.Close()",
        ]
        for name in stmts:
            lines += [
                f"{name}, err = db.Prepare({self.sql_text('select')})",
                "if err != nil {",
                "\tlog.Fatal(err)",
                "}",
            ]
        db = Handle("sql.DB", "db")
        lines += self.statements(top, db, self.c.integer(0, 1), 1)
        server = self.c.choice(["echo", "http", "none"])
        self.tag(f"main:{server}")
        route = Block(
            Func("route", "echo"), ctx="c.Request().Context()", ident=('c.Param("id")', "string")
        )
        route.top = True
        if server == "echo":
            body = self.statements(route, Handle("sql.Stmt", self.c.choice(stmts)), 1, 1)
            lines += [
                "e := echo.New()",
                'e.GET("/items/:id", func(c echo.Context) error {',
                *indent(body),
                "\treturn c.NoContent(http.StatusOK)",
                "})",
                "go func() {",
                '\tif err := e.Start(":8080"); err != nil && err != http.ErrServerClosed {',
                '\t\tlog.Printf("server: %v", err)',
                "\t}",
                "}()",
            ]
            stop = "e.Shutdown(ctx)"
        elif server == "http":
            lines += [
                'srv := &http.Server{Addr: ":8080"}',
                "go func() {",
                "\tif err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {",
                '\t\tlog.Printf("server: %v", err)',
                "\t}",
                "}()",
            ]
            stop = "srv.Shutdown(ctx)"
        else:
            for name in stmts:
                lines += [f"if _, err := {name}.Exec(1); err != nil {{", "\tlog.Fatal(err)", "}"]
            stop = ""
        if stop:
            lines += [
                "ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)",
                "defer cancel()",
                f"if err := {stop}; err != nil {{",
                '\tlog.Printf("shutdown: %v", err)',
                "}",
            ]
        if "out" in self.used:
            lines = ["var out []int64", *lines, "log.Println(out)"]
        return [*decls, "\n".join(["func main() {", *indent(lines), "}"])]

    def file(self) -> GoFile:
        self.pgx_mode = self.c.choice(["v5", "v4", "both"])
        chunks: list[str] = []
        package = "gen"
        if self.c.chance(15):
            package = "main"
            chunks += self.main_function()
        for _ in range(self.c.integer(1 if package == "gen" else 0, 3)):
            chunks += self.function()
        body = "\n\n".join(chunks + self.helper_decls) + "\n"
        for name, alias in (("sql", "stdsql"), ("context", "gocontext")):
            if self.c.chance(15):
                self.tag(f"alias:{alias}")
                self.aliases[alias] = name
                body = re.sub(rf"(?<![\w.]){name}\.(?=[A-Z])", alias + ".", body)
        source = f"package {package}\n\n{self.imports(body)}{body}"
        return GoFile(source.encode(), frozenset(self.tags))

    def imports(self, body: str) -> str:
        paths: list[str] = []
        for name in sorted(set(USES.findall(body))):
            if name in self.aliases:
                paths.append(f'{name} "{IMPORTS[self.aliases[name]]}"')
            elif name in IMPORTS:
                paths.append(f'"{IMPORTS[name]}"')
            elif name in ("pgx", "pgx4", "pgxpool", "pgxpool4"):
                version = 4 if name.endswith("4") or self.pgx_mode == "v4" else 5
                sub = "/pgxpool" if name.startswith("pgxpool") else ""
                alias = f"{name} " if name.endswith("4") else ""
                paths.append(f'{alias}"github.com/jackc/pgx/v{version}{sub}"')
        std = sorted(
            (p for p in paths if "." not in p.split("/")[0]), key=lambda p: p.split(" ")[-1]
        )
        third = sorted((p for p in paths if p not in std), key=lambda p: p.split(" ")[-1])
        if not paths:
            return ""
        groups = "\n\n".join("\n".join("\t" + p for p in g) for g in (std, third) if g)
        return f"import (\n{groups}\n)\n\n"


# -- entry points ----------------------------------------------------------------------------


@st.composite
def go_files(draw: Callable[[st.SearchStrategy[Any]], Any]) -> GoFile:
    """A whole Go file of database code (package gen), gofmt-clean and compilable."""
    return FileGen(DrawChooser(draw)).file()


def from_seed(seed: int) -> GoFile:
    return FileGen(RandomChooser(random.Random(seed))).file()


def collect(count: int) -> list[GoFile]:
    """`count` files drawn by hypothesis, the same ones on every run (derandomized)."""
    found: list[GoFile] = []
    seen: set[bytes] = set()

    # Different choices can print the same file: draw more, keep `count` distinct ones.
    @settings(
        max_examples=count + count // 2 + 5,
        database=None,
        deadline=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(go_files())
    def draw_one(example: GoFile) -> None:
        if example.source not in seen:
            seen.add(example.source)
            found.append(example)

    draw_one()
    return found[:count]


if __name__ == "__main__":
    for arg in sys.argv[1:] or ["0"]:
        print(from_seed(int(arg)).text)
