package registry

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// replica is a read-only pool on a streaming replica and whether it may be
// read from now. It is bypassed when it lags more than maxLag behind the
// primary or does not answer, so a dead or slow replica costs a fallback to
// the primary, never an error.
type replica struct {
	pool    *pgxpool.Pool
	maxLag  time.Duration
	healthy atomic.Bool
	lag     atomic.Int64 // nanoseconds, last measured
}

// WithReplica returns a Store that sends public reads (parcels, map
// features, tiles) to read, a pool on a streaming replica, while it is no
// more than maxLag behind; writes, bids and everything a transaction must
// see consistently stay on the primary. Call MonitorReplica to keep the
// replica's health current.
func (s *Store) WithReplica(read *pgxpool.Pool, maxLag time.Duration) *Store {
	c := *s
	c.replica = &replica{pool: read, maxLag: maxLag}
	return &c
}

// reader is the pool public reads use: the replica while it is healthy,
// else the primary pool for ctx (see db).
func (s *Store) reader(ctx context.Context) *pgxpool.Pool {
	if r := s.replica; r != nil && r.healthy.Load() {
		return r.pool
	}
	return s.db(ctx)
}

// CheckReplica measures the replica's lag once and marks it healthy or not.
// Lag is the age of the last replayed transaction when WAL is still
// arriving, and zero when the replica has replayed everything it received
// (an idle primary makes no new transactions to age).
func (s *Store) CheckReplica(ctx context.Context) (lag time.Duration, healthy bool) {
	r := s.replica
	if r == nil {
		return 0, false
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	var inRecovery bool
	var secs float64
	err := r.pool.QueryRow(ctx, `SELECT pg_is_in_recovery(),
		CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
		     ELSE COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()), 0) END`).Scan(&inRecovery, &secs)
	lag = time.Duration(secs * float64(time.Second))
	healthy = err == nil && inRecovery && lag <= r.maxLag
	r.lag.Store(int64(lag))
	r.healthy.Store(healthy)
	return lag, healthy
}

// MonitorReplica checks the replica every interval until ctx ends.
func (s *Store) MonitorReplica(ctx context.Context, interval time.Duration) {
	if s.replica == nil {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.CheckReplica(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ReadsFromReplica reports whether public reads currently go to the replica.
func (s *Store) ReadsFromReplica() bool {
	r := s.replica
	return r != nil && r.healthy.Load()
}
