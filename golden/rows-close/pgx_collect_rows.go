package orders

import (
	"context"
	"errors"

	pgxv5 "github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

type Order struct {
	ID    int64
	Total int64
}

// Recent hands the rows to pgx.CollectRows, which closes them (the import is aliased).
func Recent(ctx context.Context, pool *pgxpool.Pool) ([]Order, error) {
	rows, err := pool.Query(ctx, "SELECT id, total FROM orders ORDER BY id DESC LIMIT 10")
	if err != nil {
		return nil, err
	}
	return pgxv5.CollectRows(rows, pgxv5.RowToStructByName[Order])
}

// ForCustomer returns early before CollectRows ever sees the rows.
func ForCustomer(ctx context.Context, pool *pgxpool.Pool, customer int64) ([]Order, error) {
	rows, err := pool.Query(ctx, "SELECT id, total FROM orders WHERE customer_id = $1", customer) // want "rows-close: rows are not closed on the return at line 32: add `defer rows.Close\(\)`"
	if err != nil {
		return nil, err
	}
	if customer <= 0 {
		return nil, errors.New("no customer")
	}
	return pgxv5.CollectRows(rows, pgxv5.RowToStructByPos[Order])
}

// Largest reads one row with CollectOneRow and sums with ForEachRow.
func Largest(ctx context.Context, pool *pgxpool.Pool) (Order, int64, error) {
	rows, err := pool.Query(ctx, "SELECT id, total FROM orders ORDER BY total DESC LIMIT 1")
	if err != nil {
		return Order{}, 0, err
	}
	top, err := pgxv5.CollectOneRow(rows, pgxv5.RowToStructByPos[Order])
	if err != nil {
		return Order{}, 0, err
	}
	rows, err = pool.Query(ctx, "SELECT total FROM orders")
	if err != nil {
		return Order{}, 0, err
	}
	var total, sum int64
	if _, err := pgxv5.ForEachRow(rows, []any{&total}, func() error {
		sum += total
		return nil
	}); err != nil {
		return Order{}, 0, err
	}
	return top, sum, nil
}
