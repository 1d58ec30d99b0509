package users

import (
	"database/sql"
	"encoding/json"
	"log"
	"net/http"
)

type Server struct {
	db *sql.DB
}

func (s *Server) handleNames(w http.ResponseWriter, r *http.Request) {
	rows, err := s.db.QueryContext(r.Context(), "SELECT name FROM users ORDER BY name")
	if err != nil {
		log.Printf("names: %v", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	defer rows.Close()
	names := []string{}
	for rows.Next() { // want "rows-err"
		var n string
		if err := rows.Scan(&n); err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		names = append(names, n)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(names)
}
