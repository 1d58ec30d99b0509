package payments

import (
	"context"
	"database/sql"
	"errors"

	"github.com/cockroachdb/cockroach-go/v2/crdb"
	crdbpgx "github.com/cockroachdb/cockroach-go/v2/crdb/crdbpgxv5"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

var ErrInsufficientFunds = errors.New("insufficient funds")

// Transfer is CockroachDB's retry loop: crdb.ExecuteTx begins the
// transaction, retries the callback on serialization failures (SQLSTATE
// 40001), commits on success and rolls back on error. The callback's tx is
// owned by crdb and must not get a Rollback of its own.
func Transfer(ctx context.Context, db *sql.DB, from, to, amount int64) error {
	return crdb.ExecuteTx(ctx, db, nil, func(tx *sql.Tx) error {
		var balance int64
		if err := tx.QueryRowContext(ctx, "SELECT balance FROM accounts WHERE id = $1", from).Scan(&balance); err != nil {
			return err
		}
		if balance < amount {
			return ErrInsufficientFunds
		}
		if _, err := tx.ExecContext(ctx, "UPDATE accounts SET balance = balance - $1 WHERE id = $2", amount, from); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "UPDATE accounts SET balance = balance + $1 WHERE id = $2", amount, to)
		return err
	})
}

// TransferPgx is the same retry loop with pgx v5 and a pgxpool: crdbpgx
// (package crdbpgxv5) runs the callback in a transaction it commits or rolls
// back itself.
func TransferPgx(ctx context.Context, pool *pgxpool.Pool, from, to, amount int64) error {
	return crdbpgx.ExecuteTx(ctx, pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE accounts SET balance = balance - $1 WHERE id = $2", amount, from); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "UPDATE accounts SET balance = balance + $1 WHERE id = $2", amount, to)
		return err
	})
}

// Audit uses pgx.BeginFunc and BeginTxFunc: pgx commits when the callback
// returns nil and rolls back otherwise.
func Audit(ctx context.Context, pool *pgxpool.Pool, id int64) error {
	if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO audit (account_id) VALUES ($1)", id)
		return err
	}); err != nil {
		return err
	}
	return pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.Serializable}, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "UPDATE accounts SET audited = now() WHERE id = $1", id)
		return err
	})
}

// retryManually is a hand-written retry loop around crdb.ExecuteInTx-style
// code: each attempt's transaction is ended on every path.
func retryManually(ctx context.Context, db *sql.DB, id int64) error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var tx *sql.Tx
		tx, err = db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, "UPDATE accounts SET touched = now() WHERE id = $1", id); err != nil {
			_ = tx.Rollback()
			continue
		}
		if err = tx.Commit(); err == nil {
			return nil
		}
	}
	return err
}
