package users

import (
	"context"
	"database/sql"
	"log"

	"github.com/jmoiron/sqlx"
)

// BeginTx hands the transaction to its caller.
func BeginTx(ctx context.Context, db *sql.DB) (*sql.Tx, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, "SET TRANSACTION PRIORITY HIGH"); err != nil {
		_ = tx.Rollback()
		return nil, err
	}
	return tx, nil
}

// Unit of work: the transaction is stored, and Finish ends it.
type Unit struct {
	tx *sqlx.Tx
}

func NewUnit(db *sqlx.DB) (*Unit, error) {
	tx, err := db.Beginx()
	if err != nil {
		return nil, err
	}
	u := &Unit{}
	u.tx = tx
	return u, nil
}

func (u *Unit) Finish(ok bool) error {
	if !ok {
		return u.tx.Rollback()
	}
	return u.tx.Commit()
}

// Background hands the transaction to a goroutine, which ends it.
func Background(db *sql.DB) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	go func() {
		if _, err := tx.Exec("DELETE FROM sessions WHERE expired"); err != nil {
			log.Print(err)
			_ = tx.Rollback()
			return
		}
		_ = tx.Commit()
	}()
	return nil
}

// Process passes the transaction to code outside the package
// (sql.Tx's owner there ends it).
func Process(ctx context.Context, db *sql.DB, work func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	return finish(tx, work(tx))
}

// finish commits or rolls back: a package function that ends its parameter.
func finish(tx *sql.Tx, err error) error {
	if err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}
