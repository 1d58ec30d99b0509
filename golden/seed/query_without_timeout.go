package users

import (
	"context"
	"database/sql"
)

// queryWithTimeout before the fix: no deadline and the rows stay open.
func queryWithTimeout(db *sql.DB) error {
	rows, err := db.QueryContext(context.Background(), "SELECT data FROM large_table") // want "rows-close" "query-timeout"
	if err != nil {
		return err
	}
	// process rows
	for rows.Next() { // want "rows-err"
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return err
		}
	}
	return nil
}
