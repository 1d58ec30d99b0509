package batches

import (
	"context"
	"database/sql"
)

type Job struct {
	ID      int64
	Payload string
}

// Import runs one transaction per job. A deferred Rollback in the loop would
// hold every transaction until Import returns, so leakfix only reports it.
func Import(ctx context.Context, db *sql.DB, jobs []Job) error {
	for _, j := range jobs {
		tx, err := db.BeginTx(ctx, nil) // want "tx-rollback: transaction is not rolled back on every path that does not commit: end tx before the next iteration"
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO jobs (id, payload) VALUES ($1, $2)", j.ID, j.Payload); err != nil {
			continue // skips the bad job, and leaks its transaction
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// ImportClean ends each iteration's transaction on every path: no finding.
func ImportClean(ctx context.Context, db *sql.DB, jobs []Job) error {
	for _, j := range jobs {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO jobs (id, payload) VALUES ($1, $2)", j.ID, j.Payload); err != nil {
			_ = tx.Rollback()
			continue
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}
