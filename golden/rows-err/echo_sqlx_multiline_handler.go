package users

import (
	"net/http"

	"github.com/jmoiron/sqlx"
	"github.com/labstack/echo/v4"
)

type User struct {
	ID   int    `db:"id" json:"id"`
	Name string `db:"name" json:"name"`
}

type Handlers struct {
	db *sqlx.DB
}

// List logs the query error and hides it from the client; the rows.Err()
// check should do the same.
func (h *Handlers) List(c echo.Context) error {
	rows, err := h.db.QueryxContext(c.Request().Context(), "SELECT id, name FROM users")
	if err != nil {
		// do not leak SQL details to the client
		c.Logger().Errorf("list users: %v", err)
		return echo.NewHTTPError(http.StatusInternalServerError, "cannot list users")
	}
	defer rows.Close()
	var out []User
	for rows.Next() { // want "rows-err"
		var u User
		if err := rows.StructScan(&u); err != nil {
			return err
		}
		out = append(out, u)
	}
	return c.JSON(http.StatusOK, out)
}
