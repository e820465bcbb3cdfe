package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Citus is a local Citus cluster: a coordinator and workers, each a Cluster
// in its own subdirectory of Dir. Citus nodes talk to each other over TCP, so
// every node also listens on a loopback port (picked free the first time and
// kept in Dir/ports, so a restarted cluster finds its nodes again); clients
// may use the unix socket or the port.
//
// The citus extension must be installed (scripts/citus-build.sh builds the
// vendored source when it is not).
type Citus struct {
	Dir         string
	Coordinator *Cluster
	Workers     []*Cluster
}

// NewCitus describes a coordinator and n workers in dir; nothing is created
// until Start. shards is the default shard count of distributed tables.
func NewCitus(dir string, workers, shards int) (*Citus, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, err
	}
	ports, err := citusPorts(filepath.Join(abs, "ports"), workers+1)
	if err != nil {
		return nil, err
	}
	cz := &Citus{Dir: abs}
	for i, port := range ports {
		name := "coordinator"
		if i > 0 {
			name = fmt.Sprintf("worker%d", i)
		}
		c, err := New(filepath.Join(abs, name), port)
		if err != nil {
			return nil, err
		}
		c.Settings = []string{
			"shared_preload_libraries=citus",
			"listen_addresses=127.0.0.1",
			// Citus commits a transaction that wrote on several nodes
			// with two-phase commit.
			"max_prepared_transactions=200",
			// The local clusters have no TLS; Citus asks for it by default.
			"citus.node_conninfo=sslmode=disable",
			"citus.shard_count=" + strconv.Itoa(shards),
			// Test and bench clusters are short-lived: no telemetry.
			"citus.enable_statistics_collection=off",
		}
		if i == 0 {
			cz.Coordinator = c
		} else {
			cz.Workers = append(cz.Workers, c)
		}
	}
	return cz, nil
}

// citusPorts reads n ports from file or picks n free loopback ports and
// writes them there.
func citusPorts(file string, n int) ([]int, error) {
	if b, err := os.ReadFile(file); err == nil {
		var ports []int
		for _, f := range strings.Fields(string(b)) {
			p, err := strconv.Atoi(f)
			if err != nil {
				return nil, fmt.Errorf("pgcluster: %s: %w", file, err)
			}
			ports = append(ports, p)
		}
		if len(ports) == n {
			return ports, nil
		}
	}
	var ports []string
	var out []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("pgcluster: pick a port: %w", err)
		}
		ls = append(ls, l)
		p := l.Addr().(*net.TCPAddr).Port
		out = append(out, p)
		ports = append(ports, strconv.Itoa(p))
	}
	if err := os.WriteFile(file, []byte(strings.Join(ports, "\n")+"\n"), 0o644); err != nil {
		return nil, err
	}
	return out, nil
}

// Nodes returns the coordinator followed by the workers.
func (cz *Citus) Nodes() []*Cluster { return append([]*Cluster{cz.Coordinator}, cz.Workers...) }

// Start starts every node (creating it the first time).
func (cz *Citus) Start(ctx context.Context, durable bool) error {
	if err := cz.Coordinator.chown(cz.Dir); err != nil {
		return err
	}
	for _, n := range cz.Nodes() {
		if err := n.Start(ctx, durable); err != nil {
			return err
		}
	}
	return nil
}

// Stop stops every node.
func (cz *Citus) Stop(ctx context.Context) error {
	var errs []error
	for _, n := range cz.Nodes() {
		errs = append(errs, n.Stop(ctx))
	}
	return errors.Join(errs...)
}

// Remove stops every node and deletes the directory.
func (cz *Citus) Remove(ctx context.Context) error {
	err := cz.Stop(ctx)
	return errors.Join(err, os.RemoveAll(cz.Dir))
}

// URL is the coordinator's URL of database db, over its unix socket.
func (cz *Citus) URL(db string) string { return cz.Coordinator.URL(db) }

// TCPURL is a node's URL of database db over its loopback port.
func (c *Cluster) TCPURL(db string) string {
	q := url.Values{}
	q.Set("sslmode", "disable")
	return (&url.URL{Scheme: "postgres", User: url.User("postgres"), Host: "127.0.0.1:" + strconv.Itoa(c.Port),
		Path: "/" + db, RawQuery: q.Encode()}).String()
}

// CreateDatabase creates database db on every node with the citus
// extension, and registers the coordinator and the workers in it (Citus
// keeps its node list per database). It is idempotent.
func (cz *Citus) CreateDatabase(ctx context.Context, db string) error {
	for _, n := range cz.Nodes() {
		if err := createDatabase(ctx, n.URL("postgres"), db); err != nil {
			return fmt.Errorf("pgcluster: create database %s on port %d: %w", db, n.Port, err)
		}
		if err := execAll(ctx, n.URL(db), "CREATE EXTENSION IF NOT EXISTS citus"); err != nil {
			return fmt.Errorf("pgcluster: citus extension on port %d: %w", n.Port, err)
		}
	}
	stmts := []string{fmt.Sprintf("SELECT citus_set_coordinator_host('127.0.0.1', %d)", cz.Coordinator.Port)}
	for _, w := range cz.Workers {
		stmts = append(stmts, fmt.Sprintf("SELECT citus_add_node('127.0.0.1', %d)", w.Port))
	}
	// The coordinator connects to each worker's new database to add it; a
	// worker busy with other databases may refuse that connection for a
	// moment. Both calls are idempotent, so they are tried again.
	var err error
	for attempt := 1; attempt <= 5; attempt++ {
		if err = execAll(ctx, cz.URL(db), stmts...); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pgcluster: add nodes to %s: %w", db, err)
		case <-time.After(time.Duration(attempt) * 300 * time.Millisecond):
		}
	}
	return fmt.Errorf("pgcluster: add nodes to %s: %w", db, err)
}

// DropDatabase drops database db on every node.
func (cz *Citus) DropDatabase(ctx context.Context, db string) error {
	var errs []error
	for _, n := range cz.Nodes() {
		errs = append(errs, execAll(ctx, n.URL("postgres"),
			fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", pgx.Identifier{db}.Sanitize())))
	}
	return errors.Join(errs...)
}

func createDatabase(ctx context.Context, admin, db string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, db).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{db}.Sanitize())
	return err
}

func execAll(ctx context.Context, u string, stmts ...string) error {
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}
