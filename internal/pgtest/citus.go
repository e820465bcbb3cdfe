package pgtest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"minerights/internal/pgcluster"
)

// citus is the cluster of a test binary run with MINERIGHTS_TEST_CITUS=1.
var citus *pgcluster.Citus

// Citus returns the Citus cluster the tests run on, or nil when they run on
// a plain PostgreSQL.
func Citus() *pgcluster.Citus { return citus }

// citusShards is the shard count of the test clusters: enough for every
// worker to hold several shards of each distributed table, few enough that
// distributing a fresh database per test stays quick.
const citusShards = 4

func citusMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "mrcitus")
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return 1
	}
	cz, err := pgcluster.NewCitus(dir, 2, citusShards)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		err = cz.Start(ctx, false)
		cancel()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest: citus:", err)
		if cz != nil {
			_ = cz.Remove(context.Background())
		}
		os.RemoveAll(dir)
		return 1
	}
	citus = cz
	adminURL = cz.URL("postgres")
	code := m.Run()
	if err := cz.Remove(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
	}
	return code
}

// newCitusDatabase makes a fresh database on every node and runs setup on
// it. Citus keeps shards on the workers under the database's name, so a
// database cannot be cloned from a template: each test's is set up anew.
func newCitusDatabase(tb testing.TB, setup Setup) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	name := fmt.Sprintf("t_%d_%d", os.Getpid(), counter.Add(1))
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := citus.DropDatabase(ctx, name); err != nil {
			tb.Logf("pgtest: drop %s: %v", name, err)
		}
	})
	if err := citus.CreateDatabase(ctx, name); err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	url := citus.URL(name)
	if setup != nil {
		if err := setup(ctx, url); err != nil {
			tb.Fatalf("pgtest: set up %s: %v", name, err)
		}
	}
	return url
}
