package watch

import (
	"context"
	"database/sql"
	"time"
)

// Follow lets a goroutine own the cancel function: it cancels when the rows end.
func Follow(parent context.Context, db *sql.DB, out chan<- int64) error {
	ctx, cancel := context.WithCancel(parent)
	rows, err := db.QueryContext(ctx, "SELECT id FROM events")
	if err != nil {
		cancel()
		return err
	}
	go stream(ctx, cancel, rows, out)
	return nil
}

func stream(ctx context.Context, cancel context.CancelFunc, rows *sql.Rows, out chan<- int64) {
	defer cancel()
	defer rows.Close()
	for rows.Next() {
		var id int64
		if rows.Scan(&id) != nil {
			return
		}
		select {
		case out <- id:
		case <-ctx.Done():
			return
		}
	}
}

// Supervise keeps the cancel function in a goroutine that calls it later.
func Supervise(parent context.Context, stop <-chan struct{}) context.Context {
	ctx, cancel := context.WithCancel(parent)
	go func() {
		select {
		case <-stop:
		case <-ctx.Done():
		}
		cancel()
	}()
	return ctx
}

// Ping never cancels its deadline.
func Ping(parent context.Context, db *sql.DB) error {
	ctx, _ := context.WithTimeout(parent, time.Second) // want "cancel-not-called"
	return db.PingContext(ctx)
}
