"""Finding categories: leaks by default, hardening on request, said in every output."""

from __future__ import annotations

import json
from pathlib import Path

from codemods import report
from codemods.engine import run
from codemods.options import Options

READ_TO_THE_END = """package users

import (
	"context"
	"database/sql"
)

func Names(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT name FROM users")
	if err != nil {
		return nil, err
	}
	var out []string
	for rows.Next() {
		var n string
		if rows.Scan(&n) == nil {
			out = append(out, n)
		}
	}
	return out, rows.Err()
}

func Leaks(ctx context.Context, db *sql.DB) (string, error) {
	rows, err := db.QueryContext(ctx, "SELECT name FROM users")
	if err != nil {
		return "", err
	}
	for rows.Next() {
		var n string
		return n, rows.Scan(&n)
	}
	return "", rows.Err()
}
"""


def _categories(tmp_path: Path, *select: str) -> list[tuple[str, int]]:
    (tmp_path / "users.go").write_text(READ_TO_THE_END)
    options = Options(select=select)
    findings = run([str(tmp_path)], options, fix=False).findings
    return sorted((f.category, f.line) for f in findings if f.rule == "rows-close")


def test_leaks_only_by_default(tmp_path: Path) -> None:
    assert _categories(tmp_path) == [("leak", 24)]


def test_hardening_alone_or_with_every_rule(tmp_path: Path) -> None:
    assert _categories(tmp_path, "hardening") == [("hardening", 9)]
    assert _categories(tmp_path, "ALL", "hardening") == [("hardening", 9), ("leak", 24)]
    assert _categories(tmp_path, "rows-close", "hardening") == [("hardening", 9), ("leak", 24)]


def test_outputs_say_the_category(tmp_path: Path) -> None:
    (tmp_path / "users.go").write_text(READ_TO_THE_END)
    options = Options(select=("rows-close", "hardening"))
    files = run([str(tmp_path)], options, fix=False).files
    text = report.render_text(files, options)
    assert "rows-close [hardening] rows is closed only because" in text
    document = json.loads(report.render_json(files))
    assert sorted(f["category"] for f in document["findings"]) == ["hardening", "leak"]
    sarif = json.loads(report.render_sarif(files))
    levels = sorted(r["level"] for r in sarif["runs"][0]["results"])
    assert levels == ["note", "warning"]
