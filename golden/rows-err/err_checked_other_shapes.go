package users

import (
	"context"
	"database/sql"
	"log"

	"github.com/jackc/pgx/v5/pgxpool"
)

// returned directly
func names(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT name FROM users")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// compared without an initializer, pgx v5
func count(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	rows, err := pool.Query(ctx, "SELECT 1 FROM users")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	if rows.Err() != nil {
		return 0, rows.Err()
	}
	return n, nil
}

// named result assigned with '='
func total(ctx context.Context, db *sql.DB) (sum int64, err error) {
	rows, err := db.QueryContext(ctx, "SELECT amount FROM payments")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var a int64
		if err = rows.Scan(&a); err != nil {
			return 0, err
		}
		sum += a
	}
	err = rows.Err()
	return sum, err
}

// checked in a deferred function
func logAll(db *sql.DB) {
	rows, err := db.Query("SELECT name FROM users")
	if err != nil {
		log.Print(err)
		return
	}
	defer func() {
		if err := rows.Err(); err != nil {
			log.Print(err)
		}
		rows.Close()
	}()
	for rows.Next() {
		var n string
		_ = rows.Scan(&n)
		log.Print(n)
	}
}

// single row, checked before "not found"
func first(ctx context.Context, db *sql.DB) (string, error) {
	rows, err := db.QueryContext(ctx, "SELECT name FROM users ORDER BY id LIMIT 1")
	if err != nil {
		return "", err
	}
	defer rows.Close()
	if rows.Next() {
		var n string
		err := rows.Scan(&n)
		return n, err
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	return "", sql.ErrNoRows
}
