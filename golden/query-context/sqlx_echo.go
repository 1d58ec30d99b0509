package catalog

import (
	"context"
	"net/http"

	"github.com/jmoiron/sqlx"
	"github.com/labstack/echo/v4"
)

type Product struct {
	ID    int64  `db:"id" json:"id"`
	Name  string `db:"name" json:"name"`
	Price int64  `db:"price" json:"price"`
}

type API struct {
	db *sqlx.DB
}

func (a *API) products(c echo.Context) error {
	var out []Product
	if err := a.db.Select(&out, "SELECT id, name, price FROM products ORDER BY name"); err != nil { // want "query-context: Select without a context: use SelectContext with c.Request\(\).Context\(\)"
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) product(c echo.Context) error {
	var p Product
	if err := a.db.Get(&p, "SELECT id, name, price FROM products WHERE id = $1", c.Param("id")); err != nil { // want "query-context: Get without a context: use GetContext"
		return echo.NewHTTPError(http.StatusNotFound)
	}
	return c.JSON(http.StatusOK, p)
}

func (a *API) cheap(c echo.Context) error {
	rows, err := a.db.Queryx("SELECT id, name, price FROM products WHERE price < $1", 100) // want "query-context: Queryx without a context: use QueryxContext"
	if err != nil {
		return err
	}
	defer rows.Close()
	var out []Product
	for rows.Next() {
		var p Product
		if err := rows.StructScan(&p); err != nil {
			return err
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) create(c echo.Context) error {
	var p Product
	if err := c.Bind(&p); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, err.Error())
	}
	_, err := a.db.NamedExec(`INSERT INTO products (name, price) VALUES (:name, :price)`, &p) // want "query-context: NamedExec without a context: use NamedExecContext"
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusCreated)
}

// Reprice changes several prices in one transaction.
func Reprice(ctx context.Context, db *sqlx.DB, prices []Product) error {
	tx, err := db.Beginx() // want "query-context: Beginx without a context: use BeginTxx with ctx"
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	for i := range prices {
		if _, err := tx.NamedExec(`UPDATE products SET price = :price WHERE id = :id`, &prices[i]); err != nil { // want "query-context: NamedExec without a context: use NamedExecContext with ctx"
			return err
		}
	}
	return tx.Commit()
}

// Mount registers the catalog routes.
func Mount(e *echo.Echo, db *sqlx.DB) {
	a := &API{db: db}
	e.GET("/products", a.products)
	e.GET("/products/cheap", a.cheap)
	e.GET("/products/:id", a.product)
	e.POST("/products", a.create)
}
