package sync

import (
	"context"
	"database/sql"
	"time"
)

// Pull runs one query per shard; a failed query skips the cancel() at the end
// of the iteration. A deferred cancel would pile up until Pull returns, so
// leakfix reports this without a fix.
func Pull(ctx context.Context, db *sql.DB, shards []int) int {
	done := 0
	for _, shard := range shards {
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second) // want "cancel-not-called: .*\(continue at line 17\): call cancel\(\) before the next iteration"
		if _, err := db.ExecContext(qctx, "SELECT pull_shard($1)", shard); err != nil {
			continue
		}
		cancel()
		done++
	}
	return done
}

// Open hands rows bound to the context to its caller: a deferred cancel would
// close them, so the owner must cancel when it is done with the rows.
func Open(db *sql.DB) (*sql.Rows, error) {
	ctx, _ := context.WithTimeout(context.Background(), time.Minute) // want "cancel-not-called: .*discarded.*may outlive the function"
	return db.QueryContext(ctx, "SELECT id FROM shards")
}

// Shorten assigns a context of an outer scope: `:=` would shadow it.
func Shorten(ctx context.Context, db *sql.DB, strict bool) error {
	if strict {
		ctx, _ = context.WithTimeout(ctx, time.Second) // want "cancel-not-called: .*discarded.*declare the cancel function first"
	}
	return db.PingContext(ctx)
}
