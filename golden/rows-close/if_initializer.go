package users

import (
	"context"
	"database/sql"
)

// First binds its rows in the if's initializer and reads them only when the query worked:
// the early return in the loop leaves them open. The close goes first in the if body.
func First(ctx context.Context, db *sql.DB) (int64, error) {
	if rows, err := db.QueryContext(ctx, "SELECT id FROM users ORDER BY id"); err == nil { // want "rows-close: rows are not closed on the return at line 15: add, first in the if body, `defer rows.Close\(\)`"
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return 0, err
			}
			return id, nil
		}
	}
	return 0, sql.ErrNoRows
}

// Count reads its rows to the end inside the if: Next closes them.
func Count(ctx context.Context, db *sql.DB) int {
	n := 0
	if rows, err := db.QueryContext(ctx, "SELECT 1 FROM users"); err == nil {
		for rows.Next() {
			n++
		}
	}
	return n
}

// Latest checks `err == nil` in the statement after the query and leaves the loop early.
func Latest(ctx context.Context, db *sql.DB) string {
	rows, err := db.QueryContext(ctx, "SELECT name FROM users ORDER BY created_at DESC") // want "rows-close: rows are not closed on the return at line 41: add, first in the if body, `defer rows.Close\(\)`"
	if err == nil {
		for rows.Next() {
			var name string
			if rows.Scan(&name) == nil {
				return name
			}
		}
	}
	return ""
}
