package openapi

import (
	"sync"
	"sync/atomic"
)

// Lifecycle tells handlers that the process is shutting down: /readyz fails
// from then on so that load balancers stop sending new requests, and
// long-lived streams (Server-Sent Events) end so that the server can finish
// draining the requests in flight.
type Lifecycle struct {
	draining atomic.Bool
	once     sync.Once
	done     chan struct{}
}

// NewLifecycle returns a lifecycle that is not draining.
func NewLifecycle() *Lifecycle { return &Lifecycle{done: make(chan struct{})} }

// Drain marks the process as draining; calling it again does nothing.
func (l *Lifecycle) Drain() {
	l.once.Do(func() {
		l.draining.Store(true)
		close(l.done)
	})
}

// Draining reports whether Drain has been called. A nil Lifecycle never
// drains.
func (l *Lifecycle) Draining() bool { return l != nil && l.draining.Load() }

// Done is closed when draining starts; a nil Lifecycle's never closes.
func (l *Lifecycle) Done() <-chan struct{} {
	if l == nil {
		return nil
	}
	return l.done
}
