package users

import (
	"context"
	"database/sql"
)

type User struct {
	ID   int64
	Name string
}

type Store struct {
	db *sql.DB
}

// Stream hands the rows to a goroutine that reads them after Stream returned: a
// deferred Close here would close them under the reader's feet.
func (s *Store) Stream(ctx context.Context) (<-chan User, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id, name FROM users")
	if err != nil {
		return nil, err
	}
	out := make(chan User)
	go func() {
		s.yieldRows(ctx, rows, out)
		close(out)
	}()
	return out, nil
}

// Drain passes the rows to a goroutine directly.
func (s *Store) Drain(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, "SELECT id, name FROM users")
	if err != nil {
		return err
	}
	go s.drain(rows)
	return nil
}

// Count reads the rows through a helper that only scans them, in this goroutine.
func (s *Store) Count(ctx context.Context) (int, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id, name FROM users") // want "rows-close: rows are not closed on the return at line 50"
	if err != nil {
		return 0, err
	}
	users, err := s.scanAll(rows)
	if err != nil {
		return 0, err
	}
	return len(users), nil
}

// yieldRows reads to the end (Next closes the rows then) unless the reader goes away.
func (s *Store) yieldRows(ctx context.Context, rows *sql.Rows, out chan<- User) {
	for rows.Next() {
		var u User
		if rows.Scan(&u.ID, &u.Name) != nil {
			return
		}
		select {
		case out <- u:
		case <-ctx.Done():
			return
		}
	}
}

func (s *Store) drain(rows *sql.Rows) {
	for rows.Next() {
	}
}

func (s *Store) scanAll(rows *sql.Rows) ([]User, error) {
	var users []User
	for rows.Next() {
		var u User
		if err := rows.Scan(&u.ID, &u.Name); err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	return users, rows.Err()
}
