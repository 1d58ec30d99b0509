package events

import (
	"context"
	"database/sql"
)

type Model struct {
	db         *sql.DB
	insertStmt *sql.Stmt
	lookupStmt *sql.Stmt
	cache      bool
}

// Insert uses the statement prepared at start-up when there is one: on that path
// the variable holds the cached statement, which a deferred Close would close for
// every later call.
func (m *Model) Insert(ctx context.Context, name string) error {
	var stmt *sql.Stmt
	var err error
	if m.insertStmt != nil {
		stmt = m.insertStmt
	} else {
		stmt, err = m.db.PrepareContext(ctx, "INSERT INTO events (name) VALUES ($1)")
		if err != nil {
			return err
		}
	}
	_, err = stmt.ExecContext(ctx, name)
	return err
}

// Remember keeps the statement in the model on one path.
func (m *Model) Remember(ctx context.Context, name string) error {
	stmt, err := m.db.PrepareContext(ctx, "SELECT id FROM events WHERE name = $1")
	if err != nil {
		return err
	}
	if m.cache {
		m.lookupStmt = stmt
	}
	_, err = stmt.ExecContext(ctx, name)
	return err
}

// statement hands out the cached statement: its callers do not own it.
func (m *Model) statement() (*sql.Stmt, error) {
	return m.insertStmt, nil
}

func (m *Model) Touch(ctx context.Context, name string) error {
	stmt, err := m.statement()
	if err != nil {
		return err
	}
	_, err = stmt.ExecContext(ctx, name)
	return err
}

// Lookup prepares a statement of its own on every call and never closes it.
func (m *Model) Lookup(ctx context.Context, name string) (int64, error) {
	stmt, err := m.db.PrepareContext(ctx, "SELECT id FROM events WHERE name = $1") // want "stmt-close: prepared statement is never closed"
	if err != nil {
		return 0, err
	}
	var id int64
	err = stmt.QueryRowContext(ctx, name).Scan(&id)
	return id, err
}
