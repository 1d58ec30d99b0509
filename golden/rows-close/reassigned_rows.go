package reports

import (
	"context"
	"database/sql"
)

// Summary reuses rows for a second query: the first rows are never closed when a Scan
// fails and the loop returns early; the second ones are.
func Summary(ctx context.Context, db *sql.DB) (users, orders int, err error) {
	rows, err := db.QueryContext(ctx, "SELECT id FROM users") // want "rows-close: rows are not closed before rows is reassigned on line 26: add `defer rows.Close\(\)`"
	if err != nil {
		return 0, 0, err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return 0, 0, err
		}
		users++
	}
	if err := rows.Err(); err != nil {
		return 0, 0, err
	}

	rows, err = db.QueryContext(ctx, "SELECT id FROM orders")
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		orders++
	}
	return users, orders, rows.Err()
}

// Both closes are missing: each query gets its own deferred close.
func Names(ctx context.Context, db *sql.DB) ([]string, error) {
	var names []string
	rows, err := db.QueryContext(ctx, "SELECT name FROM users") // want "rows-close: rows are not closed before rows is reassigned"
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = db.QueryContext(ctx, "SELECT name FROM admins") // want "rows-close: rows are not closed on the return at line 61: add `defer rows.Close\(\)`"
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// Closed before the variable is reused, and closed again by defer: nothing to report.
func Counts(ctx context.Context, db *sql.DB) (int, int, error) {
	a, b := 0, 0
	rows, err := db.QueryContext(ctx, "SELECT 1 FROM users")
	if err != nil {
		return 0, 0, err
	}
	for rows.Next() {
		a++
	}
	rows.Close()
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

// Pair closes its first rows by defer; the deferred close does not carry over to the
// second rows, but nothing is reported: they are read to the end, and Next closes them
// once it reports false.
func Pair(ctx context.Context, db *sql.DB) (int, error) {
	n := 0
	rows, err := db.QueryContext(ctx, "SELECT 1 FROM users")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	for rows.Next() {
		n++
	}
	rows, err = db.QueryContext(ctx, "SELECT 1 FROM orders")
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		n++
	}
	return n, rows.Err()
}

// A deferred closure closes whatever rows holds when the function returns; declared
// before both queries, leakfix does not second-guess it.
func Latest(ctx context.Context, db *sql.DB) (string, error) {
	var rows *sql.Rows
	defer func() {
		if rows != nil {
			rows.Close()
		}
	}()
	rows, err := db.QueryContext(ctx, "SELECT name FROM users ORDER BY id DESC LIMIT 1")
	if err != nil {
		return "", err
	}
	var name string
	if rows.Next() {
		if err := rows.Scan(&name); err != nil {
			return "", err
		}
	}
	return name, rows.Err()
}
