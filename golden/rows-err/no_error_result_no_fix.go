package export

import (
	"context"
	"database/sql"
	"fmt"
	"io"
)

// writeNames cannot report an error and has no error handling to copy:
// reported without a fix.
func writeNames(w io.Writer, rows *sql.Rows) int {
	n := 0
	for rows.Next() { // want "rows-err: rows.Err\(\) is never checked after iterating rows \(no way to return the error here\)"
		var name string
		if rows.Scan(&name) != nil {
			continue
		}
		fmt.Fprintln(w, name)
		n++
	}
	return n
}

// stream iterates in a goroutine that has nowhere to send the error.
func stream(ctx context.Context, db *sql.DB, out chan<- string) error {
	rows, err := db.QueryContext(ctx, "SELECT name FROM users")
	if err != nil {
		return err
	}
	go func() {
		defer close(out)
		defer rows.Close()
		for rows.Next() { // want "rows-err: .*no way to return the error here"
			var n string
			if rows.Scan(&n) != nil {
				return
			}
			out <- n
		}
	}()
	return nil
}
