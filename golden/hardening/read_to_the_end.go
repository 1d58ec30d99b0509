package users

import (
	"context"
	"database/sql"
	"net/http"

	"github.com/labstack/echo/v4"
)

type User struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// ListUsers reads its rows to the end, so Next closes them and nothing leaks today (the seed's
// first practice). A panic in the loop, which Echo's Recover middleware turns into a 500, or
// the next early return someone adds, would leave the connection pinned: hardening.
func ListUsers(db *sql.DB) echo.HandlerFunc {
	return func(c echo.Context) error {
		rows, err := db.QueryContext(c.Request().Context(), "SELECT id, name FROM users") // want "rows-close: rows is closed only because the loop reads it to the end"
		if err != nil {
			return echo.NewHTTPError(http.StatusInternalServerError)
		}
		users := []User{}
		for rows.Next() {
			var u User
			if rows.Scan(&u.ID, &u.Name) == nil {
				users = append(users, u)
			}
		}
		if err := rows.Err(); err != nil {
			return echo.NewHTTPError(http.StatusInternalServerError)
		}
		return c.JSON(http.StatusOK, users)
	}
}

// Count closes with a defer already: nothing to harden.
func Count(ctx context.Context, db *sql.DB) (int, error) {
	rows, err := db.QueryContext(ctx, "SELECT 1 FROM users")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	return n, rows.Err()
}
