// Package dbutil holds helpers that golden cases call from another package of the module.
package dbutil

import (
	"database/sql"
	"log"
)

// CloseRows closes rows and logs a failure: callers hand their rows over to it.
func CloseRows(rows *sql.Rows) {
	if err := rows.Close(); err != nil {
		log.Printf("close rows: %v", err)
	}
}
