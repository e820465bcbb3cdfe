package registry_test

import (
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"

	"minerights/compliance"
	"minerights/geo"
	"minerights/internal/pgtest"
	"minerights/registry"
	"minerights/registry/registrytest"
)

// volumeFigures are what PostGIS reads back of a stored volume
// (migration 015) beside the footprint and range it was made from.
type volumeFigures struct {
	kind                     string
	dims, srid, zoneSRID     int
	zmin, zmax               float64
	closed                   bool
	faces, edges, polygons   int
	topArea, bottomArea, own float64
}

const volumeFiguresSQL = `SELECT GeometryType(volume), ST_NDims(volume), ST_SRID(volume), cgcs2000_zone_srid(geom),
		ST_ZMin(volume), ST_ZMax(volume), ST_IsClosed(volume), ST_NumGeometries(volume),
		ST_NPoints(geom) - (SELECT count(*) FROM ST_DumpRings(ST_GeometryN(geom, 1))), ST_NumGeometries(geom),
		(SELECT sum(ST_Area(f.geom)) FROM ST_Dump(volume) f WHERE ST_ZMin(f.geom) = ST_ZMax(volume) AND ST_ZMax(f.geom) = ST_ZMax(volume)),
		(SELECT sum(ST_Area(f.geom)) FROM ST_Dump(volume) f WHERE ST_ZMin(f.geom) = ST_ZMin(volume) AND ST_ZMax(f.geom) = ST_ZMin(volume)),
		ST_Area(ST_Transform(geom, cgcs2000_zone_srid(geom)))`

// assertVolume checks that the stored volume of parcel id is the closed
// prism of its footprint between bottom and top in its own zone, as
// PostGIS reads it, and as the store reads it through the codec.
func assertVolume(t *testing.T, pool *pgxpool.Pool, store *registry.Store, id int64, top, bottom float64) {
	t.Helper()
	ctx := context.Background()
	var v volumeFigures
	if err := pool.QueryRow(ctx, volumeFiguresSQL+` FROM parcel WHERE id = $1`, id).Scan(&v.kind, &v.dims, &v.srid, &v.zoneSRID,
		&v.zmin, &v.zmax, &v.closed, &v.faces, &v.edges, &v.polygons, &v.topArea, &v.bottomArea, &v.own); err != nil {
		t.Fatal(err)
	}
	if v.kind != "POLYHEDRALSURFACE" || v.dims != 3 || v.srid != v.zoneSRID || !v.closed {
		t.Errorf("volume is a %s in %d dimensions, SRID %d (own zone %d), closed %v", v.kind, v.dims, v.srid, v.zoneSRID, v.closed)
	}
	assertShape(t, v, top, bottom)
	assertCodecVolume(t, store, id, v.srid, v.faces, top, bottom)
}

// assertShape checks what a volume without holes and one with holes have
// alike: its Z is the range, a bottom, a top and a wall per edge, top and
// bottom faces of the footprint's area in its zone. (PostGIS's ST_IsClosed
// looks at the outer rings of the faces only, and calls a prism with a
// hole open: TestRightVolumeWithHole asks SFCGAL instead.)
func assertShape(t *testing.T, v volumeFigures, top, bottom float64) {
	t.Helper()
	if v.zmin != bottom || v.zmax != top {
		t.Errorf("volume spans Z %v…%v, range is %v…%v", v.zmin, v.zmax, bottom, top)
	}
	// One polygon: bottom, top, and a wall per edge of every ring.
	if v.polygons != 1 || v.faces != 2+v.edges {
		t.Errorf("%d faces for %d polygon(s) of %d edges", v.faces, v.polygons, v.edges)
	}
	if math.Abs(v.topArea-v.own) > 1e-6*v.own || math.Abs(v.bottomArea-v.own) > 1e-6*v.own {
		t.Errorf("top face %.4f m², bottom face %.4f m², footprint in its zone %.4f m²", v.topArea, v.bottomArea, v.own)
	}
}

