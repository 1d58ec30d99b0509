package users

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

type User struct {
	ID   int64  `db:"id"`
	Name string `db:"name"`
}

// Export writes every team's users; the function returns only an error.
func Export(ctx context.Context, db *sqlx.DB, teams []string, emit func(User)) error {
	for _, team := range teams {
		rows, err := db.QueryxContext(ctx, "SELECT id, name FROM users WHERE team = $1", team)
		if err != nil {
			return fmt.Errorf("users of %s: %w", team, err)
		}
		defer rows.Close() // want "defer-in-loop: .*rows"
		for rows.Next() {
			var u User
			if err := rows.StructScan(&u); err != nil {
				return err
			}
			emit(u)
		}
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}
