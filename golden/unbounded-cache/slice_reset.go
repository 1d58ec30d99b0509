package audit

import (
	"log"
	"net/http"
	"sync"
	"time"
)

var (
	mu      sync.Mutex
	pending []string
)

// record buffers an audit line per request; flush empties the buffer every second.
func record(w http.ResponseWriter, r *http.Request) {
	mu.Lock()
	pending = append(pending, r.Method+" "+r.URL.Path)
	mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func flush() {
	mu.Lock()
	defer mu.Unlock()
	for _, line := range pending {
		log.Print(line)
	}
	pending = pending[:0]
}

func Run(stop <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			flush()
		case <-stop:
			return
		}
	}
}
