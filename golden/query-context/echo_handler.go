package users

import (
	"database/sql"
	"net/http"

	"github.com/labstack/echo/v4"
)

type User struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type Handler struct {
	db *sql.DB
}

// List returns the active users.
func (h *Handler) List(c echo.Context) error {
	rows, err := h.db.Query("SELECT id, name FROM users WHERE status = $1", "active") // want "query-context: Query without a context: use QueryContext with c.Request\(\).Context\(\)"
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
	}
	defer rows.Close()

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

// Get returns one user by id.
func (h *Handler) Get(c echo.Context) error {
	var u User
	// The id comes straight from the path; the driver does the quoting.
	err := h.db.QueryRow("SELECT id, name FROM users WHERE id = $1", c.Param("id")).Scan(&u.ID, &u.Name) // want "query-context: QueryRow without a context"
	if err == sql.ErrNoRows {
		return echo.NewHTTPError(http.StatusNotFound, "user not found")
	}
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
	}
	return c.JSON(http.StatusOK, u)
}

// Touch records that the user was seen.
func (h *Handler) Touch(c echo.Context) error {
	if _, err := h.db.Exec("UPDATE users SET seen_at = now() WHERE id = $1", c.Param("id")); err != nil { // want "query-context: Exec without a context"
		return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
	}
	return c.NoContent(http.StatusNoContent)
}

// Register wires the handlers.
func Register(e *echo.Echo, db *sql.DB) {
	h := &Handler{db: db}
	e.GET("/users", h.List)
	e.GET("/users/:id", h.Get)
	e.POST("/users/:id/touch", h.Touch)
}
