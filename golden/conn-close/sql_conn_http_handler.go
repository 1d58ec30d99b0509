package locks

import (
	"context"
	"database/sql"
	"net/http"
	"strconv"
)

// withLock takes a session-level advisory lock, which needs one dedicated
// connection: db.Conn. The connection never goes back to the pool.
func withLock(ctx context.Context, db *sql.DB, key int64, fn func() error) error {
	conn, err := db.Conn(ctx) // want "conn-close: connection is not closed on the return at line 18: add `defer conn.Close\(\)`"
	if err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		return err
	}
	defer conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", key)
	return fn()
}

// setTimezone is a net/http handler: the early return on a bad query skips
// the Close at the end.
func setTimezone(db *sql.DB) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, err := db.Conn(r.Context()) // want "conn-close: connection is not closed on the return at line 35"
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		if _, err := conn.ExecContext(r.Context(), "SET TIME ZONE $1", r.URL.Query().Get("tz")); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var now string
		if err := conn.QueryRowContext(r.Context(), "SELECT now()::string").Scan(&now); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		conn.Close()
		w.Header().Set("Content-Length", strconv.Itoa(len(now)))
		_, _ = w.Write([]byte(now))
	}
}

// ping throws the connection away.
func ping(ctx context.Context, db *sql.DB) error {
	_, err := db.Conn(ctx) // want "conn-close: connection from Conn is discarded and never closed"
	return err
}
