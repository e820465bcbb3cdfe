package maps

import (
	"fmt"
	"math"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"minerights/internal/cql2"
	"minerights/registry"
)

// compiler turns the bbox and the CQL2 filter of an items query into a SQL
// condition over the collection's rows whose every value is a $n
// parameter. It writes SQL text only, from fragments of this file and the
// collection's own (Queryable.SQL, Collection.GeometrySQL); the store runs
// it.
type compiler struct {
	p     *registry.Params
	c     registry.Collection
	crs   registry.CRS
	geoms []registry.GeometryLiteral
}

// compile is the condition of bbox (in bboxCRS) and filter (its geometry
// literals in filterCRS), or nil when there is neither. Bad input is a
// *registry.ValidationError naming the parameter: bbox or filter.
func compile(c registry.Collection, bbox []float64, bboxCRS registry.CRS, filter cql2.Expr, filterCRS registry.CRS) (*registry.Condition, error) {
	if bbox == nil && filter == nil {
		return nil, nil
	}
	b := &compiler{p: c.Params(), c: c, crs: filterCRS}
	if b.crs.URI == "" {
		b.crs = registry.CRS84
	}
	var where []string
	if bbox != nil {
		env, err := b.envelope(bbox, bboxCRS)
		if err != nil {
			return nil, err
		}
		where = append(where, "ST_Intersects("+c.GeometrySQL()+", "+env+")")
	}
	if filter != nil {
		cond, err := b.expr(filter)
		if err != nil {
			return nil, &registry.ValidationError{Field: "filter", Reason: err.Error()}
		}
		where = append(where, cond)
	}
	return b.p.Condition(strings.Join(where, " AND "), b.geoms), nil
}

func (b *compiler) param(v any, cast string) string { return b.p.Bind(v, cast) }

// envelope is the SQL of a bbox in SRID 4490.
func (b *compiler) envelope(v []float64, crs registry.CRS) (string, error) {
	if crs.URI == "" {
		crs = registry.CRS84
	}
	var x1, y1, x2, y2 float64
	switch len(v) {
	case 4:
		x1, y1, x2, y2 = v[0], v[1], v[2], v[3]
	case 6:
		x1, y1, x2, y2 = v[0], v[1], v[3], v[4]
	default:
		return "", &registry.ValidationError{Field: "bbox", Reason: fmt.Sprintf("needs 4 numbers (or 6 with heights), found %d", len(v))}
	}
	for _, f := range v {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return "", &registry.ValidationError{Field: "bbox", Reason: "has a number that is not finite"}
		}
	}
	if crs.Flip {
		x1, y1, x2, y2 = y1, x1, y2, x2
	}
	if x1 > x2 || y1 > y2 {
		return "", &registry.ValidationError{Field: "bbox", Reason: "the lower corner must come first and lie below and left of the upper corner (boxes across the antimeridian are not supported)"}
	}
	if crs.SRID == 4490 && (x1 < -180 || x2 > 180 || y1 < -90 || y2 > 90) {
		return "", &registry.ValidationError{Field: "bbox", Reason: fmt.Sprintf("longitude must lie in [-180, 180] and latitude in [-90, 90]; check the axis order of %s", crs.URI)}
	}
	env := fmt.Sprintf("ST_MakeEnvelope(%s, %s, %s, %s, %d)", b.param(x1, "float8"), b.param(y1, "float8"), b.param(x2, "float8"), b.param(y2, "float8"), crs.SRID)
	if crs.SRID != 4490 {
		// Straight edges in metres are curves in degrees: densify first so
		// the transformed box still covers what was asked for.
		env = "ST_Transform(ST_Segmentize(" + env + ", 500), 4490)"
	}
	return env, nil
}

// operand is a resolved side of a predicate: SQL text and its type.
type operand struct {
	sql, typ string
	prop     bool
	lit      cql2.Operand
}

func literalType(o cql2.Operand) string {
	switch o.(type) {
	case cql2.String:
		return registry.TypeString
	case cql2.Number:
		return registry.TypeNumber
	case cql2.Boolean:
		return registry.TypeBoolean
	case cql2.Timestamp:
		return registry.TypeTimestamp
	case cql2.Geometry:
		return "geometry"
	}
	return ""
}

