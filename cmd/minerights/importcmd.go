package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"minerights/geo"
	"minerights/registry"
)

// importCmd loads a check layer file as the layer's new current version.
type importCmd struct {
	Layer  string `arg:"" help:"Layer name: redlines, farmland, mountains, mining_zones, mining_rights, or a new one such as railways."`
	File   string `arg:"" type:"existingfile" help:"GeoJSON FeatureCollection or 国土 TXT file."`
	Kind   string `name:"kind" help:"Layer kind (redline, farmland, mountain, mining_zone, mining_right, county, or a new kind with a compliance rule); needed for a new layer name."`
	Title  string `name:"title" help:"Title shown in reports."`
	Source string `name:"source" help:"Where the data comes from (agency, document, date)."`
	SRID   int    `name:"srid" help:"Coordinate system: 4326, 4490 or a CGCS2000 3° zone 4513-4554; 0 detects it."`
}

func (c *importCmd) Run(ctx context.Context, g *globals) error {
	pool, err := g.openPool(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	digest, size, err := fileDigest(c.File)
	if err != nil {
		return err
	}
	f, err := os.Open(c.File)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := geo.NewLayerReader(f, c.SRID)
	if err != nil {
		return fmt.Errorf("%s: %w", c.File, err)
	}
	var progress func(int)
	var bar *progressbar.ProgressBar
	if out, ok := g.stderr.(*os.File); ok && term.IsTerminal(int(out.Fd())) {
		bar = progressbar.NewOptions(-1, progressbar.OptionSetWriter(out), progressbar.OptionSetDescription("importing "+c.Layer),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("features"),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
		progress = func(n int) { _ = bar.Set(n) }
	}
	start := time.Now()
	source := c.Source
	if source == "" {
		source = filepath.Base(c.File)
	}
	l, err := registry.New(pool).ImportLayer(ctx, registry.LayerImport{Name: c.Layer, Kind: c.Kind, Title: c.Title, Source: source,
		Provenance: map[string]any{"file": filepath.Base(c.File), "sha256": digest, "bytes": size}, Features: r, Progress: progress})
	if bar != nil {
		_ = bar.Finish()
	}
	var le *registry.LayerError
	if errors.As(err, &le) {
		fmt.Fprintf(g.stdout, "%s: refused, nothing imported; the current version stays in force\n", c.File)
		fmt.Fprintf(g.stdout, "features read: %d, invalid: %d\n", le.Read, len(le.Problems)+le.More)
		for _, p := range le.Problems {
			fmt.Fprintf(g.stdout, "  %s\n", p)
		}
		if le.More > 0 {
			fmt.Fprintf(g.stdout, "  … and %d more\n", le.More)
		}
		return fmt.Errorf("import %s: %d invalid features", c.Layer, len(le.Problems)+le.More)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "layer %s (kind %s) version %d is current: %d features, invalid 0, %s, SRID %v, in %s\n",
		l.Name, l.Kind, l.Version, l.FeatureCount, l.Provenance["format"], l.Provenance["srid"], time.Since(start).Round(time.Millisecond))
	return nil
}

func fileDigest(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
