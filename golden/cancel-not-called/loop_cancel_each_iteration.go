package workers

import (
	"context"
	"database/sql"
	"log"
	"time"
)

// Drain cancels each query's context before the next iteration, on the error
// path too.
func Drain(ctx context.Context, db *sql.DB, ids []int64) {
	for _, id := range ids {
		qctx, cancel := context.WithTimeout(ctx, time.Second)
		if _, err := db.ExecContext(qctx, "DELETE FROM queue WHERE id = $1", id); err != nil {
			cancel()
			log.Printf("drain %d: %v", id, err)
			continue
		}
		cancel()
	}
}

// Poll is a background loop that cancels before it sleeps and before it
// returns.
func Poll(ctx context.Context, db *sql.DB) {
	for {
		qctx, cancel := context.WithTimeout(ctx, time.Second)
		select {
		case <-ctx.Done():
			cancel()
			return
		default:
		}
		_, _ = db.ExecContext(qctx, "SELECT poll_queue()")
		cancel()
		time.Sleep(time.Second)
	}
}

// Each defers the cancel inside a function literal per iteration.
func Each(ctx context.Context, db *sql.DB, ids []int64) {
	for _, id := range ids {
		func() {
			qctx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			_, _ = db.ExecContext(qctx, "UPDATE queue SET seen = true WHERE id = $1", id)
		}()
	}
}
