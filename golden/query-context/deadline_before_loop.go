package migrate

import (
	"context"
	"database/sql"
	"time"
)

// Migrate sets a deadline for reading the version; every migration of the loop would
// share those five seconds, so that context is not handed to the loop's statements.
func Migrate(db *sql.DB, steps []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var version int
	if err := db.QueryRowContext(ctx, "SELECT version FROM schema_version").Scan(&version); err != nil {
		return err
	}
	for _, step := range steps[version:] {
		if _, err := db.Exec(step); err != nil {
			return err
		}
	}
	return nil
}

// Touch sets a deadline and forgets to pass it: that one is meant for this statement.
func Touch(db *sql.DB, id int64) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := db.Exec("UPDATE users SET seen_at = now() WHERE id = $1", id); err != nil { // want "query-context: Exec without a context: use ExecContext with ctx"
		return err
	}
	return ctx.Err()
}
