package accounts

import (
	"context"
	"database/sql"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jmoiron/sqlx"
)

type Store struct {
	db   *sql.DB
	dbx  *sqlx.DB
	pool *pgxpool.Pool
}

// Touch runs statements through QueryRow and never scans the row: each one keeps its
// connection checked out. They become Exec, which takes the same arguments.
func (s *Store) Touch(ctx context.Context, id int64) {
	s.db.QueryRowContext(ctx, "UPDATE accounts SET seen_at = now() WHERE id = $1", id) // want "rows-close: row of QueryRowContext is never scanned: it holds its connection until Scan; scan it or use ExecContext"

	s.db.QueryRow("UPDATE accounts SET touches = touches + 1 WHERE id = $1", id) // want "rows-close: row of QueryRow is never scanned.*use Exec"

	s.dbx.QueryRowxContext(ctx, "UPDATE accounts SET seen_at = now() WHERE id = $1", id) // want "rows-close: row of QueryRowxContext is never scanned"

	s.pool.QueryRow(ctx, "UPDATE accounts SET seen_at = now() WHERE id = $1", id) // want "rows-close: row of QueryRow is never scanned"
}

// Lock asks for a row it never looks at: `_ =` becomes `_, _ =` with ExecContext.
func (s *Store) Lock(ctx context.Context, tx *sql.Tx, id int64) error {
	_ = tx.QueryRowContext(ctx, "SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE", id) // want "rows-close: row of QueryRowContext is never scanned: .*scan it or use ExecContext"
	_, err := tx.ExecContext(ctx, "UPDATE accounts SET locked = true WHERE id = $1", id)
	return err
}

// Limits overwrites the first row before scanning it: the first keeps its connection.
func (s *Store) Limits(ctx context.Context, id int64) (int64, error) {
	row := s.db.QueryRowContext(ctx, "SELECT daily FROM limits WHERE account_id = $1", id) // want "rows-close: row of QueryRowContext is never scanned: .*scan it or drop the query"
	row = s.db.QueryRowContext(ctx, "SELECT monthly FROM limits WHERE account_id = $1", id)
	var monthly int64
	err := row.Scan(&monthly)
	return monthly, err
}

// Balance scans every row it asks for.
func (s *Store) Balance(ctx context.Context, id int64) (int64, error) {
	var cents int64
	if err := s.db.QueryRowContext(ctx, "SELECT cents FROM accounts WHERE id = $1", id).Scan(&cents); err != nil {
		return 0, err
	}
	row := s.pool.QueryRow(ctx, "SELECT cents FROM holds WHERE account_id = $1", id)
	var held int64
	if err := row.Scan(&held); err != nil {
		return 0, err
	}
	other := s.db.QueryRowContext(ctx, "SELECT 1 FROM accounts WHERE id = $1", id)
	return cents - held, other.Err()
}
