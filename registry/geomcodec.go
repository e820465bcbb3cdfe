package registry

import (
	"context"
	"database/sql/driver"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/ewkb"
)

// Geometry is a PostGIS geometry value at the storage boundary: a go-geom
// geometry with its SRID and layout (XY, or XYZ where a mining right is a
// volume), read and written as EWKB. A nil T is SQL NULL. A mining right's
// volume, a POLYHEDRALSURFACE Z in PostGIS (migration 015), reads as a
// *geom.MultiPolygon of its faces in XYZ (see asMultiPolygon).
//
// On a connection where RegisterGeometry has run, geometry travels in the
// binary protocol through GeometryCodec. Elsewhere (a pool made without
// AfterConnect) it still works: pgx asks for an unknown type as text, and
// PostGIS's text form of a geometry is hex EWKB, which Geometry reads and
// writes too.
type Geometry struct{ T geom.T }

// ErrGeometry is wrapped by every failure to decode a geometry.
var ErrGeometry = errors.New("registry: not a PostGIS geometry (EWKB)")

// GeometryCodec is the pgx codec of PostGIS's geometry type: EWKB in the
// binary format, hex EWKB in the text format. It encodes geom.T values,
// Geometry and *Geometry, and scans into *Geometry and *geom.T.
type GeometryCodec struct{}

var _ pgtype.Codec = GeometryCodec{}

// FormatSupported accepts both formats.
func (GeometryCodec) FormatSupported(format int16) bool {
	return format == pgtype.BinaryFormatCode || format == pgtype.TextFormatCode
}

// PreferredFormat is binary: EWKB as geometry_send writes it.
func (GeometryCodec) PreferredFormat() int16 { return pgtype.BinaryFormatCode }

// PlanEncode encodes a geom.T or Geometry.
func (GeometryCodec) PlanEncode(_ *pgtype.Map, _ uint32, format int16, value any) pgtype.EncodePlan {
	switch value.(type) {
	case geom.T, Geometry, *Geometry:
	default:
		return nil
	}
	return geometryEncodePlan{text: format == pgtype.TextFormatCode}
}

type geometryEncodePlan struct{ text bool }

func (p geometryEncodePlan) Encode(value any, buf []byte) ([]byte, error) {
	var g geom.T
	switch v := value.(type) {
	case Geometry:
		g = v.T
	case *Geometry:
		if v != nil {
			g = v.T
		}
	case geom.T:
		g = v
	}
	if isNil(g) {
		return nil, nil
	}
	b, err := ewkb.Marshal(g, binary.LittleEndian)
	if err != nil {
		return nil, fmt.Errorf("registry: encode geometry: %w", err)
	}
	if p.text {
		return hex.AppendEncode(buf, b), nil
	}
	return append(buf, b...), nil
}

// PlanScan scans into *Geometry or *geom.T.
func (GeometryCodec) PlanScan(_ *pgtype.Map, _ uint32, format int16, target any) pgtype.ScanPlan {
	switch target.(type) {
	case *Geometry, *geom.T:
		return geometryScanPlan{text: format == pgtype.TextFormatCode}
	}
	return nil
}

type geometryScanPlan struct{ text bool }

func (p geometryScanPlan) Scan(src []byte, target any) error {
	var g geom.T
	if src != nil {
		var err error
		if g, err = decodeGeometry(src, p.text); err != nil {
			return err
		}
	}
	switch t := target.(type) {
	case *Geometry:
		t.T = g
	case *geom.T:
		*t = g
	}
	return nil
}

// DecodeDatabaseSQLValue returns the EWKB bytes.
func (GeometryCodec) DecodeDatabaseSQLValue(_ *pgtype.Map, _ uint32, format int16, src []byte) (driver.Value, error) {
	if src == nil {
		return nil, nil
	}
	g, err := decodeGeometry(src, format == pgtype.TextFormatCode)
	if err != nil {
		return nil, err
	}
	return ewkb.Marshal(g, binary.LittleEndian)
}

// DecodeValue returns the geom.T (nil for NULL).
func (GeometryCodec) DecodeValue(_ *pgtype.Map, _ uint32, format int16, src []byte) (any, error) {
	if src == nil {
		return nil, nil
	}
	return decodeGeometry(src, format == pgtype.TextFormatCode)
}

// decodeGeometry reads EWKB, or hex EWKB when text. Any malformed input is
// an error wrapping ErrGeometry, never a panic.
func decodeGeometry(src []byte, text bool) (g geom.T, err error) {
	defer func() {
		if r := recover(); r != nil {
			g, err = nil, fmt.Errorf("%w: %v", ErrGeometry, r)
		}
	}()
	b := src
	if text {
		b = make([]byte, hex.DecodedLen(len(src)))
		if _, err := hex.Decode(b, src); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrGeometry, err)
		}
	}
	g, err = ewkb.Unmarshal(asMultiPolygon(b))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrGeometry, err)
	}
	return g, nil
}

// EWKB type codes of the geometries go-geom has no type for but reads in
// another's layout.
const (
	wkbMultiPolygon      = 6
	wkbPolyhedralSurface = 15
)

