package catalog

import (
	"context"
	"database/sql"
)

type Product struct {
	ID   int64
	Name string
}

type Repo struct {
	db *sql.DB
}

// listRows hands its rows to the caller, who must close them.
func (r *Repo) listRows(ctx context.Context, category string) (*sql.Rows, error) {
	return r.db.QueryContext(ctx, "SELECT id, name FROM products WHERE category = $1", category)
}

func openAll(ctx context.Context, db *sql.DB) (*sql.Rows, error) {
	return db.QueryContext(ctx, "SELECT id, name FROM products")
}

func scanProducts(rows *sql.Rows) ([]Product, error) {
	var out []Product
	for rows.Next() {
		var p Product
		if err := rows.Scan(&p.ID, &p.Name); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func release(rows *sql.Rows) {
	_ = rows.Close()
}

// ByCategory forgets that the rows are its to close.
func (r *Repo) ByCategory(ctx context.Context, category string) ([]Product, error) {
	rows, err := r.listRows(ctx, category) // want "rows-close: rows are not closed on the return at line 48: add `defer rows.Close\(\)`"
	if err != nil {
		return nil, err
	}
	return scanProducts(rows)
}

// All closes through a helper of the package, deferred.
func (r *Repo) All(ctx context.Context) ([]Product, error) {
	rows, err := openAll(ctx, r.db)
	if err != nil {
		return nil, err
	}
	defer release(rows)
	return scanProducts(rows)
}

// Featured closes the rows itself.
func (r *Repo) Featured(ctx context.Context) ([]Product, error) {
	rows, err := r.listRows(ctx, "featured")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return scanProducts(rows)
}

// Warm asks for rows and drops them.
func (r *Repo) Warm(ctx context.Context) error {
	_, err := r.listRows(ctx, "all") // want "rows-close: rows returned by listRows are discarded and never closed"
	return err
}

// Stream passes ownership on to its own caller.
func (r *Repo) Stream(ctx context.Context) (*sql.Rows, error) {
	rows, err := r.listRows(ctx, "all")
	if err != nil {
		return nil, err
	}
	return rows, nil
}
