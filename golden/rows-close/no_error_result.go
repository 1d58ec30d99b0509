package audit

import (
	"database/sql"
	"log"
)

// dumpRecent logs the latest audit entries; it has no error to return.
func dumpRecent(db *sql.DB) {
	rows, err := db.Query("SELECT actor, action FROM audit_log ORDER BY at DESC LIMIT 20") // want "rows-close"
	if err != nil {
		log.Printf("audit: %v", err)
		return
	}
	for rows.Next() {
		var actor, action string
		if err := rows.Scan(&actor, &action); err != nil {
			log.Printf("audit: %v", err)
			return
		}
		log.Printf("%s did %s", actor, action)
	}
	if err := rows.Err(); err != nil {
		log.Printf("audit: %v", err)
	}
}

// dumpIgnoringError does not even look at the query error, and stops at the
// first row it cannot scan: the break leaves the rows open.
func dumpIgnoringError(db *sql.DB) {
	rows, _ := db.Query("SELECT actor FROM audit_log") // want "rows-close"
	for rows.Next() {
		var actor string
		if rows.Scan(&actor) != nil {
			break
		}
		log.Print(actor)
	}
	_ = rows.Err()
}
