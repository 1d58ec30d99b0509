package gen

import (
	"context"
	"database/sql"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// count and report get fixes from several rules in one pass; when the pass is retried
// fix by fix, every later fix must still land where it was computed (found by the
// property tests: a stale offset once rewrote time.Minute).
func count(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx) // want "conn-close"
	if err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "SELECT 1")
	return err
}

func report(ctx context.Context, db *sql.DB, ids []int64) error {
	for _, id := range ids {
		ctx2, cancel := context.WithDeadline(ctx, time.Now().Add(time.Minute)) // want "cancel-not-called"

		_, _ = db.Query("SELECT id FROM users") // want "rows-close" "query-context"

		rows, err := db.QueryContext(ctx2, "SELECT id FROM sessions WHERE owner_id = $1", id)
		if err != nil {
			return err
		}
		defer rows.Close() // want "defer-in-loop"

		for rows.Next() { // want "rows-err"
		}
		cancel()
	}
	return nil
}
