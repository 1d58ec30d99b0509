package store

import (
	"context"
	"database/sql"

	"github.com/jmoiron/sqlx"
)

// PrepareLookup hands the statement to the caller, who closes it.
func PrepareLookup(ctx context.Context, db *sql.DB) (*sql.Stmt, error) {
	stmt, err := db.PrepareContext(ctx, "SELECT name FROM users WHERE id = $1")
	if err != nil {
		return nil, err
	}
	return stmt, nil
}

// PrepareCount returns the statement directly.
func PrepareCount(db *sqlx.DB) (*sqlx.Stmt, error) {
	return db.Preparex("SELECT count(*) FROM users")
}

// Queries owns its statements; Close releases them.
type Queries struct {
	byID   *sql.Stmt
	byName *sqlx.NamedStmt
}

// NewQueries prepares the statements and stores them in the struct.
func NewQueries(ctx context.Context, db *sqlx.DB) (*Queries, error) {
	q := &Queries{}
	byID, err := db.PrepareContext(ctx, "SELECT id, name FROM users WHERE id = $1")
	if err != nil {
		return nil, err
	}
	q.byID = byID
	byName, err := db.PrepareNamedContext(ctx, "SELECT id, name FROM users WHERE name = :name")
	if err != nil {
		_ = byID.Close()
		return nil, err
	}
	q.byName = byName
	return q, nil
}

// Close releases the statements.
func (q *Queries) Close() error {
	err := q.byID.Close()
	if cerr := q.byName.Close(); err == nil {
		err = cerr
	}
	return err
}
