package catalog

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jmoiron/sqlx"
)

// Rename defers Rollback right after the check: after Commit it is a no-op
// that returns sql.ErrTxDone.
func Rename(ctx context.Context, db *sql.DB, id int64, name string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "UPDATE products SET name = $1 WHERE id = $2", name, id); err != nil {
		return err
	}
	return tx.Commit()
}

// Reprice commits or rolls back in one deferred closure, based on the named
// error result.
func Reprice(ctx context.Context, db *sqlx.DB, pct int) (err error) {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
			return
		}
		err = tx.Commit()
	}()
	_, err = tx.ExecContext(ctx, "UPDATE products SET price = price * (100 + $1) / 100", pct)
	return err
}

// Restock recovers a panic, rolls back and re-panics; on success it commits.
func Restock(ctx context.Context, db *sql.DB, id int64, n int) (err error) {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		} else if err != nil {
			_ = tx.Rollback()
		} else {
			err = tx.Commit()
		}
	}()
	if n < 0 {
		return fmt.Errorf("negative restock %d", n)
	}
	_, err = tx.ExecContext(ctx, "UPDATE products SET stock = stock + $1 WHERE id = $2", n, id)
	return err
}

// Discontinue is pgx: the deferred Rollback after Commit is a no-op too.
func Discontinue(ctx context.Context, conn *pgx.Conn, id int64) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, "UPDATE products SET discontinued = true WHERE id = $1", id); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// rollbackUnlessCommitted is a package helper: deferring it counts as a
// deferred Rollback.
func rollbackUnlessCommitted(tx *sqlx.Tx) {
	_ = tx.Rollback()
}

func Clear(db *sqlx.DB) error {
	tx := db.MustBegin()
	defer rollbackUnlessCommitted(tx)
	tx.MustExec("DELETE FROM products WHERE stock = 0")
	return tx.Commit()
}
