package health

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"

	"github.com/jackc/pgx/v4/pgxpool"
)

// Check releases the connection on the error path and at the end.
func Check(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	if err := conn.Ping(ctx); err != nil {
		conn.Release()
		return fmt.Errorf("ping: %w", err)
	}
	conn.Release()
	return nil
}

// Handler is a net/http handler closing its connection on every path.
func Handler(db *sql.DB) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, err := db.Conn(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		if err := conn.PingContext(r.Context()); err != nil {
			_ = conn.Close()
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		if err := conn.Close(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// Sweep acquires per iteration and releases before the next one.
func Sweep(ctx context.Context, pool *pgxpool.Pool, tables []string) error {
	for _, t := range tables {
		conn, err := pool.Acquire(ctx)
		if err != nil {
			return err
		}
		_, err = conn.Exec(ctx, "VACUUM "+t)
		conn.Release()
		if err != nil {
			return err
		}
	}
	return nil
}
