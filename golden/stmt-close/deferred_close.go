package store

import (
	"context"
	"database/sql"
	"log"
	"net/http"

	"github.com/labstack/echo/v4"
)

func name(ctx context.Context, db *sql.DB, id int) (string, error) {
	stmt, err := db.PrepareContext(ctx, "SELECT name FROM users WHERE id = $1")
	if err != nil {
		return "", err
	}
	defer stmt.Close()
	var n string
	err = stmt.QueryRowContext(ctx, id).Scan(&n)
	return n, err
}

// Bulk closes the statement in a deferred closure that logs the error.
func Bulk(ctx context.Context, db *sql.DB, ids []int) error {
	stmt, err := db.PrepareContext(ctx, "UPDATE users SET active = false WHERE id = $1")
	if err != nil {
		return err
	}
	defer func() {
		if err := stmt.Close(); err != nil {
			log.Printf("close statement: %v", err)
		}
	}()
	for _, id := range ids {
		if _, err := stmt.ExecContext(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// Touch closes the statement explicitly on every path.
func Touch(c echo.Context, db *sql.DB) error {
	ctx := c.Request().Context()
	stmt, err := db.PrepareContext(ctx, "UPDATE users SET seen_at = now() WHERE id = $1")
	if err != nil {
		return err
	}
	_, err = stmt.ExecContext(ctx, c.Param("id"))
	if cerr := stmt.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
	}
	return c.NoContent(http.StatusNoContent)
}
