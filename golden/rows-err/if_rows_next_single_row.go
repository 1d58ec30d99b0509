package users

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

var ErrNotFound = errors.New("user not found")

type User struct {
	ID    int64
	Email string
}

type Store struct {
	db *sql.DB
}

// ByEmail reads one row with `if rows.Next()`: a failed read looks like
// "not found" unless rows.Err() is checked.
func (s *Store) ByEmail(ctx context.Context, email string) (*User, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id, email FROM users WHERE email = $1 LIMIT 1", email)
	if err != nil {
		return nil, fmt.Errorf("user by email: %w", err)
	}
	defer rows.Close()
	if rows.Next() { // want "rows-err"
		var u User
		if err := rows.Scan(&u.ID, &u.Email); err != nil {
			return nil, err
		}
		return &u, nil
	}
	return nil, ErrNotFound
}
