package telemetry

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

type Exporter struct {
	pool *pgxpool.Pool
}

// Export is a background job: every batch gets its own deadline, but the
// deferred cancels and connection releases wait until the job ends.
func (e *Exporter) Export(parent context.Context, batches [][]int64) error {
	for i, batch := range batches {
		ctx, cancel := context.WithTimeout(parent, 30*time.Second)
		defer cancel() // want "defer-in-loop: `defer cancel\(\)` inside a loop holds every iteration's context"
		conn, err := e.pool.Acquire(ctx)
		if err != nil {
			return fmt.Errorf("batch %d: %w", i, err)
		}
		defer conn.Release() // want "defer-in-loop: `defer conn.Release\(\)` .*connection"
		if len(batch) == 0 {
			continue
		}
		if _, err := conn.Exec(ctx, "SELECT export_batch($1)", batch); err != nil {
			return fmt.Errorf("batch %d: %w", i, err)
		}
		log.Printf("exported batch %d", i)
	}
	return nil
}

// Scan reads pgx rows per device with a deferred closure that logs the close.
func (e *Exporter) Scan(ctx context.Context, devices []string) int {
	seen := 0
	for _, device := range devices {
		rows, err := e.pool.Query(ctx, "SELECT ts FROM samples WHERE device = $1", device)
		if err != nil {
			log.Printf("samples of %s: %v", device, err)
			continue
		}
		defer func() { // want "defer-in-loop: `defer func\(\) \{ ... \}\(\)` .*rows"
			rows.Close()
			log.Printf("closed samples of %s", device)
		}()
		for rows.Next() {
			seen++
		}
	}
	return seen
}
