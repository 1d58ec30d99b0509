package store

import (
	"context"
	"database/sql"

	"github.com/jackc/pgx/v5"
)

var statusStmt *sql.Stmt

// Open prepares the package's statement; Shutdown closes it.
func Open(ctx context.Context, db *sql.DB) error {
	var err error
	statusStmt, err = db.PrepareContext(ctx, "SELECT status FROM orders WHERE id = $1")
	return err
}

// Shutdown releases the package's statement.
func Shutdown() error {
	if statusStmt == nil {
		return nil
	}
	return statusStmt.Close()
}

// Warm prepares a named statement on a pgx connection: pgx keeps it per connection and
// returns a description, not a handle to close.
func Warm(ctx context.Context, conn *pgx.Conn) error {
	_, err := conn.Prepare(ctx, "order_status", "SELECT status FROM orders WHERE id = $1")
	return err
}

// Each hands the statement to run, which closes it.
func Each(ctx context.Context, db *sql.DB, ids []int64) error {
	stmt, err := db.PrepareContext(ctx, "UPDATE orders SET status = 'seen' WHERE id = $1")
	if err != nil {
		return err
	}
	return run(ctx, stmt, ids)
}

func run(ctx context.Context, stmt *sql.Stmt, ids []int64) error {
	defer stmt.Close()
	for _, id := range ids {
		if _, err := stmt.ExecContext(ctx, id); err != nil {
			return err
		}
	}
	return nil
}
