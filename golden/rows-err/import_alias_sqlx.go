package tenants

import (
	"context"
	dbsql "database/sql"
	"fmt"

	sqlxlib "github.com/jmoiron/sqlx"
)

type Tenant struct {
	ID   string `db:"id"`
	Plan string `db:"plan"`
}

func onPlan(ctx context.Context, db *dbsql.DB, plan string) ([]Tenant, error) {
	rows, err := db.QueryContext(ctx, "SELECT id, plan FROM tenants WHERE plan = $1", plan)
	if err != nil {
		return nil, fmt.Errorf("tenants on %s: %w", plan, err)
	}
	defer rows.Close()
	var out []Tenant
	for rows.Next() { // want "rows-err"
		var t Tenant
		if err := rows.Scan(&t.ID, &t.Plan); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func named(db *sqlxlib.DB, filter map[string]interface{}) ([]Tenant, error) {
	rows, err := db.NamedQuery("SELECT id, plan FROM tenants WHERE plan = :plan", filter)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Tenant
	for rows.Next() { // want "rows-err"
		var t Tenant
		if err := rows.StructScan(&t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}
