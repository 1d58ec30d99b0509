package replicas

import (
	"context"
	"database/sql"
	"errors"
)

// FirstHealthy tries replicas in turn; after the defer every path returns, so
// at most one transaction is ever held.
func FirstHealthy(ctx context.Context, replicas []*sql.DB) (string, error) {
	for _, db := range replicas {
		tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			continue
		}
		defer tx.Rollback()
		var name string
		if err := tx.QueryRowContext(ctx, "SELECT current_database()").Scan(&name); err != nil {
			return "", err
		}
		return name, nil
	}
	return "", errors.New("no healthy replica")
}
