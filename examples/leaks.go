package main

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/labstack/echo/v4"
)

// registerLeakRoutes adds the endpoints whose leaks show at runtime (see README.md).
func registerLeakRoutes(e *echo.Echo) {
	e.GET("/leak/rows", firstActiveUsers)
	e.GET("/leak/rowserr", ratios)
	e.GET("/leak/stmt", usersPage)
	e.POST("/leak/tx", signUp)
}

// firstActiveUsers returns the five active users with the smallest ids.
func firstActiveUsers(c echo.Context) error {
	rows, err := db.Query("SELECT id, name FROM users WHERE status = $1 ORDER BY id", "active")
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
		if len(users) == 5 {
			return c.JSON(http.StatusOK, users)
		}
	}
	if err := rows.Err(); err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
	}
	return c.JSON(http.StatusOK, users)
}

// Ratio is one row of the ratios report.
type Ratio struct {
	G     int `json:"g"`
	Ratio int `json:"ratio"`
}

// ratios returns 1000/(50-g) for g from 1 to n (?n=, 100 by default). From n = 50 on the
// division fails on the server after the first 49 rows have been sent. (The CAST keeps the
// result an integer on CockroachDB, which divides integers into a DECIMAL.)
func ratios(c echo.Context) error {
	n := 100
	if v := c.QueryParam("n"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 0 {
			return echo.NewHTTPError(http.StatusBadRequest, "n must be a non-negative integer")
		}
	}
	rows, err := db.QueryContext(c.Request().Context(),
		"SELECT g, CAST(1000 / (50 - g) AS INT) FROM generate_series(1, $1::INT) AS g", n)
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
	}
	defer rows.Close()

	out := []Ratio{}
	for rows.Next() {
		var r Ratio
		if err := rows.Scan(&r.G, &r.Ratio); err != nil {
			return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
		}
		out = append(out, r)
	}
	return c.JSON(http.StatusOK, out)
}

const pageSize = 20

// usersPage returns one page of users by id (?page=, from 0). The offset is formatted into
// the SQL, so every page is a statement of its own.
func usersPage(c echo.Context) error {
	page, err := strconv.Atoi(c.QueryParam("page"))
	if err != nil || page < 0 {
		return echo.NewHTTPError(http.StatusBadRequest, "page must be a non-negative integer")
	}
	ctx := c.Request().Context()
	query := fmt.Sprintf("SELECT id, name FROM users ORDER BY id LIMIT %d OFFSET %d",
		pageSize, page*pageSize)
	stmt, err := db.PrepareContext(ctx, query)
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
	}
	rows, err := stmt.QueryContext(ctx)
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
	}
	defer rows.Close()

	users := []User{}
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

// signUp reserves the username ?name= and creates its user: 201, or 409 when the name is
// already taken.
func signUp(c echo.Context) error {
	name := c.QueryParam("name")
	if name == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "missing query parameter name")
	}
	tx, err := db.Begin()
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
	}
	if _, err := tx.Exec("INSERT INTO usernames (name) VALUES ($1)", name); err != nil {
		if isUniqueViolation(err) {
			return echo.NewHTTPError(http.StatusConflict, "username is taken")
		}
		return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
	}
	var u User
	err = tx.QueryRow("INSERT INTO users (name) VALUES ($1) RETURNING id, name", name).
		Scan(&u.ID, &u.Name)
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
	}
	if err := tx.Commit(); err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
	}
	return c.JSON(http.StatusCreated, u)
}

// isUniqueViolation reports whether err is PostgreSQL's unique_violation (SQLSTATE 23505).
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}
