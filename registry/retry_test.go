package registry

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"minerights/internal/pgtest"
)

// TestRetryTxRunsADeadlockVictimAgain: a transaction the database cancels
// as a deadlock's victim (40P01, raised here by the database itself) runs
// again, up to deadlockAttempts times in all, and only then is the error
// returned; any other error is returned at once.
func TestRetryTxRunsADeadlockVictimAgain(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t, "empty", func(context.Context, string) error { return nil })
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s := New(pool)
	// fails returns a transaction whose first n runs fail with code.
	fails := func(n int, code string, runs *int) func(pgx.Tx) error {
		return func(tx pgx.Tx) error {
			*runs++
			if *runs > n {
				_, err := tx.Exec(ctx, `SELECT 1`)
				return err
			}
			_, err := tx.Exec(ctx, `DO $$ BEGIN RAISE EXCEPTION 'victim' USING ERRCODE = '`+code+`'; END $$`)
			return err
		}
	}
	// Three sales' reports on Citus were cancelled three times running
	// (TestFailedSales under load): five times running still ends in a
	// report.
	const victims = 5
	var runs int
	if err := s.inTxRetry(ctx, fails(victims, "40P01", &runs)); err != nil || runs != victims+1 {
		t.Errorf("a victim %d times running: %v after %d runs, want success after %d", victims, err, runs, victims+1)
	}
	runs = 0
	err = s.inTxRetry(ctx, fails(deadlockAttempts, "40P01", &runs))
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "40P01" || runs != deadlockAttempts {
		t.Errorf("a victim every time: %v after %d runs, want 40P01 after %d", err, runs, deadlockAttempts)
	}
	runs = 0
	err = s.inTxRetry(ctx, fails(1, "22012", &runs))
	if !errors.As(err, &pe) || pe.Code != "22012" || runs != 1 {
		t.Errorf("another error: %v after %d runs, want 22012 after 1", err, runs)
	}
}
