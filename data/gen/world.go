package gen

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/paulmach/orb"

	"minerights/geo"
)

// Layer names, as item.layer.
const (
	layerParcel   = "parcel"
	layerRedline  = "redline"
	layerFarmland = "farmland"
	layerMountain = "mountain"
	layerZone     = "zone"
	layerRight    = "right"
	layerFixture  = "fixture"
)

// Seeds of the independent random streams, one per part of the output.
const (
	seedParcels   = 20200619 // the plan's date
	seedRedlines  = 1
	seedFarmland  = 2
	seedMountains = 3
	seedZones     = 4
	seedRights    = 5
	seedConflicts = 6
	seedInvalid   = 7
)

// item is one placed polygon: parcel, check-layer feature or fixture.
type item struct {
	id    string
	layer string
	no    int         // parcel number, parcels only
	xy    []orb.Point // open ring in zone-38 metres, from the rounded lon/lat
	box   box
	feat  feature
}

// world is the state of one generation run: the counties and everything
// placed so far, in placement order.
type world struct {
	counties []county
	items    []*item
}

// add records it, deriving its plane geometry from its rounded lon/lat ring
// so that later checks see exactly what the file will say.
func (w *world) add(it *item) *item {
	it.xy = toPlane(it.feat.ring)
	it.box = bounds(it.xy)
	w.items = append(w.items, it)
	return it
}

// of returns the placed items of one layer, in placement order.
func (w *world) of(layer string) []*item {
	var out []*item
	for _, it := range w.items {
		if it.layer == layer {
			out = append(out, it)
		}
	}
	return out
}

// county returns the county with the given code.
func (w *world) county(code string) (*county, error) {
	for i := range w.counties {
		if w.counties[i].code == code {
			return &w.counties[i], nil
		}
	}
	return nil, fmt.Errorf("gen: no county %s", code)
}

// home returns the county that holds r with every point at least margin
// inside its boundary, or nil.
func (w *world) home(r []orb.Point, margin float64) *county {
	b := bounds(r)
	for i := range w.counties {
		c := &w.counties[i]
		if c.box.minX <= b.minX && b.maxX <= c.box.maxX && c.box.minY <= b.minY && b.maxY <= c.box.maxY &&
			within(r, c.xy, margin) {
			return c
		}
	}
	return nil
}

// farFrom reports whether polygons a and b are at least g apart; g == 0
// asks only that they be disjoint.
func farFrom(a, b []orb.Point, g float64) bool {
	if bounds(a).gap(bounds(b)) > g {
		return true
	}
	return disjoint(a, b) && (g == 0 || boundaryDist(a, b, g) >= g)
}

// clear reports whether r keeps, from every placed item, the distance gap
// asks for it; a negative gap means the item does not matter.
func (w *world) clear(r []orb.Point, gap func(*item) float64) bool {
	for _, it := range w.items {
		if g := gap(it); g >= 0 && !farFrom(r, it.xy, g) {
			return false
		}
	}
	return true
}

// jitter returns p moved in a uniformly random direction by up to radius.
func jitter(rng *rand.Rand, p orb.Point, radius float64) orb.Point {
	th := between(rng, 0, 2*math.Pi)
	d := radius * math.Sqrt(rng.Float64())
	return orb.Point{p[0] + d*math.Cos(th), p[1] + d*math.Sin(th)}
}

// plane projects a lon/lat point to zone 38.
func plane(lon, lat float64) orb.Point { return geo.Forward(zone, orb.Point{lon, lat}) }

// cityBox is the bounding box of all counties in the plane.
func (w *world) cityBox() box {
	b := w.counties[0].box
	for _, c := range w.counties[1:] {
		b = box{math.Min(b.minX, c.box.minX), math.Min(b.minY, c.box.minY),
			math.Max(b.maxX, c.box.maxX), math.Max(b.maxY, c.box.maxY)}
	}
	return b
}

// placeNear places shape (given about the origin) so that its distance to
// target falls in [dmin, dmax], in a random direction from target, and
// accept approves the spot. It bisects along the ray for a random distance
// inside the range; star-shaped targets make that distance grow with the
// offset nearly monotonically, and the result is checked anyway.
func placeNear(rng *rand.Rand, target, shape []orb.Point, dmin, dmax float64, accept func([]orb.Point) bool) ([]orb.Point, bool) {
	c := centroid(target)
	for range 200 {
		goal := between(rng, dmin+(dmax-dmin)/10, dmax-(dmax-dmin)/10)
		th := between(rng, 0, 2*math.Pi)
		u := orb.Point{math.Cos(th), math.Sin(th)}
		at := func(t float64) []orb.Point { return translate(shape, orb.Point{c[0] + t*u[0], c[1] + t*u[1]}) }
		lo, hi := 0.0, 30000.0
		for range 40 {
			mid := (lo + hi) / 2
			if polyDist(at(mid), target) < goal {
				lo = mid
			} else {
				hi = mid
			}
		}
		r := at(hi)
		if d := polyDist(r, target); d >= dmin && d <= dmax && accept(r) {
			return r, true
		}
	}
	return nil, false
}
