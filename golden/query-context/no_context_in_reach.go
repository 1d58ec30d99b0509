package migrate

import (
	"database/sql"
	"fmt"
)

// Up applies the schema. There is no context anywhere in reach: query-context has nothing
// to offer here (query-timeout reports these calls instead).
func Up(db *sql.DB) error {
	statements := []string{
		"CREATE TABLE IF NOT EXISTS users (id INT8 PRIMARY KEY, name STRING NOT NULL)",
		"CREATE INDEX IF NOT EXISTS users_name_idx ON users (name)",
	}
	for _, s := range statements {
		if _, err := db.Exec(s); err != nil {
			return fmt.Errorf("apply %q: %w", s, err)
		}
	}
	return nil
}

// Version reads the schema version.
func Version(db *sql.DB) (int, error) {
	var v int
	err := db.QueryRow("SELECT version FROM schema_version").Scan(&v)
	return v, err
}
