package inventory

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
)

type ctxKey struct{}

type Item struct {
	SKU   string `json:"sku"`
	Count int    `json:"count"`
}

type Repo struct {
	pool *pgxpool.Pool
}

// Reserve takes items out of stock on a pgxpool transaction. The fix passes
// Begin's own context to Rollback.
func (r *Repo) Reserve(ctx context.Context, sku string, n int) error {
	tx, err := r.pool.Begin(ctx) // want "tx-rollback: transaction is neither committed nor rolled back on the return at line 33: add `defer tx.Rollback\(ctx\)`"
	if err != nil {
		return err
	}
	var count int
	if err := tx.QueryRow(ctx, "SELECT count FROM stock WHERE sku = $1 FOR UPDATE", sku).Scan(&count); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "UPDATE stock SET count = $1 WHERE sku = $2", count-n, sku); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// restock runs on a single pgx.Conn with BeginTx; the context is r.Context(),
// which can be evaluated again safely.
func restock(conn *pgx.Conn) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var it Item
		if err := json.NewDecoder(r.Body).Decode(&it); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		tx, err := conn.BeginTx(r.Context(), pgx.TxOptions{IsoLevel: pgx.Serializable}) // want "add `defer tx.Rollback\(r.Context\(\)\)`"
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if _, err := tx.Exec(r.Context(), "UPDATE stock SET count = count + $1 WHERE sku = $2", it.Count, it.SKU); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if err := tx.Commit(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// count is an Echo handler on a connection acquired from the pool (released by
// its defer); the transaction's context is c.Request().Context().
func (r *Repo) count(c echo.Context) error {
	conn, err := r.pool.Acquire(c.Request().Context())
	if err != nil {
		return err
	}
	defer conn.Release()
	tx, err := conn.Begin(c.Request().Context()) // want "add `defer tx.Rollback\(c.Request\(\).Context\(\)\)`"
	if err != nil {
		return err
	}
	var n int
	if err := tx.QueryRow(c.Request().Context(), "SELECT count(*) FROM stock").Scan(&n); err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
	}
	if err := tx.Commit(c.Request().Context()); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int{"count": n})
}

// tagged begins with a context made on the spot: evaluating that call again
// would build another context, so the finding comes without a fix.
func (r *Repo) tagged(ctx context.Context, sku string) error {
	tx, err := r.pool.Begin(context.WithValue(ctx, ctxKey{}, sku)) // want "add `defer tx.Rollback\(ctx\)` with the context given to Begin \(leakfix cannot tell whether evaluating `context.WithValue\(ctx, ctxKey\{\}, sku\)` again is free of side effects"
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "DELETE FROM stock WHERE sku = $1", sku); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// savepoint: a pgx nested transaction (a savepoint) needs its own rollback.
func savepoint(ctx context.Context, outer pgx.Tx) error {
	sp, err := outer.Begin(ctx) // want "add `defer sp.Rollback\(ctx\)`"
	if err != nil {
		return err
	}
	if _, err := sp.Exec(ctx, "DELETE FROM stock WHERE count = 0"); err != nil {
		return err
	}
	return sp.Commit(ctx)
}
