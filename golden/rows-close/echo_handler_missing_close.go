package users

import (
	"database/sql"
	"net/http"

	"github.com/labstack/echo/v4"
)

type User struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// listActiveUsers serves GET /users: the rows are never closed, so a Scan
// error (or a panic while encoding) keeps the connection busy.
func listActiveUsers(db *sql.DB) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		rows, err := db.QueryContext(ctx, "SELECT id, name FROM users WHERE status = $1", "active") // want "rows-close: rows are not closed on the return at line 29: add `defer rows.Close\(\)`"
		if err != nil {
			return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
		}

		var users []User
		for rows.Next() {
			var u User
			if err := rows.Scan(&u.ID, &u.Name); err != nil {
				return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
			}
			users = append(users, u)
		}
		if err := rows.Err(); err != nil {
			return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
		}
		return c.JSON(http.StatusOK, users)
	}
}