// asMultiPolygon returns b with a PolyhedralSurface's type code made a
// MultiPolygon's: a mining right's volume (migration 015) is stored as a
// POLYHEDRALSURFACE Z, which go-geom does not know, and whose (E)WKB is
// laid out exactly as a multipolygon's (a count, then that many polygons),
// so it reads as a MultiPolygon of its faces with every coordinate as
// stored. The flags of EWKB (Z, M, SRID in the high bits) are kept.
// Anything else is returned as it is.
func asMultiPolygon(b []byte) []byte {
	if len(b) < 5 || b[0] > 1 {
		return b
	}
	var order binary.ByteOrder = binary.BigEndian
	if b[0] == 1 {
		order = binary.LittleEndian
	}
	t := order.Uint32(b[1:5])
	flags, code := t&0xf0000000, t&0x0fffffff
	if code != wkbPolyhedralSurface {
		return b
	}
	out := slices.Clone(b)
	order.PutUint32(out[1:5], flags|wkbMultiPolygon)
	return out
}

// ScanText reads PostGIS's text form (hex EWKB): the path of a connection
// on which the codec is not registered.
func (g *Geometry) ScanText(v pgtype.Text) error {
	if !v.Valid {
		g.T = nil
		return nil
	}
	t, err := decodeGeometry([]byte(v.String), true)
	if err != nil {
		return err
	}
	g.T = t
	return nil
}

// TextValue writes hex EWKB, which PostGIS's geometry input reads.
func (g Geometry) TextValue() (pgtype.Text, error) {
	if isNil(g.T) {
		return pgtype.Text{}, nil
	}
	b, err := ewkb.Marshal(g.T, binary.LittleEndian)
	if err != nil {
		return pgtype.Text{}, fmt.Errorf("registry: encode geometry: %w", err)
	}
	return pgtype.Text{String: hex.EncodeToString(b), Valid: true}, nil
}

func isNil(g geom.T) bool {
	if g == nil {
		return true
	}
	switch v := g.(type) {
	case *geom.Point:
		return v == nil
	case *geom.LineString:
		return v == nil
	case *geom.Polygon:
		return v == nil
	case *geom.MultiPoint:
		return v == nil
	case *geom.MultiLineString:
		return v == nil
	case *geom.MultiPolygon:
		return v == nil
	case *geom.GeometryCollection:
		return v == nil
	}
	return false
}

// RegisterGeometry registers GeometryCodec for PostGIS's geometry type on
// conn. A database without PostGIS (or before the migrations made it) is
// left as it is.
func RegisterGeometry(ctx context.Context, conn *pgx.Conn) error {
	var oid *uint32
	if err := conn.QueryRow(ctx, `SELECT to_regtype('geometry')::oid`).Scan(&oid); err != nil {
		return fmt.Errorf("registry: register geometry: %w", err)
	}
	if oid == nil || *oid == 0 {
		return nil
	}
	conn.TypeMap().RegisterType(&pgtype.Type{Name: "geometry", OID: *oid, Codec: GeometryCodec{}})
	return nil
}

// AfterConnect chains RegisterGeometry after next (which may be nil), for
// pgxpool.Config.AfterConnect.
func AfterConnect(next func(context.Context, *pgx.Conn) error) func(context.Context, *pgx.Conn) error {
	return func(ctx context.Context, conn *pgx.Conn) error {
		if next != nil {
			if err := next(ctx, conn); err != nil {
				return err
			}
		}
		return RegisterGeometry(ctx, conn)
	}
}

// SRID4490 is CGCS2000 lon/lat, the SRID of every stored parcel and
// feature.
const SRID4490 = 4490

// GeometryOfOrb converts an orb multipolygon (lon/lat, as geo and the
// GeoJSON and tile code use them) to go-geom with the SRID, XY.
func GeometryOfOrb(mp orb.MultiPolygon, srid int) *geom.MultiPolygon {
	out := geom.NewMultiPolygon(geom.XY).SetSRID(srid)
	for _, p := range mp {
		gp := geom.NewPolygon(geom.XY)
		for _, r := range p {
			flat := make([]float64, 0, 2*len(r))
			for _, pt := range r {
				flat = append(flat, pt[0], pt[1])
			}
			if err := gp.Push(geom.NewLinearRingFlat(geom.XY, flat)); err != nil {
				panic(err) // same layout: cannot fail
			}
		}
		if err := out.Push(gp); err != nil {
			panic(err)
		}
	}
	return out
}

// OrbOfGeometry converts a go-geom polygon or multipolygon to an orb
// multipolygon, keeping X and Y (a Z or M ordinate is dropped: orb is
// planar). Other types are an error.
func OrbOfGeometry(g geom.T) (orb.MultiPolygon, error) {
	switch v := g.(type) {
	case *geom.MultiPolygon:
		out := make(orb.MultiPolygon, v.NumPolygons())
		for i := range out {
			out[i] = orbPolygon(v.Polygon(i))
		}
		return out, nil
	case *geom.Polygon:
		return orb.MultiPolygon{orbPolygon(v)}, nil
	case nil:
		return nil, nil
	}
	return nil, fmt.Errorf("registry: a %T is not a polygon or multipolygon", g)
}

func orbPolygon(p *geom.Polygon) orb.Polygon {
	out := make(orb.Polygon, p.NumLinearRings())
	for i := range out {
		r := p.LinearRing(i)
		ring := make(orb.Ring, r.NumCoords())
		for j := range ring {
			c := r.Coord(j)
			ring[j] = orb.Point{c.X(), c.Y()}
		}
		out[i] = ring
	}
	return out
}
