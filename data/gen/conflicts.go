package gen

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/paulmach/orb"

	"minerights/geo"
)

// Fixture limits, in metres and fractions.
const (
	fixtureCountyMargin = 500  // as a real application must keep
	fixtureClean        = 500  // from every feature the fixture is not about
	fixtureZoneClear    = 1000 // outside-mining-zone keeps this far from every zone
	minOverlapShare     = 0.25 // of the smaller of fixture and target
	setbackMin          = 60
	setbackMax          = 140 // "within 150 m"
	mismatchFactor      = 1.10
)

// Fixture expectations.
const (
	expectFail    = "fail"
	expectWarn    = "warn"
	expectInvalid = "invalid"
)

// fixture is one conflict fixture before encoding.
type fixture struct {
	key, expect, reason, hits string
	xy                        []orb.Point
	county                    string
	top, bottom               int
	statedFactor              float64 // stated area / geometry area; 0 means 1
}

// fixtureShape draws the convex ring every conflict fixture has; convexity
// lets the tests measure overlaps by clipping.
func fixtureShape(rng *rand.Rand, c orb.Point) []orb.Point {
	return ellipseShape(rng, c, 8+rng.IntN(5), between(rng, 450, 700), between(rng, 0.6, 0.95), between(rng, 0, math.Pi))
}

// cleanOf returns the gap rule of a fixture: fixtureClean from every parcel
// and check feature except target, zones ignored.
func cleanOf(target *item) func(*item) float64 {
	return func(it *item) float64 {
		if it == target || it.layer == layerZone || it.layer == layerFixture {
			return -1
		}
		return fixtureClean
	}
}

// overlapArea is the area of target ∩ convex.
func overlapArea(target, convex []orb.Point) float64 {
	return math.Abs(signedArea(clipConvex(target, convex)))
}

// remoteFirst orders targets so that those at least 1 km from every parcel
// come first: a fixture beside a seeded parcel would mix its own conflict
// with the parcel's setback.
func (w *world) remoteFirst(targets []*item) []*item {
	var far, near []*item
	for _, t := range targets {
		if w.clear(t.xy, func(it *item) float64 {
			if it.layer == layerParcel {
				return 1000
			}
			return -1
		}) {
			far = append(far, t)
		} else {
			near = append(near, t)
		}
	}
	return append(far, near...)
}

// overlapping places a fixture over a vertex of one of targets so that it
// covers a substantial part of it and keeps clear of everything else.
func (w *world) overlapping(rng *rand.Rand, targets []*item) ([]orb.Point, *item, *county, error) {
	for _, t := range targets {
		for _, v := range t.xy {
			xy := fixtureShape(rng, v)
			share := overlapArea(t.xy, xy) / math.Min(math.Abs(signedArea(xy)), math.Abs(signedArea(t.xy)))
			if share < minOverlapShare {
				continue
			}
			if home := w.home(xy, fixtureCountyMargin); home != nil && w.clear(xy, cleanOf(t)) {
				return xy, t, home, nil
			}
		}
	}
	return nil, nil, nil, fmt.Errorf("gen: no %s fixture spot found", targets[0].layer)
}

// freeSpot places a fixture in the county with the given code, clear of
// everything by fixtureClean and of every zone by zoneGap.
func (w *world) freeSpot(rng *rand.Rand, code string, zoneGap float64) ([]orb.Point, error) {
	home, err := w.county(code)
	if err != nil {
		return nil, err
	}
	gap := func(it *item) float64 {
		if it.layer == layerZone {
			return zoneGap
		}
		return cleanOf(nil)(it)
	}
	for range 5000 {
		c := orb.Point{between(rng, home.box.minX, home.box.maxX), between(rng, home.box.minY, home.box.maxY)}
		xy := fixtureShape(rng, c)
		if w.home(xy, fixtureCountyMargin) == home && w.clear(xy, gap) {
			return xy, nil
		}
	}
	return nil, fmt.Errorf("gen: no free fixture spot in %s", code)
}

