package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"time"
)

type Store struct {
	db *sql.DB
}

// NewStore runs once, when the service starts: a stalled query fails the start, where a
// person sees it. No deadline is asked for here, nor in the helpers only it calls.
func NewStore(db *sql.DB) (*Store, error) {
	if _, err := db.Exec("CREATE TABLE IF NOT EXISTS notes (id bigserial, body text)"); err != nil {
		return nil, err
	}
	if err := createIndexes(db); err != nil {
		return nil, err
	}
	return &Store{db: db}, nil
}

func createIndexes(db *sql.DB) error {
	_, err := db.Exec("CREATE INDEX IF NOT EXISTS notes_body ON notes (body)")
	return err
}

// migrateNotes is a migration: it runs once, before the service takes traffic.
func migrateNotes(db *sql.DB) error {
	_, err := db.ExecContext(context.Background(), "ALTER TABLE notes ADD COLUMN IF NOT EXISTS at timestamptz")
	return err
}

// Count serves requests: it needs a deadline.
func (s *Store) Count() (int, error) {
	var n int
	err := s.db.QueryRow("SELECT count(*) FROM notes").Scan(&n) // want "query-timeout: QueryRow without a context has no deadline"
	return n, err
}

// Move runs two statements in one transaction: the transaction is the unit, so the
// deadline goes on Begin, and its statements share it.
func (s *Store) Move(from, to int64) error {
	tx, err := s.db.Begin() // want "query-timeout: Begin without a context has no deadline"
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.Exec("UPDATE notes SET id = $1 WHERE id = $2", to, from); err != nil {
		return err
	}
	return tx.Commit()
}

// Lock waits for the advisory lock on purpose.
func (s *Store) Lock() error {
	// Wait indefinitely until the lock can be acquired: another instance holds it.
	_, err := s.db.Exec("SELECT pg_advisory_lock(42)") // want "query-timeout: Exec without a context has no deadline: wrap it in context.WithTimeout \(a comment says the wait is intended"
	return err
}

// Vacuum runs for as long as the table needs: a five-second deadline would abort it.
func (s *Store) Vacuum() error {
	_, err := s.db.Exec("VACUUM ANALYZE notes") // want "query-timeout: Exec without a context has no deadline: wrap it in context.WithTimeout \(a maintenance statement"
	return err
}

// Refresh builds its statement in a variable: still a maintenance statement.
func (s *Store) Refresh(concurrently bool) error {
	q := "REFRESH MATERIALIZED VIEW %s note_totals"
	if concurrently {
		q = fmt.Sprintf(q, "CONCURRENTLY")
	} else {
		q = fmt.Sprintf(q, "")
	}
	_, err := s.db.Exec(q) // want "query-timeout: Exec without a context has no deadline: wrap it in context.WithTimeout \(a maintenance statement"
	return err
}

func main() {
	db, err := sql.Open("postgres", "")
	if err != nil {
		panic(err)
	}
	if err := migrateNotes(db); err != nil {
		panic(err)
	}
	var version string
	if err := db.QueryRow("SELECT version()").Scan(&version); err != nil {
		panic(err)
	}
	http.HandleFunc("/count", func(w http.ResponseWriter, r *http.Request) {
		var n int
		_ = db.QueryRowContext(context.Background(), "SELECT count(*) FROM notes").Scan(&n) // query-context passes r.Context() here
		_ = n
	})
	go func() {
		for range time.Tick(time.Minute) {
			_, _ = db.Exec("DELETE FROM notes WHERE at < now() - interval '1 day'") // want "query-timeout: Exec without a context has no deadline"
		}
	}()
	_ = http.ListenAndServe(":8080", nil)
}
