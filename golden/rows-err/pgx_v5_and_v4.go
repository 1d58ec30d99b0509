package inventory

import (
	"context"
	"fmt"

	pgxv4pool "github.com/jackc/pgx/v4/pgxpool"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

type Item struct {
	ID  int64
	Qty int32
}

func lowStock(ctx context.Context, pool *pgxpool.Pool, limit int32) ([]Item, error) {
	rows, err := pool.Query(ctx, "SELECT id, qty FROM items WHERE qty < $1", limit)
	if err != nil {
		return nil, fmt.Errorf("low stock: %w", err)
	}
	defer rows.Close()
	var items []Item
	for rows.Next() { // want "rows-err"
		var it Item
		if err := rows.Scan(&it.ID, &it.Qty); err != nil {
			return nil, fmt.Errorf("scan item: %w", err)
		}
		items = append(items, it)
	}
	return items, nil
}

func warehouseNames(ctx context.Context, conn *pgx.Conn) ([]string, error) {
	rows, err := conn.Query(ctx, "SELECT name FROM warehouses")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() { // want "rows-err"
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, nil
}

// legacyTotal still runs on pgx v4.
func legacyTotal(ctx context.Context, pool *pgxv4pool.Pool) (int64, error) {
	rows, err := pool.Query(ctx, "SELECT qty FROM items")
	if err != nil {
		return 0, fmt.Errorf("legacy total: %w", err)
	}
	defer rows.Close()
	var total int64
	for rows.Next() { // want "rows-err"
		var q int64
		if err := rows.Scan(&q); err != nil {
			return 0, err
		}
		total += q
	}
	return total, nil
}
