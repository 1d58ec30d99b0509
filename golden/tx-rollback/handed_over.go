package jobs

import (
	"context"
	"database/sql"
)

type Batch struct {
	tx *sql.Tx
}

// Start returns a batch that owns the transaction: the caller commits it.
func Start(ctx context.Context, db *sql.DB) (*Batch, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	b := newBatch(tx)
	return b, nil
}

func newBatch(tx *sql.Tx) *Batch {
	return &Batch{tx: tx}
}

// Background lets a goroutine finish the transaction after Background returned.
func Background(ctx context.Context, db *sql.DB, done chan<- error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	go func() {
		done <- purge(ctx, tx)
	}()
	return nil
}

// Purge hands the transaction to a helper that only runs a statement on it.
func Purge(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil) // want "tx-rollback: transaction is neither committed nor rolled back on the return at line 45"
	if err != nil {
		return err
	}
	if err := purge(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

func purge(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, "DELETE FROM jobs WHERE done")
	return err
}
