package catalog

import (
	"context"
	"database/sql"
)

// Names closes each iteration's rows before the next one.
func Names(ctx context.Context, db *sql.DB, orders []int64) ([]string, error) {
	var out []string
	for _, order := range orders {
		rows, err := db.QueryContext(ctx, "SELECT name FROM items WHERE order_id = $1", order)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, name)
		}
		rows.Close()
	}
	return out, nil
}

// Counts already runs each iteration in a function literal.
func Counts(ctx context.Context, db *sql.DB, orders []int64) map[int64]int {
	counts := map[int64]int{}
	for _, order := range orders {
		func() {
			rows, err := db.QueryContext(ctx, "SELECT 1 FROM items WHERE order_id = $1", order)
			if err != nil {
				return
			}
			defer rows.Close()
			for rows.Next() {
				counts[order]++
			}
		}()
	}
	return counts
}
