package warehouse

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
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Restock uses a deadline derived from a background context held in a variable.
func Restock(db *sql.DB, sku string, n int) error {
	base := context.Background()
	ctx, cancel := context.WithDeadline(base, time.Now().Add(3*time.Second))
	defer cancel()
	_, err := db.ExecContext(ctx, "UPDATE stock SET quantity = quantity + $1 WHERE sku = $2", n, sku)
	return err
}

// Nightly runs each step under its own timeout inside the loop, cancelling as it goes.
func Nightly(db *sql.DB, steps []string) error {
	for _, step := range steps {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		_, err := db.ExecContext(ctx, step)
		cancel()
		if err != nil {
			return err
		}
	}
	return nil
}
