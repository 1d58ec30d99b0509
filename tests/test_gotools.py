"""Tests for the Go toolchain helpers in tests/gotools.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from gotools import build_module, require_go, vet_sources

REPO = Path(__file__).resolve().parent.parent

VALID = b"""package demo

import "fmt"

// Greet returns a greeting for name.
func Greet(name string) string {
	return fmt.Sprintf("hello, %s", name)
}
"""

# Valid Go, but indented with spaces and with an extra blank line: gofmt rewrites it.
DIRTY = b"""package demo

func Add(a, b int) int {
    return a+b

}
"""

# gofmt-clean, but vet reports the Printf verb mismatch.
VET_FAIL = b"""package demo

import "fmt"

func Show(n int) string {
	return fmt.Sprintf("%s", n)
}
"""


@pytest.fixture()
def plain_module(tmp_path: Path) -> Path:
    require_go()
    (tmp_path / "go.mod").write_text("module leakfix.test/plain\n\ngo 1.22\n")
    return tmp_path


def test_vet_sources_accepts_valid_file(plain_module: Path) -> None:
    ok, output = vet_sources({"rows-close/case1/demo.go": VALID}, plain_module)
    assert ok, output


def test_vet_sources_rejects_gofmt_dirty_file(plain_module: Path) -> None:
    files = {"rows-close/case1/demo.go": VALID, "rows-close/case2/demo.go": DIRTY}
    ok, output = vet_sources(files, plain_module)
    assert not ok
    assert "rows-close/case2/demo.go" in output
    assert "rows-close/case1/demo.go" not in output.split("not gofmt-clean:")[-1]


def test_vet_sources_reports_vet_failure(plain_module: Path) -> None:
    ok, output = vet_sources({"x/demo.go": VET_FAIL}, plain_module)
    assert not ok
    assert "Sprintf" in output


def test_vet_sources_with_golden_module_deps() -> None:
    """The golden module's go.sum covers the drivers a case may import (offline)."""
    require_go()
    src = b"""package demo

import (
	"context"
	"database/sql"
	"net/http"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/labstack/echo/v4"
)

func handler(db *sql.DB) echo.HandlerFunc {
	return func(c echo.Context) error {
		var n int
		if err := db.QueryRowContext(c.Request().Context(), "SELECT 1").Scan(&n); err != nil {
			return err
		}
		_ = context.Background()
		return c.JSON(http.StatusOK, n)
	}
}

var _ = handler
"""
    ok, output = vet_sources({"rule/case/demo.go": src}, REPO / "golden")
    assert ok, output


def test_examples_module_builds() -> None:
    require_go()
    ok, output = build_module(REPO / "examples")
    assert ok, output
