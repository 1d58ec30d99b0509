package search

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
)

type Index struct {
	pool *pgxpool.Pool
}

// Rebuild acquires a pooled connection for session settings; the error path
// returns before Release.
func (ix *Index) Rebuild(ctx context.Context, table string) error {
	conn, err := ix.pool.Acquire(ctx) // want "conn-close: pooled connection is not released on the return at line 23: add `defer conn.Release\(\)`"
	if err != nil {
		return fmt.Errorf("acquire: %w", err)
	}
	if _, err := conn.Exec(ctx, "SET maintenance_work_mem = '1GB'"); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "REINDEX TABLE "+table)
	conn.Release()
	return err
}

// Stats is an Echo handler that never releases its connection.
func (ix *Index) Stats(c echo.Context) error {
	c2, err := ix.pool.Acquire(c.Request().Context()) // want "conn-close: pooled connection is not released on the return at line 38: add `defer c2.Release\(\)`"
	if err != nil {
		return err
	}
	var n int64
	if err := c2.QueryRow(c.Request().Context(), "SELECT count(*) FROM documents").Scan(&n); err != nil {
		return err
	}
	return c.JSON(200, map[string]int64{"documents": n})
}
