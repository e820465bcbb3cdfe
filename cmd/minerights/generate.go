package main

import (
	"context"

	"minerights/data/gen"
)

type generateCmd struct {
	Out string `name:"out" default:"data" help:"The data/ directory to write into."`
}

func (c *generateCmd) Run(ctx context.Context, g *globals) error {
	if err := gen.WriteAll(c.Out); err != nil {
		return err
	}
	g.log.Info("generated", "dir", c.Out)
	return nil
}
