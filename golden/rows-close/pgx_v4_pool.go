package billing

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v4/pgxpool"
)

type Invoice struct {
	ID     int64
	Amount int64
}

type Repo struct {
	pool *pgxpool.Pool
}

func (r *Repo) Unpaid(ctx context.Context, customer int64) ([]Invoice, error) {
	rows, err := r.pool.Query(ctx, "SELECT id, amount FROM invoices WHERE customer_id = $1 AND paid = false", customer) // want "rows-close"
	if err != nil {
		return nil, err
	}
	var out []Invoice
	for rows.Next() {
		var inv Invoice
		if err := rows.Scan(&inv.ID, &inv.Amount); err != nil {
			return nil, err
		}
		// An early return that is not a read error: pgx keeps these rows open.
		if inv.Amount < 0 {
			return nil, fmt.Errorf("invoice %d: negative amount", inv.ID)
		}
		out = append(out, inv)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
