package users

import (
	"context"
	"database/sql"
)

type User struct {
	ID    int64
	Email string
}

// scanUsers owns the rows it is given and closes them.
func scanUsers(rows *sql.Rows) ([]User, error) {
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		if err := rows.Scan(&u.ID, &u.Email); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func closeQuietly(rows *sql.Rows) {
	_ = rows.Close()
}

func Admins(ctx context.Context, db *sql.DB) ([]User, error) {
	rows, err := db.QueryContext(ctx, "SELECT id, email FROM users WHERE admin")
	if err != nil {
		return nil, err
	}
	return scanUsers(rows)
}

func FirstEmail(ctx context.Context, db *sql.DB) (string, error) {
	rows, err := db.QueryContext(ctx, "SELECT email FROM users ORDER BY id LIMIT 1")
	if err != nil {
		return "", err
	}
	defer closeQuietly(rows)
	var email string
	if rows.Next() {
		if err := rows.Scan(&email); err != nil {
			return "", err
		}
	}
	return email, rows.Err()
}
