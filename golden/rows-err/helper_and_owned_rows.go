package billing

import (
	"context"
	"database/sql"
	"log"
)

type Invoice struct {
	ID    int64
	Cents int64
}

type Repo struct {
	db *sql.DB
}

// openInvoices hands its rows to the caller.
func (r *Repo) openInvoices(ctx context.Context) (*sql.Rows, error) {
	return r.db.QueryContext(ctx, "SELECT id, cents FROM invoices WHERE paid = false")
}

// finish closes the rows and checks their error for its callers.
func finish(rows *sql.Rows) {
	if err := rows.Err(); err != nil {
		log.Printf("reading invoices: %v", err)
	}
	_ = rows.Close()
}

// Total iterates rows returned by a function of the package and never checks Err.
func (r *Repo) Total(ctx context.Context) (int64, error) {
	rows, err := r.openInvoices(ctx)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var total int64
	for rows.Next() { // want "rows-err: rows.Err\(\) is never checked after iterating rows"
		var inv Invoice
		if err := rows.Scan(&inv.ID, &inv.Cents); err != nil {
			return 0, err
		}
		total += inv.Cents
	}
	return total, nil
}

// Count leaves the Err check (and the close) to a deferred helper of the package.
func (r *Repo) Count(ctx context.Context) (int, error) {
	rows, err := r.openInvoices(ctx)
	if err != nil {
		return 0, err
	}
	defer finish(rows)
	n := 0
	for rows.Next() {
		n++
	}
	return n, nil
}
