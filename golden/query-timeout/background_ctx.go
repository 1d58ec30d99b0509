package stats

import (
	"context"
	"database/sql"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// OrderCount counts the orders.
func OrderCount(db *sql.DB) (int, error) {
	var n int
	err := db.QueryRowContext(context.Background(), "SELECT count(*) FROM orders").Scan(&n) // want "query-timeout: QueryRowContext on context.Background\(\) has no deadline"
	return n, err
}

// Expire removes stale sessions.
func Expire(db *sql.DB, before time.Time) (int64, error) {
	res, err := db.ExecContext(context.TODO(), "DELETE FROM sessions WHERE last_seen < $1", before) // want "query-timeout: ExecContext on context.TODO\(\) has no deadline"
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Names lists the user names.
func Names(db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(context.Background(), "SELECT name FROM users ORDER BY name") // want "query-timeout: QueryContext on context.Background\(\)"
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	return names, rows.Err()
}

// Totals sums the ledger per account with pgx.
func Totals(pool *pgxpool.Pool) (map[string]int64, error) {
	rows, err := pool.Query(context.Background(), "SELECT account, sum(amount) FROM entries GROUP BY account") // want "query-timeout: Query on context.Background\(\) has no deadline"
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	out := map[string]int64{}
	for rows.Next() {
		var account string
		var total int64
		if err := rows.Scan(&account, &total); err != nil {
			return nil, err
		}
		out[account] = total
	}
	return out, rows.Err()
}
