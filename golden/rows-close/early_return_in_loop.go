package accounts

import (
	"context"
	"database/sql"
	"fmt"
)

type Account struct {
	ID      int64
	Balance int64
}

type Store struct {
	db *sql.DB
}

// Negative returns the first account with a negative balance. The plain
// rows.Close() at the end is skipped by both returns inside the loop.
func (s *Store) Negative(ctx context.Context) (*Account, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id, balance FROM accounts ORDER BY id") // want "rows-close: rows are not closed on the return at line 28"
	if err != nil {
		return nil, fmt.Errorf("query accounts: %w", err)
	}
	for rows.Next() {
		var a Account
		if err := rows.Scan(&a.ID, &a.Balance); err != nil {
			return nil, fmt.Errorf("scan account: %w", err)
		}
		if a.Balance < 0 {
			return &a, nil
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	return nil, nil
}
