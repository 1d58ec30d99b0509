package orders

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Totals sends a batch and returns early when a read fails: the batch results still hold
// the pool's connection, which never comes back.
func Totals(ctx context.Context, pool *pgxpool.Pool, ids []int64) ([]int64, error) {
	batch := &pgx.Batch{}
	for _, id := range ids {
		batch.Queue("SELECT total FROM orders WHERE id = $1", id)
	}
	results := pool.SendBatch(ctx, batch) // want "conn-close: batch results \(and their connection\) are not closed on the return at line 22: add `defer results.Close\(\)`"
	totals := make([]int64, 0, len(ids))
	for range ids {
		var total int64
		if err := results.QueryRow().Scan(&total); err != nil {
			return nil, err
		}
		totals = append(totals, total)
	}
	return totals, results.Close()
}

// Touch closes its batch results with a defer: nothing to say.
func Touch(ctx context.Context, conn *pgx.Conn, ids []int64) error {
	batch := &pgx.Batch{}
	for _, id := range ids {
		batch.Queue("UPDATE orders SET seen_at = now() WHERE id = $1", id)
	}
	results := conn.SendBatch(ctx, batch)
	defer results.Close()
	for range ids {
		if _, err := results.Exec(); err != nil {
			return err
		}
	}
	return nil
}
