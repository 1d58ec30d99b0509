package ledger

import (
	"context"
	"net/http"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
)

type Entry struct {
	ID     int64 `json:"id"`
	Amount int64 `json:"amount"`
}

type Ledger struct {
	pool *pgxpool.Pool
}

func (l *Ledger) entries(c echo.Context) error {
	ctx := c.Request().Context()
	rows, err := l.pool.Query(ctx, "SELECT id, amount FROM entries WHERE account = $1", c.Param("account"))
	if err != nil {
		return err
	}
	entries, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Entry])
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, entries)
}

func (l *Ledger) post(c echo.Context) error {
	ctx := c.Request().Context()
	tx, err := l.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, "INSERT INTO entries (account, amount) VALUES ($1, $2)", c.Param("account"), c.QueryParam("amount")); err != nil {
		return err
	}
	var balance int64
	if err := tx.QueryRow(ctx, "SELECT sum(amount) FROM entries WHERE account = $1", c.Param("account")).Scan(&balance); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, balance)
}

// Balance reads one balance on a single connection.
func Balance(ctx context.Context, conn *pgx.Conn, account string) (int64, error) {
	var balance int64
	err := conn.QueryRow(ctx, "SELECT sum(amount) FROM entries WHERE account = $1", account).Scan(&balance)
	return balance, err
}
