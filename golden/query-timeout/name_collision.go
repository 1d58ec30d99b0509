package render

import (
	"context"
	"database/sql"
	"strings"
)

type canvas struct {
	lines []string
}

func (c *canvas) add(s string) { c.lines = append(c.lines, s) }

// Report already uses ctx and cancel for other things: the fix needs fresh names.
func Report(db *sql.DB, cancel <-chan struct{}) (string, error) {
	ctx := &canvas{}
	ctx.add("users:")
	var n int
	if err := db.QueryRowContext(context.Background(), "SELECT count(*) FROM users").Scan(&n); err != nil { // want "query-timeout: QueryRowContext on context.Background\(\)"
		return "", err
	}
	select {
	case <-cancel:
		return "", context.Canceled
	default:
	}
	ctx.add(strings.Repeat("#", n))
	return strings.Join(ctx.lines, "\n"), nil
}
