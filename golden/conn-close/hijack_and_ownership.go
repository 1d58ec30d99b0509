package pool

import (
	"context"
	"database/sql"
	"log"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Dedicated takes a connection out of the pool for good: after Hijack the
// caller owns the *pgx.Conn and closes it.
func Dedicated(ctx context.Context, pool *pgxpool.Pool) (*pgx.Conn, error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	return conn.Hijack(), nil
}

// Session returns the connection: the caller closes it.
func Session(ctx context.Context, db *sql.DB) (*sql.Conn, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "SET application_name = 'worker'"); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return conn, nil
}

// Listener stores the connection in a struct that releases it on Stop.
type Listener struct {
	conn *pgxpool.Conn
}

func Listen(ctx context.Context, pool *pgxpool.Pool, channel string) (*Listener, error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		conn.Release()
		return nil, err
	}
	l := &Listener{}
	l.conn = conn
	return l, nil
}

func (l *Listener) Stop() { l.conn.Release() }

// Watch hands the connection to a goroutine that releases it.
func Watch(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	go func() {
		defer conn.Release()
		for {
			n, err := conn.Conn().WaitForNotification(ctx)
			if err != nil {
				log.Print(err)
				return
			}
			log.Print(n.Payload)
		}
	}()
	return nil
}
