// Command benchmap loads the stress red-line layer for `make bench-map` and
// writes the fixed tile and bbox lists the benchmark drives: n polygons
// from data/gen.StressRedlines imported as check layer stress_redlines
// through the registry, then the lists under -out.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v5/pgxpool"

	"minerights/data"
	"minerights/data/gen"
	"minerights/geo"
	"minerights/registry"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "benchmap:", err)
		os.Exit(1)
	}
}

func run() error {
	n := flag.Int("n", 200000, "number of stress polygons")
	seed := flag.Uint64("seed", 1, "generator seed")
	out := flag.String("out", ".data-bench/lists", "directory for the tile and bbox lists")
	load := flag.Bool("load", true, "import the layer (false: only write the lists)")
	flag.Parse()
	ctx := context.Background()
	if *load {
		pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
		if err != nil {
			return err
		}
		defer pool.Close()
		// The bench database is migrated and seeded like `make run` does, so
		// the loader needs nothing but a running PostgreSQL.
		if err := registry.Migrate(ctx, os.Getenv("DATABASE_URL"), data.Migrations()); err != nil {
			return err
		}
		store := registry.New(pool)
		if _, err := store.Seed(ctx, registry.SeedData{Counties: data.Counties(), Facts: data.Facts(), Parcels: data.Parcels(), Layers: data.Layers()}); err != nil {
			return err
		}
		if err := importStress(ctx, store, *n, *seed); err != nil {
			return err
		}
		// Servers build the overview of a new large layer in the background;
		// the benchmark builds it first so that no run measures the build.
		built, err := store.BuildOverviews(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "benchmap: overviews built for %v\n", built)
	}
	return writeLists(*out)
}

// importStress imports n stress polygons as layer stress_redlines; n = 0
// keeps what is loaded.
func importStress(ctx context.Context, store *registry.Store, n int, seed uint64) error {
	if n <= 0 {
		return nil
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(gen.StressRedlines(pw, n, seed)) }()
	rd, err := geo.NewLayerReader(pr, 4490)
	if err != nil {
		return err
	}
	l, err := store.ImportLayer(ctx, registry.LayerImport{
		Name: "stress_redlines", Kind: "redline", Title: "Stress red lines (generated)",
		Source: fmt.Sprintf("data/gen.StressRedlines n=%d seed=%d", n, seed), Features: rd,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "benchmap: layer %s version %d, %d features\n", l.Name, l.Version, l.FeatureCount)
	return nil
}

// The stress layer covers Zhumadian, about 113.0-114.9°E, 32.25-33.55°N.
// The lists walk a fixed grid over it so every run asks for the same tiles
// and boxes.
const lon0, lon1, lat0, lat1 = 113.05, 114.85, 32.30, 33.50

func tileOf(lon, lat float64, z int) (int, int) {
	n := math.Exp2(float64(z))
	x := int((lon + 180) / 360 * n)
	r := lat * math.Pi / 180
	y := int((1 - math.Log(math.Tan(r)+1/math.Cos(r))/math.Pi) / 2 * n)
	return x, y
}

func writeLists(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, z := range []int{10, 12, 14} {
		seen := map[[2]int]bool{}
		var lines []string
		steps := map[int]int{10: 8, 12: 12, 14: 16}[z]
		for i := range steps {
			for j := range steps {
				lon := lon0 + (lon1-lon0)*(float64(i)+0.5)/float64(steps)
				lat := lat0 + (lat1-lat0)*(float64(j)+0.5)/float64(steps)
				x, y := tileOf(lon, lat, z)
				if !seen[[2]int{x, y}] {
					seen[[2]int{x, y}] = true
					lines = append(lines, fmt.Sprintf("%d/%d/%d", z, x, y))
				}
			}
		}
		if err := writeLines(filepath.Join(dir, fmt.Sprintf("tiles-z%d.txt", z)), lines); err != nil {
			return err
		}
	}
	// Boxes of about 2 km, the view of a planner zoomed in on a township.
	var boxes []string
	for i := range 10 {
		for j := range 10 {
			lon := lon0 + (lon1-lon0)*(float64(i)+0.5)/10
			lat := lat0 + (lat1-lat0)*(float64(j)+0.5)/10
			boxes = append(boxes, fmt.Sprintf("%.4f,%.4f,%.4f,%.4f", lon, lat, lon+0.02, lat+0.02))
		}
	}
	return writeLines(filepath.Join(dir, "bboxes.txt"), boxes)
}

func writeLines(path string, lines []string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	for _, l := range lines {
		fmt.Fprintln(f, l)
	}
	return f.Close()
}
