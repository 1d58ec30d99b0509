package search

import (
	"net/http"
	"sync"

	"github.com/labstack/echo/v4"
)

var (
	mu             sync.Mutex
	recentSearches []string // want "unbounded-cache: package-level slice recentSearches grows with every request .*searchHandler.*golang-lru"
)

// searchHandler remembers every query it is asked, forever.
func searchHandler(c echo.Context) error {
	q := c.QueryParam("q")
	mu.Lock()
	recentSearches = append(recentSearches, q)
	mu.Unlock()
	return c.JSON(http.StatusOK, map[string]string{"q": q})
}

// recent reads the list: reading does not bound it.
func recent(c echo.Context) error {
	mu.Lock()
	defer mu.Unlock()
	out := make([]string, 0, 10)
	for i := range recentSearches {
		if i == 10 {
			break
		}
		out = append(out, recentSearches[i])
	}
	return c.JSON(http.StatusOK, out)
}
