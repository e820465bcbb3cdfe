package openapi

import (
	"math"
	"net/url"
	"strings"

	"github.com/paulmach/orb"

	"minerights/internal/cql2"
	"minerights/registry"
)

// ogcMaxProperties bounds the names of the properties parameter: no
// collection has more properties than this, and each name costs a lookup.
const ogcMaxProperties = 50

// The domain a filter geometry in EPSG:4526 (CGCS2000 / 3-degree
// Gauss-Krüger zone 38, northing then easting) must lie in: easting within
// 10° of longitude of the central meridian 114°E at the equator (the zone
// prefix 38 and false easting 500 km included), northing from the equator
// to 60°N. PROJ's transverse Mercator is defined there; far outside it the
// inverse projection fails, which would be a database error.
const (
	minEasting4526  = 38_500_000 - 1_120_000
	maxEasting4526  = 38_500_000 + 1_120_000
	minNorthing4526 = 0
	maxNorthing4526 = 6_700_000
)

// checkItemsQuery refuses the items parameters that the registry would
// otherwise pass to the database unchecked: datetime (no collection has a
// temporal extent, and silently ignoring it would answer another question),
// more than ogcMaxProperties property names, and filter geometries outside
// the filter CRS's domain.
func checkItemsQuery(q url.Values) error {
	if q.Has("datetime") {
		return badParam("datetime", "本服务的要素集合没有时间范围，不支持 datetime 参数；请删除 datetime，按时间筛选请用 filter（CQL2，如 closes_at > TIMESTAMP('2026-01-01T00:00:00Z')）")
	}
	if q.Has("properties") {
		n := 0
		for _, name := range strings.Split(q.Get("properties"), ",") {
			if strings.TrimSpace(name) != "" {
				n++
			}
		}
		if n > ogcMaxProperties {
			return badParam("properties", "properties 最多列出 %d 个属性名，收到 %d 个", ogcMaxProperties, n)
		}
	}
	return nil
}

// checkFilterGeometries refuses a CQL2 geometry literal with a coordinate
// outside the domain of crs: longitude and latitude beyond ±180°/±90° for
// the geographic CRSs, or beyond the projected domain of EPSG:4526.
func checkFilterGeometries(e cql2.Expr, crs registry.CRS) error {
	var err error
	walkGeometries(e, func(g cql2.Geometry) {
		if err != nil || g.Geom == nil {
			return
		}
		for _, p := range points(g.Geom) {
			if e := pointInDomain(p, crs); e != nil {
				err = e
				return
			}
		}
	})
	return err
}

func pointInDomain(p orb.Point, crs registry.CRS) error {
	x, y := p[0], p[1]
	if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
		return badParam("filter", "几何坐标 (%v %v) 不是有限数", x, y)
	}
	if crs.SRID == 4526 {
		n, e := x, y // EPSG:4526 axis order: northing, easting
		if e < minEasting4526 || e > maxEasting4526 || n < minNorthing4526 || n > maxNorthing4526 {
			return badParam("filter", "几何坐标 (%v %v) 超出 EPSG:4526（CGCS2000 3° 带第 38 带，先北坐标后东坐标）的范围："+
				"北坐标应在 %d–%d 米之间，东坐标（含带号 38）应在 %d–%d 米之间", x, y,
				minNorthing4526, maxNorthing4526, minEasting4526, maxEasting4526)
		}
		return nil
	}
	lon, lat := x, y
	if crs.Flip {
		lat, lon = x, y
	}
	if lon < -180 || lon > 180 || lat < -90 || lat > 90 {
		return badParam("filter", "几何坐标 (%v %v) 超出经纬度范围：经度应在 -180–180 之间，纬度应在 -90–90 之间；请检查 %s 的坐标轴顺序", x, y, crs.URI)
	}
	return nil
}

// points lists every vertex of g.
func points(g orb.Geometry) []orb.Point {
	var out []orb.Point
	switch t := g.(type) {
	case orb.Point:
		out = append(out, t)
	case orb.MultiPoint:
		out = append(out, t...)
	case orb.LineString:
		out = append(out, t...)
	case orb.MultiLineString:
		for _, l := range t {
			out = append(out, l...)
		}
	case orb.Ring:
		out = append(out, t...)
	case orb.Polygon:
		for _, r := range t {
			out = append(out, r...)
		}
	case orb.MultiPolygon:
		for _, p := range t {
			for _, r := range p {
				out = append(out, r...)
			}
		}
	case orb.Collection:
		for _, c := range t {
			out = append(out, points(c)...)
		}
	case orb.Bound:
		out = append(out, t.Min, t.Max)
	}
	return out
}

// walkGeometries calls fn on every geometry literal of e.
func walkGeometries(e cql2.Expr, fn func(cql2.Geometry)) {
	op := func(o cql2.Operand) {
		if g, ok := o.(cql2.Geometry); ok {
			fn(g)
		}
	}
	switch t := e.(type) {
	case cql2.And:
		for _, a := range t.Args {
			walkGeometries(a, fn)
		}
	case cql2.Or:
		for _, a := range t.Args {
			walkGeometries(a, fn)
		}
	case cql2.Not:
		walkGeometries(t.Arg, fn)
	case cql2.Spatial:
		op(t.A)
		op(t.B)
	case cql2.Comparison:
		op(t.Left)
		op(t.Right)
	case cql2.In:
		op(t.Arg)
		for _, o := range t.List {
			op(o)
		}
	case cql2.Between:
		op(t.Arg)
		op(t.Low)
		op(t.High)
	case cql2.Like:
		op(t.Arg)
		op(t.Pattern)
	case cql2.IsNull:
		op(t.Arg)
	}
}
