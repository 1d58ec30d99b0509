package ledger

import (
	stdctx "context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

type Ledger struct {
	pool *pgxpool.Pool
}

// Balance shortens the caller's deadline; `ctx, _ =` reuses the parameter.
func (l *Ledger) Balance(ctx stdctx.Context, account int64) (int64, error) {
	ctx, _ = stdctx.WithTimeout(ctx, 500*time.Millisecond) // want "cancel-not-called: the cancel function of context.WithTimeout is discarded"
	var cents int64
	err := l.pool.QueryRow(ctx, "SELECT balance FROM accounts WHERE id = $1", account).Scan(&cents)
	return cents, err
}

// Touch works under a cancellable context, with a Cause.
func (l *Ledger) Touch(ctx stdctx.Context, account int64) error {
	ctx, _ = stdctx.WithCancelCause(ctx) // want "cancel-not-called: .*WithCancelCause is discarded"
	_, err := l.pool.Exec(ctx, "UPDATE accounts SET touched_at = now() WHERE id = $1", account)
	return err
}
