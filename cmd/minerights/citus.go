package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"minerights/internal/pgcluster"
	"minerights/registry"
)

type citusCmd struct {
	Start      citusStartCmd      `cmd:"" help:"Create (first time) and start a local Citus cluster (a coordinator and workers); print the coordinator's DATABASE_URL."`
	Stop       citusStopCmd       `cmd:"" help:"Stop the local Citus cluster."`
	Distribute citusDistributeCmd `cmd:"" help:"Place the migrated schema on the Citus cluster of DATABASE_URL (reference tables, sales co-located by sale, layer features by region); idempotent."`
}

type citusFlags struct {
	Dir     string `name:"dir" default:".data-citus" help:"Directory of the cluster (a subdirectory per node)."`
	Workers int    `name:"workers" default:"2" help:"Number of worker nodes."`
	Shards  int    `name:"shards" default:"32" help:"Shards per distributed table."`
	DB      string `name:"db" default:"minerights" help:"Database to create on every node and print the URL of."`
}

type citusStartCmd struct {
	citusFlags
	Fresh bool `name:"fresh" help:"Drop the database on every node first (benchmarks)."`
}

func (c *citusStartCmd) Run(ctx context.Context, g *globals) error {
	if c.Workers < 1 {
		return errors.New("citus start: --workers must be at least 1")
	}
	cz, err := pgcluster.NewCitus(c.Dir, c.Workers, c.Shards)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	if err := cz.Start(ctx, true); err != nil {
		return err
	}
	if c.Fresh {
		if err := cz.DropDatabase(ctx, c.DB); err != nil {
			return err
		}
	}
	if err := cz.CreateDatabase(ctx, c.DB); err != nil {
		return err
	}
	fmt.Fprintln(g.stdout, cz.URL(c.DB))
	return nil
}

type citusStopCmd struct{ citusFlags }

func (c *citusStopCmd) Run(ctx context.Context, g *globals) error {
	cz, err := pgcluster.NewCitus(c.Dir, c.Workers, c.Shards)
	if err != nil {
		return err
	}
	return cz.Stop(ctx)
}

type citusDistributeCmd struct{}

func (c *citusDistributeCmd) Run(ctx context.Context, g *globals) error {
	if g.DatabaseURL == "" {
		return errors.New("citus distribute: set DATABASE_URL (or --database-url) to the coordinator")
	}
	steps, err := registry.Distribute(ctx, g.DatabaseURL)
	for _, s := range steps {
		fmt.Fprintln(g.stdout, s)
	}
	return err
}
