package users

import (
	"context"
	"database/sql"
	"net/http"
	"strconv"
	"sync"

	"github.com/labstack/echo/v4"
)

type User struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// cache memoizes users by id, lazily made, never trimmed.
var cache struct { // want "unbounded-cache: package-level map cache.users grows with every request"
	sync.RWMutex
	users map[int64]User
}

type Server struct {
	db *sql.DB
}

func (s *Server) lookup(ctx context.Context, id int64) (User, error) {
	cache.RLock()
	u, ok := cache.users[id]
	cache.RUnlock()
	if ok {
		return u, nil
	}
	u.ID = id
	if err := s.db.QueryRowContext(ctx, "SELECT name FROM users WHERE id = $1", id).Scan(&u.Name); err != nil {
		return User{}, err
	}
	cache.Lock()
	if cache.users == nil {
		cache.users = make(map[int64]User)
	}
	cache.users[id] = u
	cache.Unlock()
	return u, nil
}

func (s *Server) getUser(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, err.Error())
	}
	u, err := s.lookup(c.Request().Context(), id)
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError, err.Error())
	}
	return c.JSON(http.StatusOK, u)
}

func (s *Server) Register(e *echo.Echo) {
	e.GET("/users/:id", s.getUser)
}
