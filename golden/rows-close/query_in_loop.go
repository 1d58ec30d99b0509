package reports

import (
	"context"
	"database/sql"
)

// Totals runs one query per region; a deferred close would keep every
// region's rows open until the function returns, so no fix is offered.
func Totals(ctx context.Context, db *sql.DB, regions []string) (map[string]int64, error) {
	totals := make(map[string]int64, len(regions))
	for _, region := range regions {
		rows, err := db.QueryContext(ctx, "SELECT amount FROM sales WHERE region = $1", region) // want "rows-close: rows are not closed on every path: close rows before the next iteration"
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var amount int64
			if err := rows.Scan(&amount); err != nil {
				return nil, err
			}
			totals[region] += amount
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return totals, nil
}
