package inventory

import (
	"context"
	"database/sql"
)

type Store struct {
	db *sql.DB
}

// prepareStock hands the statement to its caller, who must close it.
func (s *Store) prepareStock(ctx context.Context) (*sql.Stmt, error) {
	return s.db.PrepareContext(ctx, "SELECT qty FROM stock WHERE sku = $1")
}

// Quantities closes nothing: each call leaves a prepared statement behind.
func (s *Store) Quantities(ctx context.Context, skus []string) (map[string]int, error) {
	stmt, err := s.prepareStock(ctx) // want "stmt-close: prepared statement is never closed: add `defer stmt.Close\(\)`"
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(skus))
	for _, sku := range skus {
		var qty int
		if err := stmt.QueryRowContext(ctx, sku).Scan(&qty); err != nil {
			return nil, err
		}
		out[sku] = qty
	}
	return out, nil
}

// Quantity closes the statement it was given.
func (s *Store) Quantity(ctx context.Context, sku string) (int, error) {
	stmt, err := s.prepareStock(ctx)
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	var qty int
	err = stmt.QueryRowContext(ctx, sku).Scan(&qty)
	return qty, err
}
