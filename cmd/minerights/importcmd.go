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
	Layer    string `arg:"" help:"Layer name: redlines, farmland, mountains, mining_zones, mining_rights, or a new one such as railways."`
	File     string `arg:"" type:"existingfile" help:"GeoJSON FeatureCollection or 国土 TXT file."`
	Kind     string `name:"kind" help:"Layer kind (redline, farmland, mountain, mining_zone, mining_right, county, or a new kind with a compliance rule); needed for a new layer name."`
	Title    string `name:"title" help:"Title shown in reports."`
	Source   string `name:"source" help:"Where the data comes from (agency, document, date)."`
	SRID     int    `name:"srid" help:"Coordinate system: 4326, 4490 or a CGCS2000 3° zone 4513-4554; 0 detects it."`
	Progress string `name:"progress" enum:"auto,always,never" default:"auto" help:"Progress bar on stderr: auto (when stderr is a terminal), always or never."`
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
	var progress func(int)
	var in io.Reader = f
	bar := c.progressBar(g.stderr, size)
	if bar != nil {
		// The bar counts bytes read of the file's size, which gives the
		// rate and the time left; the description counts features.
		in = io.TeeReader(f, bar)
		progress = func(n int) { bar.Describe(fmt.Sprintf("importing %s: %d features", c.Layer, n)) }
	}
	r, err := geo.NewLayerReader(in, c.SRID)
	if err != nil {
		return fmt.Errorf("%s: %w", c.File, err)
	}
	start := time.Now()
	source := c.Source
	if source == "" {
		source = filepath.Base(c.File)
	}
	l, err := registry.New(pool).ImportLayer(ctx, registry.LayerImport{Name: c.Layer, Kind: c.Kind, Title: c.Title, Source: source,
		Provenance: map[string]any{"file": filepath.Base(c.File), "bytes": size}, SHA256: digest, Features: r, Progress: progress})
	if bar != nil {
		if err == nil && !l.Unchanged {
			progress(l.FeatureCount)
		}
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
	if l.Unchanged {
		fmt.Fprintf(g.stdout, "layer %s: %s is identical to version %d (sha256 %.12s…), which stays current; no new version, no report made stale\n",
			l.Name, filepath.Base(c.File), l.Version, digest)
		return nil
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

// progressBar is the bar of an import of a file of size bytes on w, or nil
// when there is to be none.
func (c *importCmd) progressBar(w io.Writer, size int64) *progressbar.ProgressBar {
	switch c.Progress {
	case "never":
		return nil
	case "auto":
		out, ok := w.(*os.File)
		if !ok || !term.IsTerminal(int(out.Fd())) {
			return nil
		}
	}
	return progressbar.NewOptions64(size, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription("importing "+c.Layer),
		progressbar.OptionShowBytes(true), progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true), progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionSetWidth(30), progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }))
}
