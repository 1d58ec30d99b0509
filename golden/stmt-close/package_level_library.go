package store

import (
	"context"
	"database/sql"
)

var lookupStmt *sql.Stmt // want "stmt-close: package-level statement lookupStmt is never closed: close it on shutdown \(no main in this package to close it from\)"

// Init prepares the package's statement; nothing ever closes it.
func Init(ctx context.Context, db *sql.DB) error {
	var err error
	lookupStmt, err = db.PrepareContext(ctx, "SELECT name FROM users WHERE id = $1")
	return err
}

// Name looks up one user name.
func Name(ctx context.Context, id int64) (string, error) {
	var name string
	err := lookupStmt.QueryRowContext(ctx, id).Scan(&name)
	return name, err
}
