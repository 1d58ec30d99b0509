package tokens

import (
	"context"
	"database/sql"
)

// rowQuerier declares QueryRow only: there is no QueryRowContext to switch to, so nothing
// is reported (the fix would not compile).
type rowQuerier interface {
	QueryRow(query string, args ...any) *sql.Row
}

func token(ctx context.Context, q rowQuerier, id int64) (string, error) {
	var value string
	err := q.QueryRow("SELECT value FROM tokens WHERE id = $1", id).Scan(&value)
	return value, err
}

// querier declares both forms: the context in reach is passed.
type querier interface {
	QueryRow(query string, args ...any) *sql.Row
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func owner(ctx context.Context, q querier, id int64) (string, error) {
	var name string
	err := q.QueryRow("SELECT owner FROM tokens WHERE id = $1", id).Scan(&name) // want "query-context: QueryRow without a context: use QueryRowContext with ctx"
	return name, err
}