// assertCodecVolume checks the volume of parcel id as the store reads it
// through the codec: go-geom XYZ faces in its zone, spanning the range.
func assertCodecVolume(t *testing.T, store *registry.Store, id int64, srid, faces int, top, bottom float64) {
	t.Helper()
	p, err := store.GetParcel(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	mp, ok := p.Volume.(*geom.MultiPolygon)
	if !ok || mp.Layout() != geom.XYZ || mp.SRID() != srid || mp.NumPolygons() != faces {
		t.Fatalf("the store reads the volume as %T %#v", p.Volume, p.Volume)
	}
	if e, ok := compliance.ExtentOf(p.Volume); !ok || e.BottomM != bottom || e.TopM != top {
		t.Errorf("extent through the codec %+v %v, want %v…%v", e, ok, bottom, top)
	}
}

// TestRightVolumeFollowsFootprintAndRange: a parcel with a mining
// elevation range is stored with its volume, in its own zone (38 and 37),
// made by the database on insert and on every change of the footprint or
// the range, never written by anyone else; without a range it has none.
func TestRightVolumeFollowsFootprintAndRange(t *testing.T) {
	ctx := context.Background()
	store, pool := newStore(t, true)
	for _, lon := range []float64{114.2, 111.5} {
		t.Run(geo.EPSGOfZone(geo.ZoneOf(box(lon, 32.0, 1, 1))), func(t *testing.T) {
			top, bottom := 400.0, 100.0
			p, err := store.CreateParcel(ctx, registry.ParcelInput{Name: "volume test", CountyCode: "411726", Mineral: "建筑用砂岩",
				Basis: "explored", Geometry: box(lon, 32.0, 1, 1), GeometrySource: registry.GeometrySurveyed,
				ElevationTopM: &top, ElevationBottomM: &bottom})
			if err != nil {
				t.Fatal(err)
			}
			assertVolume(t, pool, store, p.ID, top, bottom)

			// A new footprint (six corners) and a new range.
			top, bottom = 512.5, -37.25
			b := box(lon, 32.0, 1.5, 1)[0][0]
			six := orb.MultiPolygon{{{b[0], b[1], {b[1][0], b[1][1] + 0.004}, b[2], b[3], {b[0][0] - 0.003, b[0][1] + 0.004}, b[0]}}}
			if _, err := store.UpdateParcel(ctx, p.ID, registry.ParcelPatch{Geometry: six, ElevationTopM: &top, ElevationBottomM: &bottom}); err != nil {
				t.Fatal(err)
			}
			assertVolume(t, pool, store, p.ID, top, bottom)
			top = 600
			if _, err := store.UpdateParcel(ctx, p.ID, registry.ParcelPatch{ElevationTopM: &top}); err != nil {
				t.Fatal(err)
			}
			assertVolume(t, pool, store, p.ID, top, bottom)

			// Nobody writes a volume: it is the database's.
			_, err = pool.Exec(ctx, `UPDATE parcel SET volume = NULL WHERE id = $1`, p.ID)
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != "428C9" {
				t.Errorf("writing the volume: %v; want generated_always (428C9)", err)
			}
		})
	}

	// No range, no volume; a range recorded later makes one.
	p, err := store.CreateParcel(ctx, registry.ParcelInput{Name: "no range", CountyCode: "411726", Mineral: "建筑用砂",
		Basis: "reconnaissance", Geometry: box(114.3, 32.2, 1, 1), GeometrySource: registry.GeometrySurveyed})
	if err != nil {
		t.Fatal(err)
	}
	if p.Volume != nil {
		t.Errorf("a parcel without a range has a volume %#v", p.Volume)
	}
	top, bottom := 150.0, 90.0
	if _, err := store.UpdateParcel(ctx, p.ID, registry.ParcelPatch{ElevationTopM: &top, ElevationBottomM: &bottom}); err != nil {
		t.Fatal(err)
	}
	assertVolume(t, pool, store, p.ID, top, bottom)
}

// TestRightVolumeWithHole: a footprint with a hole (a pit left out) gives
// a prism with walls around the hole too; SFCGAL, where installed, makes it
// a valid solid whose volume is the footprint's area times the height.
func TestRightVolumeWithHole(t *testing.T) {
	ctx := context.Background()
	store, pool := newStore(t, true)
	outer := box(114.25, 32.1, 1, 1)[0][0]
	hole := box(114.253, 32.103, 0.3, 0.3)[0][0]
	slices.Reverse(hole)
	top, bottom := 320.0, 80.0
	p, err := store.CreateParcel(ctx, registry.ParcelInput{Name: "hole", CountyCode: "411726", Mineral: "建筑用砂岩", Basis: "explored",
		Geometry: orb.MultiPolygon{{outer, hole}}, GeometrySource: registry.GeometrySurveyed, ElevationTopM: &top, ElevationBottomM: &bottom})
	if err != nil {
		t.Fatal(err)
	}
	var v volumeFigures
	if err := pool.QueryRow(ctx, volumeFiguresSQL+` FROM parcel WHERE id = $1`, p.ID).Scan(&v.kind, &v.dims, &v.srid, &v.zoneSRID,
		&v.zmin, &v.zmax, &v.closed, &v.faces, &v.edges, &v.polygons, &v.topArea, &v.bottomArea, &v.own); err != nil {
		t.Fatal(err)
	}
	if v.kind != "POLYHEDRALSURFACE" || v.dims != 3 || v.srid != v.zoneSRID || v.edges != 8 {
		t.Errorf("volume is a %s in %d dimensions, SRID %d (own zone %d), %d edges", v.kind, v.dims, v.srid, v.zoneSRID, v.edges)
	}
	assertShape(t, v, top, bottom)
	assertCodecVolume(t, store, p.ID, v.srid, v.faces, top, bottom)
	if pgtest.Citus() != nil || !haveSFCGAL(t, pool) {
		return
	}
	var solid float64
	if err := pool.QueryRow(ctx, `SELECT ST_Volume(ST_MakeSolid(volume)) FROM parcel WHERE id = $1`, p.ID).Scan(&solid); err != nil {
		t.Fatal(err)
	}
	if want := v.own * (top - bottom); math.Abs(solid-want) > 1e-6*want {
		t.Errorf("SFCGAL's volume %.3f m³, footprint × height %.3f m³", solid, want)
	}
}

// haveSFCGAL creates postgis_sfcgal in the test database when PostgreSQL
// has it (Debian's PostGIS package ships it), and says whether it did.
func haveSFCGAL(t *testing.T, pool *pgxpool.Pool) bool {
	t.Helper()
	ctx := context.Background()
	var ok bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'postgis_sfcgal')`).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Log("postgis_sfcgal is not installed: no solid cross-check")
		return false
	}
	if _, err := pool.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS postgis_sfcgal`); err != nil {
		t.Fatal(err)
	}
	return true
}

