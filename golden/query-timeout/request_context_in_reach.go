package warehouse

import (
	"database/sql"
	"net/http"

	"github.com/labstack/echo/v4"
)

// These calls lack a context, but a request context is in reach: that is query-context's
// finding, not query-timeout's.
func listHandler(db *sql.DB) echo.HandlerFunc {
	return func(c echo.Context) error {
		var n int
		if err := db.QueryRow("SELECT count(*) FROM stock").Scan(&n); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, n)
	}
}

func clearHandler(db *sql.DB) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, err := db.Exec("DELETE FROM stock WHERE quantity = 0"); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	}
}
