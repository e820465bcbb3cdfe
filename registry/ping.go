package registry

import "context"

// Ping reports whether the primary database answers, for readiness checks:
// callers above the store see no pool.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }
