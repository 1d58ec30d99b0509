package proxy

import (
	"context"
	"database/sql"
)

type Config struct {
	Role string
}

// Proxy keeps the connection for its whole life; Close releases it.
type Proxy struct {
	conn *sql.Conn
	cfg  Config
}

func WithConnection(ctx context.Context, conn *sql.Conn, cfg Config) (*Proxy, error) {
	if _, err := conn.ExecContext(ctx, "SET ROLE "+cfg.Role); err != nil {
		return nil, err
	}
	return &Proxy{conn: conn, cfg: cfg}, nil
}

func (p *Proxy) Close() error { return p.conn.Close() }

// Open hands the connection to the proxy it returns: the proxy owns it now.
func Open(ctx context.Context, db *sql.DB, cfg Config) (*Proxy, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	px, err := WithConnection(ctx, conn, cfg)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	return px, nil
}

// Describe only borrows the connection for a helper that reads through it.
func Describe(ctx context.Context, db *sql.DB) (string, error) {
	conn, err := db.Conn(ctx) // want "conn-close: connection is not closed on the return at line 47"
	if err != nil {
		return "", err
	}
	return version(ctx, conn)
}

func version(ctx context.Context, conn *sql.Conn) (string, error) {
	var v string
	err := conn.QueryRowContext(ctx, "SELECT version()").Scan(&v)
	return v, err
}
