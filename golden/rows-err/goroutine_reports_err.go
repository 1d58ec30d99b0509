package export

import (
	"context"

	"github.com/jmoiron/sqlx"
)

type Row struct {
	ID    int64  `db:"id"`
	Email string `db:"email"`
}

// Emails streams rows on a channel; the goroutine that reads the rows
// reports rows.Err() on the error channel.
func Emails(ctx context.Context, db *sqlx.DB) (<-chan Row, <-chan error) {
	out := make(chan Row)
	errc := make(chan error, 1)
	rows, err := db.QueryxContext(ctx, "SELECT id, email FROM users")
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
			var r Row
			if err := rows.StructScan(&r); err != nil {
				errc <- err
				return
			}
			select {
			case out <- r:
			case <-ctx.Done():
				errc <- ctx.Err()
				return
			}
		}
		errc <- rows.Err()
	}()
	return out, errc
}
