package users

import (
	"context"
	"database/sql"
)

// maybeClose closes the rows on one branch only, and not at all when a Scan fails.
func maybeClose(ctx context.Context, db *sql.DB, keep bool) (int, error) {
	rows, err := db.QueryContext(ctx, "SELECT id FROM users") // want "rows-close"
	if err != nil {
		return 0, err
	}
	n := 0
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return 0, err
		}
		n++
	}
	if !keep {
		rows.Close()
	}
	return n, rows.Err()
}

// elseCheck keeps the happy path in an else, where the rows are read to the end: Next
// closes them, so every path is covered.
func elseCheck(ctx context.Context, db *sql.DB) (int, error) {
	rows, err := db.QueryContext(ctx, "SELECT 1 FROM users")
	if err != nil {
		return 0, err
	} else {
		n := 0
		for rows.Next() {
			n++
		}
		return n, rows.Err()
	}
}

// commentBetween has comments around the error check.
func commentBetween(ctx context.Context, db *sql.DB) (int, error) {
	rows, err := db.QueryContext(ctx, "SELECT id FROM users") // want "rows-close"
	// the query may fail when the table is missing
	if err != nil {
		return 0, err // give up
	} // done checking
	n := 0
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return 0, err
		}
		n++
	}
	return n, rows.Err()
}

// breakInLoop is fine: a break inside the loop does not skip the close.
func breakInLoop(ctx context.Context, db *sql.DB) (int, error) {
	rows, err := db.QueryContext(ctx, "SELECT 1 FROM users")
	if err != nil {
		return 0, err
	}
	n := 0
	for rows.Next() {
		n++
		if n > 10 {
			break
		}
	}
	rows.Close()
	return n, rows.Err()
}
