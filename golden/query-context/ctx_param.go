package accounts

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Store wraps the accounts tables.
type Store struct {
	db *sql.DB
}

// Balance returns the balance of one account.
func (s *Store) Balance(ctx context.Context, id int64) (int64, error) {
	var cents int64
	if err := s.db.QueryRow("SELECT balance FROM accounts WHERE id = $1", id).Scan(&cents); err != nil { // want "query-context: QueryRow without a context: use QueryRowContext with ctx"
		return 0, fmt.Errorf("balance of %d: %w", id, err)
	}
	return cents, nil
}

// Transfer moves money between two accounts.
func (s *Store) Transfer(ctx context.Context, from, to, cents int64) error {
	tx, err := s.db.Begin() // want "query-context: Begin without a context: use BeginTx with ctx"
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()

	if _, err := tx.Exec("UPDATE accounts SET balance = balance - $1 WHERE id = $2", cents, from); err != nil { // want "query-context: Exec without a context: use ExecContext with ctx"
		return err
	}
	if _, err := tx.Exec("UPDATE accounts SET balance = balance + $1 WHERE id = $2", cents, to); err != nil { // want "query-context: Exec without a context: use ExecContext with ctx"
		return err
	}
	return tx.Commit()
}

// Audit inserts an event and trims the old ones under a derived context: the nearest
// context (ctx, not parent) is the one to pass.
func Audit(parent context.Context, db *sql.DB, event string) error {
	ctx, cancel := context.WithTimeout(parent, 2*time.Second)
	defer cancel()
	if _, err := db.Exec("INSERT INTO audit (event) VALUES ($1)", event); err != nil { // want "query-context: Exec without a context: use ExecContext with ctx"
		return err
	}
	_, err := db.ExecContext(ctx, "DELETE FROM audit WHERE at < now() - INTERVAL '30 days'")
	return err
}
