package alerts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

type Store struct {
	db *sql.DB
}

// IDs checks sql.ErrNoRows before the usual error check: when either fires there are no rows
// to close, so the close goes after both, and the leak is the return inside the loop.
func (s *Store) IDs(ctx context.Context, service string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id FROM alerts WHERE service = $1", service) // want "rows-close: rows are not closed on the return at line 28"
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("alerts of %s: %w", service, err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		if id == "" {
			return ids, nil
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
