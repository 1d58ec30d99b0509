package main

import (
	"context"
	"database/sql"
	"time"
)

// User is a row of the users table.
type User struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Order is a row of the orders table.
type Order struct {
	ID         int64     `json:"id"`
	TotalCents int64     `json:"total_cents"`
	CreatedAt  time.Time `json:"created_at"`
}

// Store wraps the queries that need more than one line of SQL handling.
type Store struct {
	db *sql.DB
}

// NewStore returns a Store backed by db.
func NewStore(db *sql.DB) *Store {
	return &Store{db: db}
}

// CountOrders returns how many orders the user has placed.
func (s *Store) CountOrders(userID int64) (int, error) {
	var n int
	err := s.db.QueryRowContext(context.Background(),
		"SELECT count(*) FROM orders WHERE user_id = $1", userID).Scan(&n)
	if err != nil {
		return 0, err
	}
	return n, nil
}

// queryWithTimeout runs a users query that must finish within three seconds.
func (s *Store) queryWithTimeout(ctx context.Context, query string, args ...any) ([]User, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()

	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	var users []User
	for rows.Next() {
		var u User
		if err := rows.Scan(&u.ID, &u.Name); err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return users, nil
}
