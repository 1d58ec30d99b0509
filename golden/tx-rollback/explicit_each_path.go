package accounts

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jmoiron/sqlx"
)

// Open rolls back by hand before every early return and commits at the end:
// every path ends the transaction.
func Open(ctx context.Context, db *sql.DB, owner string) (int64, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	var id int64
	if err := tx.QueryRowContext(ctx, "INSERT INTO accounts (owner) VALUES ($1) RETURNING id", owner).Scan(&id); err != nil {
		if rbErr := tx.Rollback(); rbErr != nil {
			return 0, fmt.Errorf("%v (rollback: %w)", err, rbErr)
		}
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO balances (account_id) VALUES ($1)", id); err != nil {
		return 0, rollback(tx, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return id, nil
}

// rollback rolls back and returns the original error.
func rollback(tx *sql.Tx, err error) error {
	if rbErr := tx.Rollback(); rbErr != nil {
		return fmt.Errorf("%v (rollback: %w)", err, rbErr)
	}
	return err
}

// Seed is the sqlx README's straight-line MustBegin: nothing returns between
// the begin and the commit.
func Seed(db *sqlx.DB) error {
	tx := db.MustBegin()
	tx.MustExec("INSERT INTO accounts (owner) VALUES ($1)", "alice")
	tx.MustExec("INSERT INTO accounts (owner) VALUES ($1)", "bob")
	return tx.Commit()
}

// Freeze ends the transaction in both branches of an if/else.
func Freeze(ctx context.Context, pool *pgxpool.Pool, id int64, dryRun bool) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, "UPDATE accounts SET frozen = true WHERE id = $1", id)
	if err != nil || dryRun {
		_ = tx.Rollback(ctx)
	} else {
		err = tx.Commit(ctx)
	}
	return err
}
