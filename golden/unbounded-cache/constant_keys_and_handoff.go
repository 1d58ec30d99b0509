package status

import (
	"net/http"
	"sync"
	"time"
)

var (
	mu       sync.Mutex
	lastSeen = map[string]time.Time{}
	visitors = map[string]int{}
)

// ping writes one fixed key: the map never holds more than one entry.
func ping(w http.ResponseWriter, r *http.Request) {
	mu.Lock()
	lastSeen["ping"] = time.Now()
	mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// visit adds per client, but the map is handed to prune, which leakfix does not read
// further: it may bound it.
func visit(w http.ResponseWriter, r *http.Request) {
	mu.Lock()
	visitors[r.RemoteAddr]++
	visitors[r.RemoteAddr+"/last"] = 1
	compact(visitors)
	mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func compact(m map[string]int) {
	for k, v := range m {
		if v > 1000 {
			delete(m, k)
		}
	}
}
