package registry_test

import (
	"context"
	"testing"

	"minerights/compliance"
	"minerights/registry"
	"minerights/registry/registrytest"
)

// BenchmarkSharedVolume compares the ways to decide whether two mining
// rights share a volume and how much, on gazette parcel 1 (six corners,
// +692…+192 m) and a right over the same footprint 100 m lower: the
// vertical extents of the stored volumes as the rule book reads them
// (what the 3-D rule does, after PostGIS measured the plan overlap), and
// SFCGAL's exact solid predicate and intersection on the same volumes
// (one query each). The SFCGAL rows need the postgis_sfcgal extension,
// which Debian's PostGIS package ships.
//
//	go test -run '^$' -bench BenchmarkSharedVolume -benchtime 5x ./registry
func BenchmarkSharedVolume(b *testing.B) {
	ctx := context.Background()
	d := registrytest.Seeded(b)
	store, pool := d.Store, d.Pool
	p1 := parcelByNoB(b, store, 1)
	top, bottom := *p1.ElevationTopM-100, *p1.ElevationBottomM-100
	p2, err := store.CreateParcel(ctx, registry.ParcelInput{Name: "lower", CountyCode: p1.CountyCode, Mineral: p1.Mineral,
		Basis: "explored", Geometry: p1.Geometry, GeometrySource: registry.GeometrySurveyed, ElevationTopM: &top, ElevationBottomM: &bottom})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("extents", func(b *testing.B) {
		for b.Loop() {
			e1, ok1 := compliance.ExtentOf(p1.Volume)
			e2, ok2 := compliance.ExtentOf(p2.Volume)
			if h, ok := e1.Shared(e2); !ok1 || !ok2 || !ok || h != 400 {
				b.Fatalf("shared height %v", h)
			}
		}
	})
	var sfcgal bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'postgis_sfcgal')`).Scan(&sfcgal); err != nil {
		b.Fatal(err)
	}
	if !sfcgal {
		b.Log("postgis_sfcgal is not installed: no SFCGAL rows")
		return
	}
	if _, err := pool.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS postgis_sfcgal`); err != nil {
		b.Fatal(err)
	}
	for name, q := range map[string]string{
		"sfcgal-3dintersects":   `SELECT ST_3DIntersects(ST_MakeSolid(a.volume), ST_MakeSolid(b.volume))::int::float8`,
		"sfcgal-3dintersection": `SELECT ST_Volume(ST_3DIntersection(ST_MakeSolid(a.volume), ST_MakeSolid(b.volume)))`,
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				var v float64
				if err := pool.QueryRow(ctx, q+` FROM parcel a, parcel b WHERE a.id = $1 AND b.id = $2`, p1.ID, p2.ID).Scan(&v); err != nil || v <= 0 {
					b.Fatalf("%v, %v", v, err)
				}
			}
		})
	}
}

func parcelByNoB(b *testing.B, store *registry.Store, no int) registry.Parcel {
	b.Helper()
	ps, _, err := store.ListParcels(context.Background(), registry.ParcelFilter{})
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range ps {
		if p.GazetteNo != nil && *p.GazetteNo == no {
			return p
		}
	}
	b.Fatalf("no parcel %d", no)
	return registry.Parcel{}
}
