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

// getUserHandler never checks rows.Err(): a connection dropped mid-result
// is served as a short list with status 200.
func getUserHandler(db *sql.DB) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		rows, err := db.QueryContext(ctx, "SELECT id, name FROM users WHERE status = $1", "active")
		if err != nil {
			return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
		}
		defer rows.Close() // Ensures rows are closed before returning

		var users []User
		for rows.Next() { // want "rows-err: rows.Err\(\) is never checked after iterating rows"
			var u User
			if err := rows.Scan(&u.ID, &u.Name); err != nil {
				return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
			}
			users = append(users, u)
		}

		return c.JSON(http.StatusOK, users)
	}
}
