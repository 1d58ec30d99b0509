"""Path shapes of cancel-not-called and defer-in-loop: noop lists (must stay silent), fixes,
and findings reported without a fix (pyupgrade-style `*_noop` / `*_fixes` lists)."""

from __future__ import annotations

import re

import pytest

from codemods.engine import run_sources
from codemods.model import FileResult
from codemods.options import Options
from codemods.rules.cancel_not_called import CancelNotCalled
from codemods.rules.defer_in_loop import DeferInLoop

HEADER = """package p

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

"""


def _run(rule: object, body: str, fix: bool) -> FileResult:
    code = (HEADER + body).encode()
    return run_sources({"p.go": code}, Options(unsafe_fixes=True), fix, [rule])[0]  # type: ignore[list-item]


# -- cancel-not-called ---------------------------------------------------------------------------

CANCEL_NOOP = {
    "cancel in both branches": """func f(ctx context.Context, do func(context.Context) error) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	if err := do(ctx); err != nil {
		cancel()
		return
	}
	cancel()
}
""",
    "if/else both cancel, then falls through": """func f(ctx context.Context, b bool) {
	ctx, cancel := context.WithCancel(ctx)
	if b {
		cancel()
	} else {
		_ = ctx
		cancel()
	}
}
""",
    "switch with default, every case cancels": """func f(ctx context.Context, n int) {
	ctx, cancel := context.WithCancel(ctx)
	switch n {
	case 1:
		cancel()
	default:
		_ = ctx
		cancel()
	}
}
""",
    "declared first, bound in branches, deferred": """func f(ctx context.Context, d time.Duration) {
	var cancel context.CancelFunc
	if d > 0 {
		ctx, cancel = context.WithTimeout(ctx, d)
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	defer cancel()
	_ = ctx
}
""",
    "returned": """func f(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	return ctx, cancel
}
""",
    "named result": """func f(parent context.Context) (ctx context.Context, cancel func()) {
	ctx, cancel = context.WithCancel(parent)
	return
}
""",
    "goroutine calls it": """func f(ctx context.Context, stop chan struct{}) context.Context {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		<-stop
		cancel()
	}()
	return ctx
}
""",
    "deferred closure calls it": """func f(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer func() { cancel() }()
	_ = ctx
}
""",
    "handed to a function": """func f(ctx context.Context) context.Context {
	ctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(time.Second, cancel)
	return ctx
}
""",
    "stored in a field": """type S struct{ cancel func() }

func (s *S) f(ctx context.Context) context.Context {
	ctx, s.cancel = context.WithCancel(ctx)
	return ctx
}
""",
    "panic path": """func f(ctx context.Context, bad bool) {
	ctx, cancel := context.WithCancel(ctx)
	if bad {
		panic("bad")
	}
	_ = ctx
	cancel()
}
""",
    "loop cancels at the end of every iteration": """func f(ctx context.Context, ch chan int) {
	for {
		c, cancel := context.WithTimeout(ctx, time.Second)
		select {
		case <-ch:
			_ = c
		case <-ctx.Done():
			cancel()
			return
		}
		cancel()
	}
}
""",
    "goto: not followed": """func f(ctx context.Context, n int) {
	ctx, cancel := context.WithCancel(ctx)
	if n > 0 {
		goto done
	}
	_ = ctx
done:
	cancel()
}
""",
    "x/net/context alias shadowed by a variable": """type fake struct{}

func (fake) WithCancel(c int) (int, int) { return c, c }

func f() int {
	context := fake{}
	c, _ := context.WithCancel(1)
	return c
}
""",
}


@pytest.mark.parametrize("body", CANCEL_NOOP.values(), ids=CANCEL_NOOP.keys())
def test_cancel_noop(body: str) -> None:
    assert _run(CancelNotCalled(), body, fix=False).findings == []