// TestLayerRightVolumes: every feature of the seeded mining-rights layer
// (elevation_top_m/elevation_bottom_m) is stored with its volume, closed,
// in its own zone, spanning exactly its range, with top and bottom faces of
// the footprint's area there; features without a range have none.
func TestLayerRightVolumes(t *testing.T) {
	ctx := context.Background()
	_, pool := newStore(t, true)
	rows, err := pool.Query(ctx, volumeFiguresSQL+`, f.fid, f.elevation_top_m, f.elevation_bottom_m
		FROM layer_feature f JOIN layer l ON l.id = f.layer_id WHERE l.current AND l.name = 'mining_rights' ORDER BY f.fid`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var v volumeFigures
		var fid string
		var top, bottom float64
		if err := rows.Scan(&v.kind, &v.dims, &v.srid, &v.zoneSRID, &v.zmin, &v.zmax, &v.closed, &v.faces, &v.edges, &v.polygons,
			&v.topArea, &v.bottomArea, &v.own, &fid, &top, &bottom); err != nil {
			t.Fatal(err)
		}
		n++
		if v.kind != "POLYHEDRALSURFACE" || v.dims != 3 || v.srid != v.zoneSRID || !v.closed || v.zmin != bottom || v.zmax != top ||
			math.Abs(v.topArea-v.own) > 1e-6*v.own || math.Abs(v.bottomArea-v.own) > 1e-6*v.own {
			t.Errorf("%s (%v…%v): %+v", fid, bottom, top, v)
		}
	}
	if rows.Err() != nil || n != 7 {
		t.Fatalf("%d rights with volumes: %v", n, rows.Err())
	}
	var without int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM layer_feature WHERE (volume IS NULL) <> (elevation_top_m IS NULL)`).Scan(&without); err != nil || without != 0 {
		t.Errorf("%d features whose volume and range disagree: %v", without, err)
	}
}

// TestRightAboveAnotherRight: two registered rights whose footprints
// overlap. One above the other (touching) is vertical layering, allowed
// for review, sharing no volume; one reaching into the other is a 3-D
// conflict, and the report gives the volume they share: the plan overlap
// times the shared height, equal to SFCGAL's exact solid intersection where
// that extension is installed.
func TestRightAboveAnotherRight(t *testing.T) {
	ctx := context.Background()
	store, pool := newStore(t, true)
	lower := box(113.0, 32.0, 1, 1)
	b := lower.Bound()
	mid := (b.Min[0] + b.Max[0]) / 2
	upperPlan := orb.MultiPolygon{{{{mid, b.Min[1] + 0.002}, {b.Max[0] + 0.005, b.Min[1] + 0.002}, {b.Max[0] + 0.005, b.Max[1] + 0.003}, {mid, b.Max[1] + 0.003}, {mid, b.Min[1] + 0.002}}}}
	f := func(v float64) *float64 { return &v }
	a, err := store.CreateParcel(ctx, registry.ParcelInput{Name: "下层矿", CountyCode: "411726", Mineral: "建筑用砂岩", Basis: "explored",
		Geometry: lower, GeometrySource: registry.GeometrySurveyed, ElevationTopM: f(200), ElevationBottomM: f(100)})
	if err != nil {
		t.Fatal(err)
	}
	up, err := store.CreateParcel(ctx, registry.ParcelInput{Name: "上层矿", CountyCode: "411726", Mineral: "建筑用砂岩", Basis: "explored",
		Geometry: upperPlan, GeometrySource: registry.GeometrySurveyed, ElevationTopM: f(300), ElevationBottomM: f(200)})
	if err != nil {
		t.Fatal(err)
	}
	hitOn := func(t *testing.T, id int64) (compliance.Check, compliance.Hit) {
		t.Helper()
		rep, err := store.RunCompliance(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		c := checkByName(t, rep, "parcels")
		for _, h := range c.Hits {
			if h.FID == strconv.FormatInt(a.ID, 10) {
				return c, h
			}
		}
		t.Fatalf("parcels check without the lower right: %s %q", c.Verdict, c.Statement)
		return c, compliance.Hit{}
	}
	var planOverlap float64
	if err := pool.QueryRow(ctx, `SELECT ST_Area(ST_Intersection(ST_Transform(a.geom, cgcs2000_zone_srid(b.geom)), ST_Transform(b.geom, cgcs2000_zone_srid(b.geom))))
		FROM parcel a, parcel b WHERE a.id = $1 AND b.id = $2`, a.ID, up.ID).Scan(&planOverlap); err != nil {
		t.Fatal(err)
	}
	if planOverlap < 1e5 {
		t.Fatalf("the footprints overlap by %.1f m² only", planOverlap)
	}

	c, h := hitOn(t, up.ID)
	if c.Verdict != compliance.VerdictWarn || h.Severity != compliance.VerdictWarn || !strings.Contains(h.Reason, "vertical layering") ||
		h.OverlapM3 == nil || *h.OverlapM3 != 0 || math.Abs(h.OverlapM2-planOverlap) > 1e-6*planOverlap {
		t.Errorf("right above: %s %q, hit %+v", c.Verdict, c.Statement, h)
	}

	// The upper right now reaches 50 m into the lower one.
	if _, err := store.UpdateParcel(ctx, up.ID, registry.ParcelPatch{ElevationBottomM: f(150), ElevationTopM: f(250)}); err != nil {
		t.Fatal(err)
	}
	c, h = hitOn(t, up.ID)
	want := planOverlap * 50
	if c.Verdict != compliance.VerdictFail || h.Severity != compliance.VerdictFail || !strings.Contains(h.Reason, "3-D conflict") ||
		!strings.Contains(h.Reason, "overlap by 50 m") || h.OverlapM3 == nil || math.Abs(*h.OverlapM3-want) > 1e-6*want {
		t.Errorf("right reaching into the other: %s %q, hit %+v; want %.1f m³", c.Verdict, c.Statement, h, want)
	}
	if problem, err := store.ComplianceProblem(ctx, up.ID); err != nil || !strings.Contains(problem, "3-D conflict") {
		t.Errorf("the conflict does not stop the announcement: %q %v", problem, err)
	}

	// Where SFCGAL is installed (Debian's PostGIS package ships it), its
	// exact solid intersection of the two stored volumes agrees.
	if pgtest.Citus() != nil {
		return
	}
	if !haveSFCGAL(t, pool) {
		return
	}
	var exact float64
	if err := pool.QueryRow(ctx, `SELECT ST_Volume(ST_3DIntersection(ST_MakeSolid(a.volume), ST_MakeSolid(b.volume)))
		FROM parcel a, parcel b WHERE a.id = $1 AND b.id = $2`, a.ID, up.ID).Scan(&exact); err != nil {
		t.Fatal(err)
	}
	t.Logf("shared volume %.3f m³, SFCGAL's solid intersection %.3f m³", *h.OverlapM3, exact)
	if math.Abs(*h.OverlapM3-exact) > 1e-6*exact {
		t.Errorf("shared volume %.3f m³, SFCGAL %.3f m³", *h.OverlapM3, exact)
	}
}

// TestGDALReadsRightVolume: GDAL's PostgreSQL driver reads a stored volume
// as a 3-D polyhedral surface, with the range's elevations as Z.
func TestGDALReadsRightVolume(t *testing.T) {
	ogrinfo, err := exec.LookPath("ogrinfo")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ogrinfo is missing (apt-get install gdal-bin); CI must have it")
		}
		t.Skip("ogrinfo is missing: apt-get install gdal-bin")
	}
	ctx := context.Background()
	d := registrytest.Seeded(t)
	p := parcelByNo(t, d.Store, 2)
	cfg, err := pgconn.ParseConfig(d.URL)
	if err != nil {
		t.Fatal(err)
	}
	conn := "PG:dbname='" + cfg.Database + "' host='" + cfg.Host + "' port=" + strconv.Itoa(int(cfg.Port)) + " user='" + cfg.User + "'"
	if cfg.Password != "" {
		conn += " password='" + cfg.Password + "'"
	}
	ogr := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, ogrinfo, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("ogrinfo %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	if out := ogr("-ro", "-so", conn, "parcel(volume)"); !strings.Contains(out, "Geometry: 3D PolyhedralSurface") {
		t.Errorf("GDAL's summary of parcel(volume):\n%s", out)
	}
	out := ogr("-ro", "-q", conn, "-sql", "SELECT id, volume FROM parcel WHERE id = "+strconv.FormatInt(p.ID, 10))
	i := strings.Index(out, "POLYHEDRALSURFACE Z (((")
	if i < 0 {
		t.Fatalf("GDAL does not read parcel %d's volume as POLYHEDRALSURFACE Z:\n%s", p.ID, out)
	}
	var zs []float64
	for _, pt := range strings.FieldsFunc(out[i+len("POLYHEDRALSURFACE Z"):], func(r rune) bool { return r == ',' || r == '(' || r == ')' || r == '\n' }) {
		xyz := strings.Fields(pt)
		if len(xyz) != 3 {
			continue
		}
		z, err := strconv.ParseFloat(xyz[2], 64)
		if err != nil {
			t.Fatalf("point %q: %v", pt, err)
		}
		zs = append(zs, z)
	}
	if len(zs) == 0 {
		t.Fatalf("no XYZ points in GDAL's output:\n%s", out)
	}
	for _, z := range zs {
		if z != *p.ElevationTopM && z != *p.ElevationBottomM {
			t.Fatalf("GDAL reads Z %v; the range is %v…%v", z, *p.ElevationBottomM, *p.ElevationTopM)
		}
	}
}
