package orders

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

type Order struct {
	ID        int64
	Total     int64
	CreatedAt time.Time
}

type Repository struct {
	db *sql.DB
}

func (r *Repository) ForCustomer(ctx context.Context, customerID int64) ([]Order, error) {
	rows, err := r.db.QueryContext(ctx,
		"SELECT id, total, created_at FROM orders WHERE customer_id = $1 ORDER BY created_at",
		customerID)
	if err != nil {
		return nil, fmt.Errorf("orders for customer %d: %w", customerID, err)
	}
	defer rows.Close()

	var out []Order
	for rows.Next() { // want "rows-err"
		var o Order
		if err := rows.Scan(&o.ID, &o.Total, &o.CreatedAt); err != nil {
			return nil, fmt.Errorf("scan order: %w", err)
		}
		out = append(out, o)
	}

	return out, nil
}

func (r *Repository) Revenue(ctx context.Context, since time.Time) (int64, error) {
	rows, err := r.db.QueryContext(ctx, "SELECT total FROM orders WHERE created_at >= $1", since)
	if err != nil {
		return 0, fmt.Errorf("revenue: %w", err)
	}
	defer rows.Close()
	var sum int64
	for rows.Next() { // want "rows-err"
		var t int64
		if err := rows.Scan(&t); err != nil {
			return 0, fmt.Errorf("revenue: %w", err)
		}
		sum += t
	}
	return sum, nil
}
