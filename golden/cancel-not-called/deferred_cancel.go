package reports

import (
	"context"
	"database/sql"
	"time"
)

func Daily(ctx context.Context, db *sql.DB) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var n int
	err := db.QueryRowContext(ctx, "SELECT count(*) FROM events WHERE day = current_date").Scan(&n)
	return n, err
}

// Weekly cancels on every path by hand.
func Weekly(ctx context.Context, db *sql.DB) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM events").Scan(&n); err != nil {
		cancel()
		return 0, err
	}
	cancel()
	return n, nil
}

// Monthly picks the kind of context, then defers whichever cancel it got.
func Monthly(ctx context.Context, db *sql.DB, limit time.Duration) error {
	var cancel context.CancelFunc
	if limit > 0 {
		ctx, cancel = context.WithTimeout(ctx, limit)
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	defer cancel()
	_, err := db.ExecContext(ctx, "REFRESH MATERIALIZED VIEW monthly")
	return err
}

// Yearly cancels in both branches of a switch.
func Yearly(ctx context.Context, db *sql.DB, dry bool) {
	ctx, cancel := context.WithCancel(ctx)
	switch {
	case dry:
		cancel()
	default:
		_, _ = db.ExecContext(ctx, "SELECT refresh_yearly()")
		cancel()
	}
}
