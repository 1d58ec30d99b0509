package warehouse

import (
	"context"
	"database/sql"
	"net/http"

	"github.com/jackc/pgx/v4/pgxpool"
	"github.com/labstack/echo/v4"
)

// Quantity runs on the caller's context: the caller owns the deadline.
func Quantity(ctx context.Context, db *sql.DB, sku string) (int, error) {
	var n int
	err := db.QueryRowContext(ctx, "SELECT quantity FROM stock WHERE sku = $1", sku).Scan(&n)
	return n, err
}

// Reserve uses pgx v4 with the caller's context.
func Reserve(ctx context.Context, pool *pgxpool.Pool, sku string, n int) error {
	_, err := pool.Exec(ctx, "UPDATE stock SET quantity = quantity - $1 WHERE sku = $2", n, sku)
	return err
}

// Open hands rows to the caller on the caller's context.
func Open(ctx context.Context, db *sql.DB) (*sql.Rows, error) {
	return db.QueryContext(ctx, "SELECT sku, quantity FROM stock")
}

func stockHandler(db *sql.DB) echo.HandlerFunc {
	return func(c echo.Context) error {
		n, err := Quantity(c.Request().Context(), db, c.Param("sku"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, n)
	}
}

func resetHandler(db *sql.DB) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, err := db.ExecContext(r.Context(), "UPDATE stock SET quantity = 0 WHERE sku = $1", r.FormValue("sku")); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	}
}
