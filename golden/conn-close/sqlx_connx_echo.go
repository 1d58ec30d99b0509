package reports

import (
	"net/http"

	"github.com/jmoiron/sqlx"
	"github.com/labstack/echo/v4"
)

type Row struct {
	Day   string `db:"day" json:"day"`
	Total int64  `db:"total" json:"total"`
}

type Handler struct {
	DB *sqlx.DB
}

// Daily serves GET /reports/daily on a dedicated sqlx connection that is
// never closed.
func (h *Handler) Daily(c echo.Context) error {
	ctx := c.Request().Context()
	conn, err := h.DB.Connx(ctx) // want "conn-close: connection is not closed on the return at line 28: add `defer conn.Close\(\)`"
	if err != nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, err.Error())
	}
	if _, err := conn.ExecContext(ctx, "SET statement_timeout = '5s'"); err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
	}
	var rows []Row
	if err := conn.SelectContext(ctx, &rows, "SELECT day, total FROM daily_totals ORDER BY day"); err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
	}
	return c.JSON(http.StatusOK, rows)
}
