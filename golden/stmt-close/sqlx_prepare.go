package catalog

import (
	"context"

	"github.com/jmoiron/sqlx"
)

type Product struct {
	ID    int64  `db:"id"`
	Name  string `db:"name"`
	Price int64  `db:"price"`
}

// Prices loads the prices of several products with a sqlx statement.
func Prices(db *sqlx.DB, ids []int64) ([]Product, error) {
	stmt, err := db.Preparex("SELECT id, name, price FROM products WHERE id = $1") // want "stmt-close: prepared statement is never closed"
	if err != nil {
		return nil, err
	}
	out := make([]Product, 0, len(ids))
	for _, id := range ids {
		var p Product
		if err := stmt.Get(&p, id); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Insert adds products with a named statement.
func Insert(ctx context.Context, db *sqlx.DB, products []Product) error {
	insert, err := db.PrepareNamedContext(ctx, `INSERT INTO products (name, price) VALUES (:name, :price)`) // want "stmt-close: .*defer insert.Close"
	if err != nil {
		return err
	}
	for _, p := range products {
		if _, err := insert.ExecContext(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// Cheapest uses PrepareNamed on a transaction, which closes the statement when it ends.
func Cheapest(tx *sqlx.Tx, limit int64) ([]Product, error) {
	named, err := tx.PrepareNamed(`SELECT id, name, price FROM products WHERE price <= :limit ORDER BY price`)
	if err != nil {
		return nil, err
	}
	var out []Product
	err = named.Select(&out, map[string]any{"limit": limit})
	return out, err
}

// Names uses PreparexContext.
func Names(ctx context.Context, db *sqlx.DB) ([]string, error) {
	stmt, err := db.PreparexContext(ctx, "SELECT name FROM products ORDER BY name") // want "stmt-close"
	if err != nil {
		return nil, err
	}
	var names []string
	if err := stmt.SelectContext(ctx, &names); err != nil {
		return nil, err
	}
	return names, nil
}
