package registry_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/geojson"

	"minerights/compliance"
	"minerights/geo"
	"minerights/registry"
)

// box is a lon/lat rectangle w × h km with its south-west corner at lon, lat.
func box(lon, lat, wKm, hKm float64) orb.MultiPolygon {
	dx := wKm * 1000 / (111320 * math.Cos(lat*math.Pi/180))
	dy := hKm * 1000 / 110574
	return orb.MultiPolygon{{{{lon, lat}, {lon + dx, lat}, {lon + dx, lat + dy}, {lon, lat + dy}, {lon, lat}}}}
}

// TestZoneOfAgreesWithSQL: geo.ZoneOf and the SQL cgcs2000_zone give the
// same zone for boxes across China, on and around the zone boundaries.
func TestZoneOfAgreesWithSQL(t *testing.T) {
	_, pool := newStore(t, false)
	ctx := context.Background()
	var lons []float64
	for lon := 73.0; lon <= 136; lon += 0.37 {
		lons = append(lons, lon)
	}
	lons = append(lons, 109.5, 112.5, 115.5, 110.9999, 111.0001, 60, 150)
	for _, lon := range lons {
		mp := box(lon-0.01, 33, 2, 2)
		var zone, srid int
		if err := pool.QueryRow(ctx, `SELECT cgcs2000_zone(g), cgcs2000_zone_srid(g) FROM (SELECT ST_SetSRID(ST_GeomFromWKB($1::bytea), 4490) AS g) s`,
			wkb.MustMarshal(mp)).Scan(&zone, &srid); err != nil {
			t.Fatal(err)
		}
		if want := geo.ZoneOf(mp); zone != want || srid != geo.SRIDOfZone(want) {
			t.Errorf("lon %.4f: SQL zone %d (EPSG:%d), geo.ZoneOf %d", lon, zone, srid, want)
		}
		if zone < geo.MinZone || zone > geo.MaxZone {
			t.Errorf("lon %.4f: zone %d outside 25..45", lon, zone)
		}
	}
}

// TestParcelMeasuredInOwnZone: parcels near 111.5°E (zone 37) and 117.5°E
// (zone 39) have their area, the overlap with another parcel and its
// distance measured in their own zone, as PostGIS and geo measure them
// there, and measurably unlike the same figures in zone 38 (EPSG:4526).
func TestParcelMeasuredInOwnZone(t *testing.T) {
	ctx := context.Background()
	store, pool := newStore(t, true)
	top, bottom := 400.0, 100.0
	surveyed := registry.GeometrySurveyed
	for _, tc := range []struct {
		lon  float64
		zone int
	}{{111.5, 37}, {117.5, 39}} {
		t.Run(geo.EPSGOfZone(tc.zone), func(t *testing.T) {
			mp := box(tc.lon, 32.9, 2, 1.5)
			p, err := store.CreateParcel(ctx, registry.ParcelInput{Name: "zone test", CountyCode: "411726", Mineral: "建筑用砂岩",
				Basis: "explored", Geometry: mp, GeometrySource: surveyed, ElevationTopM: &top, ElevationBottomM: &bottom})
			if err != nil {
				t.Fatal(err)
			}
			if p.Zone != tc.zone {
				t.Fatalf("parcel zone %d, want %d", p.Zone, tc.zone)
			}
			var own, in38 float64
			if err := pool.QueryRow(ctx, `SELECT ST_Area(ST_Transform(geom, $2::int)), ST_Area(ST_Transform(geom, 4526)) FROM parcel WHERE id = $1`,
				p.ID, geo.SRIDOfZone(tc.zone)).Scan(&own, &in38); err != nil {
				t.Fatal(err)
			}
			if math.Abs(p.ComputedAreaM2-own) > 1e-6*own {
				t.Errorf("area %.3f m², PostGIS in %s %.3f m²", p.ComputedAreaM2, geo.EPSGOfZone(tc.zone), own)
			}
			if g := geo.AreaM2(tc.zone, mp); math.Abs(g-own) > 1e-4*own {
				t.Errorf("geo.AreaM2 in zone %d: %.3f m², PostGIS %.3f m²", tc.zone, g, own)
			}
			if math.Abs(in38-own)/own < 5e-4 {
				t.Errorf("zone 38 area %.3f m² is not measurably unlike the own zone's %.3f m²", in38, own)
			}

			// A what-if square overlapping the parcel's east half and
			// sharing its elevations: the parcels check reports the
			// overlap in the own zone.
			b := mp.Bound()
			mid := (b.Min[0] + b.Max[0]) / 2
			other := orb.MultiPolygon{{{{mid, b.Min[1]}, {b.Max[0] + 0.01, b.Min[1]}, {b.Max[0] + 0.01, b.Max[1]}, {mid, b.Max[1]}, {mid, b.Min[1]}}}}
			rep, err := store.CheckGeometry(ctx, compliance.Subject{Name: "what-if", Geometry: other, ElevationTopM: &top, ElevationBottomM: &bottom})
			if err != nil {
				t.Fatal(err)
			}
			var wantArea, wantOverlap, overlap38 float64
			if err := pool.QueryRow(ctx, `SELECT ST_Area(ST_Transform(o, $3::int)), ST_Area(ST_Intersection(ST_Transform(p.geom, $3::int), ST_Transform(o, $3::int))),
					ST_Area(ST_Intersection(ST_Transform(p.geom, 4526), ST_Transform(o, 4526)))
				FROM parcel p, (SELECT ST_SetSRID(ST_GeomFromWKB($2::bytea), 4490) AS o) s WHERE p.id = $1`,
				p.ID, wkb.MustMarshal(other), geo.SRIDOfZone(tc.zone)).Scan(&wantArea, &wantOverlap, &overlap38); err != nil {
				t.Fatal(err)
			}
			if math.Abs(rep.AreaM2-wantArea) > 1e-6*wantArea {
				t.Errorf("report area %.3f, PostGIS in own zone %.3f", rep.AreaM2, wantArea)
			}
			c := checkByName(t, rep, "parcels")
			var hit *compliance.Hit
			for i := range c.Hits {
				if c.Hits[i].Name == "zone test" {
					hit = &c.Hits[i]
				}
			}
			if hit == nil {
				t.Fatalf("parcels check without the parcel: %s %q", c.Verdict, c.Statement)
			}
			if math.Abs(hit.OverlapM2-wantOverlap) > 1e-6*wantOverlap || math.Abs(overlap38-wantOverlap)/wantOverlap < 5e-4 {
				t.Errorf("overlap %.3f m²; own zone %.3f, zone 38 %.3f", hit.OverlapM2, wantOverlap, overlap38)
			}
			area := checkByName(t, rep, "area")
			if epsg := geo.EPSGOfZone(tc.zone); !strings.Contains(area.Title, epsg) || !strings.Contains(area.Statement, epsg) || area.Verdict != compliance.VerdictPass {
				t.Errorf("area check %s %q %q; want it in %s and passing (geo agrees with PostGIS)", area.Verdict, area.Title, area.Statement, epsg)
			}
		})
	}
}

