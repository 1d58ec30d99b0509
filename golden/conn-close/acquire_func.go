package stats

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Size uses AcquireFunc: the pool releases the connection when the callback
// returns, and the callback's conn must not be released again.
func Size(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	var n int64
	err := pool.AcquireFunc(ctx, func(conn *pgxpool.Conn) error {
		return conn.QueryRow(ctx, "SELECT pg_database_size(current_database())").Scan(&n)
	})
	return n, err
}

// Idle releases every idle connection it took.
func Idle(ctx context.Context, pool *pgxpool.Pool) int {
	conns := pool.AcquireAllIdle(ctx)
	for _, c := range conns {
		c.Release()
	}
	return len(conns)
}
