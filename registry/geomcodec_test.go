package registry_test

import (
	"context"
	"encoding/binary"
	"errors"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/ewkb"

	"minerights/registry"
	"minerights/registry/registrytest"
)

func sameGeom(a, b geom.T) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Layout() == b.Layout() && a.SRID() == b.SRID() && slices.Equal(a.FlatCoords(), b.FlatCoords()) &&
		slices.Equal(a.Ends(), b.Ends()) && slices.EqualFunc(a.Endss(), b.Endss(), slices.Equal[[]int])
}

func geometries() map[string]geom.T {
	poly := geom.NewPolygonFlat(geom.XY, []float64{114, 33, 114.01, 33, 114.01, 33.01, 114, 33.01, 114, 33}, []int{10}).SetSRID(4490)
	mp := geom.NewMultiPolygonFlat(geom.XY, []float64{
		114, 33, 114.02, 33, 114.02, 33.02, 114, 33.02, 114, 33,
		114.005, 33.005, 114.005, 33.01, 114.01, 33.01, 114.01, 33.005, 114.005, 33.005,
		114.1, 33.1, 114.11, 33.1, 114.11, 33.11, 114.1, 33.1,
	}, [][]int{{10, 20}, {28}}).SetSRID(4490)
	// A mining right as a volume: its plan at the top and bottom
	// elevations, in EPSG:4526 metres.
	xyz := geom.NewMultiPolygonFlat(geom.XYZ, []float64{
		38500000, 3650000, 460, 38501000, 3650000, 460, 38501000, 3651000, 460, 38500000, 3650000, 460,
		38500000, 3650000, 210, 38501000, 3650000, 210, 38501000, 3651000, 210, 38500000, 3650000, 210,
	}, [][]int{{12}, {24}}).SetSRID(4526)
	pt := geom.NewPointFlat(geom.XYZ, []float64{114.5, 33.5, 120}).SetSRID(4490)
	return map[string]geom.T{"polygon": poly, "multipolygon with hole": mp, "XYZ volume": xyz, "XYZ point": pt}
}

