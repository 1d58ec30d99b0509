"""What leakfix knows about the database APIs: import paths, types and their methods.

A type is named ``family.Name`` ("sql.DB", "sqlx.Rows", "pgx.Tx", "pgxpool.Pool", ...); pointer-ness
does not matter for method lookup. Families come from import paths so that aliases are followed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# import path -> family; versioned pgx and echo paths are matched by the regexes below.
_FAMILIES = {
    "database/sql": "sql",
    "github.com/jmoiron/sqlx": "sqlx",
    "context": "context",
    "net/http": "http",
    "time": "time",
    "gorm.io/gorm": "gorm",
    "github.com/jinzhu/gorm": "gorm",
}
_FAMILY_PATTERNS = (
    (re.compile(r"^github\.com/jackc/pgx(/v\d+)?$"), "pgx"),
    (re.compile(r"^github\.com/jackc/pgx(/v\d+)?/pgxpool$"), "pgxpool"),
    (re.compile(r"^github\.com/labstack/echo(/v\d+)?$"), "echo"),
    (re.compile(r"^github\.com/cockroachdb/cockroach-go(/v\d+)?/crdb$"), "crdb"),
    (re.compile(r"^github\.com/cockroachdb/cockroach-go(/v\d+)?/crdb/crdbpgx(v5)?$"), "crdbpgx"),
)
DB_FAMILIES = frozenset({"sql", "sqlx", "pgx", "pgxpool", "gorm"})


def family_of(import_path: str) -> str | None:
    if import_path in _FAMILIES:
        return _FAMILIES[import_path]
    for pattern, family in _FAMILY_PATTERNS:
        if pattern.match(import_path):
            return family
    return None


def default_import_name(import_path: str) -> str:
    """The package name Go gives an import without alias (``.../pgx/v5`` -> ``pgx``)."""
    parts = import_path.split("/")
    last = parts[-1]
    if re.fullmatch(r"v\d+", last) and len(parts) > 1:
        last = parts[-2]
    if last.startswith("go-"):
        last = last[3:]
    return re.sub(r"[.-].*$", "", last) or last


ROWS = frozenset({"sql.Rows", "sqlx.Rows", "pgx.Rows"})
ROW = frozenset({"sql.Row", "sqlx.Row", "pgx.Row"})
STMTS = frozenset({"sql.Stmt", "sqlx.Stmt", "sqlx.NamedStmt"})
TXS = frozenset({"sql.Tx", "sqlx.Tx", "pgx.Tx", "pgxpool.Tx"})
CONNS = frozenset({"sql.Conn", "sqlx.Conn", "pgxpool.Conn"})
BATCHES = frozenset({"pgx.BatchResults"})  # hold their connection until Close


@dataclass(frozen=True)
class Method:
    """One method of a handle type: what it returns and how to give it a context."""

    results: tuple[str, ...]  # type names of the results ("" for types leakfix ignores)
    takes_context: bool
    context_variant: str = ""  # name of the *Context variant for methods without context
    begin_style: bool = False  # Begin() -> BeginTx(ctx, nil)
    exec_variant: str = ""  # the Exec form for a Query whose rows are discarded


def _sql_like(family: str, rows: str, row: str, stmt: str, tx: str) -> dict[str, Method]:
    return {
        "Query": Method((rows, "error"), False, "QueryContext", exec_variant="Exec"),
        "QueryContext": Method((rows, "error"), True, exec_variant="ExecContext"),
        "QueryRow": Method((row,), False, "QueryRowContext"),
        "QueryRowContext": Method((row,), True),
        "Exec": Method(("", "error"), False, "ExecContext"),
        "ExecContext": Method(("", "error"), True),
        "Prepare": Method((stmt, "error"), False, "PrepareContext"),
        "PrepareContext": Method((stmt, "error"), True),
        "Begin": Method((tx, "error"), False, "BeginTx", begin_style=True),
        "BeginTx": Method((tx, "error"), True),
        "Conn": Method((f"{family}.Conn", "error"), True),
        "Ping": Method(("error",), False, "PingContext"),
        "PingContext": Method(("error",), True),
    }


_SQL = _sql_like("sql", "sql.Rows", "sql.Row", "sql.Stmt", "sql.Tx")
_SQLX_EXTRA = {
    "Queryx": Method(("sqlx.Rows", "error"), False, "QueryxContext", exec_variant="Exec"),
    "QueryxContext": Method(("sqlx.Rows", "error"), True, exec_variant="ExecContext"),
    "QueryRowx": Method(("sqlx.Row",), False, "QueryRowxContext"),
    "QueryRowxContext": Method(("sqlx.Row",), True),
    "NamedQuery": Method(
        ("sqlx.Rows", "error"), False, "NamedQueryContext", exec_variant="NamedExec"
    ),
    "NamedQueryContext": Method(("sqlx.Rows", "error"), True, exec_variant="NamedExecContext"),
    "NamedExec": Method(("", "error"), False, "NamedExecContext"),
    "NamedExecContext": Method(("", "error"), True),
    "Select": Method(("error",), False, "SelectContext"),
    "SelectContext": Method(("error",), True),
    "Get": Method(("error",), False, "GetContext"),
    "GetContext": Method(("error",), True),
    "Preparex": Method(("sqlx.Stmt", "error"), False, "PreparexContext"),
    "PreparexContext": Method(("sqlx.Stmt", "error"), True),
    "PrepareNamed": Method(("sqlx.NamedStmt", "error"), False, "PrepareNamedContext"),
    "PrepareNamedContext": Method(("sqlx.NamedStmt", "error"), True),
    "Beginx": Method(("sqlx.Tx", "error"), False, "BeginTxx", begin_style=True),
    "BeginTxx": Method(("sqlx.Tx", "error"), True),
    "MustBegin": Method(("sqlx.Tx",), False, "MustBeginTx", begin_style=True),
    "MustBeginTx": Method(("sqlx.Tx",), True),
    "Connx": Method(("sqlx.Conn", "error"), True),
}
_STMT = {
    "Query": Method(("sql.Rows", "error"), False, "QueryContext", exec_variant="Exec"),
    "QueryContext": Method(("sql.Rows", "error"), True, exec_variant="ExecContext"),
    "QueryRow": Method(("sql.Row",), False, "QueryRowContext"),
    "QueryRowContext": Method(("sql.Row",), True),
    "Exec": Method(("", "error"), False, "ExecContext"),
    "ExecContext": Method(("", "error"), True),
}
_SQLX_STMT = {
    **_STMT,
    "Queryx": Method(("sqlx.Rows", "error"), False, "QueryxContext", exec_variant="Exec"),
    "QueryxContext": Method(("sqlx.Rows", "error"), True, exec_variant="ExecContext"),
    "QueryRowx": Method(("sqlx.Row",), False, "QueryRowxContext"),
    "QueryRowxContext": Method(("sqlx.Row",), True),
    "Select": Method(("error",), False, "SelectContext"),
    "SelectContext": Method(("error",), True),
    "Get": Method(("error",), False, "GetContext"),
    "GetContext": Method(("error",), True),
}
_PGX = {
    "Query": Method(("pgx.Rows", "error"), True, exec_variant="Exec"),
    "QueryRow": Method(("pgx.Row",), True),
    "Exec": Method(("", "error"), True),
    "Begin": Method(("pgx.Tx", "error"), True),
    "BeginTx": Method(("pgx.Tx", "error"), True),
    "Ping": Method(("error",), True),
    "SendBatch": Method(("pgx.BatchResults",), True),
}

_SQL_TX = {
    k: v for k, v in _SQL.items() if k not in ("Begin", "BeginTx", "Conn", "Ping", "PingContext")
}
_SQL_CONN = {k: v for k, v in _SQL.items() if k not in ("Begin", "Conn", "Ping")}
_SQLX_TX = {
    k: v
    for k, v in {**_SQL_TX, **_SQLX_EXTRA}.items()
    if not k.startswith(("Begin", "MustBegin", "Connx", "NamedQueryContext"))
}
# sqlx.Tx has no NamedQueryContext: its NamedQuery keeps no context variant.
_SQLX_TX["NamedQuery"] = Method(("sqlx.Rows", "error"), False, exec_variant="NamedExec")

# gorm's chainable methods return *gorm.DB, so `db.Model(&u).Where(...).Rows()` is typed.
_GORM_CHAIN = {
    name: Method(("gorm.DB",), False)
    for name in (
        "Model",
        "Table",
        "Raw",
        "Where",
        "Not",
        "Or",
        "Select",
        "Omit",
        "Distinct",
        "Joins",
        "InnerJoins",
        "Group",
        "Having",
        "Order",
        "Limit",
        "Offset",
        "Scopes",
        "Preload",
        "Unscoped",
        "Clauses",
        "Debug",
        "Session",
        "WithContext",
    )
}

METHODS: dict[str, dict[str, Method]] = {
    "sql.DB": _SQL,
    "sql.Tx": _SQL_TX,
    "sql.Conn": _SQL_CONN,
    "sql.Stmt": _STMT,
    "sqlx.DB": {**_SQL, **_SQLX_EXTRA},
    "sqlx.Tx": _SQLX_TX,
    "sqlx.Conn": {
        k: v
        for k, v in {**_SQL_CONN, **_SQLX_EXTRA}.items()
        if k.endswith("Context") or k in ("BeginTx", "BeginTxx")
    },
    "sqlx.Stmt": _SQLX_STMT,
    "sqlx.NamedStmt": _SQLX_STMT,
    "pgx.Conn": {**_PGX, "Prepare": Method(("", "error"), True)},
    "pgx.Tx": {**_PGX, "Prepare": Method(("", "error"), True)},
    "pgxpool.Pool": {**_PGX, "Acquire": Method(("pgxpool.Conn", "error"), True)},
    "pgxpool.Conn": _PGX,
    "gorm.DB": {**_GORM_CHAIN, "Rows": Method(("sql.Rows", "error"), False)},
}

# Package-level constructors: family -> function -> result types.
CONSTRUCTORS: dict[str, dict[str, tuple[str, ...]]] = {
    "sql": {"Open": ("sql.DB", "error"), "OpenDB": ("sql.DB",)},
    "gorm": {"Open": ("gorm.DB", "error")},
    "sqlx": {
        "Open": ("sqlx.DB", "error"),
        "Connect": ("sqlx.DB", "error"),
        "ConnectContext": ("sqlx.DB", "error"),
        "MustOpen": ("sqlx.DB",),
        "MustConnect": ("sqlx.DB",),
        "NewDb": ("sqlx.DB",),
    },
    "pgxpool": {
        "New": ("pgxpool.Pool", "error"),
        "NewWithConfig": ("pgxpool.Pool", "error"),
        "Connect": ("pgxpool.Pool", "error"),
        "ConnectConfig": ("pgxpool.Pool", "error"),
    },
    "pgx": {"Connect": ("pgx.Conn", "error"), "ConnectConfig": ("pgx.Conn", "error")},
    "context": {
        "Background": ("context.Context",),
        "TODO": ("context.Context",),
        "WithTimeout": ("context.Context", "context.CancelFunc"),
        "WithDeadline": ("context.Context", "context.CancelFunc"),
        "WithCancel": ("context.Context", "context.CancelFunc"),
        "WithCancelCause": ("context.Context", "context.CancelCauseFunc"),
        "WithValue": ("context.Context",),
        "WithoutCancel": ("context.Context",),
    },
}

# Methods of non-database types that lead to a context.
CONTEXT_METHODS: dict[str, dict[str, str]] = {
    "echo.Context": {"Request": "http.Request"},
    "http.Request": {"Context": "context.Context"},
}


def method(type_name: str | None, name: str) -> Method | None:
    if not type_name:
        return None
    return METHODS.get(type_name, {}).get(name)


def is_handle(type_name: str | None) -> bool:
    return bool(type_name) and type_name in METHODS


# Library functions that take rows and close them (pgx v5 closes, and checks Err, before
# returning): handing rows to one of them is closing them. Named ``family.Function``.
CLOSING_CONSUMERS = frozenset(
    {
        "pgx.CollectRows",
        "pgx.CollectOneRow",
        "pgx.CollectExactlyOneRow",
        "pgx.ForEachRow",
        "pgx.AppendRows",
    }
)
# Library calls that read rows handed to them but leave closing to the caller (gorm's
# ScanRows, sqlx's scanners): not an escape. Named ``family.Function`` or ``Type.Method``.
BORROWING_CALLS = frozenset(
    {"gorm.DB.ScanRows", "sqlx.StructScan", "sqlx.MapScan", "sqlx.SliceScan"}
)
