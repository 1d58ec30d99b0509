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

// The same handler before the request context was wired in.
func getUserHandler(db *sql.DB) echo.HandlerFunc {
	return func(c echo.Context) error {
		rows, err := db.Query("SELECT id, name FROM users WHERE status = $1", "active") // want "rows-close" "query-context"
		if err != nil {
			return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
		}
		var users []User
		for rows.Next() { // want "rows-err"
			var u User
			if err := rows.Scan(&u.ID, &u.Name); err != nil {
				return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
			}
			users = append(users, u)
		}
		return c.JSON(http.StatusOK, users)
	}
}
