package carts

import (
	"net/http"
	"sync"

	"github.com/labstack/echo/v4"
)

var (
	mu    sync.Mutex
	carts = make(map[string][]string)
)

// add grows the map, checkout empties an entry: the map is bounded by open carts.
func add(c echo.Context) error {
	mu.Lock()
	defer mu.Unlock()
	id := c.Param("cart")
	carts[id] = append(carts[id], c.FormValue("item"))
	return c.NoContent(http.StatusNoContent)
}

func checkout(c echo.Context) error {
	mu.Lock()
	defer mu.Unlock()
	items := carts[c.Param("cart")]
	delete(carts, c.Param("cart"))
	return c.JSON(http.StatusOK, items)
}
