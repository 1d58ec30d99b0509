package cron

import "database/sql"

// Vacuum has no context; its file imports only database/sql, in the single-line form.
func Vacuum(db *sql.DB) error {
	_, err := db.Exec("DELETE FROM tmp_uploads WHERE created_at < now() - INTERVAL '1 day'") // want "query-timeout: Exec without a context"
	return err
}
