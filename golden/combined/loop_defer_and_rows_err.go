package items

import (
	"context"
	"database/sql"
)

// List defers a close in a loop and never checks rows.Err: the two fixes touch the
// same lines (found by the property tests), and one run must apply both.
func List(ctx context.Context, db *sql.DB, ids []int64) error {
	for _, id := range ids {
		rows, err := db.QueryContext(ctx, "SELECT id FROM items WHERE owner_id = $1", id)
		if err != nil {
			return err
		}
		defer rows.Close() // want "defer-in-loop"
		for rows.Next() {  // want "rows-err"
		}
	}
	return nil
}
