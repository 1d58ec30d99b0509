package users

import (
	"context"
	"database/sql"
)

type Repo struct {
	db *sql.DB
}

// Stream hands the rows to the caller, who closes them.
func (r *Repo) Stream(ctx context.Context, status string) (*sql.Rows, error) {
	rows, err := r.db.QueryContext(ctx, "SELECT id, name FROM users WHERE status = $1", status)
	if err != nil {
		return nil, err
	}
	return rows, nil
}

// Names is the caller: it closes what Stream returned.
func (r *Repo) Names(ctx context.Context) ([]string, error) {
	rows, err := r.Stream(ctx, "active")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var id int
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	return names, rows.Err()
}
