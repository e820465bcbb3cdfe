package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"minerights/internal/pgcluster"
)

type localdbCmd struct {
	Start localdbStartCmd `cmd:"" help:"Create (first time) and start the cluster; print its DATABASE_URL."`
	Stop  localdbStopCmd  `cmd:"" help:"Stop the cluster."`
	URL   localdbURLCmd   `cmd:"" name:"url" help:"Print the running cluster's DATABASE_URL (commands use it by themselves when DATABASE_URL is unset)."`
}

type localdbFlags struct {
	Dir  string `name:"dir" default:".data" help:"Directory of the cluster."`
	Port int    `name:"port" default:"5432" help:"Port number in the unix socket's name (the cluster listens on no TCP port)."`
	DB   string `name:"db" default:"minerights" help:"Database to create and print the URL of."`
}

type localdbStartCmd struct{ localdbFlags }

func (c *localdbStartCmd) Run(ctx context.Context, g *globals) error {
	cl, err := pgcluster.New(c.Dir, c.Port)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := cl.Start(ctx, true); err != nil {
		return err
	}
	if err := cl.CreateDatabase(ctx, c.DB); err != nil {
		return err
	}
	fmt.Fprintln(g.stdout, cl.URL(c.DB))
	return nil
}

type localdbStopCmd struct{ localdbFlags }

func (c *localdbStopCmd) Run(ctx context.Context, g *globals) error {
	cl, err := pgcluster.New(c.Dir, c.Port)
	if err != nil {
		return err
	}
	return cl.Stop(ctx)
}

// localDataDir is where `make run` keeps its cluster (DATA_DIR in the
// Makefile), relative to the directory the command runs in.
const localDataDir = ".data"

// localClusterURL is the URL of the project-local cluster in dir when one
// is running there (its socket exists), else "". Commands use it when
// DATABASE_URL is unset, so that while `make run` holds the cluster
// `./bin/minerights token create ...` needs no URL.
func localClusterURL(dir string) string {
	return localClusterURLPort(dir, 5432, "minerights")
}

func localClusterURLPort(dir string, port int, db string) string {
	if _, err := os.Stat(filepath.Join(dir, "pgdata", "PG_VERSION")); err != nil {
		return ""
	}
	if _, err := os.Stat(filepath.Join(dir, fmt.Sprintf(".s.PGSQL.%d", port))); err != nil {
		return ""
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	q := url.Values{}
	q.Set("host", abs)
	q.Set("port", strconv.Itoa(port))
	q.Set("user", "postgres")
	return (&url.URL{Scheme: "postgres", Path: "/" + db, RawQuery: q.Encode()}).String()
}

type localdbURLCmd struct{ localdbFlags }

func (c *localdbURLCmd) Run(g *globals) error {
	u := localClusterURLPort(c.Dir, c.Port, c.DB)
	if u == "" {
		return fmt.Errorf("no local cluster is running in %s: start it with `make run` or `make db-start`", c.Dir)
	}
	fmt.Fprintln(g.stdout, u)
	return nil
}
