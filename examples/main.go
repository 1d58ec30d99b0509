// Command usersvc is a small Echo v4 service that serves users and their
// orders from CockroachDB (or PostgreSQL) through database/sql and the pgx
// stdlib driver.
package main

import (
	"context"
	"database/sql"
	"errors"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

var db *sql.DB

var store *Store

var (
	userStmt  *sql.Stmt
	orderStmt *sql.Stmt
)

func prepareStatements() {
	var err error
	userStmt, err = db.Prepare("SELECT id, name FROM users WHERE id = $1")
	if err != nil {
		log.Fatalf("prepare user statement: %v", err)
	}
	orderStmt, err = db.Prepare(
		"SELECT id, total_cents, created_at FROM orders WHERE user_id = $1 ORDER BY created_at DESC LIMIT 1")
	if err != nil {
		log.Fatalf("prepare order statement: %v", err)
	}
}

func main() {
	var err error
	db, err = sql.Open("pgx", os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatalf("open database: %v", err)
	}
	defer db.Close()
	maxOpen := envInt("DB_MAX_OPEN_CONNS", 10)
	db.SetMaxOpenConns(maxOpen)
	db.SetMaxIdleConns(maxOpen)

	if err := ensureSchema(); err != nil {
		log.Fatalf("create schema: %v", err)
	}
	prepareStatements()
	store = NewStore(db)

	e := echo.New()
	e.HideBanner = true
	e.Use(middleware.Logger())
	e.Use(middleware.Recover())
	registerRoutes(e)
	registerLeakRoutes(e)
	registerDebugRoutes(e)

	addr := os.Getenv("LISTEN_ADDR")
	if addr == "" {
		addr = ":8080"
	}

	go func() {
		if err := e.Start(addr); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.Logger.Fatal("shutting down the server: ", err)
		}
	}()

	quit := make(chan os.Signal, 1)
	signal.Notify(quit, os.Interrupt, syscall.SIGTERM)
	<-quit

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.Shutdown(ctx); err != nil {
		e.Logger.Fatal(err)
	}
}

// envInt reads a positive integer from the environment, or returns def.
func envInt(name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		log.Fatalf("%s must be a positive integer, got %q", name, v)
	}
	return n
}
