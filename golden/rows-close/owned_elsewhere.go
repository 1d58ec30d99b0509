package users

import (
	"context"
	"database/sql"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Iter wraps rows; its Close method closes them.
type Iter struct {
	rows *sql.Rows
}

func (it *Iter) Close() error { return it.rows.Close() }

type Cache struct {
	last *sql.Rows
}

func openIter(ctx context.Context, db *sql.DB) (*Iter, error) {
	rows, err := db.QueryContext(ctx, "SELECT name FROM users")
	if err != nil {
		return nil, err
	}
	return &Iter{rows: rows}, nil
}

// collectNames hands the rows to pgx.CollectRows, which closes them.
func collectNames(ctx context.Context, pool *pgxpool.Pool) ([]string, error) {
	rows, err := pool.Query(ctx, "SELECT name FROM users")
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func closeInDeferredFunc(ctx context.Context, db *sql.DB) (int, error) {
	rows, err := db.QueryContext(ctx, "SELECT 1 FROM users")
	if err != nil {
		return 0, err
	}
	defer func() {
		_ = rows.Close()
	}()
	n := 0
	for rows.Next() {
		n++
	}
	return n, rows.Err()
}

func (c *Cache) keep(ctx context.Context, db *sql.DB) error {
	var err error
	c.last, err = db.QueryContext(ctx, "SELECT name FROM users")
	return err
}

func send(ctx context.Context, db *sql.DB, out chan<- *sql.Rows) error {
	rows, err := db.QueryContext(ctx, "SELECT name FROM users")
	if err != nil {
		return err
	}
	out <- rows
	return nil
}
