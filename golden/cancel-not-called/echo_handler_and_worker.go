package api

import (
	stdctx "context"
	"database/sql"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

type API struct {
	db *sql.DB
}

// Health bounds the ping with a deadline under an aliased context import.
func (a *API) Health(c echo.Context) error {
	ctx, cancel := stdctx.WithTimeout(c.Request().Context(), time.Second)
	defer cancel()
	if err := a.db.PingContext(ctx); err != nil {
		return c.NoContent(http.StatusServiceUnavailable)
	}
	return c.NoContent(http.StatusOK)
}

// Worker runs until its parent is done; each round cancels before it waits.
func (a *API) Worker(parent stdctx.Context, every time.Duration) {
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		ctx, cancel := stdctx.WithTimeout(parent, every)
		_, err := a.db.ExecContext(ctx, "DELETE FROM sessions WHERE expires_at < now()")
		cancel()
		if err != nil {
			continue
		}
		select {
		case <-parent.Done():
			return
		case <-ticker.C:
		}
	}
}

// Serve hands the cancel function to the server's shutdown hook.
func (a *API) Serve(e *echo.Echo) stdctx.Context {
	ctx, cancel := stdctx.WithCancel(stdctx.Background())
	e.Server.RegisterOnShutdown(cancel)
	return ctx
}
