"""query-timeout's scope: code that serves (reached from handlers, goroutines, workers, across
the packages of a run) is reported; code that runs once is not, unless --timeout-scope all."""

from __future__ import annotations

from pathlib import Path

from codemods.engine import run
from codemods.options import Options

STORE = """package store

import "database/sql"

type Store struct{ db *sql.DB }

func NewStore(db *sql.DB) (*Store, error) {
	if err := createTables(db); err != nil {
		return nil, err
	}
	return &Store{db: db}, nil
}

func createTables(db *sql.DB) error {
	_, err := db.Exec("CREATE TABLE IF NOT EXISTS users (id bigint)")
	return err
}

func (s *Store) UserByID(id int64) (string, error) {
	var name string
	err := s.db.QueryRow("SELECT name FROM users WHERE id = $1", id).Scan(&name)
	return name, err
}

func (s *Store) purge() error {
	_, err := s.db.Exec("DELETE FROM users WHERE id < 0")
	return err
}

func (s *Store) Janitor(done chan struct{}) {
	for {
		select {
		case <-done:
			return
		default:
			_ = s.purge()
		}
	}
}
"""

API = """package api

import (
	"net/http"

	"example.com/svc/store"
)

type API struct{ store *store.Store }

func (a *API) user(w http.ResponseWriter, r *http.Request) {
	name, _ := a.store.UserByID(1)
	_, _ = w.Write([]byte(name))
}
"""

MIGRATE = """package migrations

import "database/sql"

func Up(db *sql.DB) error {
	_, err := db.Exec("ALTER TABLE users ADD COLUMN email text")
	return err
}
"""


def _tree(tmp_path: Path) -> Path:
    (tmp_path / "go.mod").write_text("module example.com/svc\n\ngo 1.23\n")
    for folder, code in (("store", STORE), ("api", API), ("migrations", MIGRATE)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / f"{folder}.go").write_text(code)
    return tmp_path


def _lines(tmp_path: Path, scope: str) -> set[tuple[str, int]]:
    options = Options(select=("query-timeout",), timeout_scope=scope)
    findings = run([str(_tree(tmp_path))], options, fix=False).findings
    return {(Path(f.path).parent.name, f.line) for f in findings}


def test_serving_code_is_reported_and_setup_is_not(tmp_path: Path) -> None:
    # UserByID: reached from a handler in another package; purge: from a worker loop.
    assert _lines(tmp_path, "serving") == {("store", 21), ("store", 26)}


def test_scope_all_reports_setup_and_migrations_too(tmp_path: Path) -> None:
    assert _lines(tmp_path, "all") == {
        ("store", 15),
        ("store", 21),
        ("store", 26),
        ("migrations", 6),
    }


IMPORTER = """package importer

import "database/sql"

type Session struct{ db *sql.DB }

func (s *Session) Start() {
	_, _ = s.db.Exec("INSERT INTO imports (at) VALUES (now())")
}

type command struct{ db *sql.DB }

func (c *command) Run() error {
	_, err := c.db.Exec("CREATE TABLE IF NOT EXISTS imports (at timestamptz)")
	return err
}

func Handle(sess *Session) {
	go sess.Start()
}

func Main(c *command) {
	go c.Run()
}
"""


def test_a_goroutine_starts_the_method_its_variable_names(tmp_path: Path) -> None:
    """`go sess.Start()` serves Session.Start; `go c.Run()` names no type (too short), and
    Run, Start, Close... are never followed by name alone."""
    (tmp_path / "go.mod").write_text("module example.com/svc\n\ngo 1.23\n")
    (tmp_path / "importer").mkdir()
    (tmp_path / "importer" / "importer.go").write_text(IMPORTER)
    (tmp_path / "main.go").write_text("package main\n\nfunc main() {}\n")  # an application
    options = Options(select=("query-timeout",))
    findings = run([str(tmp_path)], options, fix=False).findings
    assert [f.line for f in findings] == [8]
