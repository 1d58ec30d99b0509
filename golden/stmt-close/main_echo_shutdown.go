package main

import (
	"context"
	"database/sql"
	"errors"
	"log"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/labstack/echo/v4"
	_ "github.com/lib/pq"
)

type User struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

var (
	db         *sql.DB
	userStmt   *sql.Stmt // want "stmt-close: package-level statement userStmt is never closed: close it on shutdown"
	renameStmt *sql.Stmt // want "stmt-close: package-level statement renameStmt is never closed"
)

func init() {
	var err error
	db, err = sql.Open("postgres", os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatalf("open database: %v", err)
	}
	userStmt, err = db.Prepare("SELECT id, name FROM users WHERE id = $1")
	if err != nil {
		log.Fatalf("failed to prepare statement: %v", err)
	}
	renameStmt, err = db.Prepare("UPDATE users SET name = $1 WHERE id = $2")
	if err != nil {
		log.Fatalf("failed to prepare statement: %v", err)
	}
}

func getUserByIDHandler(c echo.Context) error {
	ctx := c.Request().Context()
	var u User
	err := userStmt.QueryRowContext(ctx, c.Param("id")).Scan(&u.ID, &u.Name)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, "user not found")
	}
	return c.JSON(http.StatusOK, u)
}

func renameHandler(c echo.Context) error {
	if _, err := renameStmt.ExecContext(c.Request().Context(), c.FormValue("name"), c.Param("id")); err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
	}
	return c.NoContent(http.StatusNoContent)
}

func main() {
	e := echo.New()
	e.GET("/users/:id", getUserByIDHandler)
	e.PUT("/users/:id/name", renameHandler)

	go func() {
		if err := e.Start(":8080"); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Printf("server: %v", err)
		}
	}()

	quit := make(chan os.Signal, 1)
	signal.Notify(quit, os.Interrupt)
	<-quit

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.Shutdown(ctx); err != nil {
		log.Printf("shutdown: %v", err)
	}
	if err := db.Close(); err != nil {
		log.Printf("close database: %v", err)
	}
}
