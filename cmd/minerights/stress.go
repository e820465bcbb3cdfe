package main

import (
	"context"
	"io"
	"os"

	"minerights/data/gen"
)

// generateStressCmd writes a large generated red-line layer for benchmarks.
type generateStressCmd struct {
	Redlines int    `name:"redlines" default:"200000" help:"Number of red-line polygons."`
	Seed     uint64 `name:"seed" default:"1" help:"Generator seed; the output depends only on the count and the seed."`
	Out      string `name:"out" short:"o" default:"-" help:"Output GeoJSON file; - for standard output."`
}

func (c *generateStressCmd) Run(ctx context.Context, g *globals) error {
	var w io.Writer = g.stdout
	if c.Out != "-" {
		f, err := os.Create(c.Out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	if err := gen.StressRedlines(w, c.Redlines, c.Seed); err != nil {
		return err
	}
	if c.Out != "-" {
		g.log.Info("generated stress red lines", "features", c.Redlines, "file", c.Out)
	}
	return nil
}
