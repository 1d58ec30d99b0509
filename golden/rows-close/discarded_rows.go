package sessions

import (
	"context"
	"database/sql"
	"time"
)

type Cleaner struct {
	db *sql.DB
}

// Expire deletes old sessions but asks for rows it never reads or closes.
func (c *Cleaner) Expire(ctx context.Context, before time.Time) error {
	_, err := c.db.QueryContext(ctx, "DELETE FROM sessions WHERE expires_at < $1", before) // want "rows-close: rows of QueryContext are discarded and never closed: use ExecContext"
	return err
}

// Touch ignores both the rows and the error.
func (c *Cleaner) Touch(id string) {
	c.db.Query("UPDATE sessions SET seen_at = now() WHERE id = $1", id) // want "rows-close: rows of Query are discarded"
}
