package auth

import (
	"net/http"
	"sync"

	"github.com/labstack/echo/v4"
)

// tokens maps an API token to its owner; every login stores one.
var tokens sync.Map // want "unbounded-cache: package-level sync.Map tokens grows with every request \(`tokens.Store\(token, user\)` in store"

type Handler struct{}

func (h *Handler) store(token, user string) {
	tokens.Store(token, user)
}

func (h *Handler) Login(c echo.Context) error {
	token := c.FormValue("token")
	h.store(token, c.FormValue("user"))
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) Check(c echo.Context) error {
	if _, ok := tokens.Load(c.Request().Header.Get("Authorization")); !ok {
		return echo.NewHTTPError(http.StatusUnauthorized)
	}
	return c.NoContent(http.StatusOK)
}
