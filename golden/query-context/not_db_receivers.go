package search

import (
	"context"
	"database/sql"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// Client talks to a full-text search service; its methods are not database calls.
type Client struct {
	index map[string][]string
}

// Query returns the documents matching all the terms.
func (c *Client) Query(terms ...string) []string {
	var out []string
	for _, t := range terms {
		out = append(out, c.index[t]...)
	}
	return out
}

// Exec runs an admin command on the search service.
func (c *Client) Exec(command string) error {
	if command == "reindex" {
		c.index = map[string][]string{}
	}
	return nil
}

// Prepare warms the cache of one term.
func (c *Client) Prepare(term string) {
	if c.index == nil {
		c.index = map[string][]string{}
	}
	c.index[term] = append(c.index[term], "")
}

// Searcher answers search requests; it also holds a database handle.
type Searcher struct {
	db     *sql.DB
	client *Client
}

func (s *Searcher) handle(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	terms := strings.Fields(q.Get("q"))
	s.client.Prepare(q.Get("warm"))
	docs := s.client.Query(terms...)
	if err := s.client.Exec(q.Get("admin")); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	_, _ = w.Write([]byte(strings.Join(docs, "\n")))
}

func (s *Searcher) echoHandle(c echo.Context) error {
	query := c.Request().URL.Query()
	docs := s.client.Query(query.Get("q"), c.QueryParam("and"))
	var hits int
	if err := s.db.QueryRowContext(c.Request().Context(), "SELECT count(*) FROM searches WHERE q = $1", query.Get("q")).Scan(&hits); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"docs": docs, "hits": hits})
}

// Reindex uses the search client's Exec with a context in reach: still not a database call.
func (s *Searcher) Reindex(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.client.Exec("reindex")
}
