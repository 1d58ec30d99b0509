package orders

import (
	"context"
	"net/http"

	"github.com/jmoiron/sqlx"
	"github.com/labstack/echo/v4"
)

type Order struct {
	ID       int64  `db:"id" json:"id"`
	Customer string `db:"customer" json:"customer"`
	Total    int64  `db:"total" json:"total"`
}

type Handler struct {
	db *sqlx.DB
}

// Create serves POST /orders with sqlx and Echo. A failed insert returns
// without ending the transaction.
func (h *Handler) Create(c echo.Context) error {
	var o Order
	if err := c.Bind(&o); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, err.Error())
	}
	ctx := c.Request().Context()
	tx, err := h.db.BeginTxx(ctx, nil) // want "tx-rollback: transaction is neither committed nor rolled back on the return at line 35: add `defer tx.Rollback\(\)`"
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
	}
	rows, err := tx.NamedQuery("INSERT INTO orders (customer, total) VALUES (:customer, :total) RETURNING id", &o)
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
	}
	for rows.Next() {
		if err := rows.Scan(&o.ID); err != nil {
			_ = rows.Close()
			return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
		}
	}
	_ = rows.Close()
	if _, err := tx.ExecContext(ctx, "UPDATE customers SET orders = orders + 1 WHERE name = $1", o.Customer); err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
	}
	if err := tx.Commit(); err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
	}
	return c.JSON(http.StatusCreated, o)
}

// archive uses MustBegin (it panics instead of returning an error): the fix
// goes right after it.
func archive(db *sqlx.DB, ids []int64) error {
	tx := db.MustBegin() // want "tx-rollback: transaction is neither committed nor rolled back on the return at line 59"
	for _, id := range ids {
		if _, err := tx.Exec("UPDATE orders SET archived = true WHERE id = $1", id); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// restore begins with Beginx and a named error: the early return keeps the
// transaction open.
func restore(ctx context.Context, db *sqlx.DB, id int64) (err error) {
	tx, err := db.Beginx() // want "tx-rollback: transaction is neither committed nor rolled back on the return at line 74"
	if err != nil {
		return err
	}
	var o Order
	if err = tx.GetContext(ctx, &o, "SELECT id, customer, total FROM orders WHERE id = $1", id); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "UPDATE orders SET archived = false WHERE id = $1", o.ID)
	if err != nil {
		return err
	}
	return tx.Commit()
}
