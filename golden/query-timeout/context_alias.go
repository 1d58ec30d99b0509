package devices

import (
	stdctx "context"
	"database/sql"
)

// Touch marks a device as seen; the file imports context under another name.
func Touch(db *sql.DB, device string) error {
	_, err := db.ExecContext(stdctx.Background(), "UPDATE devices SET seen_at = now() WHERE id = $1", device) // want "query-timeout: ExecContext on stdctx.Background\(\) has no deadline"
	return err
}

// Forget deletes a device; no context at all.
func Forget(db *sql.DB, device string) error {
	_, err := db.Exec("DELETE FROM devices WHERE id = $1", device) // want "query-timeout: Exec without a context"
	return err
}
