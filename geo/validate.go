package geo

import (
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// DefaultMaxVertices is the vertex limit per polygon (all rings together)
// when Limits.MaxVertices is zero. A mining right has tens of corners; ten
// thousand leaves room for digitised boundaries while keeping the
// self-intersection check cheap on hostile input.
const DefaultMaxVertices = 10000

// Limits bounds the work validation does on untrusted input.
type Limits struct {
	MaxVertices int // per polygon, all rings together; 0 means DefaultMaxVertices
}

func (l Limits) maxVertices() int {
	if l.MaxVertices > 0 {
		return l.MaxVertices
	}
	return DefaultMaxVertices
}

// China's extent with a margin, in degrees and in Gauss-Krüger metres.
// These are sanity bounds to catch typing and unit mistakes, not borders.
const (
	minLon, maxLon = 73.0, 136.0
	minLat, maxLat = 3.0, 54.0
	minNorthing    = 300000.0
	maxNorthing    = 6000000.0
	minZoneEasting = 300000.0 // within a zone, prefix removed
	maxZoneEasting = 700000.0
)

// zoneTolerance lets a parcel cut by a zone boundary be recorded in one zone,
// as bureaus do, by up to about a kilometre, while a wrong 带号 (off by 3°)
// is still caught.
const zoneTolerance = 0.01

// ValidateLonLat checks lon/lat polygons against DefaultMaxVertices; see
// Limits.ValidateLonLat.
func ValidateLonLat(mp orb.MultiPolygon, zone int) error {
	return Limits{}.ValidateLonLat(mp, zone)
}

// ValidateLonLat checks a {lon, lat} MultiPolygon before it goes to the
// database: at least one polygon; every ring closed with at least 4 points
// (3 distinct); finite coordinates inside China and within the 3° zone;
// lon/lat not swapped; no ring with zero area; no ring that crosses or
// touches itself or another ring of its polygon (rings of one polygon may
// touch at a point); holes inside their outer ring; at most MaxVertices per
// polygon. It does not check polygons against each other or holes against
// holes: that is PostGIS's ST_IsValid, which the registry runs anyway.
//
// The result is nil, one *Error, or an errors.Join of up to ten of them
// (use errors.As to reach the first).
func (l Limits) ValidateLonLat(mp orb.MultiPolygon, zone int) error {
	var errs errList
	if len(mp) == 0 {
		errs.add(&Error{Reason: "no polygon given"})
		return errs.err()
	}
	cm := CentralMeridian(zone)
	for pi, p := range mp {
		poly := pi + 1
		if len(p) == 0 {
			errs.add(&Error{Polygon: poly, Reason: "polygon has no rings"})
			continue
		}
		before := errs.len()
		for ri, r := range p {
			checkLonLatPoints(&errs, poly, ri+1, r, zone, cm)
		}
		if errs.len() > before {
			continue // shape checks on misplaced points only add noise
		}
		at := func(ring, point int) *Error { return &Error{Polygon: poly, Ring: ring, Point: point} }
		name := func(_, point int) string { return fmt.Sprint(point) }
		checkShape(&errs, l.maxVertices(), p, at, name)
		if errs.full() {
			break
		}
	}
	return errs.err()
}

// checkLonLatPoints reports each failing rule once per ring, at its first
// point, with a count of the others: a swapped file fails on every corner
// and one message says it all. The rules are ordered so that each point is
// blamed for its most fundamental problem only.
func checkLonLatPoints(errs *errList, poly, ring int, r orb.Ring, zone int, cm float64) {
	rules := []func(p orb.Point) string{
		func(p orb.Point) string {
			if !finite(p[0]) || !finite(p[1]) {
				return fmt.Sprintf("coordinate %v is not a finite number", p)
			}
			return ""
		},
		func(p orb.Point) string {
			if p[0] >= minLat && p[0] <= maxLat && p[1] >= minLon && p[1] <= maxLon {
				return fmt.Sprintf("lon=%v, lat=%v looks like latitude and longitude are swapped: give longitude first", p[0], p[1])
			}
			return ""
		},
		func(p orb.Point) string {
			if p[0] < minLon || p[0] > maxLon || p[1] < minLat || p[1] > maxLat {
				return fmt.Sprintf("lon=%v, lat=%v is outside China (lon %v..%v, lat %v..%v); are these degrees, longitude first?", p[0], p[1], minLon, maxLon, minLat, maxLat)
			}
			return ""
		},
		func(p orb.Point) string {
			if math.Abs(p[0]-cm) > zoneTolerance+zoneWidth/2 {
				return fmt.Sprintf("lon=%v is in the wrong zone: 3° zone %d covers lon %v..%v (it is in zone %d)", p[0], zone, cm-zoneWidth/2, cm+zoneWidth/2, ZoneForLon(p[0]))
			}
			return ""
		},
	}
	first := make([]int, len(rules))
	count := make([]int, len(rules))
	msg := make([]string, len(rules))
	for i, p := range r {
		for k, rule := range rules {
			if m := rule(p); m != "" {
				if count[k] == 0 {
					first[k], msg[k] = i+1, m
				}
				count[k]++
				break
			}
		}
	}
	for k := range rules {
		if count[k] == 0 {
			continue
		}
		m := msg[k]
		if count[k] > 1 {
			m += fmt.Sprintf(" (and %d more points of this ring)", count[k]-1)
		}
		errs.add(&Error{Polygon: poly, Ring: ring, Point: first[k], Reason: m})
	}
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// ValidateProjected checks a TXT block against DefaultMaxVertices; see
// Limits.ValidateProjected.
func ValidateProjected(zone int, b Block) error {
	return Limits{}.ValidateProjected(zone, b)
}

// ValidateProjected checks a block of Gauss-Krüger corners as clerks type
// them: X is the 7-digit northing inside China's range, Y the easting with
// 8 digits before the point whose first two are the zone, X and Y not
// swapped; then the same ring rules as ValidateLonLat, measured in metres
// and reported with corner labels (and file lines when b came from
// ParseTXT).
func (l Limits) ValidateProjected(zone int, b Block) error {
	var errs errList
	l.validateBlock(&errs, zone, 0, b)
	return errs.err()
}

func (l Limits) validateBlock(errs *errList, zone, block int, b Block) {
	at := func(ring, point int) *Error {
		e := &Error{Block: block, Ring: ring, Point: point, Line: b.line}
		if ring > 0 && ring <= len(b.Rings) {
			r := b.Rings[ring-1]
			e.Ring = r.No
			if point > 0 && point <= len(r.Corners) {
				e.Label, e.Line = r.Corners[point-1].Label, r.Corners[point-1].line
			} else if len(r.Corners) > 0 {
				e.Line = r.Corners[0].line
			}
		}
		return e
	}
	if len(b.Rings) == 0 {
		e := at(0, 0)
		e.Reason = "block has no corners"
		errs.add(e)
		return
	}
	before := errs.len()
	for ri, r := range b.Rings {
		for ci, c := range r.Corners {
			if reason, field := projectedPointProblem(zone, c); reason != "" {
				e := at(ri+1, ci+1)
				e.Field, e.Reason = field, reason
				errs.add(e)
			}
			if errs.full() {
				return
			}
		}
	}
	if errs.len() > before {
		return
	}
	name := func(ring, point int) string { return b.Rings[ring-1].Corners[point-1].Label }
	checkShape(errs, l.maxVertices(), b.Projected(), at, name)
}

// projectedPointProblem returns why corner c cannot be in the zone, naming
// the field to fix, or "" when it can.
func projectedPointProblem(zone int, c Corner) (reason, field string) {
	switch {
	case !finite(c.X):
		return fmt.Sprintf("X=%v is not a finite number", c.X), "X"
	case !finite(c.Y):
		return fmt.Sprintf("Y=%v is not a finite number", c.Y), "Y"
	}
	if _, ok := ZoneOfEasting(c.X); ok && c.Y >= minNorthing && c.Y <= maxNorthing {
		return fmt.Sprintf("X=%.2f, Y=%.2f look swapped: X is the northing (7 digits before the point), Y the easting with the zone number in front (8 digits)", c.X, c.Y), "X"
	}
	z, ok := ZoneOfEasting(c.Y)
	switch {
	case !ok:
		return fmt.Sprintf("Y=%.2f should have 8 digits before the decimal point: the zone number (带号 %d) followed by the 6-digit easting", c.Y, zone), "Y"
	case z != zone:
		return fmt.Sprintf("Y=%.2f has zone prefix %d but 带号 is %d", c.Y, z, zone), "Y"
	}
	if e := c.Y - float64(z)*zonePrefixMul; e < minZoneEasting || e > maxZoneEasting {
		return fmt.Sprintf("Y=%.2f is %.0f km from the central meridian of zone %d; a 3° zone reaches about 170 km either side (500 km is the meridian)", c.Y, math.Abs(e-falseEasting)/1000, zone), "Y"
	}
	if c.X < minNorthing || c.X > maxNorthing {
		return fmt.Sprintf("X=%.2f is not a northing in China (expected %.0f..%.0f m, 7 digits before the point)", c.X, minNorthing, maxNorthing), "X"
	}
	return "", ""
}

// checkShape applies the ring rules to one polygon. at builds an *Error
// located at a 1-based ring and point (0 for "the whole ring"); name gives a
// corner's name for messages about two segments.
func checkShape(errs *errList, maxV int, p orb.Polygon, at func(ring, point int) *Error, name func(ring, point int) string) {
	report := func(ring, point int, format string, args ...any) {
		e := at(ring, point)
		e.Reason = fmt.Sprintf(format, args...)
		errs.add(e)
	}
	n := 0
	for _, r := range p {
		n += len(r)
	}
	if n > maxV {
		report(0, 0, "polygon has %d vertices; at most %d are accepted", n, maxV)
		return
	}
	bad := false
	for ri, r := range p {
		ring := ri + 1
		switch {
		case len(r) < 4:
			report(ring, 0, "ring has %d points; a ring needs at least 4 (3 corners, then the first repeated to close it)", len(r))
			bad = true
		case r[0] != r[len(r)-1]:
			report(ring, len(r), "ring is not closed: the last point must repeat the first point (%s)", name(ring, 1))
			bad = true
		case distinct(r) < 3:
			report(ring, 0, "ring has fewer than 3 distinct corners")
			bad = true
		}
	}
	if bad {
		return
	}
	// Shift to the first corner: prefixed eastings are 3.8e7 and their
	// products would lose the centimetres the orientation tests need.
	o := p[0][0]
	q := make(orb.Polygon, len(p))
	for ri, r := range p {
		q[ri] = make(orb.Ring, len(r))
		for i, pt := range r {
			q[ri][i] = orb.Point{pt[0] - o[0], pt[1] - o[1]}
		}
	}
	for ri, r := range q {
		if collinear(r) {
			report(ri+1, 0, "ring has zero area: its corners lie on one line")
			bad = true
		}
	}
	if bad {
		return
	}
	segs := segments(q)
	for _, c := range crossings(segs) {
		s, t := c.a, c.b
		what := "crosses"
		switch {
		case c.kind == hitOverlap:
			what = "runs along"
		case c.kind == hitTouch:
			what = "touches"
		}
		other := ""
		if t.ring != s.ring {
			other = fmt.Sprintf(" of ring %d", t.ring)
		}
		report(s.ring, s.i, "ring is self-intersecting: segment %s-%s %s segment %s-%s%s",
			name(s.ring, s.i), name(s.ring, s.j), what, name(t.ring, t.i), name(t.ring, t.j), other)
		if errs.full() {
			return
		}
	}
	outer := q[0]
	for hi, h := range q[1:] {
		for _, pt := range h {
			if onBoundary(outer, pt) {
				continue
			}
			if !inside(outer, pt) {
				report(hi+2, 0, "hole (ring %d) is not inside the outer ring (ring 1)", hi+2)
			}
			break
		}
	}
}

// collinear reports whether all of r lies on one line. The signed area is
// no test for this: a symmetric bow tie has zero signed area too, and
// deserves the clearer self-intersection message.
func collinear(r orb.Ring) bool {
	a := r[0]
	var b orb.Point
	for _, p := range r {
		if p != a {
			b = p
			break
		}
	}
	ux, uy := b[0]-a[0], b[1]-a[1]
	lu := math.Hypot(ux, uy)
	for _, c := range r {
		vx, vy := c[0]-a[0], c[1]-a[1]
		if math.Abs(ux*vy-uy*vx) > 1e-12*lu*math.Hypot(vx, vy) {
			return false
		}
	}
	return true
}

func distinct(r orb.Ring) int {
	s := slices.Clone(r)
	slices.SortFunc(s, func(a, b orb.Point) int {
		if c := cmpF(a[0], b[0]); c != 0 {
			return c
		}
		return cmpF(a[1], b[1])
	})
	return len(slices.Compact(s))
}

func cmpF(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// segment is an edge between 1-based corners i and j of a ring; k is its
// position among the ring's non-degenerate edges and last the number of
// those, to recognise neighbours.
type segment struct {
	a, b       orb.Point
	ring, i, j int
	k, last    int
	minX, maxX float64
	minY, maxY float64
}

// segments drops zero-length edges (a corner typed twice in a row is valid,
// if untidy) so that neighbouring edges always share exactly one corner.
func segments(p orb.Polygon) []segment {
	var out []segment
	for ri, r := range p {
		start := len(out)
		i := 0
		for j := 1; j < len(r); j++ {
			if r[j] == r[i] {
				continue
			}
			a, b := r[i], r[j]
			out = append(out, segment{
				a: a, b: b, ring: ri + 1, i: i + 1, j: j + 1, k: len(out) - start,
				minX: math.Min(a[0], b[0]), maxX: math.Max(a[0], b[0]),
				minY: math.Min(a[1], b[1]), maxY: math.Max(a[1], b[1]),
			})
			i = j
		}
		for s := start; s < len(out); s++ {
			out[s].last = len(out) - start - 1
		}
	}
	return out
}

type hit int

const (
	hitNone    hit = iota
	hitTouch       // the segments meet in one point
	hitCross       // they cross properly
	hitOverlap     // collinear with a common stretch of positive length
)

type crossing struct {
	a, b segment
	kind hit
}

// crossings sweeps the segments in x order, testing only pairs whose
// bounding boxes overlap: O(n log n + k) on real boundaries, O(n²) at worst,
// which the vertex limit keeps affordable.
func crossings(segs []segment) []crossing {
	order := slices.Clone(segs)
	slices.SortFunc(order, func(a, b segment) int { return cmpF(a.minX, b.minX) })
	var out []crossing
	for x, s := range order {
		for _, t := range order[x+1:] {
			if t.minX > s.maxX {
				break
			}
			if t.minY > s.maxY || t.maxY < s.minY {
				continue
			}
			h := intersect(s.a, s.b, t.a, t.b)
			if h == hitNone {
				continue
			}
			if s.ring == t.ring {
				adjacent := s.k-t.k == 1 || t.k-s.k == 1 ||
					(s.k == 0 && t.k == s.last) || (t.k == 0 && s.k == t.last)
				// Neighbours legitimately share their common corner; only
				// doubling back along each other is wrong.
				if adjacent && h == hitTouch {
					continue
				}
			} else if h == hitTouch {
				continue // OGC allows a hole to touch the shell at a point
			}
			a, b := s, t
			if b.ring < a.ring || (b.ring == a.ring && b.k < a.k) {
				a, b = b, a
			}
			out = append(out, crossing{a, b, h})
			if len(out) >= maxErrors {
				break
			}
		}
		if len(out) >= maxErrors {
			break
		}
	}
	slices.SortFunc(out, func(x, y crossing) int {
		if x.a.ring != y.a.ring {
			return x.a.ring - y.a.ring
		}
		return x.a.k - y.a.k
	})
	return out
}

// orient is the sign of the turn a -> b -> c: +1 left, -1 right, 0 straight.
func orient(a, b, c orb.Point) int {
	v := (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// intersect classifies how segments ab and cd (both of positive length) meet.
func intersect(a, b, c, d orb.Point) hit {
	d1, d2 := orient(c, d, a), orient(c, d, b)
	d3, d4 := orient(a, b, c), orient(a, b, d)
	if d1 == 0 && d2 == 0 || d3 == 0 && d4 == 0 {
		// Collinear: compare the stretches along ab's dominant axis.
		k := 0
		if math.Abs(b[1]-a[1]) > math.Abs(b[0]-a[0]) {
			k = 1
		}
		lo := math.Max(math.Min(a[k], b[k]), math.Min(c[k], d[k]))
		hi := math.Min(math.Max(a[k], b[k]), math.Max(c[k], d[k]))
		switch {
		case lo > hi:
			return hitNone
		case lo == hi:
			return hitTouch
		}
		return hitOverlap
	}
	if d1*d2 > 0 || d3*d4 > 0 {
		return hitNone
	}
	if d1 != 0 && d2 != 0 && d3 != 0 && d4 != 0 {
		return hitCross
	}
	return hitTouch
}

func onBoundary(r orb.Ring, p orb.Point) bool {
	for i := 0; i+1 < len(r); i++ {
		a, b := r[i], r[i+1]
		if orient(a, b, p) == 0 &&
			p[0] >= math.Min(a[0], b[0]) && p[0] <= math.Max(a[0], b[0]) &&
			p[1] >= math.Min(a[1], b[1]) && p[1] <= math.Max(a[1], b[1]) {
			return true
		}
	}
	return false
}

// inside is the even-odd rule for a point known not to be on the boundary.
func inside(r orb.Ring, p orb.Point) bool {
	in := false
	for i := 0; i+1 < len(r); i++ {
		a, b := r[i], r[i+1]
		if (a[1] > p[1]) != (b[1] > p[1]) &&
			p[0] < a[0]+(p[1]-a[1])*(b[0]-a[0])/(b[1]-a[1]) {
			in = !in
		}
	}
	return in
}
