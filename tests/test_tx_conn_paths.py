"""Path shapes for tx-rollback and conn-close (codemods/rules/_ending.py): which functions
end their transaction or connection on every path (noop) and which do not (fires)."""

from __future__ import annotations

import pytest

from codemods.engine import run_sources
from codemods.model import FileResult
from codemods.options import Options
from codemods.rules.conn_close import ConnClose
from codemods.rules.tx_rollback import TxRollback

HEADER = """package p

import (
	"context"
	"database/sql"
	"log"

	"github.com/jackc/pgx/v5/pgxpool"
)

var (
	_ = log.Print
	_ context.Context
	_ *sql.DB
	_ *pgxpool.Pool
)

type T interface {
	Errorf(string, ...any)
	Fatal(...any)
}

"""


def _run(body: str, rule: object, fix: bool = False) -> FileResult:
    code = (HEADER + body).encode()
    return run_sources({"p.go": code}, Options(unsafe_fixes=True), fix, [rule])[0]  # type: ignore[list-item]


TX_NOOP = {
    "switch-with-default-ends": """func f(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	_, err = tx.Exec("x")
	switch {
	case err != nil:
		_ = tx.Rollback()
	default:
		err = tx.Commit()
	}
	return err
}
""",
    "labelled-break-inside-region": """func f(ctx context.Context, db *sql.DB, xs []int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
outer:
	for _, x := range xs {
		for {
			if x > 0 {
				break outer
			}
			break
		}
	}
	return tx.Commit()
}
""",
    "rollback-then-panic": """func f(db *sql.DB) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	if _, err = tx.Exec("x"); err != nil {
		_ = tx.Rollback()
		panic(err)
	}
	return tx.Commit()
}
""",
    "if-else-return-commit": """func f(db *sql.DB) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	if _, err = tx.Exec("x"); err != nil {
		_ = tx.Rollback()
		return err
	} else {
		return tx.Commit()
	}
}
""",
    "commit-in-if-initializer": """func f(db *sql.DB) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	return nil
}
""",
    "declared-in-outer-block": """func f(db *sql.DB, c bool) error {
	var tx *sql.Tx
	var err error
	if c {
		tx, err = db.Begin()
		if err != nil {
			return err
		}
	}
	return tx.Commit()
}
""",
    "closure-rolls-back": """func f(db *sql.DB) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	fail := func(err error) error {
		_ = tx.Rollback()
		return err
	}
	if _, err := tx.Exec("x"); err != nil {
		return fail(err)
	}
	return tx.Commit()
}
""",
    "success-branch-rolls-back": """func f(ctx context.Context, db *sql.DB, t T) {
	for i := 0; i < 2; i++ {
		tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelLinearizable})
		if err == nil {
			t.Errorf("%d. BeginTx should have failed", i)
			_ = tx.Rollback()
		}
	}
}
""",
    "discard-expects-failure": """func f(ctx context.Context, db *sql.DB, t T) {
	if _, err := db.BeginTx(ctx, nil); err != context.Canceled {
		t.Fatal(err)
	}
	_, err := db.Begin()
	if err == nil {
		t.Fatal("no error")
	}
}
""",
    "test-stops-before-return": """func f(db *sql.DB, t T) error {
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("x"); err != nil {
		t.Fatal(err)
		return err
	}
	return tx.Commit()
}
""",
    "named-result": """func f(db *sql.DB) (tx *sql.Tx, err error) {
	tx, err = db.Begin()
	return
}
""",
}

TX_FIRES = {
    "switch-without-default": (
        """func f(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	_, err = tx.Exec("x")
	switch {
	case err != nil:
		_ = tx.Rollback()
	}
	return err
}
""",
        True,
    ),
    "check-does-not-return": (
        """func f(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		log.Print(err)
	}
	if _, err := tx.Exec("x"); err != nil {
		return err
	}
	return tx.Commit()
}
""",
        False,
    ),
    "no-error-check": (
        """func f(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	log.Print(err)
	if _, err := tx.Exec("x"); err != nil {
		return err
	}
	return tx.Commit()
}
""",
        False,
    ),
    "never-ended": (
        """func f(db *sql.DB) {
	tx, err := db.Begin()
	if err != nil {
		return
	}
	_, _ = tx.Exec("x")
}
""",
        True,
    ),
    "defer-after-early-return-in-block": (
        """func f(db *sql.DB, c bool) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	if c {
		return nil
	}
	{
		defer tx.Rollback()
	}
	return tx.Commit()
}
""",
        True,
    ),
    "select-return": (
        """func f(db *sql.DB, ch chan int) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	select {
	case <-ch:
		return nil
	default:
	}
	return tx.Commit()
}
""",
        True,
    ),
    "break-out-of-loop-body": (
        """func f(db *sql.DB, xs []int) error {
	for range xs {
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		if _, err := tx.Exec("x"); err != nil {
			break
		}
		_ = tx.Commit()
	}
	return nil
}
""",
        False,
    ),
}

CONN_NOOP = {
    "release-before-each-return": """func f(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	if err := conn.Ping(ctx); err != nil {
		conn.Release()
		return err
	}
	conn.Release()
	return nil
}
""",
    "released-when-not-nil": """func f(ctx context.Context, pool *pgxpool.Pool, done chan error) {
	c, err := pool.Acquire(ctx)
	if c != nil {
		c.Release()
	}
	done <- err
}
""",
    "hijacked": """func f(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	c := conn.Hijack()
	return c.Close(ctx)
}
""",
}

CONN_FIRES = {
    "close-skipped-by-return": (
        """func f(ctx context.Context, db *sql.DB) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	if err := conn.PingContext(ctx); err != nil {
		return err
	}
	return conn.Close()
}
""",
        True,
    ),
    "discarded": (
        """func f(ctx context.Context, pool *pgxpool.Pool) {
	_, _ = pool.Acquire(ctx)
}
""",
        False,
    ),
}


@pytest.mark.parametrize("body", TX_NOOP.values(), ids=TX_NOOP.keys())
def test_tx_noop(body: str) -> None:
    result = _run(body, TxRollback())
    assert result.error is None
    assert result.findings == []


@pytest.mark.parametrize(("body", "fixable"), TX_FIRES.values(), ids=TX_FIRES.keys())
def test_tx_fires(body: str, fixable: bool) -> None:
    result = _run(body, TxRollback())
    assert len(result.findings) == 1, result.findings
    assert (result.findings[0].fix is not None) == fixable
    if fixable:
        assert "defer tx.Rollback()" in _run(body, TxRollback(), fix=True).fixed.decode()


@pytest.mark.parametrize("body", CONN_NOOP.values(), ids=CONN_NOOP.keys())
def test_conn_noop(body: str) -> None:
    result = _run(body, ConnClose())
    assert result.error is None
    assert result.findings == []


@pytest.mark.parametrize(("body", "fixable"), CONN_FIRES.values(), ids=CONN_FIRES.keys())
def test_conn_fires(body: str, fixable: bool) -> None:
    result = _run(body, ConnClose())
    assert len(result.findings) == 1, result.findings
    assert (result.findings[0].fix is not None) == fixable
