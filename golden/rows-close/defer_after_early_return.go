package catalog

import (
	"context"
	"database/sql"
)

type Catalog struct {
	db *sql.DB
}

// Items has its `defer rows.Close()`, but the early return for a dry run comes first and
// leaves the rows open: the fix moves the defer up, it does not add a second one.
func (c *Catalog) Items(ctx context.Context, dryRun bool) ([]string, error) {
	rows, err := c.db.QueryContext(ctx, "SELECT name FROM items") // want "rows-close: rows are not closed on the return at line 20: it leaves before `defer rows.Close\(\)` on line 23; move that defer up, right after the error check"
	if err != nil {
		return nil, err
	}
	if dryRun {
		return nil, nil
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

// Count defers the close in a closure right after the check: nothing to say.
func (c *Catalog) Count(ctx context.Context) (n int, err error) {
	rows, err := c.db.QueryContext(ctx, "SELECT 1 FROM items")
	if err != nil {
		return 0, err
	}
	defer func() {
		if cerr := rows.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	for rows.Next() {
		n++
	}
	return n, rows.Err()
}
