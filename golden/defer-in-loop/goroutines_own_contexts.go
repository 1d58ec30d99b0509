package fanout

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// Refresh starts one goroutine per shard; each goroutine works under its own
// context, which must live until the WaitGroup is done: the deferred cancels
// are held on purpose.
func Refresh(parent context.Context, db *sql.DB, shards []int) {
	var wg sync.WaitGroup
	for _, shard := range shards {
		ctx, cancel := context.WithTimeout(parent, time.Minute)
		defer cancel()
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = db.ExecContext(ctx, "SELECT refresh_shard($1)", shard)
		}()
	}
	wg.Wait()
}

// Keep stores every transaction for a later commit.
func Keep(ctx context.Context, db *sql.DB, n int) []*sql.Tx {
	var txs []*sql.Tx
	for i := 0; i < n; i++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			break
		}
		defer tx.Rollback()
		txs = append(txs, tx)
	}
	return txs
}
