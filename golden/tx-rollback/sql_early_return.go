package bank

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

var ErrInsufficientFunds = errors.New("insufficient funds")

type Store struct {
	db *sql.DB
}

// Transfer moves money between two accounts. Every early return leaves the
// transaction open: its connection never goes back to the pool.
func (s *Store) Transfer(ctx context.Context, from, to, amount int64) error {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable}) // want "tx-rollback: transaction is neither committed nor rolled back on the return at line 28: add `defer tx.Rollback\(\)`"
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}

	var balance int64
	if err := tx.QueryRowContext(ctx, "SELECT balance FROM accounts WHERE id = $1", from).Scan(&balance); err != nil {
		return fmt.Errorf("read balance: %w", err)
	}
	if balance < amount {
		return ErrInsufficientFunds
	}
	if _, err := tx.ExecContext(ctx, "UPDATE accounts SET balance = balance - $1 WHERE id = $2", amount, from); err != nil {
		return fmt.Errorf("debit: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE accounts SET balance = balance + $1 WHERE id = $2", amount, to); err != nil {
		return fmt.Errorf("credit: %w", err)
	}
	return tx.Commit()
}

// deleteAccount is a net/http handler: the first error path rolls back, the
// second one forgets to.
func deleteAccount(db *sql.DB) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.URL.Query().Get("id"), 10, 64)
		if err != nil {
			http.Error(w, "bad id", http.StatusBadRequest)
			return
		}
		tx, err := db.Begin() // want "tx-rollback: transaction is neither committed nor rolled back on the return at line 63"
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if _, err := tx.Exec("DELETE FROM transfers WHERE account_id = $1", id); err != nil {
			_ = tx.Rollback()
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if _, err := tx.Exec("DELETE FROM accounts WHERE id = $1", id); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if err := tx.Commit(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// touch throws the transaction away: nothing can ever end it.
func touch(ctx context.Context, db *sql.DB) error {
	_, err := db.BeginTx(ctx, nil) // want "tx-rollback: transaction from BeginTx is discarded and never ended"
	return err
}
