package users

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
)

type User struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// byIDsHandler prepares a statement per request and never closes it.
func byIDsHandler(db *sql.DB) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		stmt, err := db.PrepareContext(ctx, "SELECT id, name FROM users WHERE id = $1") // want "stmt-close: prepared statement is never closed: add `defer stmt.Close\(\)`"
		if err != nil {
			return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
		}

		var users []User
		for _, id := range c.QueryParams()["id"] {
			var u User
			if err := stmt.QueryRowContext(ctx, id).Scan(&u.ID, &u.Name); err != nil {
				return echo.NewHTTPError(http.StatusNotFound, "user not found")
			}
			users = append(users, u)
		}
		return c.JSON(http.StatusOK, users)
	}
}

// Rename renames several users with one statement.
func Rename(ctx context.Context, db *sql.DB, names map[int64]string) error {
	update, err := db.PrepareContext(ctx, "UPDATE users SET name = $1 WHERE id = $2") // want "stmt-close: prepared statement is never closed: add `defer update.Close\(\)`"
	if err != nil {
		return fmt.Errorf("prepare rename: %w", err)
	}
	// One round trip per user; the statement is parsed once.
	for id, name := range names {
		if _, err := update.ExecContext(ctx, name, id); err != nil {
			return fmt.Errorf("rename %d: %w", id, err)
		}
	}
	return nil
}

// Count uses Prepare without a context.
func Count(db *sql.DB, status string) (int, error) {
	var n int
	stmt, err := db.Prepare("SELECT count(*) FROM users WHERE status = $1") // want "stmt-close"
	if err != nil {
		return 0, err
	}
	err = stmt.QueryRow(status).Scan(&n)
	return n, err
}

// InTx prepares on a transaction: Commit or Rollback closes the statement.
func InTx(ctx context.Context, tx *sql.Tx, ids []int64) error {
	del, err := tx.PrepareContext(ctx, "DELETE FROM sessions WHERE user_id = $1")
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := del.ExecContext(ctx, id); err != nil {
			return err
		}
	}
	return nil
}
