package queue

import (
	"context"
	"database/sql"
	"log"
)

// Replay applies the pending events one by one. A deferred cancel inside the loop would wait
// for the function to return, so the finding comes without a fix.
func Replay(db *sql.DB, events []string) error {
	for _, e := range events {
		if _, err := db.ExecContext(context.Background(), "INSERT INTO applied (event) VALUES ($1)", e); err != nil { // want "query-timeout: .*no deadline.*inside a loop"
			return err
		}
	}
	return nil
}

// Drain polls until the queue is empty.
func Drain(db *sql.DB) {
	for {
		var n int
		if err := db.QueryRow("SELECT count(*) FROM queue").Scan(&n); err != nil || n == 0 { // want "query-timeout: QueryRow without a context .*inside a loop"
			return
		}
		log.Printf("%d items left", n)
	}
}

// Pending returns the rows to the caller, who iterates and closes them: a deferred cancel would
// end the query before the caller reads a single row.
func Pending(db *sql.DB) (*sql.Rows, error) {
	return db.QueryContext(context.Background(), "SELECT id, payload FROM queue ORDER BY id") // want "query-timeout: .*its result leaves the function"
}

// Cursor hands the rows out through a variable.
func Cursor(db *sql.DB, since int64) (*sql.Rows, error) {
	rows, err := db.Query("SELECT id, payload FROM queue WHERE id > $1", since) // want "query-timeout: Query without a context .*its result leaves the function"
	if err != nil {
		return nil, err
	}
	return rows, nil
}

// Begin returns the transaction to the caller.
func Begin(db *sql.DB) (*sql.Tx, error) {
	return db.BeginTx(context.Background(), nil) // want "query-timeout: .*its result leaves the function"
}
