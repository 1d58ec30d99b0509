package profiles

import (
	"context"
	"database/sql"
	"errors"
)

var ErrNotFound = errors.New("profile not found")

// Rename defers its Rollback only after an early return: when the profile
// does not exist the transaction stays open. leakfix moves the defer up to
// right after the error check.
func Rename(ctx context.Context, db *sql.DB, id int64, name string) error {
	tx, err := db.BeginTx(ctx, nil) // want "tx-rollback: transaction is neither committed nor rolled back on the return at line 21: it leaves before `defer tx.Rollback\(\)` on line 26; move that defer up"
	if err != nil {
		return err
	}
	var exists bool
	if err := tx.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM profiles WHERE id = $1)", id).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return ErrNotFound
	}
	defer tx.Rollback()

	if _, err := tx.ExecContext(ctx, "UPDATE profiles SET name = $1 WHERE id = $2", name, id); err != nil {
		return err
	}
	return tx.Commit()
}

// Bump has an if/else where only one branch ends the transaction.
func Bump(ctx context.Context, db *sql.DB, id int64, dryRun bool) error {
	tx, err := db.BeginTx(ctx, nil) // want "tx-rollback: transaction is neither committed nor rolled back on the return at line 41"
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE profiles SET version = version + 1 WHERE id = $1", id); err != nil {
		return err
	}
	if dryRun {
		return nil
	} else {
		return tx.Commit()
	}
}
