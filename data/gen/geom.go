package gen

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/paulmach/orb"
)

// The helpers below work on open rings (no repeated closing vertex) in the
// zone-38 plane, in metres. They are the small exact predicates the generator
// needs to prove its own claims (simple, disjoint, inside, how far apart)
// without a database; orb has no overlay, and PostGIS is not available here.

// orient is twice the signed area of triangle abc: > 0 when c lies left of
// a→b. Differences are taken first so that prefixed eastings (3.8e7) do not
// swamp the metre-scale offsets.
func orient(a, b, c orb.Point) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

// onSegment reports whether p, known to be collinear with a and b, lies
// within their bounding box.
func onSegment(a, b, p orb.Point) bool {
	return math.Min(a[0], b[0]) <= p[0] && p[0] <= math.Max(a[0], b[0]) &&
		math.Min(a[1], b[1]) <= p[1] && p[1] <= math.Max(a[1], b[1])
}

// segmentsIntersect reports whether closed segments ab and cd share a point,
// touching and collinear overlap included.
func segmentsIntersect(a, b, c, d orb.Point) bool {
	d1, d2 := orient(c, d, a), orient(c, d, b)
	d3, d4 := orient(a, b, c), orient(a, b, d)
	if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
		return true
	}
	return (d1 == 0 && onSegment(c, d, a)) || (d2 == 0 && onSegment(c, d, b)) ||
		(d3 == 0 && onSegment(a, b, c)) || (d4 == 0 && onSegment(a, b, d))
}

// pointSegmentDist is the distance from p to the closed segment ab.
func pointSegmentDist(p, a, b orb.Point) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	px, py := p[0]-a[0], p[1]-a[1]
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = math.Max(0, math.Min(1, (px*dx+py*dy)/l2))
	}
	return math.Hypot(px-t*dx, py-t*dy)
}

// segmentDist is the distance between closed segments ab and cd.
func segmentDist(a, b, c, d orb.Point) float64 {
	if segmentsIntersect(a, b, c, d) {
		return 0
	}
	return math.Min(math.Min(pointSegmentDist(a, c, d), pointSegmentDist(b, c, d)),
		math.Min(pointSegmentDist(c, a, b), pointSegmentDist(d, a, b)))
}

// inRing reports whether p lies inside the open ring r by the even-odd rule.
// Points exactly on the boundary may fall either way; callers that care keep
// a margin.
func inRing(p orb.Point, r []orb.Point) bool {
	in := false
	for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
		a, b := r[i], r[j]
		if (a[1] > p[1]) != (b[1] > p[1]) &&
			p[0] < (b[0]-a[0])*(p[1]-a[1])/(b[1]-a[1])+a[0] {
			in = !in
		}
	}
	return in
}

// box is an axis-aligned bounding box.
type box struct{ minX, minY, maxX, maxY float64 }

