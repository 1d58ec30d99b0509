package main

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// schema creates the tables when they are missing. It is plain SQL that PostgreSQL and
// CockroachDB both accept, so the service starts on an empty database.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS users (
		id     BIGSERIAL PRIMARY KEY,
		name   TEXT NOT NULL,
		status TEXT NOT NULL DEFAULT 'active',
		role   TEXT NOT NULL DEFAULT 'member'
	)`,
	`CREATE TABLE IF NOT EXISTS orders (
		id          BIGSERIAL PRIMARY KEY,
		user_id     BIGINT NOT NULL REFERENCES users (id),
		total_cents BIGINT NOT NULL,
		created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
	)`,
	`CREATE TABLE IF NOT EXISTS usernames (
		name        TEXT PRIMARY KEY,
		reserved_at TIMESTAMPTZ NOT NULL DEFAULT now()
	)`,
}

// seed fills a fresh database: 50 users (every fifth inactive, the first three admins),
// 200 orders, and the reserved username "admin".
var seed = []string{
	`INSERT INTO users (name, status, role)
	SELECT 'user-' || g::TEXT,
		CASE WHEN g % 5 = 0 THEN 'inactive' ELSE 'active' END,
		CASE WHEN g <= 3 THEN 'admin' ELSE 'member' END
	FROM generate_series(1, 50) AS g`,
	`INSERT INTO orders (user_id, total_cents, created_at)
	SELECT u.id, g * 125, now() - g * INTERVAL '1 hour'
	FROM generate_series(1, 200) AS g
	JOIN users AS u ON u.name = 'user-' || (g % 50 + 1)::TEXT`,
	`INSERT INTO usernames (name) VALUES ('admin') ON CONFLICT (name) DO NOTHING`,
}

// ensureSchema creates the tables and, when the users table is empty, the seed data.
func ensureSchema() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	for _, stmt := range schema {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", firstLine(stmt), err)
		}
	}

	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	var users int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM users").Scan(&users); err != nil {
		return fmt.Errorf("count users: %w", err)
	}
	if users > 0 {
		return nil
	}
	for _, stmt := range seed {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", firstLine(stmt), err)
		}
	}
	return tx.Commit()
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
