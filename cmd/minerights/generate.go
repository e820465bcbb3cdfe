package main

import (
	"context"

	"minerights/data/gen"
)

type generateCmd struct {
	Data   generateDataCmd   `cmd:"" default:"withargs" help:"Regenerate the parcel geometry, check layers and fixtures under data/ (the default)."`
	Stress generateStressCmd `cmd:"" help:"Write a large generated red-line layer for benchmarks (GeoJSON)."`
}

type generateDataCmd struct {
	Out string `name:"out" default:"data" help:"The data/ directory to write into."`
}

func (c *generateDataCmd) Run(ctx context.Context, g *globals) error {
	if err := gen.WriteAll(c.Out); err != nil {
		return err
	}
	g.log.Info("generated", "dir", c.Out)
	return nil
}
