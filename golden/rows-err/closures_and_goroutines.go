package metrics

import (
	"context"
	"database/sql"
	"log"
	"sync"
)

// refresh counts rows per table in goroutines; each one logs its errors.
func refresh(ctx context.Context, db *sql.DB, tables []string) map[string]int {
	var (
		mu     sync.Mutex
		wg     sync.WaitGroup
		counts = make(map[string]int)
	)
	for _, table := range tables {
		wg.Add(1)
		go func(table string) {
			defer wg.Done()
			rows, err := db.QueryContext(ctx, "SELECT 1 FROM "+table)
			if err != nil {
				log.Printf("count %s: %v", table, err)
				return
			}
			defer rows.Close()
			n := 0
			for rows.Next() { // want "rows-err"
				n++
			}
			mu.Lock()
			counts[table] = n
			mu.Unlock()
		}(table)
	}
	wg.Wait()
	return counts
}

// lister returns a closure that queries on every call.
func lister(db *sql.DB) func(ctx context.Context) ([]string, error) {
	return func(ctx context.Context) ([]string, error) {
		rows, err := db.QueryContext(ctx, "SELECT email FROM subscribers")
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var emails []string
		for rows.Next() { // want "rows-err"
			var e string
			if err := rows.Scan(&e); err != nil {
				return nil, err
			}
			emails = append(emails, e)
		}
		return emails, nil
	}
}

// dump has no error result but a pattern to copy: log and return.
func dump(db *sql.DB) {
	rows, err := db.Query("SELECT actor, action FROM audit_log ORDER BY at DESC LIMIT 20")
	if err != nil {
		log.Printf("audit: %v", err)
		return
	}
	defer rows.Close()
	for rows.Next() { // want "rows-err"
		var actor, action string
		if err := rows.Scan(&actor, &action); err != nil {
			log.Printf("audit: %v", err)
			return
		}
		log.Printf("%s did %s", actor, action)
	}
}