CANCEL_FIXES = {
    "discarded": (
        """func f(do func(context.Context) error) error {
	ctx, _ := context.WithTimeout(context.Background(), time.Second)
	return do(ctx)
}
""",
        """func f(do func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return do(ctx)
}
""",
    ),
    "discarded, `=` on a parameter becomes `:=`": (
        """func f(ctx context.Context, do func(context.Context) error) error {
	ctx, _ = context.WithTimeout(ctx, time.Second)
	return do(ctx)
}
""",
        """func f(ctx context.Context, do func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	return do(ctx)
}
""",
    ),
    "name taken": (
        """func f(cancel bool, do func(context.Context) error) error {
	ctx, _ := context.WithCancel(context.Background())
	if cancel {
		return nil
	}
	return do(ctx)
}
""",
        """func f(cancel bool, do func(context.Context) error) error {
	ctx, cancelCtx := context.WithCancel(context.Background())
	defer cancelCtx()
	if cancel {
		return nil
	}
	return do(ctx)
}
""",
    ),
    "cause": (
        """func f(ctx context.Context, do func(context.Context) error) error {
	ctx, _ = context.WithCancelCause(ctx)
	return do(ctx)
}
""",
        """func f(ctx context.Context, do func(context.Context) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	return do(ctx)
}
""",
    ),
    "late defer moves up": (
        """func f(ctx context.Context, do func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	if err := do(ctx); err != nil {
		return err
	}

	defer cancel()

	return do(ctx)
}
""",
        """func f(ctx context.Context, do func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := do(ctx); err != nil {
		return err
	}

	return do(ctx)
}
""",
    ),
    "block falls through": (
        """func f(ctx context.Context, b bool, do func(context.Context) error) {
	if b {
		c, cancel := context.WithCancel(ctx)
		if do(c) != nil {
			cancel()
			return
		}
	}
}
""",
        """func f(ctx context.Context, b bool, do func(context.Context) error) {
	if b {
		c, cancel := context.WithCancel(ctx)
		defer cancel()
		if do(c) != nil {
			cancel()
			return
		}
	}
}
""",
    ),
}


@pytest.mark.parametrize(("before", "after"), CANCEL_FIXES.values(), ids=CANCEL_FIXES.keys())
def test_cancel_fixes(before: str, after: str) -> None:
    assert _run(CancelNotCalled(), before, fix=True).fixed.decode() == HEADER + after
    assert _run(CancelNotCalled(), after, fix=False).findings == []


CANCEL_REPORT_ONLY = {
    "context returned": (
        """func f() context.Context {
	ctx, _ := context.WithTimeout(context.Background(), time.Second)
	return ctx
}
""",
        r"discarded.*may outlive the function",
    ),
    "rows made from the context are returned": (
        """func f(db *sql.DB) (*sql.Rows, error) {
	ctx, _ := context.WithTimeout(context.Background(), time.Second)
	rows, err := db.QueryContext(ctx, "SELECT 1")
	if err != nil {
		return nil, err
	}
	return rows, nil
}
""",
        r"may outlive the function",
    ),
    "context stored in a struct": (
        """type job struct{ ctx context.Context }

func f() *job {
	ctx, cancel := context.WithCancel(context.Background())
	j := &job{ctx: ctx}
	if j == nil {
		return nil
	}
	cancel()
	return j
}
""",
        r"return at line \d+.*may outlive",
    ),
    "outer variable assigned in a block": (
        """func f(ctx context.Context, b bool, do func(context.Context) error) error {
	if b {
		ctx, _ = context.WithTimeout(ctx, time.Second)
	}
	return do(ctx)
}
""",
        r"declare the cancel function first",
    ),
    "inside a loop": (
        """func f(ctx context.Context, xs []int, do func(context.Context) error) error {
	for range xs {
		c, cancel := context.WithTimeout(ctx, time.Second)
		if do(c) != nil {
			break
		}
		cancel()
	}
	return errors.New("done")
}
""",
        r"break at line \d+.*before the next iteration",
    ),
}


@pytest.mark.parametrize(
    ("body", "message"), CANCEL_REPORT_ONLY.values(), ids=CANCEL_REPORT_ONLY.keys()
)
def test_cancel_report_only(body: str, message: str) -> None:
    result = _run(CancelNotCalled(), body, fix=False)
    assert len(result.findings) == 1
    assert re.search(message, result.findings[0].message), result.findings[0].message
    assert result.findings[0].fix is None


