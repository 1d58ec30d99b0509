package shop

import (
	"context"
	"database/sql"
	"fmt"
)

type Summary struct {
	Users  int
	Orders int
}

// Load runs two queries on context.Background(): one deadline covers both.
func Load(db *sql.DB) (Summary, error) {
	var s Summary
	if err := db.QueryRowContext(context.Background(), "SELECT count(*) FROM users").Scan(&s.Users); err != nil { // want "query-timeout: QueryRowContext on context.Background\(\)"
		return s, fmt.Errorf("count users: %w", err)
	}

	if err := db.QueryRowContext(context.Background(), "SELECT count(*) FROM orders").Scan(&s.Orders); err != nil { // want "query-timeout: QueryRowContext on context.Background\(\)"
		return s, fmt.Errorf("count orders: %w", err)
	}
	return s, nil
}

// Archive moves old orders without any context: the two statements share one deadline.
func Archive(db *sql.DB) error {
	if _, err := db.Exec("INSERT INTO orders_archive SELECT * FROM orders WHERE closed_at < now() - INTERVAL '1 year'"); err != nil { // want "query-timeout: Exec without a context"
		return err
	}
	_, err := db.Exec("DELETE FROM orders WHERE closed_at < now() - INTERVAL '1 year'") // want "query-timeout: Exec without a context"
	return err
}