// TestGeometryCodecRoundTrip writes each geometry to PostGIS and reads it
// back, through the registered codec (binary EWKB) and through a pool
// without it (hex EWKB text): same layout, SRID and coordinates, and
// PostGIS sees the SRID and dimension.
func TestGeometryCodecRoundTrip(t *testing.T) {
	ctx := context.Background()
	d := registrytest.Migrated(t)
	plain, err := pgxpool.New(ctx, d.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(plain.Close)
	for poolName, pool := range map[string]*pgxpool.Pool{"codec": d.Pool, "text": plain} {
		for name, g := range geometries() {
			t.Run(poolName+"/"+name, func(t *testing.T) {
				var back registry.Geometry
				var srid, dims int
				if err := pool.QueryRow(ctx, `SELECT g, ST_SRID(g), ST_NDims(g) FROM (SELECT $1::geometry AS g) s`,
					registry.Geometry{T: g}).Scan(&back, &srid, &dims); err != nil {
					t.Fatal(err)
				}
				if !sameGeom(g, back.T) {
					t.Errorf("read back %#v, wrote %#v", back.T, g)
				}
				if srid != g.SRID() || dims != g.Layout().Stride() {
					t.Errorf("PostGIS sees SRID %d, %d dims; want %d, %d", srid, dims, g.SRID(), g.Layout().Stride())
				}
			})
		}
		t.Run(poolName+"/NULL", func(t *testing.T) {
			back := registry.Geometry{T: geom.NewPoint(geom.XY)}
			var isNull bool
			if err := pool.QueryRow(ctx, `SELECT $1::geometry IS NULL, NULL::geometry`, registry.Geometry{}).Scan(&isNull, &back); err != nil {
				t.Fatal(err)
			}
			if !isNull || back.T != nil {
				t.Errorf("NULL: written as null %v, read back %#v", isNull, back.T)
			}
		})
	}
	// A geom.T target and an XYZ volume made by PostGIS itself.
	var got geom.T
	if err := d.Pool.QueryRow(ctx, `SELECT ST_Force3D(ST_GeomFromText('MULTIPOLYGON(((114 33,114.1 33,114.1 33.1,114 33)))', 4490), 350)`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got.Layout() != geom.XYZ || got.SRID() != 4490 || got.FlatCoords()[2] != 350 {
		t.Errorf("ST_Force3D read as %v SRID %d %v", got.Layout(), got.SRID(), got.FlatCoords())
	}
}

// TestGeometryCodecRejectsGarbage: bytes that are not EWKB are an error
// wrapping ErrGeometry, in both formats.
func TestGeometryCodecRejectsGarbage(t *testing.T) {
	c := registry.GeometryCodec{}
	for _, src := range [][]byte{{}, {1}, {1, 3, 0, 0, 0}, {1, 3, 0, 0, 0x20, 0xe6, 0x10, 0, 0, 0xff, 0xff, 0xff, 0x7f}, []byte("zz")} {
		for _, format := range []int16{pgtype.BinaryFormatCode, pgtype.TextFormatCode} {
			if v, err := c.DecodeValue(nil, 0, format, src); !errors.Is(err, registry.ErrGeometry) {
				t.Errorf("format %d, % x: %v, %v; want ErrGeometry", format, src, v, err)
			}
		}
	}
	var g registry.Geometry
	if err := g.ScanText(pgtype.Text{String: "0103", Valid: true}); !errors.Is(err, registry.ErrGeometry) {
		t.Errorf("ScanText: %v", err)
	}
}

// FuzzGeometryDecode: any input either decodes, and then re-encodes to
// EWKB that decodes to the same geometry, or is an error; never a panic.
func FuzzGeometryDecode(f *testing.F) {
	for _, g := range geometries() {
		b, err := ewkb.Marshal(g, binary.LittleEndian)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		be, _ := ewkb.Marshal(g, binary.BigEndian)
		f.Add(be)
	}
	f.Add([]byte{1, 3, 0, 0, 0x20})
	c := registry.GeometryCodec{}
	f.Fuzz(func(t *testing.T, src []byte) {
		v, err := c.DecodeValue(nil, 0, pgtype.BinaryFormatCode, src)
		if err != nil {
			if !errors.Is(err, registry.ErrGeometry) {
				t.Fatalf("error %v does not wrap ErrGeometry", err)
			}
			return
		}
		g, _ := v.(geom.T)
		if g == nil {
			return
		}
		b, err := ewkb.Marshal(g, binary.LittleEndian)
		if err != nil {
			return // decodable but not encodable (e.g. a mixed collection): not ours to store
		}
		again, err := c.DecodeValue(nil, 0, pgtype.BinaryFormatCode, b)
		if err != nil || !sameGeom(g, again.(geom.T)) {
			t.Fatalf("re-encoded %x: %v", b, err)
		}
	})
}

// TestOrbConversion: orb to go-geom and back keeps every ring and point,
// and a Z is dropped on the way to orb.
func TestOrbConversion(t *testing.T) {
	mp := orb.MultiPolygon{
		{{{114, 33}, {114.02, 33}, {114.02, 33.02}, {114, 33}}, {{114.005, 33.005}, {114.01, 33.005}, {114.01, 33.01}, {114.005, 33.005}}},
		{{{114.1, 33.1}, {114.11, 33.1}, {114.11, 33.11}, {114.1, 33.1}}},
	}
	g := registry.GeometryOfOrb(mp, 4490)
	if g.SRID() != 4490 || g.Layout() != geom.XY || g.NumPolygons() != 2 || g.Polygon(0).NumLinearRings() != 2 {
		t.Fatalf("go-geom %v SRID %d", g.Layout(), g.SRID())
	}
	back, err := registry.OrbOfGeometry(g)
	if err != nil || !orb.Equal(back, mp) {
		t.Fatalf("back %v, %v", back, err)
	}
	z := geom.NewPolygonFlat(geom.XYZ, []float64{114, 33, 5, 114.1, 33, 5, 114.1, 33.1, 5, 114, 33, 5}, []int{12})
	if back, err := registry.OrbOfGeometry(z); err != nil || !orb.Equal(back, orb.MultiPolygon{{{{114, 33}, {114.1, 33}, {114.1, 33.1}, {114, 33}}}}) {
		t.Errorf("XYZ polygon to orb: %v, %v", back, err)
	}
	if _, err := registry.OrbOfGeometry(geom.NewPoint(geom.XY)); err == nil {
		t.Error("a point is not a parcel geometry")
	}
}

// TestGeometryCodecReadsPolyhedralSurface: a mining right's volume, a
// POLYHEDRALSURFACE Z in PostGIS, reads as a MultiPolygon Z of its faces
// with every coordinate PostGIS holds, through the codec (binary EWKB), a
// pool without it (hex EWKB text), and as big-endian EWKB; a polygon's
// EWKB is not touched.
func TestGeometryCodecReadsPolyhedralSurface(t *testing.T) {
	ctx := context.Background()
	d := registrytest.Migrated(t)
	plain, err := pgxpool.New(ctx, d.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(plain.Close)
	const cube = `SRID=4526;POLYHEDRALSURFACE Z (
		((38500000 3650000 210,38500000 3650100 210,38500100 3650100 210,38500100 3650000 210,38500000 3650000 210)),
		((38500000 3650000 460,38500100 3650000 460,38500100 3650100 460,38500000 3650100 460,38500000 3650000 460)),
		((38500000 3650000 210,38500100 3650000 210,38500100 3650000 460,38500000 3650000 460,38500000 3650000 210)),
		((38500100 3650000 210,38500100 3650100 210,38500100 3650100 460,38500100 3650000 460,38500100 3650000 210)),
		((38500100 3650100 210,38500000 3650100 210,38500000 3650100 460,38500100 3650100 460,38500100 3650100 210)),
		((38500000 3650100 210,38500000 3650000 210,38500000 3650000 460,38500000 3650100 460,38500000 3650100 210)))`
	var want []float64
	rows, err := d.Pool.Query(ctx, `SELECT ST_X(p.geom), ST_Y(p.geom), ST_Z(p.geom) FROM ST_DumpPoints($1::geometry) p ORDER BY p.path`, cube)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var x, y, z float64
		if err := rows.Scan(&x, &y, &z); err != nil {
			t.Fatal(err)
		}
		want = append(want, x, y, z)
	}
	if rows.Err() != nil || len(want) != 6*5*3 {
		t.Fatalf("points of the cube: %v, %d", rows.Err(), len(want))
	}
	check := func(t *testing.T, g geom.T, srid int) {
		t.Helper()
		mp, ok := g.(*geom.MultiPolygon)
		if !ok || mp.Layout() != geom.XYZ || mp.SRID() != srid || mp.NumPolygons() != 6 || !slices.Equal(mp.FlatCoords(), want) {
			t.Errorf("read as %T %#v", g, g)
		}
	}
	for poolName, pool := range map[string]*pgxpool.Pool{"codec": d.Pool, "text": plain} {
		t.Run(poolName, func(t *testing.T) {
			var back registry.Geometry
			if err := pool.QueryRow(ctx, `SELECT $1::geometry`, cube).Scan(&back); err != nil {
				t.Fatal(err)
			}
			check(t, back.T, 4526)
		})
	}
	var xdr, poly []byte
	if err := d.Pool.QueryRow(ctx, `SELECT ST_AsEWKB(g, 'XDR'), ST_AsEWKB(ST_GeometryN(g, 1)) FROM (SELECT $1::geometry AS g) s`, cube).
		Scan(&xdr, &poly); err != nil {
		t.Fatal(err)
	}
	c := registry.GeometryCodec{}
	v, err := c.DecodeValue(nil, 0, pgtype.BinaryFormatCode, xdr)
	if err != nil {
		t.Fatalf("big-endian EWKB: %v", err)
	}
	check(t, v.(geom.T), 4526)
	if v, err := c.DecodeValue(nil, 0, pgtype.BinaryFormatCode, poly); err != nil {
		t.Fatal(err)
	} else if _, ok := v.(*geom.Polygon); !ok {
		t.Errorf("a face read as %T", v)
	}
}
