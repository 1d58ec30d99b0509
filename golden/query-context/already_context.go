package users

import (
	"context"
	"database/sql"
	"net/http"

	"github.com/jmoiron/sqlx"
	"github.com/labstack/echo/v4"
)

type User struct {
	ID   int64  `db:"id" json:"id"`
	Name string `db:"name" json:"name"`
}

func getUserHandler(db *sql.DB) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		rows, err := db.QueryContext(ctx, "SELECT id, name FROM users WHERE status = $1", "active")
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
}

func renameHandler(db *sql.DB) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tx, err := db.BeginTx(r.Context(), &sql.TxOptions{Isolation: sql.LevelSerializable})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer func() { _ = tx.Rollback() }()
		if _, err := tx.ExecContext(r.Context(), "UPDATE users SET name = $1 WHERE id = $2", r.FormValue("name"), r.FormValue("id")); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if err := tx.Commit(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	}
}

// Names loads every user name with sqlx.
func Names(ctx context.Context, db *sqlx.DB) ([]string, error) {
	var names []string
	err := db.SelectContext(ctx, &names, "SELECT name FROM users ORDER BY name")
	return names, err
}

// ByID loads one user with a prepared statement.
func ByID(ctx context.Context, db *sqlx.DB, id int64) (User, error) {
	var u User
	stmt, err := db.PreparexContext(ctx, "SELECT id, name FROM users WHERE id = $1")
	if err != nil {
		return u, err
	}
	defer stmt.Close()
	err = stmt.GetContext(ctx, &u, id)
	return u, err
}