func compatible(prop, lit string) bool {
	if prop == lit {
		return true
	}
	return (prop == registry.TypeInteger || prop == registry.TypeNumber) && (lit == registry.TypeInteger || lit == registry.TypeNumber)
}

// resolve turns a property into its SQL and leaves a literal for bind.
func (b *compiler) resolve(o cql2.Operand) (operand, error) {
	switch v := o.(type) {
	case cql2.Property:
		if v.Name == "geometry" || v.Name == "geom" {
			return operand{sql: b.c.GeometrySQL(), typ: "geometry", prop: true}, nil
		}
		qq, ok := b.c.Queryable(v.Name)
		if !ok {
			return operand{}, fmt.Errorf("collection %s has no queryable %q; see /queryables (it has %s, geometry)", b.c.ID, v.Name, b.c.PropertyNames())
		}
		return operand{sql: qq.SQL(), typ: qq.Type, prop: true}, nil
	}
	return operand{typ: literalType(o), lit: o}, nil
}

// bind turns a literal into a parameter of type typ.
func (b *compiler) bind(o operand, typ string) (string, error) {
	if o.prop {
		return o.sql, nil
	}
	if !compatible(typ, o.typ) {
		return "", fmt.Errorf("%s is a %s, not a %s", o.lit.String(), o.typ, typ)
	}
	switch v := o.lit.(type) {
	case cql2.String:
		return b.param(v.Value, "text"), nil
	case cql2.Number:
		return b.param(v.Text, "numeric"), nil
	case cql2.Boolean:
		return b.param(v.Value, "boolean"), nil
	case cql2.Timestamp:
		return b.param(v.Value, "timestamptz"), nil
	case cql2.Geometry:
		g := v.Geom
		if b.crs.Flip {
			g = flip(g)
		}
		data, err := wkb.Marshal(g)
		if err != nil {
			return "", fmt.Errorf("geometry %s: %v", v.String(), err)
		}
		sql := fmt.Sprintf("ST_GeomFromWKB(%s, %d)", b.param(data, "bytea"), b.crs.SRID)
		if b.crs.SRID != 4490 {
			sql = "ST_Transform(" + sql + ", 4490)"
		}
		b.geoms = append(b.geoms, registry.GeometryLiteral{WKB: data, SRID: b.crs.SRID, Text: v.String()})
		return sql, nil
	}
	return "", fmt.Errorf("unsupported value %s", o.lit.String())
}

// bindAll resolves the operands of one predicate and binds its literals to
// the type of its first property (or, with no property, of its first
// literal), so that every value reaches the database as a typed parameter.
func (b *compiler) bindAll(ops ...cql2.Operand) ([]string, string, error) {
	res := make([]operand, len(ops))
	typ := ""
	for i, o := range ops {
		r, err := b.resolve(o)
		if err != nil {
			return nil, "", err
		}
		res[i] = r
		if r.prop {
			if typ == "" {
				typ = r.typ
			} else if !compatible(typ, r.typ) {
				return nil, "", fmt.Errorf("%s is a %s and cannot be compared with a %s", o.String(), r.typ, typ)
			}
		}
	}
	if typ == "" {
		typ = res[0].typ
	}
	out := make([]string, len(res))
	for i, r := range res {
		s, err := b.bind(r, typ)
		if err != nil {
			return nil, "", err
		}
		out[i] = s
	}
	return out, typ, nil
}

var spatialSQL = map[string]string{
	"s_intersects": "ST_Intersects", "s_disjoint": "ST_Disjoint", "s_equals": "ST_Equals", "s_touches": "ST_Touches",
	"s_within": "ST_Within", "s_overlaps": "ST_Overlaps", "s_crosses": "ST_Crosses", "s_contains": "ST_Contains",
}

