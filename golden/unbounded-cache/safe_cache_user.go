package users

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/labstack/echo/v4"
)

type User struct {
	ID   int
	Name string
}

var (
	mu        sync.Mutex
	userCache = make(map[int]User)
)

// safeCacheUser is the seed's bounded cache: a length check and a reset.
func safeCacheUser(u User) {
	mu.Lock()
	defer mu.Unlock()
	// Keep cache bounded; in production, use an LRU library
	if len(userCache) > 1000 {
		// simple eviction: clear as a placeholder for real logic
		userCache = make(map[int]User)
	}
	userCache[u.ID] = u // stores a copy, not a reference to rows
}

func createUser(c echo.Context) error {
	id, err := strconv.Atoi(c.FormValue("id"))
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, err.Error())
	}
	u := User{ID: id, Name: c.FormValue("name")}
	safeCacheUser(u)
	return c.JSON(http.StatusCreated, u)
}
