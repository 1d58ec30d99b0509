package jobs

import (
	"database/sql"
	"log"
)

// Cleanup is run by a cron job; it has no context of its own.
func Cleanup(db *sql.DB) {
	res, err := db.Exec("DELETE FROM jobs WHERE finished_at < now() - INTERVAL '7 days'") // want "query-timeout: Exec without a context has no deadline: wrap it in context.WithTimeout"
	if err != nil {
		log.Printf("cleanup: %v", err)
		return
	}
	n, _ := res.RowsAffected()
	log.Printf("cleanup: removed %d jobs", n)
}

// Pending counts the jobs that still wait.
func Pending(db *sql.DB) (int, error) {
	var n int
	if err := db.QueryRow("SELECT count(*) FROM jobs WHERE state = 'queued'").Scan(&n); err != nil { // want "query-timeout: QueryRow without a context"
		return 0, err
	}
	return n, nil
}
