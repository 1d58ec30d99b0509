package sync

import (
	"context"
	"database/sql"
)

// Copy streams rows to a goroutine; the channel is closed and the goroutine waited for
// after the loop, so a `return` right after the loop would leave it blocked forever.
func Copy(ctx context.Context, db *sql.DB, insert func(int64) error) (int, error) {
	rows, err := db.QueryContext(ctx, "SELECT id FROM items")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	ids := make(chan int64)
	done := make(chan error)
	go func() {
		var failed error
		for id := range ids {
			if err := insert(id); err != nil && failed == nil {
				failed = err
			}
		}
		done <- failed
	}()
	n := 0
	for rows.Next() { // want "rows-err: rows.Err\(\) is never checked after iterating rows \(an early return here would skip the synchronisation on line 36"
		var id int64
		if err := rows.Scan(&id); err != nil {
			break
		}
		ids <- id
		n++
	}
	close(ids)
	return n, <-done
}
