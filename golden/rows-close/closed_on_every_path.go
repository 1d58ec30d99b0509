package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
)

type Store struct {
	db *sql.DB
}

// Balances closes its rows by hand before each early return and after the loop: every
// path is covered, so there is nothing to add.
func (s *Store) Balances(ctx context.Context, limit int) (map[int64]int64, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id, balance FROM accounts")
	if err != nil {
		return nil, fmt.Errorf("query balances: %w", err)
	}
	out := make(map[int64]int64)
	for rows.Next() {
		var id, balance int64
		if err := rows.Scan(&id, &balance); err != nil {
			_ = rows.Close()
			return nil, fmt.Errorf("scan balance: %w", err)
		}
		out[id] = balance
		if len(out) == limit {
			rows.Close()
			return out, nil
		}
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	return out, rows.Err()
}

var errConflict = errors.New("conflict")

// Retry closes the rows of each attempt with a defer inside the retried closure.
func (s *Store) Retry(ctx context.Context) ([]int64, error) {
	var ids []int64
	err := retry(3, func() error {
		ids = ids[:0]
		rows, err := s.db.QueryContext(ctx, "SELECT id FROM accounts FOR UPDATE")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return rows.Err()
	})
	return ids, err
}

func retry(times int, f func() error) error {
	var err error
	for i := 0; i < times; i++ {
		if err = f(); !errors.Is(err, errConflict) {
			return err
		}
	}
	return err
}

// Frozen closes by hand on two paths and forgets the third.
func (s *Store) Frozen(ctx context.Context) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id FROM accounts WHERE frozen") // want "rows-close: rows are not closed on the return at line 89: add `defer rows.Close\(\)`"
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		if id < 0 {
			return nil, fmt.Errorf("negative id %d", id)
		}
		ids = append(ids, id)
	}
	rows.Close()
	return ids, rows.Err()
}

// Audit closes in both branches of a switch with a default, and logs on the way out.
func (s *Store) Audit(ctx context.Context, mode int) {
	rows, err := s.db.QueryContext(ctx, "SELECT id FROM audit")
	if err != nil {
		log.Printf("audit: %v", err)
		return
	}
	switch mode {
	case 0:
		rows.Close()
	default:
		for rows.Next() {
		}
		if err := rows.Err(); err != nil {
			log.Printf("audit: %v", err)
		}
	}
}
