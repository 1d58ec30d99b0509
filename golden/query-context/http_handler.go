package orders

import (
	"database/sql"
	"encoding/json"
	"net/http"
)

type Order struct {
	ID     int64  `json:"id"`
	Status string `json:"status"`
}

type Server struct {
	DB *sql.DB
}

// ServeHTTP lists the open orders.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rows, err := s.DB.Query("SELECT id, status FROM orders WHERE status <> 'closed'") // want "query-context: Query without a context: use QueryContext with r.Context\(\)"
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer rows.Close()

	orders := []Order{}
	for rows.Next() {
		var o Order
		if err := rows.Scan(&o.ID, &o.Status); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		orders = append(orders, o)
	}
	if err := rows.Err(); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(orders)
}

// closeOrder closes an order and logs the change in one transaction.
func closeOrder(db *sql.DB) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		id := req.URL.Query().Get("id")
		tx, err := db.Begin() // want "query-context: Begin without a context: use BeginTx with req.Context\(\)"
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer func() { _ = tx.Rollback() }()

		if _, err := tx.Exec("UPDATE orders SET status = 'closed' WHERE id = $1", id); err != nil { // want "query-context: Exec without a context: use ExecContext with req.Context\(\)"
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if _, err := tx.Exec("INSERT INTO order_log (order_id, event) VALUES ($1, 'closed')", id); err != nil { // want "query-context: Exec without a context"
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if err := tx.Commit(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// Routes registers the order endpoints.
func Routes(mux *http.ServeMux, db *sql.DB) {
	mux.Handle("/orders", &Server{DB: db})
	mux.HandleFunc("/orders/close", closeOrder(db))
}
