package pings

import (
	"context"
	"database/sql"
	"net/http"
)

// Ping passes context.Background() twice while r.Context() is in reach. Passing it would
// leave the context import unused (leakfix adds imports, it never removes one), so the
// finding says what to do by hand.
func Ping(db *sql.DB) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var one int
		if err := db.QueryRowContext(context.Background(), "SELECT 1").Scan(&one); err != nil { // want "query-context: QueryRowContext on context.Background\(\) while r.Context\(\) is in reach: pass r.Context\(\) \(and drop the context import\)"
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		if _, err := db.ExecContext(context.Background(), "UPDATE pings SET at = now()"); err != nil { // want "query-context: ExecContext on context.Background\(\) while r.Context\(\) is in reach"
			http.Error(w, "down", http.StatusServiceUnavailable)
		}
	}
}
