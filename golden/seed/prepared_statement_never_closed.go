package main

import (
	"context"
	"database/sql"
	"log"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/labstack/echo/v4"
)

type User struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

var db *sql.DB

// userStmt is prepared once and never closed.
var userStmt *sql.Stmt // want "stmt-close"

func getUserByIDHandler(c echo.Context) error {
	ctx := c.Request().Context()
	var u User
	err := userStmt.QueryRowContext(ctx, c.Param("id")).Scan(&u.ID, &u.Name)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, "user not found")
	}
	return c.JSON(http.StatusOK, u)
}

func main() {
	var err error
	db, err = sql.Open("pgx", os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	userStmt, err = db.PrepareContext(ctx, "SELECT id, name FROM users WHERE id = $1")
	cancel()
	if err != nil {
		log.Fatalf("failed to prepare statement: %v", err)
	}

	e := echo.New()
	e.GET("/users/:id", getUserByIDHandler)
	go func() {
		if err := e.Start(":8080"); err != nil && err != http.ErrServerClosed {
			log.Fatal(err)
		}
	}()

	quit := make(chan os.Signal, 1)
	signal.Notify(quit, os.Interrupt)
	<-quit
	shutdownCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	if err := e.Shutdown(shutdownCtx); err != nil {
		log.Print(err)
	}
}
