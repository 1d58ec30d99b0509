package export

import (
	"context"
	"database/sql"
)

// Emails streams addresses on a channel; the goroutine that reads the rows
// closes them.
func Emails(ctx context.Context, db *sql.DB) (<-chan string, <-chan error) {
	out := make(chan string)
	errc := make(chan error, 1)
	rows, err := db.QueryContext(ctx, "SELECT email FROM users")
	if err != nil {
		errc <- err
		close(out)
		close(errc)
		return out, errc
	}
	go func() {
		defer close(errc)
		defer close(out)
		defer rows.Close()
		for rows.Next() {
			var e string
			if err := rows.Scan(&e); err != nil {
				errc <- err
				return
			}
			select {
			case out <- e:
			case <-ctx.Done():
				errc <- ctx.Err()
				return
			}
		}
		errc <- rows.Err()
	}()
	return out, errc
}
