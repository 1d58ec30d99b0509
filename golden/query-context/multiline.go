package billing

import (
	"database/sql"
	"net/http"
	"strconv"
)

// Invoices lists the invoices of one customer, newest first.
func Invoices(db *sql.DB) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		customer, err := strconv.ParseInt(r.URL.Query().Get("customer"), 10, 64)
		if err != nil {
			http.Error(w, "bad customer", http.StatusBadRequest)
			return
		}
		const query = `SELECT id, total_cents
		                 FROM invoices
		                WHERE customer_id = $1
		                ORDER BY issued_at DESC`
		rows, err := db.Query(query, // want "query-context: Query without a context: use QueryContext with r.Context\(\)"
			customer,
		)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer rows.Close()
		for rows.Next() {
			var id, total int64
			if err := rows.Scan(&id, &total); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			_, _ = w.Write([]byte(strconv.FormatInt(id, 10) + " " + strconv.FormatInt(total, 10) + "\n"))
		}
		if err := rows.Err(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	}
}

// MarkPaid marks one invoice as paid.
func MarkPaid(db *sql.DB) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		res, err := db.Exec("UPDATE invoices SET paid_at = now() WHERE id = $1 AND paid_at IS NULL", // want "query-context: Exec without a context"
			r.URL.Query().Get("id"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if n, _ := res.RowsAffected(); n == 0 {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}
