package registry

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// deadlockAttempts is how many times in all a transaction chosen as a
// deadlock's victim runs.
const deadlockAttempts = 6

// deadlockPause spreads the attempts: after its n-th attempt a victim waits
// a random time up to n × deadlockPause before the next, so that the
// transactions that met in a cycle do not all start again at once and meet
// again (three sales' reports on Citus were cancelled three times running
// when they ran again at once). At most 300 ms in all.
const deadlockPause = 20 * time.Millisecond

// inTxRetry is inTx for transactions whose function may simply run again:
// it assigns its results rather than accumulating them. A deadlock's victim
// is rolled back whole, so it is retried. On one PostgreSQL the sales'
// transactions lock in one order and do not deadlock; on Citus a parcel row
// (a reference table) is locked on every node's copy, and two sales created
// or announced at once can meet in a cycle across nodes, which Citus's
// detector breaks by cancelling one of them.
func (s *Store) inTxRetry(ctx context.Context, fn func(pgx.Tx) error) error {
	return s.retryTx(ctx, pgx.TxOptions{}, fn)
}

// retryTx is inTxRetry with transaction options. Compliance reports are
// written to a reference table on Citus: two reports written at once can
// meet in the same kind of cycle.
func (s *Store) retryTx(ctx context.Context, opts pgx.TxOptions, fn func(pgx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := pgx.BeginTxFunc(ctx, s.pool, opts, fn)
		var pe *pgconn.PgError
		if attempt < deadlockAttempts && errors.As(err, &pe) && pe.Code == "40P01" {
			select {
			case <-ctx.Done():
			case <-time.After(rand.N(time.Duration(attempt) * deadlockPause)):
				continue
			}
		}
		return mapErr(err)
	}
}
