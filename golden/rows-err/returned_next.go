package users

import (
	"context"
	"database/sql"
)

// Exists returns what Next says: a read that fails midway looks like "no such user".
func Exists(ctx context.Context, db *sql.DB, email string) (bool, error) {
	rows, err := db.QueryContext(ctx, "SELECT 1 FROM users WHERE email = $1", email)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	return rows.Next(), nil // want "rows-err: rows.Err\(\) is never checked after rows.Next\(\): a failed read looks like no row"
}

// Found checks Err with Next: nothing to say.
func Found(ctx context.Context, db *sql.DB, email string) (bool, error) {
	rows, err := db.QueryContext(ctx, "SELECT 1 FROM users WHERE email = $1", email)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	found := rows.Next()
	return found, rows.Err()
}
