package main

import (
	"context"
	"database/sql"
	"expvar"
	"net/http"
	"runtime"
	"time"

	"github.com/labstack/echo/v4"
)

// registerDebugRoutes adds GET /debug/vars (expvar: "db" is db.Stats(), "memstats" the
// runtime.MemStats, "goroutines" the goroutine count) and GET /debug/prepared.
func registerDebugRoutes(e *echo.Echo) {
	expvar.Publish("db", expvar.Func(func() any { return db.Stats() }))
	expvar.Publish("goroutines", expvar.Func(func() any { return runtime.NumGoroutine() }))
	e.GET("/debug/vars", echo.WrapHandler(expvar.Handler()))
	e.GET("/debug/prepared", preparedStatements)
}

// PreparedReport counts the server-side prepared statements of the pool's sessions.
type PreparedReport struct {
	Statements      int `json:"statements"`
	SessionsVisited int `json:"sessions_visited"`
	SessionsOpen    int `json:"sessions_open"`
}

// countPrepared leaves out its own statement, which pgx caches on every session it visits.
const countPrepared = `SELECT count(*) FROM pg_prepared_statements
	WHERE statement NOT LIKE '%pg_prepared_statements%'`

// preparedStatements reports how many statements are prepared on the server in the pool's
// idle sessions. pg_prepared_statements only shows the statements of the session that
// reads it, so this checks out every idle connection in turn and reads the view on each.
// Connections in use (or leaked) cannot be visited: sessions_visited < sessions_open.
func preparedStatements(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()

	report := PreparedReport{SessionsOpen: db.Stats().OpenConnections}
	var held []*sql.Conn
	defer func() {
		for _, conn := range held {
			conn.Close()
		}
	}()
	for len(held) < report.SessionsOpen && db.Stats().Idle > 0 {
		conn, err := db.Conn(ctx)
		if err != nil {
			return echo.NewHTTPError(http.StatusServiceUnavailable, err.Error())
		}
		held = append(held, conn)
		var n int
		if err := conn.QueryRowContext(ctx, countPrepared).Scan(&n); err != nil {
			return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
		}
		report.Statements += n
		report.SessionsVisited++
	}
	return c.JSON(http.StatusOK, report)
}
