package inventory

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

type Item struct {
	ID  int64
	Qty int32
}

type Service struct {
	pool *pgxpool.Pool
}

func (s *Service) LowStock(ctx context.Context, limit int32) ([]Item, error) {
	rows, err := s.pool.Query(ctx, "SELECT id, qty FROM items WHERE qty < $1", limit) // want "rows-close"
	if err != nil {
		return nil, fmt.Errorf("low stock: %w", err)
	}
	var items []Item
	for rows.Next() {
		var it Item
		if err := rows.Scan(&it.ID, &it.Qty); err != nil {
			return nil, fmt.Errorf("low stock: %w", err)
		}
		// An early return that is not a read error: pgx keeps these rows open.
		if it.Qty < 0 {
			return nil, fmt.Errorf("item %d: negative stock", it.ID)
		}
		items = append(items, it)
	}
	return items, rows.Err()
}

// Warehouses uses a single native connection.
func Warehouses(ctx context.Context, conn *pgx.Conn) ([]string, error) {
	rows, err := conn.Query(ctx, "SELECT name FROM warehouses") // want "rows-close"
	if err != nil {
		return nil, err
	}
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		if name == "" {
			return nil, fmt.Errorf("warehouse without a name")
		}
		names = append(names, name)
	}
	return names, rows.Err()
}
