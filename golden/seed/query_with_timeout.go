package users

import (
	"context"
	"database/sql"
	"time"
)

func queryWithTimeout(db *sql.DB) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rows, err := db.QueryContext(ctx, "SELECT data FROM large_table")
	if err != nil {
		return err
	}
	defer rows.Close()
	// process rows
	return nil
}