// TestLayerDistanceInOwnZone: a red line 250 m east of a zone-39 what-if
// parcel (in its own zone) is within the 300 m setback; in EPSG:4526 the
// same gap measures more, and the report gives the own zone's figure.
func TestLayerDistanceInOwnZone(t *testing.T) {
	ctx := context.Background()
	store, pool := newStore(t, true)
	mp := box(117.5, 32.9, 1, 1)
	b := mp.Bound()
	// Find the longitude 250 m east in EPSG:4527 with PostGIS itself.
	var e float64
	if err := pool.QueryRow(ctx, `SELECT ST_X(ST_Transform(ST_Translate(ST_Transform(ST_SetSRID(ST_MakePoint($1, $2), 4490), 4527), 250, 0), 4490))`,
		b.Max[0], b.Min[1]).Scan(&e); err != nil {
		t.Fatal(err)
	}
	line := orb.Polygon{{{e, b.Min[1] - 0.05}, {e + 0.001, b.Min[1] - 0.05}, {e + 0.001, b.Max[1] + 0.05}, {e, b.Max[1] + 0.05}, {e, b.Min[1] - 0.05}}}
	fc := geojson.NewFeatureCollection()
	f := geojson.NewFeature(line)
	f.Properties = geojson.Properties{"id": "red-east", "name": "东侧红线"}
	fc.Append(f)
	raw, _ := fc.MarshalJSON()
	r, err := geo.NewLayerReader(strings.NewReader(string(raw)), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.ImportLayer(ctx, registry.LayerImport{Name: "redlines", Features: r}); err != nil {
		t.Fatal(err)
	}
	rep, err := store.CheckGeometry(ctx, compliance.Subject{Name: "what-if", Geometry: mp})
	if err != nil {
		t.Fatal(err)
	}
	var own, in38 float64
	if err := pool.QueryRow(ctx, `SELECT ST_Distance(ST_Transform(f.geom, 4527), ST_Transform(s.g, 4527)), ST_Distance(f.geom_4526, ST_Transform(s.g, 4526))
		FROM layer_feature f JOIN layer l ON l.id = f.layer_id AND l.current AND l.name = 'redlines',
		(SELECT ST_SetSRID(ST_GeomFromWKB($1::bytea), 4490) AS g) s WHERE f.fid = 'red-east'`, wkb.MustMarshal(mp)).Scan(&own, &in38); err != nil {
		t.Fatal(err)
	}
	c := checkByName(t, rep, "layer:redlines")
	if len(c.Hits) != 1 || math.Abs(c.Hits[0].DistanceM-own) > 1e-6 || c.Verdict != compliance.VerdictWarn {
		t.Fatalf("redlines %s %q %+v; want one warning at %.3f m (own zone)", c.Verdict, c.Statement, c.Hits, own)
	}
	if math.Abs(own-250) > 0.5 || in38-own < 0.1 {
		t.Errorf("distance %.3f m in EPSG:4527, %.3f m in EPSG:4526: want ~250 and measurably more in 4526", own, in38)
	}
}
