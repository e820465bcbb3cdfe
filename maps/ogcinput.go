package maps

import (
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

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

// itemParams are the query parameters of /items besides property filters.
var itemParams = map[string]bool{
	"f": true, "limit": true, "offset": true, "bbox": true, "bbox-crs": true, "crs": true,
	"properties": true, "filter": true, "filter-lang": true, "filter-crs": true, "datetime": true,
}

// parseItems reads the query of an items request into a registry query,
// its bbox and filter compiled to SQL.
func parseItems(r *http.Request, c registry.Collection) (registry.ItemsQuery, error) {
	q := r.URL.Query()
	iq := registry.ItemsQuery{Limit: ogcDefaultLimit, CRS: registry.CRS84}
	bboxCRS, filterCRS := registry.CRS84, registry.CRS84
	var bbox []float64
	if err := checkItemsQuery(q); err != nil {
		return iq, err
	}
	crsParam := func(name string) (registry.CRS, error) {
		v := q.Get(name)
		c, ok := registry.ParseCRS(v)
		if !ok {
			return c, badParam(name, "CRS %q is not served; use one of %s", v, strings.Join(crsList(), ", "))
		}
		return c, nil
	}
	var err error
	if q.Has("limit") {
		n, err := strconv.Atoi(q.Get("limit"))
		if err != nil || n < 1 {
			return iq, badParam("limit", "limit %q must be a whole number from 1 to %d", q.Get("limit"), ogcMaxLimit)
		}
		iq.Limit = min(n, ogcMaxLimit)
	}
	if q.Has("offset") {
		n, err := strconv.Atoi(q.Get("offset"))
		if err != nil || n < 0 {
			return iq, badParam("offset", "offset %q must be a whole number, 0 or more", q.Get("offset"))
		}
		iq.Offset = n
	}
	if q.Has("crs") {
		if iq.CRS, err = crsParam("crs"); err != nil {
			return iq, err
		}
	}
	if q.Has("bbox-crs") {
		if !q.Has("bbox") {
			return iq, badParam("bbox-crs", "bbox-crs is given without a bbox")
		}
		if bboxCRS, err = crsParam("bbox-crs"); err != nil {
			return iq, err
		}
	}
	if q.Has("bbox") {
		parts := strings.Split(q.Get("bbox"), ",")
		if len(parts) != 4 && len(parts) != 6 {
			return iq, badParam("bbox", "bbox %q needs 4 numbers (minx,miny,maxx,maxy in the axis order of bbox-crs) or 6 with heights, found %d", q.Get("bbox"), len(parts))
		}
		for i, p := range parts {
			v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return iq, badParam("bbox", "value %d of bbox, %q, is not a number", i+1, p)
			}
			bbox = append(bbox, v)
		}
	}
	if q.Has("properties") {
		iq.Properties = []string{}
		for _, p := range strings.Split(q.Get("properties"), ",") {
			if p = strings.TrimSpace(p); p != "" {
				iq.Properties = append(iq.Properties, p)
			}
		}
	}
	// cql-text is the draft's name of CQL2 text, which GDAL up to 3.6 sends.
	if fl := q.Get("filter-lang"); q.Has("filter-lang") && fl != "cql2-text" && fl != "cql-text" {
		return iq, badParam("filter-lang", "filter language %q is not served; use cql2-text", fl)
	}
	if q.Has("filter-crs") {
		if filterCRS, err = crsParam("filter-crs"); err != nil {
			return iq, err
		}
	}
	var exprs []cql2.Expr
	if q.Has("filter") {
		e, err := cql2.Parse(q.Get("filter"))
		if err != nil {
			return iq, badParam("filter", "%v", err)
		}
		if err := checkFilterGeometries(e, filterCRS); err != nil {
			return iq, err
		}
		exprs = append(exprs, e)
	}
	eq, err := queryableFilters(q, c)
	if err != nil {
		return iq, err
	}
	exprs = append(exprs, eq...)
	var filter cql2.Expr
	switch len(exprs) {
	case 0:
	case 1:
		filter = exprs[0]
	default:
		filter = cql2.And{Args: exprs}
	}
	iq.Where, err = compile(c, bbox, bboxCRS, filter, filterCRS)
	return iq, err
}

// queryableFilters reads the property=value query parameters (Part 3,
// queryables as query parameters) as equality filters, in the order of
// their names; a parameter that is neither one of the items parameters nor
// a queryable is a mistake the client should hear about.
func queryableFilters(q url.Values, c registry.Collection) ([]cql2.Expr, error) {
	var out []cql2.Expr
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if itemParams[k] {
			continue
		}
		qq, ok := c.Queryable(k)
		if !ok {
			return nil, badParam(k, "unknown query parameter %q: use limit, offset, bbox, bbox-crs, crs, properties, filter, filter-lang, filter-crs, f, or a queryable of %s", k, c.ID)
		}
		var lit cql2.Operand = cql2.String{Value: q.Get(k)}
		switch qq.Type {
		case registry.TypeInteger, registry.TypeNumber:
			v, err := strconv.ParseFloat(q.Get(k), 64)
			if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
				return nil, badParam(k, "%s is a number; %q is not", k, q.Get(k))
			}
			lit = cql2.Number{Text: strconv.FormatFloat(v, 'f', -1, 64), Value: v}
		case registry.TypeBoolean:
			v, err := strconv.ParseBool(q.Get(k))
			if err != nil {
				return nil, badParam(k, "%s is true or false; %q is neither", k, q.Get(k))
			}
			lit = cql2.Boolean{Value: v}
		case registry.TypeTimestamp:
			v, err := time.Parse(time.RFC3339Nano, q.Get(k))
			if err != nil {
				return nil, badParam(k, "%s is an RFC 3339 instant; %q is not", k, q.Get(k))
			}
			lit = cql2.Timestamp{Value: v}
		}
		out = append(out, cql2.Comparison{Op: "=", Left: cql2.Property{Name: k}, Right: lit})
	}
	return out, nil
}
