package main

import (
	"database/sql"
	"encoding/json"
	"log"
	"net/http"
	"os"

	_ "github.com/lib/pq"
)

var (
	listStmt  *sql.Stmt // want "stmt-close: package-level statement listStmt is never closed: close it on shutdown$"
	countStmt *sql.Stmt // want "stmt-close: package-level statement countStmt is never closed: close it on shutdown$"
)

// prepare readies the statements the handlers share.
func prepare(db *sql.DB) error {
	var err error
	if listStmt, err = db.Prepare("SELECT id, name FROM products ORDER BY name"); err != nil {
		return err
	}
	countStmt, err = db.Prepare("SELECT count(*) FROM products")
	return err
}

func count(w http.ResponseWriter, r *http.Request) {
	var n int
	if err := countStmt.QueryRowContext(r.Context()).Scan(&n); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	_ = json.NewEncoder(w).Encode(n)
}

func list(w http.ResponseWriter, r *http.Request) {
	rows, err := listStmt.QueryContext(r.Context())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer rows.Close()
	names := map[int64]string{}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		names[id] = name
	}
	if err := rows.Err(); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	_ = json.NewEncoder(w).Encode(names)
}

func main() {
	db, err := sql.Open("postgres", os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Printf("open database: %v", err)
		return
	}
	defer db.Close()
	if err := prepare(db); err != nil {
		log.Printf("prepare statements: %v", err)
		return
	}

	http.HandleFunc("/products", list)
	http.HandleFunc("/products/count", count)
	if err := http.ListenAndServe(":8080", nil); err != nil {
		log.Printf("serve: %v", err)
	}
}
