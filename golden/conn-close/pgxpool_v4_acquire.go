package jobs

import (
	"context"

	"github.com/jackc/pgx/v4/pgxpool"
)

// Claim listens on a pgx v4 pooled connection and forgets to release it.
func Claim(ctx context.Context, pool *pgxpool.Pool, queue string) (int64, error) {
	conn, err := pool.Acquire(ctx) // want "conn-close: pooled connection is not released on the return at line 17: add `defer conn.Release\(\)`"
	if err != nil {
		return 0, err
	}
	var id int64
	err = conn.QueryRow(ctx, "DELETE FROM jobs WHERE id = (SELECT id FROM jobs WHERE queue = $1 LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id", queue).Scan(&id)
	return id, err
}

// Drain acquires one connection per queue inside a loop: a deferred Release
// would hold them all until Drain returns, so this is reported without a fix.
func Drain(ctx context.Context, pool *pgxpool.Pool, queues []string) error {
	for _, q := range queues {
		conn, err := pool.Acquire(ctx) // want "conn-close: pooled connection is not released on every path: release conn before the next iteration"
		if err != nil {
			return err
		}
		if _, err := conn.Exec(ctx, "DELETE FROM jobs WHERE queue = $1", q); err != nil {
			return err
		}
		conn.Release()
	}
	return nil
}
