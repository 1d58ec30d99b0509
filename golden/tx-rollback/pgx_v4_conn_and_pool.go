package ledger

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v4"
	"github.com/jackc/pgx/v4/pgxpool"
)

type Entry struct {
	Account string
	Amount  int64
}

// Post writes ledger entries on a pgx v4 connection: a failing entry returns
// with the transaction still open on the connection.
func Post(ctx context.Context, conn *pgx.Conn, entries []Entry) error {
	tx, err := conn.Begin(ctx) // want "tx-rollback: transaction is neither committed nor rolled back on the return at line 25: add `defer tx.Rollback\(ctx\)`"
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	for _, e := range entries {
		if _, err := tx.Exec(ctx, "INSERT INTO ledger (account, amount) VALUES ($1, $2)", e.Account, e.Amount); err != nil {
			return fmt.Errorf("post %s: %w", e.Account, err)
		}
	}
	return tx.Commit(ctx)
}

type Service struct {
	Pool *pgxpool.Pool
}

// Close balances the books on a pgx v4 pool with BeginTx; a panic on a broken
// invariant leaks the transaction under a recovering HTTP server.
func (s *Service) Close(ctx context.Context, account string) (int64, error) {
	tx, err := s.Pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead}) // want "tx-rollback: transaction is neither committed nor rolled back on the return at line 44"
	if err != nil {
		return 0, err
	}
	var sum int64
	if err := tx.QueryRow(ctx, "SELECT coalesce(sum(amount), 0) FROM ledger WHERE account = $1", account).Scan(&sum); err != nil {
		return 0, err
	}
	if sum < 0 {
		panic(fmt.Sprintf("negative balance on %s", account))
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, err
	}
	return sum, nil
}
