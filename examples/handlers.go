package main

import (
	"database/sql"
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
)

func registerRoutes(e *echo.Echo) {
	e.GET("/users", listUsers)
	e.GET("/users/admins", listAdmins)
	e.GET("/users/search", searchUsers)
	e.GET("/users/:id", getUser)
	e.GET("/users/:id/orders/latest", getLatestOrder)
	e.GET("/users/:id/orders/count", countOrders)
}

// listUsers returns every active user.
func listUsers(c echo.Context) error {
	rows, err := db.QueryContext(c.Request().Context(), "SELECT id, name FROM users WHERE status = $1", "active")
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
	}

	users := []User{}
	for rows.Next() {
		var u User
		if err := rows.Scan(&u.ID, &u.Name); err != nil {
			return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
		}
		users = append(users, u)
	}
	return c.JSON(http.StatusOK, users)
}

// listAdmins returns the users with the admin role.
func listAdmins(c echo.Context) error {
	rows, err := db.Query("SELECT id, name FROM users WHERE role = 'admin' ORDER BY name")
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
	}
	defer rows.Close()

	admins := []User{}
	for rows.Next() {
		var u User
		if err := rows.Scan(&u.ID, &u.Name); err != nil {
			return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
		}
		admins = append(admins, u)
	}
	if err := rows.Err(); err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
	}
	return c.JSON(http.StatusOK, admins)
}

// searchUsers finds users whose name contains the q query parameter.
func searchUsers(c echo.Context) error {
	q := c.QueryParam("q")
	if q == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "missing query parameter q")
	}
	users, err := store.queryWithTimeout(c.Request().Context(),
		"SELECT id, name FROM users WHERE name ILIKE $1 ORDER BY name LIMIT 50", "%"+q+"%")
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
	}
	return c.JSON(http.StatusOK, users)
}

// getUser returns one user by id.
func getUser(c echo.Context) error {
	var u User
	err := userStmt.QueryRowContext(c.Request().Context(), c.Param("id")).Scan(&u.ID, &u.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return echo.NewHTTPError(http.StatusNotFound, "user not found")
	}
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
	}
	return c.JSON(http.StatusOK, u)
}

// getLatestOrder returns the most recent order of a user.
func getLatestOrder(c echo.Context) error {
	var o Order
	err := orderStmt.QueryRowContext(c.Request().Context(), c.Param("id")).
		Scan(&o.ID, &o.TotalCents, &o.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return echo.NewHTTPError(http.StatusNotFound, "no orders yet")
	}
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
	}
	return c.JSON(http.StatusOK, o)
}

// countOrders returns how many orders a user has placed.
func countOrders(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "invalid user id")
	}
	n, err := store.CountOrders(id)
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
	}
	return c.JSON(http.StatusOK, map[string]int{"orders": n})
}
