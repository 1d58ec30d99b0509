package inventory

import (
	"context"
	"database/sql"
)

// Repo keeps its statements prepared for the lifetime of the service.
type Repo struct {
	stock   *sql.Stmt
	reserve *sql.Stmt
}

// NewRepo prepares the statements; Close releases them.
func NewRepo(ctx context.Context, db *sql.DB) (*Repo, error) {
	stock, err := db.PrepareContext(ctx, "SELECT quantity FROM stock WHERE sku = $1")
	if err != nil {
		return nil, err
	}
	reserve, err := db.PrepareContext(ctx, "UPDATE stock SET quantity = quantity - $1 WHERE sku = $2")
	if err != nil {
		_ = stock.Close()
		return nil, err
	}
	return &Repo{stock: stock, reserve: reserve}, nil
}

// Close releases the prepared statements.
func (r *Repo) Close() error {
	err := r.stock.Close()
	if cerr := r.reserve.Close(); err == nil {
		err = cerr
	}
	return err
}

// Quantity reads the stock of one SKU.
func (r *Repo) Quantity(ctx context.Context, sku string) (int, error) {
	var n int
	err := r.stock.QueryRow(sku).Scan(&n) // want "query-context: QueryRow without a context: use QueryRowContext with ctx"
	return n, err
}

// Reserve takes n items of one SKU.
func (r *Repo) Reserve(ctx context.Context, sku string, n int) error {
	_, err := r.reserve.Exec(n, sku) // want "query-context: Exec without a context: use ExecContext with ctx"
	return err
}

// Lookup prepares a statement for a one-off lookup.
func Lookup(ctx context.Context, db *sql.DB, skus []string) (map[string]int, error) {
	stmt, err := db.Prepare("SELECT quantity FROM stock WHERE sku = $1") // want "query-context: Prepare without a context: use PrepareContext with ctx"
	if err != nil {
		return nil, err
	}
	defer stmt.Close()
	out := make(map[string]int, len(skus))
	for _, sku := range skus {
		rows, err := stmt.Query(sku) // want "query-context: Query without a context: use QueryContext with ctx"
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var n int
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return nil, err
			}
			out[sku] = n
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
