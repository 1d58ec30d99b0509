package repo

import (
	"context"
	"database/sql"
)

// Querier is what the repository needs from a *sql.DB or a *sql.Tx: the service's own
// interface, not a driver type.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

type Repo struct {
	q Querier
}

// Tags leaves its rows open when a tag is empty: the handle is an interface, the leak is
// the same.
func (r *Repo) Tags(ctx context.Context) ([]string, error) {
	rows, err := r.q.QueryContext(ctx, "SELECT tag FROM tags") // want "rows-close: rows are not closed on the return at line 34"
	if err != nil {
		return nil, err
	}
	var tags []string
	for rows.Next() {
		var tag string
		if err := rows.Scan(&tag); err != nil {
			rows.Close()
			return nil, err
		}
		if tag == "" {
			return tags, nil
		}
		tags = append(tags, tag)
	}
	return tags, rows.Err()
}
