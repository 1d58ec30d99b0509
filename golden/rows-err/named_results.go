package users

import (
	"context"
	"database/sql"
	"time"
)

// summary has named results; int and slice results get zero values.
func summary(rows *sql.Rows) (total int, names []string, err error) {
	for rows.Next() { // want "rows-err"
		var n string
		if err = rows.Scan(&n); err != nil {
			return
		}
		total++
		names = append(names, n)
	}
	return
}

// latest returns a time.Time: leakfix does not spell its zero value, so the
// named result is returned as computed so far.
func latest(ctx context.Context, db *sql.DB) (last time.Time, err error) {
	rows, qerr := db.QueryContext(ctx, "SELECT seen_at FROM users")
	if qerr != nil {
		return time.Time{}, qerr
	}
	defer rows.Close()
	for rows.Next() { // want "rows-err"
		var t time.Time
		if err = rows.Scan(&t); err != nil {
			return
		}
		if t.After(last) {
			last = t
		}
	}
	return last, nil
}
