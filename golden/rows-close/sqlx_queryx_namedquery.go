package catalog

import (
	"context"

	"github.com/jmoiron/sqlx"
)

type Product struct {
	ID    int64  `db:"id"`
	SKU   string `db:"sku"`
	Price int64  `db:"price"`
}

type Catalog struct {
	db *sqlx.DB
}

func (c *Catalog) InCategory(ctx context.Context, category string) ([]Product, error) {
	rows, err := c.db.QueryxContext(ctx, "SELECT id, sku, price FROM products WHERE category = $1", category) // want "rows-close"
	if err != nil {
		return nil, err
	}
	var out []Product
	for rows.Next() {
		var p Product
		if err := rows.StructScan(&p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func (c *Catalog) CheaperThan(filter map[string]interface{}) ([]Product, error) {
	rows, err := c.db.NamedQuery("SELECT id, sku, price FROM products WHERE price < :max", filter) // want "rows-close"
	if err != nil {
		return nil, err
	}
	var out []Product
	for rows.Next() {
		var p Product
		if err := rows.StructScan(&p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Reprice throws away the rows of a named query: it becomes NamedExec.
func (c *Catalog) Reprice(p Product) error {
	_, err := c.db.NamedQuery("UPDATE products SET price = :price WHERE id = :id", p) // want "rows-close: rows of NamedQuery are discarded and never closed: use NamedExec"
	return err
}
