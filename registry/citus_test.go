package registry_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/geojson"

	"minerights/compliance"
	"minerights/geo"
	"minerights/internal/pgtest"
	"minerights/registry"
	"minerights/registry/registrytest"
)

// TestCitusPlanCoversEveryTable fails when a migration adds a table that
// registry.CitusPlan does not place (or the plan names one that is gone):
// `minerights citus distribute` would refuse such a schema.
func TestCitusPlanCoversEveryTable(t *testing.T) {
	ctx := context.Background()
	db := registrytest.Migrated(t)
	missing, unknown, err := registry.UnclassifiedTables(ctx, db.Pool)
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 || len(unknown) > 0 {
		t.Fatalf("registry.CitusPlan does not match the schema: tables it does not place %v, tables it places that do not exist %v", missing, unknown)
	}
	// The check sees a table added later.
	if _, err := db.Pool.Exec(ctx, `CREATE TABLE session_probe (id bigint PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	missing, _, err = registry.UnclassifiedTables(ctx, db.Pool)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(missing, []string{"session_probe"}) {
		t.Fatalf("an unplaced table went unnoticed: %v", missing)
	}
	if pgtest.Citus() != nil {
		if _, err := registry.Distribute(ctx, db.URL); err == nil || !strings.Contains(err.Error(), "session_probe") {
			t.Fatalf("distribute with an unplaced table: %v", err)
		}
	}
}

func needCitus(t *testing.T) {
	t.Helper()
	if pgtest.Citus() == nil {
		t.Skip("runs on Citus: make test-citus")
	}
}

// TestCitusPlacement checks that the seeded schema is placed as planned:
// reference tables on every node, sales and what is keyed by them
// co-located, layer features by region, and that a bid's statements and a
// check's feature query each route to a single shard.
func TestCitusPlacement(t *testing.T) {
	needCitus(t)
	ctx := context.Background()
	db := registrytest.Seeded(t)
	for _, tb := range registry.CitusPlan {
		var method, column *string
		var colocation *int
		err := db.Pool.QueryRow(ctx, `SELECT partmethod::text, column_to_column_name(logicalrelid, partkey), colocationid
			FROM pg_dist_partition WHERE logicalrelid = $1::regclass`, tb.Name).Scan(&method, &column, &colocation)
		switch tb.Placement {
		case registry.Coordinator:
			if err == nil {
				t.Errorf("%s: placed by Citus (%v), planned to stay on the coordinator", tb.Name, *method)
			}
			continue
		case registry.Reference:
			if err != nil || *method != "n" {
				t.Errorf("%s: not a reference table: %v %v", tb.Name, method, err)
			}
		case registry.Distributed:
			if err != nil || *method != "h" || column == nil || *column != tb.Column {
				t.Errorf("%s: not hash-distributed by %s: %v %v %v", tb.Name, tb.Column, method, column, err)
			}
		}
	}
	var groups int
	if err := db.Pool.QueryRow(ctx, `SELECT count(DISTINCT colocationid) FROM pg_dist_partition
		WHERE logicalrelid::text IN ('sale', 'bid', 'audit_event', 'sale_participant', 'deposit_entry', 'sale_notice')`).Scan(&groups); err != nil || groups != 1 {
		t.Errorf("sales and their rows are in %d co-location groups (%v), want 1", groups, err)
	}
	var workers int
	if err := db.Pool.QueryRow(ctx, `SELECT count(DISTINCT nodename || nodeport) FROM citus_shards WHERE table_name = 'bid'::regclass`).Scan(&workers); err != nil || workers != 2 {
		t.Errorf("bid shards on %d nodes (%v), want both workers", workers, err)
	}

	single := []struct{ name, sql string }{
		{"the bid's sale lock", `SELECT parcel_id, machine_tag FROM sale WHERE id = 1 FOR UPDATE`},
		{"the bid's row", `INSERT INTO bid (sale_id, seq, bidder_id, paddle, amount_yuan, phase, at) VALUES (1, 1, 1, 1, 100, 'listing', now())`},
		{"the bid's audit entry", `INSERT INTO audit_event (sale_id, seq, kind, at, recorded_at, actor, data, prev_hash, hash) VALUES (1, 1, 'x', now(), now(), 'x', '{}', '', '')`},
		{"the bid's key lookup", `SELECT seq FROM bid WHERE sale_id = 1 AND bidder_id = 1 AND idempotency_key = 'k'`},
		{"a check's features in one region", `SELECT fid FROM layer_feature f JOIN layer l ON l.id = f.layer_id
			WHERE l.current AND f.region_code = '411726' AND ST_DWithin(f.geom_4526, ST_Transform(ST_SetSRID(ST_MakePoint(113.5, 32.7), 4490), 4526), 300)`},
	}
	for _, q := range single {
		plan := explain(t, db.Pool, q.sql)
		if !strings.Contains(plan, "Task Count: 1\n") {
			t.Errorf("%s is not routed to one shard:\n%s", q.name, plan)
		}
	}
	if plan := explain(t, db.Pool, `SELECT count(*) FROM layer_feature`); strings.Contains(plan, "Task Count: 1\n") {
		t.Errorf("a scan of every region runs on one shard: the features are not spread\n%s", plan)
	}
}

func explain(t *testing.T, pool *pgxpool.Pool, sql string) string {
	t.Helper()
	rows, err := pool.Query(context.Background(), "EXPLAIN (COSTS OFF) "+sql)
	if err != nil {
		t.Fatalf("explain %s: %v", sql, err)
	}
	var b strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		b.WriteString(strings.TrimSpace(line) + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// boundaryRedlines is a red-line layer of n squares of 200 m to 2 km spread
// over the box, many of them across county boundaries.
func boundaryRedlines(t *testing.T, box orb.Bound, n int) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(15, 2026))
	fc := geojson.NewFeatureCollection()
	for i := range n {
		x := box.Min[0] + rng.Float64()*(box.Max[0]-box.Min[0])
		y := box.Min[1] + rng.Float64()*(box.Max[1]-box.Min[1])
		s := 0.002 + rng.Float64()*0.018
		f := geojson.NewFeature(orb.Polygon{{{x, y}, {x + s, y}, {x + s, y + s}, {x, y + s}, {x, y}}})
		f.Properties = geojson.Properties{"id": fmt.Sprintf("edge-%03d", i), "name": fmt.Sprintf("边界红线%03d", i)}
		fc.Append(f)
	}
	raw, err := fc.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestCitusComplianceSameAsSingleNode runs the same checks on a
// distributed database and on the same schema left on one node, after the
// same imports, and wants the same reports: verdicts, hits, overlap areas,
// distances, covered shares, to the last bit. The subjects are the 11
// gazette parcels and a grid of squares over the city, many of them near a
// county boundary, where a check reads more than one region.
func TestCitusComplianceSameAsSingleNode(t *testing.T) {
	needCitus(t)
	ctx := context.Background()
	dist, single := registrytest.Seeded(t), registrytest.SeededSingleNode(t)

	var minx, miny, maxx, maxy float64
	if err := single.Pool.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) AS e FROM county) s`).
		Scan(&minx, &miny, &maxx, &maxy); err != nil {
		t.Fatal(err)
	}
	box := orb.Bound{Min: orb.Point{minx, miny}, Max: orb.Point{maxx, maxy}}
	layer := boundaryRedlines(t, box, 400)
	for _, db := range []registrytest.DB{dist, single} {
		for v := 1; v <= 2; v++ {
			r, err := geo.NewLayerReader(strings.NewReader(string(layer)), 0)
			if err != nil {
				t.Fatal(err)
			}
			l, err := db.Store.ImportLayer(ctx, registry.LayerImport{Name: "redlines_edge", Kind: "redline", Features: r})
			if err != nil {
				t.Fatal(err)
			}
			if l.Version != v || l.FeatureCount != 400 {
				t.Fatalf("import %d: version %d, %d features", v, l.Version, l.FeatureCount)
			}
		}
	}
	var regions, multi int
	if err := dist.Pool.QueryRow(ctx, `SELECT count(DISTINCT region_code) FROM layer_feature f JOIN layer l ON l.id = f.layer_id
		WHERE l.name = 'redlines_edge' AND l.current`).Scan(&regions); err != nil || regions < 5 {
		t.Fatalf("the layer is in %d regions (%v)", regions, err)
	}

	var subjects []compliance.Subject
	ps, _, err := single.Store.ListParcels(ctx, registry.ParcelFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		subjects = append(subjects, registry.SubjectOf(p))
	}
	const grid = 8
	for i := range grid {
		for j := range grid {
			x := minx + (float64(i)+0.5)*(maxx-minx)/grid
			y := miny + (float64(j)+0.5)*(maxy-miny)/grid
			subjects = append(subjects, compliance.Subject{Name: fmt.Sprintf("grid %d,%d", i, j), Mineral: "建筑用砂岩",
				Geometry: orb.MultiPolygon{{{{x, y}, {x + 0.01, y}, {x + 0.01, y + 0.01}, {x, y + 0.01}, {x, y}}}}})
		}
	}
	for _, s := range subjects {
		a, err := dist.Store.CheckGeometry(ctx, s)
		if err != nil {
			t.Fatalf("%s on Citus: %v", s.Name, err)
		}
		b, err := single.Store.CheckGeometry(ctx, s)
		if err != nil {
			t.Fatalf("%s on one node: %v", s.Name, err)
		}
		ja, jb := reportJSON(t, a), reportJSON(t, b)
		if ja != jb {
			t.Errorf("%s: the reports differ\nCitus:    %s\none node: %s", s.Name, ja, jb)
		}
		if n := coveringRegions(t, dist.Pool, s); n > 1 {
			multi++
		}
	}
	t.Logf("%d subjects, %d of them near a boundary (more than one region read), %d regions", len(subjects), multi, regions)
	if multi == 0 {
		t.Error("no subject read more than one region: the boundary case went untested")
	}

	// The reports written by a parcel's check agree too.
	for _, p := range ps {
		a, err := dist.Store.RunCompliance(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, err := single.Store.RunCompliance(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ja, jb := reportJSON(t, a), reportJSON(t, b); ja != jb {
			t.Errorf("parcel %d: the stored reports differ\nCitus:    %s\none node: %s", p.ID, ja, jb)
		}
	}
}

// coveringRegions counts the regions a check of s reads.
func coveringRegions(t *testing.T, pool *pgxpool.Pool, s compliance.Subject) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(DISTINCT lg.region_code)
		FROM layer l JOIN compliance_rule r ON r.layer_kind = l.kind AND r.enabled JOIN layer_region lg ON lg.layer_id = l.id
		WHERE l.current AND ST_DWithin(lg.coverage, ST_Transform(ST_SetSRID(ST_GeomFromWKB($1::bytea), 4490), 4526), GREATEST(r.hard_distance_m, r.warn_distance_m))`,
		wkb.MustMarshal(s.Geometry)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func reportJSON(t *testing.T, r compliance.Report) string {
	t.Helper()
	r.ID, r.CreatedAt = 0, time.Time{}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
