package tenants

import (
	"context"
	dbsql "database/sql"
)

type Tenant struct {
	ID   string
	Plan string
}

type Directory struct {
	db *dbsql.DB
}

func (d *Directory) OnPlan(ctx context.Context, plan string) ([]Tenant, error) {
	rows, err := d.db.QueryContext(ctx, "SELECT id, plan FROM tenants WHERE plan = $1", plan) // want "rows-close"
	if err != nil {
		return nil, err
	}
	var out []Tenant
	for rows.Next() {
		var t Tenant
		if err := rows.Scan(&t.ID, &t.Plan); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Query on a transaction from the aliased package.
func countIn(ctx context.Context, tx *dbsql.Tx) (int, error) {
	rows, err := tx.QueryContext(ctx, "SELECT id FROM tenants") // want "rows-close"
	if err != nil {
		return 0, err
	}
	n := 0
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return 0, err
		}
		n++
	}
	return n, rows.Err()
}