func bounds(r []orb.Point) box {
	b := box{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, p := range r {
		b.minX, b.maxX = math.Min(b.minX, p[0]), math.Max(b.maxX, p[0])
		b.minY, b.maxY = math.Min(b.minY, p[1]), math.Max(b.maxY, p[1])
	}
	return b
}

// gap is the distance between two boxes, 0 when they touch or overlap.
func (b box) gap(o box) float64 {
	dx := math.Max(0, math.Max(o.minX-b.maxX, b.minX-o.maxX))
	dy := math.Max(0, math.Max(o.minY-b.maxY, b.minY-o.maxY))
	return math.Hypot(dx, dy)
}

// edgesIntersect reports whether any edge of a meets any edge of b.
func edgesIntersect(a, b []orb.Point) bool {
	for i := range a {
		a0, a1 := a[i], a[(i+1)%len(a)]
		for j := range b {
			if segmentsIntersect(a0, a1, b[j], b[(j+1)%len(b)]) {
				return true
			}
		}
	}
	return false
}

// disjoint reports whether the polygons bounded by simple rings a and b have
// no point in common: no two edges meet and no vertex of either lies inside
// the other (which, with no edge crossings, rules out containment).
func disjoint(a, b []orb.Point) bool {
	if bounds(a).gap(bounds(b)) > 0 {
		return true
	}
	return !edgesIntersect(a, b) && !inRing(a[0], b) && !inRing(b[0], a)
}

// boundaryDist is the least distance between the boundaries of a and b.
// Segments of b farther than limit from a's box are skipped; the result is
// exact when it is below limit and otherwise only known to be ≥ limit.
func boundaryDist(a, b []orb.Point, limit float64) float64 {
	ab := bounds(a)
	ab = box{ab.minX - limit, ab.minY - limit, ab.maxX + limit, ab.maxY + limit}
	best := math.Inf(1)
	for j := range b {
		c, d := b[j], b[(j+1)%len(b)]
		if ab.gap(bounds([]orb.Point{c, d})) > 0 {
			continue
		}
		for i := range a {
			best = math.Min(best, segmentDist(a[i], a[(i+1)%len(a)], c, d))
		}
	}
	return best
}

// polyDist is the distance between the polygons bounded by a and b: 0 if
// they share any point, else the least distance between their boundaries.
func polyDist(a, b []orb.Point) float64 {
	if !disjoint(a, b) {
		return 0
	}
	return boundaryDist(a, b, math.Inf(1))
}

// within reports whether polygon a lies inside polygon b with every point of
// a at least margin from b's boundary.
func within(a, b []orb.Point, margin float64) bool {
	if !inRing(a[0], b) || edgesIntersect(a, b) {
		return false
	}
	for _, p := range a {
		if !inRing(p, b) {
			return false
		}
	}
	return boundaryDist(a, b, margin) >= margin
}

// simple reports whether r is a simple ring: at least three distinct
// vertices, non-adjacent edges disjoint, adjacent edges meeting only at their
// shared vertex.
func simple(r []orb.Point) bool {
	n := len(r)
	if n < 3 {
		return false
	}
	for i := range n {
		a, b := r[i], r[(i+1)%n]
		if a == b {
			return false
		}
		for j := i + 1; j < n; j++ {
			c, d := r[j], r[(j+1)%n]
			switch {
			case j == i+1: // share b == c
				if foldsBack(a, b, d) {
					return false
				}
			case i == 0 && j == n-1: // share a == d
				if foldsBack(c, a, b) {
					return false
				}
			default:
				if segmentsIntersect(a, b, c, d) {
					return false
				}
			}
		}
	}
	return true
}

// foldsBack reports whether edges uv and vw, which share v, overlap along a
// stretch rather than only at v.
func foldsBack(u, v, w orb.Point) bool {
	return orient(u, v, w) == 0 && (onSegment(u, v, w) || onSegment(v, w, u))
}

// signedArea is the shoelace area of r, positive when counter-clockwise.
func signedArea(r []orb.Point) float64 {
	if len(r) < 3 {
		return 0
	}
	x0, y0 := r[0][0], r[0][1]
	var s float64
	for i := 1; i+1 < len(r); i++ {
		s += (r[i][0]-x0)*(r[i+1][1]-y0) - (r[i+1][0]-x0)*(r[i][1]-y0)
	}
	return s / 2
}

// centroid is the area centroid of r.
func centroid(r []orb.Point) orb.Point {
	x0, y0 := r[0][0], r[0][1]
	var a, cx, cy float64
	for i := range r {
		p, q := r[i], r[(i+1)%len(r)]
		px, py, qx, qy := p[0]-x0, p[1]-y0, q[0]-x0, q[1]-y0
		w := px*qy - qx*py
		a += w
		cx += (px + qx) * w
		cy += (py + qy) * w
	}
	return orb.Point{x0 + cx/(3*a), y0 + cy/(3*a)}
}

// perimeter is the length of r's boundary.
func perimeter(r []orb.Point) float64 {
	var s float64
	for i := range r {
		q := r[(i+1)%len(r)]
		s += math.Hypot(q[0]-r[i][0], q[1]-r[i][1])
	}
	return s
}

// scaleAbout scales r by s about c.
func scaleAbout(r []orb.Point, c orb.Point, s float64) []orb.Point {
	out := make([]orb.Point, len(r))
	for i, p := range r {
		out[i] = orb.Point{c[0] + (p[0]-c[0])*s, c[1] + (p[1]-c[1])*s}
	}
	return out
}

// translate moves r by d.
func translate(r []orb.Point, d orb.Point) []orb.Point {
	out := make([]orb.Point, len(r))
	for i, p := range r {
		out[i] = orb.Point{p[0] + d[0], p[1] + d[1]}
	}
	return out
}

// convexHull returns the counter-clockwise convex hull of pts (Andrew's
// monotone chain), without collinear points.
func convexHull(pts []orb.Point) []orb.Point {
	p := slices.Clone(pts)
	slices.SortFunc(p, func(a, b orb.Point) int {
		if c := cmp.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return cmp.Compare(a[1], b[1])
	})
	if len(p) < 3 {
		return p
	}
	h := make([]orb.Point, 0, 2*len(p))
	for _, q := range p {
		for len(h) >= 2 && orient(h[len(h)-2], h[len(h)-1], q) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, q)
	}
	lower := len(h) + 1
	for i := len(p) - 2; i >= 0; i-- {
		q := p[i]
		for len(h) >= lower && orient(h[len(h)-2], h[len(h)-1], q) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, q)
	}
	return h[:len(h)-1]
}

