package users

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
)

// db is the package-level handle, as in many small Echo services.
var db *sql.DB

type Repo struct {
	*sql.DB
}

// printRows reads the rows but leaves closing them to its caller.
func printRows(rows *sql.Rows) {
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		fmt.Println(s)
	}
}

func printNames(ctx context.Context) error {
	rows, err := db.QueryContext(ctx, "SELECT name FROM users") // want "rows-close"
	if err != nil {
		return err
	}
	printRows(rows)
	return rows.Err()
}

// countEmbedded queries through the embedded *sql.DB.
func (r Repo) countEmbedded(ctx context.Context) (int, error) {
	rows, err := r.QueryContext(ctx, "SELECT id FROM users") // want "rows-close"
	if err != nil {
		return 0, err
	}
	n := 0
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return 0, err
		}
		n++
	}
	return n, rows.Err()
}

func register(e *echo.Echo) {
	e.GET("/names", func(c echo.Context) error {
		rows, err := db.QueryContext(c.Request().Context(), "SELECT name FROM users") // want "rows-close"
		if err != nil {
			return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
		}
		var names []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				return err
			}
			names = append(names, n)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, names)
	})
}

// lockUsers locks the users and returns their ids.
func lockUsers(ctx context.Context) ([]int64, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, "SELECT id FROM users FOR UPDATE") // want "rows-close"
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return ids, tx.Commit()
}

func lockUsersPgx(ctx context.Context, pool *pgxpool.Pool) ([]int64, error) {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, "SELECT id FROM users FOR UPDATE") // want "rows-close"
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		if id == 0 {
			return nil, nil // not a read error: pgx keeps these rows open
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return ids, tx.Commit(ctx)
}
