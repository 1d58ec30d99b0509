package billing

import (
	"context"
	"database/sql"
	"errors"
)

// Charge retries the transaction; `return tx.Commit()` may return nil, which a
// function literal could not tell from "try again", so no fix is offered.
func Charge(ctx context.Context, db *sql.DB, account int64, cents int64) error {
	for attempt := 0; attempt < 3; attempt++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback() // want "defer-in-loop: .*transaction.*may return a nil error"
		if _, err := tx.ExecContext(ctx, "UPDATE accounts SET cents = cents - $1 WHERE id = $2", cents, account); err != nil {
			continue
		}
		return tx.Commit()
	}
	return errors.New("charge: too many attempts")
}

// FirstOverdrawn stops at the first match with break.
func FirstOverdrawn(ctx context.Context, db *sql.DB, accounts []int64) int64 {
	found := int64(-1)
	for _, account := range accounts {
		rows, err := db.QueryContext(ctx, "SELECT 1 FROM accounts WHERE id = $1 AND cents < 0", account)
		if err != nil {
			continue
		}
		defer rows.Close() // want "defer-in-loop: .*`break` leaves the loop"
		if rows.Next() {
			found = account
			break
		}
	}
	return found
}

// Watch is a worker loop whose return would only leave a function literal.
func Watch(ctx context.Context, db *sql.DB, ids <-chan int64) {
	for {
		select {
		case id := <-ids:
			stmt, err := db.PrepareContext(ctx, "UPDATE accounts SET seen = now() WHERE id = $1")
			if err != nil {
				continue
			}
			defer stmt.Close() // want "defer-in-loop: .*statement.*only leave the function literal"
			_, _ = stmt.ExecContext(ctx, id)
		case <-ctx.Done():
			return
		}
	}
}