// straddling places a fixture across the boundary shared by counties a and
// b, clear of every feature.
func (w *world) straddling(rng *rand.Rand, a, b string) ([]orb.Point, error) {
	ca, err := w.county(a)
	if err != nil {
		return nil, err
	}
	cb, err := w.county(b)
	if err != nil {
		return nil, err
	}
	inB := map[orb.Point]bool{}
	for _, p := range cb.xy {
		inB[p] = true
	}
	var shared []orb.Point
	for _, p := range ca.xy {
		if inB[p] {
			shared = append(shared, p)
		}
	}
	// Start from the middle of the shared stretch, away from the tripoints.
	for k := range shared {
		i := (len(shared)/2 + k) % len(shared)
		xy := fixtureShape(rng, shared[i])
		sa, sb := overlapArea(ca.xy, xy), overlapArea(cb.xy, xy)
		total := math.Abs(signedArea(xy))
		if sa < 0.3*total || sb < 0.3*total || math.Abs(sa+sb-total) > 1e-6*total {
			continue
		}
		if w.clear(xy, cleanOf(nil)) {
			return xy, nil
		}
	}
	return nil, fmt.Errorf("gen: no spot straddles %s and %s", a, b)
}

// makeConflicts builds the conflict fixtures, in a fixed order.
func (w *world) makeConflicts() ([]feature, error) {
	rng := rand.New(rand.NewPCG(seedConflicts, 0))
	var fx []fixture

	for _, o := range []struct {
		key, layer, what string
	}{
		{"overlaps-redline", layerRedline, "ecological red line"},
		{"overlaps-farmland", layerFarmland, "permanent basic farmland"},
		{"overlaps-mountain", layerMountain, "protected mountain"},
	} {
		xy, t, home, err := w.overlapping(rng, w.remoteFirst(w.of(o.layer)))
		if err != nil {
			return nil, err
		}
		fx = append(fx, fixture{key: o.key, expect: expectFail, hits: t.id, xy: xy, county: home.code,
			reason: fmt.Sprintf("overlaps %s %s", o.what, t.id), top: 300, bottom: 150})
	}

	right := w.of(layerRight)[fixtureRight]
	rTop, rBottom := right.feat.prop("elevation_top_m").(int), right.feat.prop("elevation_bottom_m").(int)
	for _, o := range []struct {
		key, expect, reason string
		top, bottom         int
	}{
		{"right-3d-conflict", expectFail,
			fmt.Sprintf("overlaps existing right %s in plan and in elevation range", right.id),
			rTop - 30, rBottom - 50},
		{"right-vertical-layering", expectWarn,
			fmt.Sprintf("overlaps %s in plan only; elevation ranges are disjoint (vertical layering, allowed)", right.id),
			rBottom - 20, rBottom - 140},
	} {
		xy, t, home, err := w.overlapping(rng, []*item{right})
		if err != nil {
			return nil, err
		}
		fx = append(fx, fixture{key: o.key, expect: o.expect, hits: t.id, xy: xy, county: home.code,
			reason: o.reason, top: o.top, bottom: o.bottom})
	}

	xy, err := w.straddling(rng, "411726", "411725")
	if err != nil {
		return nil, err
	}
	fx = append(fx, fixture{key: "crosses-county", expect: expectFail, xy: xy, county: "411726",
		reason: "straddles the boundary of 泌阳县 (411726) and 确山县 (411725)", top: 280, bottom: 120})

	if xy, err = w.freeSpot(rng, "411726", -1); err != nil {
		return nil, err
	}
	fx = append(fx, fixture{key: "area-mismatch", expect: expectFail, xy: xy, county: "411726",
		reason: "stated area_km2 is 10% larger than the area of the geometry", top: 320, bottom: 180,
		statedFactor: mismatchFactor})

	if xy, err = w.freeSpot(rng, "411725", fixtureZoneClear); err != nil {
		return nil, err
	}
	fx = append(fx, fixture{key: "outside-mining-zone", expect: expectFail, xy: xy, county: "411725",
		reason: "in 确山县 but outside every planned mining zone", top: 260, bottom: 100})

	var red *item
	for _, t := range w.remoteFirst(w.of(layerRedline)) {
		shape := fixtureShape(rng, orb.Point{})
		var home *county
		xy, ok := placeNear(rng, t.xy, shape, setbackMin, setbackMax, func(r []orb.Point) bool {
			home = w.home(r, fixtureCountyMargin)
			return home != nil && w.clear(r, cleanOf(t))
		})
		if ok {
			red = t
			fx = append(fx, fixture{key: "setback", expect: expectWarn, hits: t.id, xy: xy, county: home.code,
				reason: fmt.Sprintf("within 150 m of red line %s without overlapping it", t.id), top: 300, bottom: 160})
			break
		}
	}
	if red == nil {
		return nil, fmt.Errorf("gen: no setback fixture spot found")
	}

	out := make([]feature, 0, len(fx))
	for _, f := range fx {
		ll := toLonLat(f.xy)
		area := geo.AreaM2(zone, orb.MultiPolygon{{ll}})
		if f.statedFactor != 0 {
			area *= f.statedFactor
		}
		var hits any
		if f.hits != "" {
			hits = f.hits
		}
		out = append(out, feature{ring: ll, props: []kv{
			{"fixture", f.key},
			{"expect", f.expect},
			{"reason", f.reason},
			{"hits", hits},
			{"county_code", f.county},
			{"area_km2", formatKM2(area, 4)},
			{"elevation_top_m", f.top},
			{"elevation_bottom_m", f.bottom},
			{"geometry_source", generatedLabel},
		}})
	}
	return out, nil
}

