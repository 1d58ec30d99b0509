package metrics

import (
	"net/http"
	"sync"
)

var (
	mu     sync.Mutex
	byPath map[string]int // want "unbounded-cache: package-level map byPath grows with every request"
)

// init makes the map: that is not a reset.
func init() {
	byPath = make(map[string]int)
}

// count keys the map by the raw URL path: every distinct path (including scanners'
// random ones) adds an entry.
func count(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		byPath[r.URL.Path] = byPath[r.URL.Path] + 1
		mu.Unlock()
		next.ServeHTTP(w, r)
	})
}
