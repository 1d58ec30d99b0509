package users

import (
	"context"
	"database/sql"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// peek looks at the first row and hands the rows on: the caller checks
// rows.Err() when it finishes reading.
func peek(ctx context.Context, db *sql.DB) (*sql.Rows, bool, error) {
	rows, err := db.QueryContext(ctx, "SELECT name FROM users")
	if err != nil {
		return nil, false, err
	}
	if rows.Next() {
		return rows, true, nil
	}
	return rows, false, nil
}

// collect hands the rows to pgx, which checks their error.
func collect(ctx context.Context, pool *pgxpool.Pool) ([]string, error) {
	rows, err := pool.Query(ctx, "SELECT name FROM users")
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// cursor is not a database type: its Next() is none of rows-err's business.
type cursor struct {
	items []string
	pos   int
}

func (c *cursor) Next() bool {
	c.pos++
	return c.pos <= len(c.items)
}

func drain(c *cursor) int {
	n := 0
	for c.Next() {
		n++
	}
	return n
}
