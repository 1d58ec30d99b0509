// Package deps pins the third-party packages that golden test cases may
// import. Nothing calls into it: the blank imports only keep every package
// in go.mod and its checksums in go.sum, so `go mod tidy` does not drop a
// module that only the (copied-in) golden cases use.
package deps

import (
	_ "github.com/cockroachdb/cockroach-go/v2/crdb"
	_ "github.com/cockroachdb/cockroach-go/v2/crdb/crdbpgxv5"
	_ "github.com/jackc/pgx/v4"
	_ "github.com/jackc/pgx/v4/pgxpool"
	_ "github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/jmoiron/sqlx"
	_ "github.com/labstack/echo/v4"
	_ "github.com/lib/pq"
	_ "gorm.io/gorm"
)
