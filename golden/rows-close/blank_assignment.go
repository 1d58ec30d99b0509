package audit

import (
	"context"
	"database/sql"
)

// Recent assigns its rows to the blank identifier (a leftover); that keeps nothing alive,
// so the early return in the loop still leaks them.
func Recent(ctx context.Context, db *sql.DB, limit int) ([]int64, error) {
	rows, err := db.QueryContext(ctx, "SELECT id FROM audit ORDER BY at DESC") // want "rows-close: rows are not closed on the return at line 20"
	if err != nil {
		return nil, err
	}
	_ = rows
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		if len(ids) == limit {
			return ids, nil
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
