package server

import (
	"context"
	"database/sql"
	"time"
)

type Server struct {
	db     *sql.DB
	stop   context.CancelFunc
	cancel func()
}

// WithBudget returns the cancel function: the caller owns it.
func WithBudget(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(parent, 5*time.Second)
	return ctx, cancel
}

// Start stores the cancel function for Stop.
func (s *Server) Start(parent context.Context) context.Context {
	ctx, cancel := context.WithCancel(parent)
	s.stop = cancel
	return ctx
}

// Run stores it straight into a field.
func (s *Server) Run(parent context.Context) context.Context {
	var ctx context.Context
	ctx, s.cancel = context.WithCancel(parent)
	return ctx
}

// Watch lets a goroutine cancel when the channel closes.
func (s *Server) Watch(parent context.Context, done <-chan struct{}) context.Context {
	ctx, cancel := context.WithCancel(parent)
	go func() {
		<-done
		cancel()
	}()
	return ctx
}

// Expire hands the cancel function to a timer.
func (s *Server) Expire(parent context.Context) context.Context {
	ctx, cancel := context.WithCancel(parent)
	time.AfterFunc(time.Minute, cancel)
	return ctx
}

// Stream sends it to whoever reads the channel.
func (s *Server) Stream(parent context.Context, out chan<- context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	out <- cancel
	_ = s.db.PingContext(ctx)
}
