package users

import (
	"database/sql"
	"encoding/json"
	"net/http"
)

type Order struct {
	ID    int64
	Total int64
}

type OrdersHandler struct {
	db *sql.DB
}

func (h *OrdersHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	userID := r.URL.Query().Get("user")
	rows, err := h.db.QueryContext(r.Context(), "SELECT id, total FROM orders WHERE user_id = $1", userID) // want "rows-close"
	if err != nil {
		http.Error(w, "query failed", http.StatusInternalServerError)
		return
	}
	orders := []Order{}
	for rows.Next() {
		var o Order
		if err := rows.Scan(&o.ID, &o.Total); err != nil {
			http.Error(w, "scan failed", http.StatusInternalServerError)
			return
		}
		orders = append(orders, o)
	}
	if err := rows.Err(); err != nil {
		http.Error(w, "read failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(orders)
}
