package people

import (
	"context"

	"gorm.io/gorm"
)

type Person struct {
	ID   uint
	Name string
	Age  int
}

// Adults iterates gorm's *sql.Rows without closing them.
func Adults(ctx context.Context, db *gorm.DB) ([]Person, error) {
	rows, err := db.WithContext(ctx).Model(&Person{}).Where("age >= ?", 18).Rows() // want "rows-close: rows are not closed on the return at line 25: add `defer rows.Close\(\)`"
	if err != nil {
		return nil, err
	}
	var out []Person
	for rows.Next() {
		var p Person
		if err := db.ScanRows(rows, &p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Names closes the rows of a raw query.
func Names(db *gorm.DB) ([]string, error) {
	rows, err := db.Raw("SELECT name FROM people").Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// Oldest leaves the table rows open.
func Oldest(db *gorm.DB) (string, error) {
	rows, err := db.Table("people").Select("name").Order("age DESC").Limit(1).Rows() // want "rows-close: rows are not closed on the return at line 59"
	if err != nil {
		return "", err
	}
	var name string
	if rows.Next() {
		if err := rows.Scan(&name); err != nil {
			return "", err
		}
	}
	return name, rows.Err()
}
