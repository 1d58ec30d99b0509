package orders

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"time"
)

type Handler struct {
	db *sql.DB
}

// Count answers GET /orders/count. The cancel function of the per-request
// timeout is thrown away, so every request leaves a live timer behind.
func (h *Handler) Count(w http.ResponseWriter, r *http.Request) {
	ctx, _ := context.WithTimeout(r.Context(), 2*time.Second) // want "cancel-not-called: the cancel function of context.WithTimeout is discarded"
	var n int
	if err := h.db.QueryRowContext(ctx, "SELECT count(*) FROM orders").Scan(&n); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]int{"count": n})
}

// Latest reads the newest order id; `cancel` is already a name of this
// function, so the new cancel function needs another one.
func (h *Handler) Latest(w http.ResponseWriter, r *http.Request) {
	cancel := r.URL.Query().Get("cancel") == "1"
	ctx, _ := context.WithDeadline(r.Context(), time.Now().Add(time.Second)) // want "cancel-not-called: .*discarded"
	var id int64
	err := h.db.QueryRowContext(ctx, "SELECT max(id) FROM orders").Scan(&id)
	if err != nil || cancel {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]int64{"id": id})
}
