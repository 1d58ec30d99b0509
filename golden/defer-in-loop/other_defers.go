package files

import (
	"context"
	"database/sql"
	"os"
)

// Import defers file closes in a loop: not a database resource, left to
// gocritic's deferInLoop. The rows are closed outside the loop.
func Import(ctx context.Context, db *sql.DB, paths []string) error {
	rows, err := db.QueryContext(ctx, "SELECT path FROM imports")
	if err != nil {
		return err
	}
	defer rows.Close()
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
	}
	return rows.Err()
}
