package registry_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"minerights/geo"
	"minerights/registry"
	"minerights/registry/registrytest"
)

// TestRegionOfAsTheWholeCounties: the import files every feature under the
// region the rule of 013_regions.sql gives it (the least code of the
// counties covering ST_PointOnSurface of the feature, the empty code
// outside every county), though region_of looks the point up in the counties cut into
// pieces (017_county_piece.sql): for squares spread over the city and
// beyond it (the empty region), and for small squares centred on the
// counties' own vertices, whose point lies on a county boundary, often on
// two counties' (the least code wins).
func TestRegionOfAsTheWholeCounties(t *testing.T) {
	ctx := context.Background()
	db := registrytest.Seeded(t)
	var minx, miny, maxx, maxy float64
	if err := db.Pool.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) AS e FROM county) s`).
		Scan(&minx, &miny, &maxx, &maxy); err != nil {
		t.Fatal(err)
	}
	// A box a tenth larger than the city's, so that some features lie
	// outside every county.
	dx, dy := (maxx-minx)/10, (maxy-miny)/10
	raw := boundaryRedlines(t, orb.Bound{Min: orb.Point{minx - dx, miny - dy}, Max: orb.Point{maxx + dx, maxy + dy}}, 1500)
	fc, err := geojson.UnmarshalFeatureCollection(raw)
	if err != nil {
		t.Fatal(err)
	}
	// Every 7th vertex of every county's boundary.
	rows, err := db.Pool.Query(ctx, `SELECT ST_X(p.geom), ST_Y(p.geom) FROM county c, ST_DumpPoints(c.geom) p
		WHERE p.path[3] % 7 = 0 ORDER BY c.code, p.path`)
	if err != nil {
		t.Fatal(err)
	}
	var vertices int
	for rows.Next() {
		var x, y float64
		if err := rows.Scan(&x, &y); err != nil {
			t.Fatal(err)
		}
		const h = 0.0005
		f := geojson.NewFeature(orb.Polygon{{{x - h, y - h}, {x + h, y - h}, {x + h, y + h}, {x - h, y + h}, {x - h, y - h}}})
		f.Properties = geojson.Properties{"id": fmt.Sprintf("vertex-%04d", vertices)}
		fc.Append(f)
		vertices++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if vertices < 100 {
		t.Fatalf("only %d county vertices", vertices)
	}
	raw, err = fc.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	r, err := geo.NewLayerReader(strings.NewReader(string(raw)), 0)
	if err != nil {
		t.Fatal(err)
	}
	l, err := db.Store.ImportLayer(ctx, registry.LayerImport{Name: "regions_probe", Kind: "redline", Features: r})
	if err != nil {
		t.Fatal(err)
	}
	if l.FeatureCount != 1500+vertices {
		t.Fatalf("%d features imported, want %d", l.FeatureCount, 1500+vertices)
	}
	// Each stored region against the whole counties (a reference table on
	// Citus: joined on the shards that hold the features).
	var differ []string
	var n, outside, shared int
	rows, err = db.Pool.Query(ctx, `SELECT f.fid, f.region_code, COALESCE(min(c.code), ''), count(c.code)
		FROM layer_feature f LEFT JOIN county c ON ST_Covers(c.geom, ST_PointOnSurface(f.geom))
		WHERE f.layer_id = $1 GROUP BY f.fid, f.region_code`, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var fid, got, want string
		var holders int
		if err := rows.Scan(&fid, &got, &want, &holders); err != nil {
			t.Fatal(err)
		}
		n++
		if got != want {
			differ = append(differ, fmt.Sprintf("%s: %q, the whole counties say %q", fid, got, want))
		}
		if want == "" {
			outside++
		}
		if holders > 1 {
			shared++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != l.FeatureCount {
		t.Fatalf("%d features read back, %d imported", n, l.FeatureCount)
	}
	if len(differ) > 0 {
		t.Errorf("%d of %d features filed under another region than the whole counties give: %v", len(differ), n, differ[:min(len(differ), 10)])
	}
	t.Logf("%d features, %d outside every county, %d with a point on two counties", n, outside, shared)
	if outside == 0 || shared == 0 {
		t.Errorf("the cases went untested: %d outside every county, %d on a shared boundary", outside, shared)
	}
}