// makeInvalid writes fixtures/invalid.json: coordinate arrays that a
// validator must reject, each with the reason. They are raw arrays in the
// shape of GeoJSON Polygon coordinates, not necessarily valid GeoJSON.
func (w *world) makeInvalid() ([]byte, error) {
	rng := rand.New(rand.NewPCG(seedInvalid, 0))
	xy, err := w.freeSpot(rng, "411725", fixtureZoneClear)
	if err != nil {
		return nil, err
	}
	ring := toLonLat(xy) // closed, valid
	c := centroid(xy)
	box := func(lon, lat, d float64) orb.Ring {
		return orb.Ring{{lon - d, lat - d}, {lon + d, lat - d}, {lon + d, lat + d}, {lon - d, lat + d}, {lon - d, lat - d}}
	}
	// A bow-tie: the corners of a square taken in crossing order.
	sq := toLonLat([]orb.Point{{c[0] - 400, c[1] - 400}, {c[0] + 400, c[1] - 400}, {c[0] + 400, c[1] + 400}, {c[0] - 400, c[1] + 400}})
	bow := orb.Ring{sq[0], sq[2], sq[1], sq[3], sq[0]}
	swapped := make(orb.Ring, len(ring))
	for i, p := range ring {
		swapped[i] = orb.Point{p[1], p[0]}
	}
	cases := []struct {
		key, reason, county string
		ring                orb.Ring
	}{
		{"self-intersection", "bow-tie: the first and third edges cross", "411725", bow},
		{"unclosed-ring", "the last position does not repeat the first", "411725", ring[:len(ring)-1]},
		{"too-few-points", "two distinct corners; a ring needs at least four positions and a parcel four corners", "411725", orb.Ring{ring[0], ring[1], ring[0]}},
		{"swapped-lonlat", "positions are [lat, lon]: latitude beyond 90", "411725", swapped},
		{"outside-china", "lies in France, outside China", "", box(2.35, 48.85, 0.01)},
		{"wrong-zone", "longitude 118 lies in Gauss-Krüger zone 39, not 38, and outside Zhumadian", "", box(118.0, 32.3, 0.01)},
	}
	b := []byte(`{"fixtures":[` + "\n")
	for i, tc := range cases {
		var county any
		if tc.county != "" {
			county = tc.county
		}
		b, err = appendProps(b, []kv{
			{"fixture", tc.key},
			{"expect", expectInvalid},
			{"reason", tc.reason},
			{"county_code", county},
			{"geometry_source", generatedLabel},
		})
		if err != nil {
			return nil, err
		}
		// Splice the coordinates in as the last member of the object.
		b = append(b[:len(b)-1], `,"coordinates":[`...)
		b = appendPositions(b, tc.ring)
		b = append(b, "]}"...)
		if i < len(cases)-1 {
			b = append(b, ',')
		}
		b = append(b, '\n')
	}
	return append(b, "]}\n"...), nil
}
