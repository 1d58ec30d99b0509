package metrics

import (
	"context"
	"database/sql"
	"log"
	"sync"
)

// Refresh counts rows of several tables concurrently; each goroutine leaks
// its rows when a Scan fails and it gives up before reading them to the end.
func Refresh(ctx context.Context, db *sql.DB, tables []string) map[string]int {
	var (
		mu     sync.Mutex
		wg     sync.WaitGroup
		counts = make(map[string]int)
	)
	for _, table := range tables {
		wg.Add(1)
		go func(table string) {
			defer wg.Done()
			rows, err := db.QueryContext(ctx, "SELECT id FROM "+table) // want "rows-close"
			if err != nil {
				log.Printf("count %s: %v", table, err)
				return
			}
			n := 0
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					log.Printf("count %s: %v", table, err)
					return
				}
				n++
			}
			if err := rows.Err(); err != nil {
				log.Printf("count %s: %v", table, err)
				return
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
		rows, err := db.QueryContext(ctx, "SELECT email FROM subscribers") // want "rows-close"
		if err != nil {
			return nil, err
		}
		var emails []string
		for rows.Next() {
			var e string
			if err := rows.Scan(&e); err != nil {
				return nil, err
			}
			emails = append(emails, e)
		}
		return emails, rows.Err()
	}
}