// clipConvex clips subject (any simple ring) to the convex counter-clockwise
// ring clip (Sutherland-Hodgman). The result may carry degenerate edges
// where subject leaves and re-enters clip, but its shoelace area is the area
// of the intersection, which is all it is used for.
func clipConvex(subject, clip []orb.Point) []orb.Point {
	out := subject
	for i := range clip {
		a, b := clip[i], clip[(i+1)%len(clip)]
		in := out
		out = nil
		for j := range in {
			p, q := in[j], in[(j+1)%len(in)]
			pin, qin := orient(a, b, p) >= 0, orient(a, b, q) >= 0
			if pin {
				out = append(out, p)
			}
			if pin != qin {
				dp, dq := orient(a, b, p), orient(a, b, q)
				t := dp / (dp - dq)
				out = append(out, orb.Point{p[0] + t*(q[0]-p[0]), p[1] + t*(q[1]-p[1])})
			}
		}
		if len(out) == 0 {
			return nil
		}
	}
	return out
}

// starShape returns n vertices around c, counter-clockwise, at strictly
// increasing angles and radii in r·[1-jitter/2, 1+jitter/2], then squashed
// across by aspect and turned by rot. Every ray from c meets the boundary
// once, so the ring is simple by construction; the squash and turn are
// linear and keep it so.
func starShape(rng *rand.Rand, c orb.Point, n int, r, aspect, rot, jitter float64) []orb.Point {
	step := 2 * math.Pi / float64(n)
	sin, cos := math.Sincos(rot)
	out := make([]orb.Point, n)
	for i := range n {
		th := float64(i)*step + (rng.Float64()-0.5)*0.6*step
		rho := r * (1 - jitter/2 + jitter*rng.Float64())
		x, y := rho*math.Cos(th), rho*aspect*math.Sin(th)
		out[i] = orb.Point{c[0] + x*cos - y*sin, c[1] + x*sin + y*cos}
	}
	return out
}

// ellipseShape returns n vertices on an ellipse around c at increasing
// random angles: a convex counter-clockwise ring, which clipConvex accepts
// as its clip.
func ellipseShape(rng *rand.Rand, c orb.Point, n int, r, aspect, rot float64) []orb.Point {
	step := 2 * math.Pi / float64(n)
	sin, cos := math.Sincos(rot)
	out := make([]orb.Point, n)
	for i := range n {
		th := float64(i)*step + (rng.Float64()-0.5)*0.5*step
		x, y := r*math.Cos(th), r*aspect*math.Sin(th)
		out[i] = orb.Point{c[0] + x*cos - y*sin, c[1] + x*sin + y*cos}
	}
	return out
}

// between returns a uniform float in [lo, hi).
func between(rng *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }
