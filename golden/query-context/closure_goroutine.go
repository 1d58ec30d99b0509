package reports

import (
	"database/sql"
	"log"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

type Reports struct {
	db *sql.DB
}

// Summary counts rows of several tables with a helper closure.
func (rp *Reports) Summary(c echo.Context) error {
	since := c.QueryParam("since")
	count := func(query string) (int, error) {
		var n int
		err := rp.db.QueryRow(query, since).Scan(&n) // want "query-context: QueryRow without a context: use QueryRowContext with c.Request\(\).Context\(\)"
		return n, err
	}
	out := map[string]int{}
	queries := map[string]string{
		"users":  "SELECT count(*) FROM users WHERE created_at >= $1",
		"orders": "SELECT count(*) FROM orders WHERE created_at >= $1",
	}
	for name, query := range queries {
		n, err := count(query)
		if err != nil {
			return err
		}
		out[name] = n
	}
	return c.JSON(http.StatusOK, out)
}

// Rebuild answers at once and refreshes the materialized view in the background. The
// request context ends with the response, so the goroutine must not use it: the query
// there is query-timeout's business, not query-context's.
func (rp *Reports) Rebuild(c echo.Context) error {
	go func() {
		start := time.Now()
		if _, err := rp.db.Exec("REFRESH MATERIALIZED VIEW report_totals"); err != nil {
			log.Printf("refresh report_totals: %v", err)
			return
		}
		log.Printf("refreshed report_totals in %s", time.Since(start))
	}()
	if _, err := rp.db.Exec("INSERT INTO report_runs (started_at) VALUES (now())"); err != nil { // want "query-context: Exec without a context"
		return err
	}
	return c.NoContent(http.StatusAccepted)
}

// Prune deletes old rows in a goroutine started from a plain http handler.
func Prune(db *sql.DB) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		days := r.URL.Query().Get("days")
		go func(days string) {
			if _, err := db.Exec("DELETE FROM events WHERE created_at < now() - $1::INTERVAL", days+" days"); err != nil {
				log.Printf("prune events: %v", err)
			}
		}(days)
		w.WriteHeader(http.StatusAccepted)
	}
}
