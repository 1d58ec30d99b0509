package stats

import (
	"context"
	"database/sql"
)

// Totals reuses rows for two queries and checks Err only after the second loop: a
// failure while reading the first result goes unnoticed.
func Totals(ctx context.Context, db *sql.DB) (users, orders int, err error) {
	rows, err := db.QueryContext(ctx, "SELECT 1 FROM users")
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	for rows.Next() { // want "rows-err: rows.Err\(\) is never checked after iterating rows"
		users++
	}

	rows, err = db.QueryContext(ctx, "SELECT 1 FROM orders")
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		orders++
	}
	if err := rows.Err(); err != nil {
		return 0, 0, err
	}
	return users, orders, nil
}

// Both loops are checked.
func Checked(ctx context.Context, db *sql.DB) (int, int, error) {
	a, b := 0, 0
	rows, err := db.QueryContext(ctx, "SELECT 1 FROM users")
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		a++
	}
	if err := rows.Err(); err != nil {
		return 0, 0, err
	}
	rows, err = db.QueryContext(ctx, "SELECT 1 FROM orders")
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		b++
	}
	return a, b, rows.Err()
}