# -- defer-in-loop --------------------------------------------------------------------------------

DEFER_NOOP = {
    "returns after the defer": """func f(ctx context.Context, db *sql.DB, qs []int) error {
	for _, q := range qs {
		rows, err := db.QueryContext(ctx, "SELECT $1", q)
		if err != nil {
			continue
		}
		defer rows.Close()
		return rows.Err()
	}
	return nil
}
""",
    "rows kept for later": """func f(ctx context.Context, db *sql.DB, n int) []*sql.Rows {
	var all []*sql.Rows
	for i := 0; i < n; i++ {
		rows, err := db.QueryContext(ctx, "SELECT 1")
		if err != nil {
			continue
		}
		defer rows.Close()
		all = append(all, rows)
	}
	return all
}
""",
    "contexts owned by goroutines": """func f(parent context.Context, db *sql.DB, shards []int) {
	var wg sync.WaitGroup
	for _, shard := range shards {
		ctx, cancel := context.WithTimeout(parent, time.Minute)
		defer cancel()
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = db.ExecContext(ctx, "SELECT $1", shard)
		}()
	}
	wg.Wait()
}
""",
    "context shared with later iterations": """func f(octx context.Context, hosts []string) error {
	ctx := octx
	for i, h := range hosts {
		if i == 0 || hosts[i-1] != h {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(octx, time.Second)
			defer cancel()
		}
		if dial(ctx, h) == nil { // dial is a package function
			return nil
		}
	}
	return errors.New("no host")
}

func dial(context.Context, string) error { return nil }
""",
    "a literal that scopes the loop's defers": """func f(ctx context.Context, db *sql.DB) {
	func() {
		for range 4 {
			conn, err := db.Conn(ctx)
			if err != nil {
				return
			}
			defer conn.Close()
		}
	}()
}
""",
    "value made outside the loop": """func f(ctx context.Context, db *sql.DB, n int) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return
	}
	for i := 0; i < n; i++ {
		defer tx.Rollback()
	}
}
""",
    "not a database value": """type file struct{}

func (file) Close() error { return nil }

func f(n int) {
	for i := 0; i < n; i++ {
		var x file
		defer x.Close()
	}
}
""",
}


@pytest.mark.parametrize("body", DEFER_NOOP.values(), ids=DEFER_NOOP.keys())
def test_defer_noop(body: str) -> None:
    assert _run(DeferInLoop(), body, fix=False).findings == []


DEFER_FIXES = {
    "continue inside a switch becomes return": (
        """func f(ctx context.Context, db *sql.DB, ids []int) {
	for _, id := range ids {
		rows, err := db.QueryContext(ctx, "SELECT 1")
		switch {
		case err != nil:
			continue
		case id < 0:
			continue
		}
		defer rows.Close()
		for rows.Next() {
			if id == 3 {
				break
			}
		}
	}
}
""",
        """func f(ctx context.Context, db *sql.DB, ids []int) {
	for _, id := range ids {
		func() {
			rows, err := db.QueryContext(ctx, "SELECT 1")
			switch {
			case err != nil:
				return
			case id < 0:
				return
			}
			defer rows.Close()
			for rows.Next() {
				if id == 3 {
					break
				}
			}
		}()
	}
}
""",
    ),
    "error-only function, body ends in if/else that leaves": (
        """func f(ctx context.Context, db *sql.DB, ids []int) (int, error) {
	for _, id := range ids { // each id
		conn, err := db.Conn(ctx)
		if err != nil {
			return 0, err
		}
		defer conn.Close()
		if id > 0 {
			continue
		} else {
			return 0, errors.New("bad id")
		}
	}
	return 1, nil
}
""",
        """func f(ctx context.Context, db *sql.DB, ids []int) (int, error) {
	for _, id := range ids { // each id
		if err := func() error {
			conn, err := db.Conn(ctx)
			if err != nil {
				return err
			}
			defer conn.Close()
			if id > 0 {
				return nil
			} else {
				return errors.New("bad id")
			}
		}(); err != nil {
			return 0, err
		}
	}
	return 1, nil
}
""",
    ),
    "deferred cancel, leading constant named err": (
        """const err = 0

func f(ctx context.Context, db *sql.DB, ids []int) (int, error) {
	for _, id := range ids {
		c, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		if _, e := db.ExecContext(c, "SELECT $1", id); e != nil {
			return err, fmt.Errorf("exec: %w", e)
		}
	}
	return 1, nil
}
""",
        """const err = 0

func f(ctx context.Context, db *sql.DB, ids []int) (int, error) {
	for _, id := range ids {
		if iterErr := func() error {
			c, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			if _, e := db.ExecContext(c, "SELECT $1", id); e != nil {
				return fmt.Errorf("exec: %w", e)
			}
			return nil
		}(); iterErr != nil {
			return err, iterErr
		}
	}
	return 1, nil
}
""",
    ),
}


