package registry_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/project"

	"minerights/data"
	"minerights/registry"
	"minerights/registry/registrytest"
)

// TestCountyPiecesFollowTheCounties: the seed cuts every county into pieces
// of at most 64 vertices that together are the county, and a seed that
// moves a county moves its pieces, so region_of answers from the counties
// as they are now.
func TestCountyPiecesFollowTheCounties(t *testing.T) {
	ctx := context.Background()
	db := registrytest.Migrated(t)
	var pieces int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM county_piece`).Scan(&pieces); err != nil {
		t.Fatal(err)
	}
	if pieces != 0 {
		t.Fatalf("%d county pieces before any county", pieces)
	}
	if _, err := db.Store.Seed(ctx, registry.SeedData{Counties: data.Counties(), Facts: data.Facts(), Parcels: data.Parcels()}); err != nil {
		t.Fatal(err)
	}
	// Per county: its pieces, their largest vertex count, and the area
	// (in the county's own degrees) the pieces and the county do not share.
	type cut struct {
		code          string
		pieces, most  int
		area, differs float64
	}
	cuts := func() map[string]cut {
		t.Helper()
		rows, err := db.Pool.Query(ctx, `SELECT c.code, count(p.geom), COALESCE(max(ST_NPoints(p.geom)), 0), ST_Area(c.geom),
				COALESCE(ST_Area(ST_SymDifference(c.geom, ST_Union(p.geom))), ST_Area(c.geom))
			FROM county c LEFT JOIN county_piece p USING (code) GROUP BY c.code, c.geom ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		m := map[string]cut{}
		for rows.Next() {
			var c cut
			if err := rows.Scan(&c.code, &c.pieces, &c.most, &c.area, &c.differs); err != nil {
				t.Fatal(err)
			}
			m[c.code] = c
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return m
	}
	before := cuts()
	if len(before) < 2 {
		t.Fatalf("%d counties seeded", len(before))
	}
	for _, c := range before {
		if c.pieces < 2 || c.most > 64 || c.differs > 1e-9*c.area {
			t.Errorf("county %s: %d pieces, the largest of %d vertices, %.3g of %.3g square degrees not shared with the county",
				c.code, c.pieces, c.most, c.differs, c.area)
		}
	}
	var orphans int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM county_piece p WHERE NOT EXISTS (SELECT 1 FROM county c WHERE c.code = p.code)`).Scan(&orphans); err != nil {
		t.Fatal(err)
	}
	if orphans != 0 {
		t.Errorf("%d pieces of no county", orphans)
	}

	// The same seed with one county moved 2° east, out of the city.
	fc, err := geojson.UnmarshalFeatureCollection(data.Counties())
	if err != nil {
		t.Fatal(err)
	}
	moved := fc.Features[0]
	code := fmt.Sprint(moved.ID) // as the seed names it
	var inside [2]float64
	if err := db.Pool.QueryRow(ctx, `SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM county WHERE code = $1) s`, code).
		Scan(&inside[0], &inside[1]); err != nil {
		t.Fatal(err)
	}
	moved.Geometry = project.Geometry(moved.Geometry, func(p orb.Point) orb.Point { return orb.Point{p[0] + 2, p[1]} })
	raw, err := fc.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Store.Seed(ctx, registry.SeedData{Counties: raw, Facts: data.Facts(), Parcels: data.Parcels()}); err != nil {
		t.Fatal(err)
	}
	var there, here string
	if err := db.Pool.QueryRow(ctx, `SELECT region_of(ST_SetSRID(ST_MakePoint($1, $2), 4490)), region_of(ST_SetSRID(ST_MakePoint($1 + 2, $2), 4490))`,
		inside[0], inside[1]).Scan(&here, &there); err != nil {
		t.Fatal(err)
	}
	if here == code || there != code {
		t.Errorf("county %s moved 2° east: region_of its old point %q, of the point moved with it %q", code, here, there)
	}
	after := cuts()
	if c := after[code]; c.pieces != before[code].pieces || c.differs > 1e-9*c.area {
		t.Errorf("county %s moved: %d pieces (%d before), %.3g square degrees not shared with the county", code, c.pieces, before[code].pieces, c.differs)
	}
}
