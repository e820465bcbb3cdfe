package main

import (
	"context"
	"fmt"
	"time"

	"minerights/data"
	"minerights/registry"
)

type migrateCmd struct{}

func (c *migrateCmd) Run(ctx context.Context, g *globals) error {
	if g.DatabaseURL == "" {
		_, err := g.openPool(ctx)
		return err
	}
	if err := registry.Migrate(ctx, g.DatabaseURL, data.Migrations()); err != nil {
		return err
	}
	g.log.Info("migrated")
	return nil
}

type seedCmd struct{}

func (c *seedCmd) Run(ctx context.Context, g *globals) error {
	pool, err := g.openPool(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	rep, err := registry.New(pool).Seed(ctx, seedData())
	if err != nil {
		return err
	}
	g.log.Info("seeded", "counties", rep.Counties, "parcels_inserted", rep.ParcelsInserted, "parcels_present", rep.ParcelsPresent)
	return nil
}

// seedData is the embedded seed: counties, gazette facts, generated parcels.
func seedData() registry.SeedData {
	return registry.SeedData{Counties: data.Counties(), Facts: data.Facts(), Parcels: data.Parcels()}
}

type tokenCmd struct {
	Create tokenCreateCmd `cmd:"" help:"Create a bearer token and print it once."`
}

type tokenCreateCmd struct {
	Role string        `name:"role" required:"" enum:"bureau,bidder,planner" help:"bureau, bidder or planner."`
	Name string        `name:"name" required:"" help:"Who the token is for."`
	TTL  time.Duration `name:"ttl" help:"Lifetime; 0 never expires."`
}

func (c *tokenCreateCmd) Run(ctx context.Context, g *globals) error {
	pool, err := g.openPool(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	tok, err := registry.New(pool).CreateToken(ctx, c.Role, c.Name, c.TTL)
	if err != nil {
		return err
	}
	fmt.Fprintln(g.stdout, tok)
	return nil
}