func (b *compiler) expr(e cql2.Expr) (string, error) {
	switch v := e.(type) {
	case cql2.And, cql2.Or:
		args, op := []cql2.Expr(nil), " AND "
		if a, ok := v.(cql2.And); ok {
			args = a.Args
		} else {
			args, op = v.(cql2.Or).Args, " OR "
		}
		parts := make([]string, len(args))
		for i, a := range args {
			s, err := b.expr(a)
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		return "(" + strings.Join(parts, op) + ")", nil
	case cql2.Not:
		s, err := b.expr(v.Arg)
		if err != nil {
			return "", err
		}
		return "NOT (" + s + ")", nil
	case cql2.BoolLiteral:
		if v.Value {
			return "TRUE", nil
		}
		return "FALSE", nil
	case cql2.Comparison:
		sq, typ, err := b.bindAll(v.Left, v.Right)
		if err != nil {
			return "", err
		}
		if typ == "geometry" {
			return "", fmt.Errorf("geometries are compared with S_EQUALS, not %s", v.Op)
		}
		if typ == registry.TypeBoolean && v.Op != "=" && v.Op != "<>" {
			return "", fmt.Errorf("booleans compare only with = and <>")
		}
		return "(" + sq[0] + " " + v.Op + " " + sq[1] + ")", nil
	case cql2.Like:
		sq, typ, err := b.bindAll(v.Arg, v.Pattern)
		if err != nil {
			return "", err
		}
		if typ != registry.TypeString {
			return "", fmt.Errorf("LIKE needs a string, and %s is a %s", v.Arg.String(), typ)
		}
		return "(" + sq[0] + " " + notSQL(v.Not) + "LIKE " + sq[1] + ")", nil
	case cql2.Between:
		sq, typ, err := b.bindAll(v.Arg, v.Low, v.High)
		if err != nil {
			return "", err
		}
		if typ == registry.TypeBoolean || typ == "geometry" {
			return "", fmt.Errorf("BETWEEN needs numbers, strings or instants, not a %s", typ)
		}
		return "(" + sq[0] + " " + notSQL(v.Not) + "BETWEEN " + sq[1] + " AND " + sq[2] + ")", nil
	case cql2.In:
		sq, typ, err := b.bindAll(append([]cql2.Operand{v.Arg}, v.List...)...)
		if err != nil {
			return "", err
		}
		if typ == "geometry" {
			return "", fmt.Errorf("IN does not take geometries")
		}
		return "(" + sq[0] + " " + notSQL(v.Not) + "IN (" + strings.Join(sq[1:], ", ") + "))", nil
	case cql2.IsNull:
		sq, _, err := b.bindAll(v.Arg)
		if err != nil {
			return "", err
		}
		return "(" + sq[0] + " IS " + notSQL(v.Not) + "NULL)", nil
	case cql2.Spatial:
		sq, typ, err := b.bindAll(v.A, v.B)
		if err != nil {
			return "", err
		}
		if typ != "geometry" {
			return "", fmt.Errorf("%s needs geometries: the geometry property or a WKT or BBOX literal", strings.ToUpper(v.Op))
		}
		return spatialSQL[v.Op] + "(" + sq[0] + ", " + sq[1] + ")", nil
	}
	return "", fmt.Errorf("unsupported expression %s", e.String())
}

func notSQL(b bool) string {
	if b {
		return "NOT "
	}
	return ""
}

func flip(g orb.Geometry) orb.Geometry {
	sw := func(ps []orb.Point) []orb.Point {
		out := make([]orb.Point, len(ps))
		for i, p := range ps {
			out[i] = orb.Point{p[1], p[0]}
		}
		return out
	}
	switch v := g.(type) {
	case orb.Point:
		return orb.Point{v[1], v[0]}
	case orb.MultiPoint:
		return orb.MultiPoint(sw(v))
	case orb.LineString:
		return orb.LineString(sw(v))
	case orb.MultiLineString:
		out := make(orb.MultiLineString, len(v))
		for i, l := range v {
			out[i] = orb.LineString(sw(l))
		}
		return out
	case orb.Ring:
		return orb.Ring(sw(v))
	case orb.Polygon:
		out := make(orb.Polygon, len(v))
		for i, r := range v {
			out[i] = orb.Ring(sw(r))
		}
		return out
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(v))
		for i, p := range v {
			out[i] = flip(p).(orb.Polygon)
		}
		return out
	case orb.Collection:
		out := make(orb.Collection, len(v))
		for i, x := range v {
			out[i] = flip(x)
		}
		return out
	}
	return g
}
