package locks

import (
	"context"
	"database/sql"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jmoiron/sqlx"
)

// WithLock closes its dedicated connection with a defer.
func WithLock(ctx context.Context, db *sql.DB, key int64, fn func() error) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		return err
	}
	defer conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", key)
	return fn()
}

// Tune releases the pooled connection from a deferred closure.
func Tune(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer func() {
		conn.Release()
	}()
	_, err = conn.Exec(ctx, "SET search_path = app")
	return err
}

// Count uses sqlx Connx and closes it through a package helper.
func Count(ctx context.Context, db *sqlx.DB) (int, error) {
	conn, err := db.Connx(ctx)
	if err != nil {
		return 0, err
	}
	defer closeConn(conn)
	var n int
	err = conn.GetContext(ctx, &n, "SELECT count(*) FROM locks")
	return n, err
}

func closeConn(conn *sqlx.Conn) {
	_ = conn.Close()
}
