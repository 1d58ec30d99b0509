package users

import (
	"context"
	"database/sql"
)

// byKind queries inside switch cases and an if block.
func byKind(ctx context.Context, db *sql.DB, kind string) (int, error) {
	n := 0
	switch kind {
	case "admin":
		rows, err := db.QueryContext(ctx, "SELECT id FROM admins") // want "rows-close"
		if err != nil {
			return 0, err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return 0, err
			}
			n++
		}
		return n, rows.Err()
	default:
		if kind != "" {
			rows, err := db.QueryContext(ctx, "SELECT id FROM users WHERE kind = $1", kind) // want "rows-close"
			if err != nil {
				return 0, err
			}
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					return 0, err
				}
				n++
			}
			return n, rows.Err()
		}
	}
	return n, nil
}
