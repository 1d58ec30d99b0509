package health

import (
	"database/sql"
	"net/http"
)

// Health pings the database on every probe: with the request's context, a probe that gives
// up does not leave the ping waiting for a connection.
func Health(db *sql.DB) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := db.Ping(); err != nil { // want "query-context: Ping without a context: use PingContext with r.Context\(\)"
			http.Error(w, "database down", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}
