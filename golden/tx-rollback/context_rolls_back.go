package jobs

import (
	"context"
	"database/sql"
	"time"
)

// Claim begins its transaction on a context that ends when Claim returns (the deferred
// cancel): database/sql then rolls the transaction back by itself, on every path.
func Claim(parent context.Context, db *sql.DB, worker string) (int64, error) {
	ctx, cancel := context.WithTimeout(parent, 10*time.Second)
	defer cancel()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	var id int64
	if err := tx.QueryRowContext(ctx, "SELECT id FROM jobs WHERE owner IS NULL LIMIT 1 FOR UPDATE SKIP LOCKED").Scan(&id); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE jobs SET owner = $1 WHERE id = $2", worker, id); err != nil {
		return 0, err
	}
	return id, tx.Commit()
}

// Release uses the caller's context, which outlives it: the early return leaks.
func Release(ctx context.Context, db *sql.DB, id int64) error {
	tx, err := db.BeginTx(ctx, nil) // want "tx-rollback: transaction is neither committed nor rolled back on the return at line 35"
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE jobs SET owner = NULL WHERE id = $1", id); err != nil {
		return err
	}
	return tx.Commit()
}
