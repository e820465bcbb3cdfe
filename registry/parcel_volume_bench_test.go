package registry_test

import (
	"context"
	"testing"
	"time"

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

// BenchmarkWhatIfVolume is what making the subject's volume adds to a
// what-if check: gazette parcel 1's footprint checked without a range and
// with one (its volume made by mining_right_volume in the check's pipelined
// batch), against the seeded layers and parcels, one after the other in
// each iteration so that both see the same load.
//
//	go test -run '^$' -bench BenchmarkWhatIfVolume -benchtime 200x ./registry
func BenchmarkWhatIfVolume(b *testing.B) {
	ctx := context.Background()
	d := registrytest.Seeded(b)
	p1 := parcelByNoB(b, d.Store, 1)
	plan := compliance.Subject{Name: "what-if", CountyCode: p1.CountyCode, Mineral: p1.Mineral, Geometry: p1.Geometry}
	volume := plan
	volume.ElevationTopM, volume.ElevationBottomM = p1.ElevationTopM, p1.ElevationBottomM
	var tPlan, tVolume time.Duration
	for b.Loop() {
		for _, s := range []struct {
			subj compliance.Subject
			sum  *time.Duration
		}{{plan, &tPlan}, {volume, &tVolume}} {
			start := time.Now()
			if _, err := d.Store.CheckGeometry(ctx, s.subj); err != nil {
				b.Fatal(err)
			}
			*s.sum += time.Since(start)
		}
	}
	b.ReportMetric(float64(tPlan.Microseconds())/float64(b.N), "µs-plan/op")
	b.ReportMetric(float64(tVolume.Microseconds())/float64(b.N), "µs-volume/op")
}
