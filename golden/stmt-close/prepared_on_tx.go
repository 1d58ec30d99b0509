package orders

import (
	"context"
	"database/sql"

	"github.com/jmoiron/sqlx"
)

// Copy prepares on the transaction: Commit or Rollback closes those statements
// (database/sql documents it), so they need no Close of their own.
func Copy(ctx context.Context, db *sql.DB, ids []int64) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, "INSERT INTO archive SELECT * FROM orders WHERE id = $1")
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := stmt.ExecContext(ctx, id); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Mark uses sqlx's Preparex on a transaction, and a statement of the database
// that nothing closes.
func Mark(ctx context.Context, db *sqlx.DB, id int64) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.Preparex("UPDATE orders SET marked = true WHERE id = $1")
	if err != nil {
		return err
	}
	if _, err := stmt.ExecContext(ctx, id); err != nil {
		return err
	}
	check, err := db.PreparexContext(ctx, "SELECT marked FROM orders WHERE id = $1") // want "stmt-close: prepared statement is never closed"
	if err != nil {
		return err
	}
	var marked bool
	if err := check.GetContext(ctx, &marked, id); err != nil {
		return err
	}
	return tx.Commit()
}
