// Package pgtest gives tests a real PostgreSQL+PostGIS: one throwaway cluster
// per test binary, started in a temporary directory, and a fresh database per
// test cloned from a template that is migrated once.
//
// Set MINERIGHTS_TEST_PG_URL to a superuser URL of a running server to use it
// instead of starting a cluster. Set MINERIGHTS_TEST_CITUS=1 to run the tests
// on a Citus cluster instead (a coordinator and two workers, see citus.go).
package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"minerights/internal/pgcluster"
)

// harness is per test binary: TestMain owns its lifetime, and tests share it.
var (
	mu        sync.Mutex
	adminURL  string
	cluster   *pgcluster.Cluster
	templates = map[string]string{}
	counter   atomic.Int64
)

// Main starts the cluster (unless MINERIGHTS_TEST_PG_URL is set), runs the
// tests and removes the cluster. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
func Main(m *testing.M) int {
	if os.Getenv("MINERIGHTS_TEST_CITUS") == "1" {
		return citusMain(m)
	}
	if u := os.Getenv("MINERIGHTS_TEST_PG_URL"); u != "" {
		adminURL = u
		code := m.Run()
		for _, name := range templates {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			if err := exec(ctx, u, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", pgx.Identifier{name}.Sanitize())); err != nil {
				fmt.Fprintln(os.Stderr, "pgtest:", err)
			}
			cancel()
		}
		return code
	}
	dir, err := os.MkdirTemp("", "mrpg")
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return 1
	}
	c, err := pgcluster.New(dir, 5432)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		err = c.Start(ctx, false)
		cancel()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		os.RemoveAll(dir)
		return 1
	}
	cluster = c
	adminURL = c.URL("postgres")
	code := m.Run()
	if err := c.Remove(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
	}
	return code
}

// Cluster returns the cluster started by Main, or nil when an external server
// is used. Fault tests use it to stop and restart the server.
func Cluster() *pgcluster.Cluster { return cluster }

// AdminURL is the superuser URL of the test server's postgres database.
func AdminURL(tb testing.TB) string {
	tb.Helper()
	if adminURL == "" {
		tb.Fatal("pgtest: no server; call pgtest.Main from TestMain")
	}
	return adminURL
}

// withDB returns u with its database name replaced.
func withDB(u, db string) string {
	p, err := url.Parse(u)
	if err != nil {
		panic(err)
	}
	p.Path = "/" + db
	return p.String()
}

func exec(ctx context.Context, u, sql string) error {
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// Setup prepares a template database (for example, runs the migrations); key
// names it so that tests of one binary share it.
type Setup func(ctx context.Context, url string) error

// NewDatabase returns the URL of a fresh database cloned from the template
// that setup prepared. The database is dropped when the test ends.
func NewDatabase(tb testing.TB, key string, setup Setup) string {
	tb.Helper()
	if citus != nil {
		return newCitusDatabase(tb, setup)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin := AdminURL(tb)
	tmpl, err := template(ctx, admin, key, setup)
	if err != nil {
		tb.Fatalf("pgtest: template %s: %v", key, err)
	}
	name := fmt.Sprintf("t_%d_%d", os.Getpid(), counter.Add(1))
	if err := exec(ctx, admin, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", pgx.Identifier{name}.Sanitize(), pgx.Identifier{tmpl}.Sanitize())); err != nil {
		tb.Fatalf("pgtest: create database: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := exec(ctx, admin, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", pgx.Identifier{name}.Sanitize())); err != nil {
			tb.Logf("pgtest: drop %s: %v", name, err)
		}
	})
	return withDB(admin, name)
}

func template(ctx context.Context, admin, key string, setup Setup) (string, error) {
	mu.Lock()
	defer mu.Unlock()
	if name, ok := templates[key]; ok {
		return name, nil
	}
	name := fmt.Sprintf("tmpl_%s_%d", key, os.Getpid())
	if err := exec(ctx, admin, fmt.Sprintf("CREATE DATABASE %s", pgx.Identifier{name}.Sanitize())); err != nil {
		return "", err
	}
	if setup != nil {
		if err := setup(ctx, withDB(admin, name)); err != nil {
			return "", err
		}
	}
	templates[key] = name
	return name, nil
}
