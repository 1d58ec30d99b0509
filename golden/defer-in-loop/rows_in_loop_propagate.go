package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

var ErrNoName = errors.New("item without a name")

type Store struct {
	db *sql.DB
}

// NamesByOrder reads the item names of many orders. Each iteration's rows
// stay open (one pooled connection each) until the function returns.
func (s *Store) NamesByOrder(ctx context.Context, orders []int64) (map[int64][]string, error) {
	out := make(map[int64][]string, len(orders))
	for _, order := range orders {
		rows, err := s.db.QueryContext(ctx, "SELECT name FROM items WHERE order_id = $1", order)
		if err != nil {
			return nil, fmt.Errorf("items of order %d: %w", order, err)
		}
		defer rows.Close() // want "defer-in-loop: `defer rows.Close\(\)` inside a loop holds every iteration's rows"

		// Scan every name of this order.
		for rows.Next() {
			var name sql.NullString
			if err := rows.Scan(&name); err != nil {
				return nil, err
			}
			if !name.Valid {
				return nil, ErrNoName
			}
			out[order] = append(out[order], name.String)
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Totals skips orders whose query fails; the function has no error result.
func (s *Store) Totals(ctx context.Context, orders []int64) map[int64]int64 {
	totals := map[int64]int64{}
	for _, order := range orders {
		rows, err := s.db.QueryContext(ctx, "SELECT qty FROM items WHERE order_id = $1", order)
		if err != nil {
			continue
		}
		defer rows.Close() // want "defer-in-loop: .*rows"
		for rows.Next() {
			var qty int64
			if rows.Scan(&qty) != nil {
				continue
			}
			totals[order] += qty
		}
	}
	return totals
}
