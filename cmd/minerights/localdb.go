package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"minerights/internal/pgcluster"
)

type localdbCmd struct {
	Start localdbStartCmd `cmd:"" help:"Create (first time) and start the cluster; print its DATABASE_URL."`
	Stop  localdbStopCmd  `cmd:"" help:"Stop the cluster."`
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
	conn, err := pgx.Connect(ctx, cl.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, c.DB).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{c.DB}.Sanitize()); err != nil {
			return err
		}
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
