package main

import (
	"database/sql"
	"log"
	"net/http"
	"os"

	"github.com/labstack/echo/v4"
	_ "github.com/lib/pq"
)

type User struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

var db *sql.DB

var userStmt *sql.Stmt

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
}

func closeResources() {
	if userStmt != nil {
		userStmt.Close()
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

func main() {
	defer closeResources()
	e := echo.New()
	e.GET("/users/:id", getUserByIDHandler)
	if err := e.Start(":8080"); err != nil {
		log.Printf("server stopped: %v", err)
	}
}