@pytest.mark.parametrize(("before", "after"), DEFER_FIXES.values(), ids=DEFER_FIXES.keys())
def test_defer_fixes(before: str, after: str) -> None:
    assert _run(DeferInLoop(), before, fix=True).fixed.decode() == HEADER + after
    assert _run(DeferInLoop(), after, fix=False).findings == []


DEFER_REPORT_ONLY = {
    "a return may give a nil error": (
        """func f(ctx context.Context, db *sql.DB, ids []int) (bool, error) {
	for range ids {
		rows, err := db.QueryContext(ctx, "SELECT 1")
		if err != nil {
			return false, err
		}
		defer rows.Close()
		if rows.Next() {
			return true, nil
		}
	}
	return false, nil
}
""",
        r"may return a nil error",
    ),
    "returns with different leading values": (
        """func f(ctx context.Context, db *sql.DB, ids []int) (int, error) {
	for range ids {
		rows, err := db.QueryContext(ctx, "SELECT 1")
		if err != nil {
			return 1, err
		}
		defer rows.Close()
		if !rows.Next() {
			return 2, errors.New("empty")
		}
	}
	return 0, nil
}
""",
        r"different values",
    ),
    "another deferred call would move": (
        """func f(ctx context.Context, db *sql.DB, ids []int, wg *sync.WaitGroup) {
	for range ids {
		defer wg.Done()
		rows, err := db.QueryContext(ctx, "SELECT 1")
		if err != nil {
			continue
		}
		defer rows.Close()
	}
}
""",
        r"`defer wg.Done\(\)` would run per iteration too",
    ),
    "multi-line raw string": (
        """func f(ctx context.Context, db *sql.DB, ids []int) {
	for _, id := range ids {
		rows, err := db.QueryContext(ctx, `SELECT 1
FROM t WHERE id = $1`, id)
		if err != nil {
			continue
		}
		defer rows.Close()
	}
}
""",
        r"multi-line raw string",
    ),
    "labelled loop": (
        """func f(ctx context.Context, db *sql.DB, groups [][]int) {
outer:
	for _, group := range groups {
		rows, err := db.QueryContext(ctx, "SELECT 1")
		if err != nil {
			continue
		}
		defer rows.Close()
		for _, id := range group {
			if id < 0 {
				continue outer
			}
		}
	}
}
""",
        r"label",
    ),
    "deferred closure sets an outer variable": (
        """func f(ctx context.Context, db *sql.DB, ids []int) (err error) {
	for range ids {
		rows, qerr := db.QueryContext(ctx, "SELECT 1")
		if qerr != nil {
			continue
		}
		defer func() {
			if cerr := rows.Close(); cerr != nil {
				err = cerr
			}
		}()
	}
	return nil
}
""",
        r"sets variables outside the loop body",
    ),
}


@pytest.mark.parametrize(
    ("body", "message"), DEFER_REPORT_ONLY.values(), ids=DEFER_REPORT_ONLY.keys()
)
def test_defer_report_only(body: str, message: str) -> None:
    result = _run(DeferInLoop(), body, fix=False)
    assert len(result.findings) == 1, result.findings
    assert re.search(message, result.findings[0].message), result.findings[0].message
    assert result.findings[0].fix is None
