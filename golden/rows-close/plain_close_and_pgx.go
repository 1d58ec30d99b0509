package inventory

import (
	"context"
	"database/sql"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Count closes its rows with a plain call: nothing returns before it.
func Count(ctx context.Context, db *sql.DB) int {
	n := 0
	rows, err := db.QueryContext(ctx, "SELECT 1 FROM items")
	if err != nil {
		return 0
	}
	for rows.Next() {
		n++
	}
	rows.Close()
	return n
}

// PerWarehouse closes each iteration's rows before the next query.
func PerWarehouse(ctx context.Context, db *sql.DB, ids []int64) map[int64]int {
	counts := make(map[int64]int, len(ids))
	for _, id := range ids {
		rows, err := db.QueryContext(ctx, "SELECT 1 FROM items WHERE warehouse_id = $1", id)
		if err != nil {
			continue
		}
		for rows.Next() {
			counts[id]++
		}
		rows.Close()
	}
	return counts
}

func SKUs(ctx context.Context, pool *pgxpool.Pool) ([]string, error) {
	rows, err := pool.Query(ctx, "SELECT sku FROM items")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var skus []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		skus = append(skus, s)
	}
	return skus, rows.Err()
}
