package orders

import (
	"context"
	"database/sql"
	"net/http"

	"github.com/labstack/echo/v4"
)

type Orders struct {
	db *sql.DB
}

// Total has the caller's ctx but passes context.Background(): the query would outlive the
// request. Pass ctx.
func (o *Orders) Total(ctx context.Context, customer int64) (int64, error) {
	var total int64
	err := o.db.QueryRowContext(context.Background(), "SELECT coalesce(sum(amount), 0) FROM orders WHERE customer = $1", customer).Scan(&total) // want "query-context: QueryRowContext on context.Background\(\) while ctx is in reach: pass ctx"
	return total, err
}

// Cancel is an Echo handler: the request's context is in reach.
func (o *Orders) Cancel(c echo.Context) error {
	if _, err := o.db.ExecContext(context.TODO(), "UPDATE orders SET state = 'cancelled' WHERE id = $1", c.Param("id")); err != nil { // want "query-context: ExecContext on context.TODO\(\) while c.Request\(\).Context\(\) is in reach"
		return echo.NewHTTPError(http.StatusInternalServerError)
	}
	return c.NoContent(http.StatusNoContent)
}

// Audit writes the audit row even when the client has gone away, on purpose.
func (o *Orders) Audit(ctx context.Context, event string) error {
	// Detached from the request: the audit row must survive a client that hangs up.
	_, err := o.db.ExecContext(context.Background(), "INSERT INTO audit (event) VALUES ($1)", event) // want "query-context: ExecContext on context.Background\(\) while ctx is in reach: pass ctx \(a comment says this is intended\)"
	return err
}

// Refresh starts a goroutine: the request's context must not be carried into it, so
// nothing is in reach there (query-timeout's business).
func (o *Orders) Refresh(ctx context.Context) {
	go func() {
		_, _ = o.db.ExecContext(context.Background(), "REFRESH MATERIALIZED VIEW order_totals")
	}()
}
