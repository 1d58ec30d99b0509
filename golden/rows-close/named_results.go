package stats

import (
	"context"
	"database/sql"
)

type Store struct {
	db *sql.DB
}

// Average uses named results and assigns rows with '='.
func (s *Store) Average(ctx context.Context, product int64) (avg float64, n int, err error) {
	var rows *sql.Rows
	rows, err = s.db.QueryContext(ctx, "SELECT stars FROM reviews WHERE product_id = $1", product) // want "rows-close"
	if err != nil {
		return
	}
	sum := 0
	for rows.Next() {
		var stars int
		if err = rows.Scan(&stars); err != nil {
			return
		}
		sum += stars
		n++
	}
	if err = rows.Err(); err != nil {
		return
	}
	if n > 0 {
		avg = float64(sum) / float64(n)
	}
	return
}
