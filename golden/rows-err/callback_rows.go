package graph

import (
	"context"
	"database/sql"
)

type querier struct {
	db *sql.DB
}

// queryFunc owns the rows: it closes them and checks Err() after the callback returns.
func (q *querier) queryFunc(ctx context.Context, f func(rows *sql.Rows) error, query string) error {
	rows, err := q.db.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	if err := f(rows); err != nil {
		return err
	}
	return rows.Err()
}

// Edges reads rows inside the callback: the Err() check is queryFunc's, not the callback's.
func (q *querier) Edges(ctx context.Context) ([][2]int64, error) {
	var edges [][2]int64
	err := q.queryFunc(ctx, func(rows *sql.Rows) error {
		for rows.Next() {
			var from, to int64
			if err := rows.Scan(&from, &to); err != nil {
				return err
			}
			edges = append(edges, [2]int64{from, to})
		}
		return nil
	}, "SELECT src, dst FROM edges")
	return edges, err
}
