package gen

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/paulmach/orb"
)

// Check-layer limits, in metres.
const (
	layerCountyMargin = 300 // every check feature lies this far inside one county
	layerGap          = 200 // between check features (zones and rights aside)
	farFromParcels    = 600 // features not placed deliberately near a parcel
	nearMin, nearMax  = 120, 280
	zoneBufferMin     = 320  // ≥ 300 required between a zone's edge and its parcels
	zoneOtherParcels  = 300  // a zone keeps off the parcels it does not contain
	rightFixtureRoom  = 1500 // clear ground around the right the fixtures overlap
	maxLayerVertices  = 40
)

// The zones around the granite parcels 1-3 are "tight": a buffer of
// zoneTightMin..zoneTightMax metres, not zoneBufferMin. Those parcels carry
// the setback features placed nearMin..nearMax from them, which a
// zoneBufferMin zone would swallow. The tight zones are drawn last, after
// the check layers, to fit between each parcel and its near features: that
// leaves every other layer, its ids and its random stream exactly as they
// were. Since zoneTightMin·sec(π/8) + zoneTightGap < nearMin, and every
// feature not placed near a parcel keeps farther off, a zoneTightMin zone
// always fits.
const (
	zoneTightMax, zoneTightMin = 100, 40
	zoneTightGap               = 50 // from red lines, farmland, mountains, rights
)

// Layer kinds, the "kind" property of each layer's features.
const (
	kindRedline  = "生态保护红线"
	kindFarmland = "永久基本农田"
	kindMountain = "重点保护山体"
	kindZone     = "规划开采区"
	kindRight    = "采矿权"
)

// layerSet holds the check layers' features, in id order.
type layerSet struct {
	redlines, farmland, mountains, zones, rights []feature
}

// checkGap is the spacing a red line, farmland or mountain footprint keeps:
// off every parcel by farFromParcels (nearTo excepted, which placeNear puts
// at its own distance), layerGap from its peers and the zones (but for the
// tight zones, drawn later, which keep zoneTightGap from it).
func checkGap(nearTo int, other float64) func(*item) float64 {
	return func(it *item) float64 {
		switch it.layer {
		case layerParcel:
			if it.no == nearTo {
				return -1
			}
			return other
		case layerRedline, layerFarmland, layerMountain, layerZone, layerRight:
			return layerGap
		}
		return -1
	}
}

// makeLayers places the check layers after the parcels: zones first (they
// follow the parcels), then the features put deliberately near parcels, the
// named mountains, the rest of the red lines and farmland, the existing
// rights, and last the tight zones, which fit between the near features and
// their parcels.
func (w *world) makeLayers() (layerSet, error) {
	var ls layerSet
	var err error
	if ls.zones, err = w.makeZones(false); err != nil {
		return ls, err
	}
	if ls.mountains, err = w.makeMountains(); err != nil {
		return ls, err
	}
	if ls.redlines, err = w.makeRedlines(); err != nil {
		return ls, err
	}
	if ls.farmland, err = w.makeFarmland(); err != nil {
		return ls, err
	}
	if ls.rights, err = w.makeRights(); err != nil {
		return ls, err
	}
	tight, err := w.makeZones(true)
	if err != nil {
		return ls, err
	}
	ls.zones = append(ls.zones, tight...)
	return ls, nil
}

// zonePlan lists the planned mining zones: those around parcels (listed by
// number), two holding none of them, and the tight ones around the granite
// parcels (see zoneTightMax). The tight ones come last so that the ids and
// the random draws of the others stay as they were before they existed.
var zonePlan = []struct {
	name, mineral, county string
	parcels               []int
	lon, lat              float64
	tight                 bool
}{
	{"泌阳县高店建筑用砂规划开采区", "建筑用砂", "411726", []int{4}, 0, 0, false},
	{"泌阳县杨家集建筑用砂规划开采区", "建筑用砂", "411726", []int{5}, 0, 0, false},
	{"泌阳县羊册建筑用砂规划开采区", "建筑用砂", "411726", []int{6}, 0, 0, false},
	{"泌阳县官庄建筑用砂规划开采区", "建筑用砂", "411726", []int{7}, 0, 0, false},
	{"确山县刘店建筑石料用灰岩规划开采区", "普通建筑石料用灰岩", "411725", []int{8, 9}, 0, 0, false},
	{"确山县三里河砖瓦用页岩规划开采区", "砖瓦用页岩", "411725", []int{10, 11}, 0, 0, false},
	{"确山县竹沟建筑石料用灰岩规划开采区", "普通建筑石料用灰岩", "411725", nil, 113.820, 32.640, false},
	{"驿城区西部建筑石料用花岗岩规划开采区", "建筑石料用花岗岩", "411702", nil, 113.780, 32.980, false},
	{"泌阳县黑石板沟饰面用花岗岩规划开采区", "饰面用花岗岩 / 建筑石料用花岗岩", "411726", []int{1}, 0, 0, true},
	{"泌阳县李木林饰面用花岗岩规划开采区", "饰面用花岗岩 / 建筑石料用花岗岩", "411726", []int{2}, 0, 0, true},
	{"泌阳县刘庄饰面用花岗岩规划开采区", "饰面用花岗岩 / 建筑石料用花岗岩", "411726", []int{3}, 0, 0, true},
}

// bufferedHull is the convex hull of rings, each grown by an octagon of
// inradius buf: it holds every point within buf of the rings.
func bufferedHull(rings [][]orb.Point, buf, rot float64) []orb.Point {
	const k = 8
	rad := buf / math.Cos(math.Pi/k)
	var pts []orb.Point
	for _, r := range rings {
		for _, p := range r {
			for j := range k {
				th := rot + 2*math.Pi*float64(j)/k
				pts = append(pts, orb.Point{p[0] + rad*math.Cos(th), p[1] + rad*math.Sin(th)})
			}
		}
	}
	return convexHull(pts)
}

// makeZones places the zones of zonePlan that are tight, or those that are
// not; only the latter draw from the zones' random stream.
func (w *world) makeZones(tight bool) ([]feature, error) {
	rng := rand.New(rand.NewPCG(seedZones, 0))
	parcels := map[int]*item{}
	for _, p := range w.of(layerParcel) {
		parcels[p.no] = p
	}
	var out []feature
	for i, z := range zonePlan {
		if z.tight != tight {
			continue
		}
		home, err := w.county(z.county)
		if err != nil {
			return nil, err
		}
		var rings [][]orb.Point
		for _, no := range z.parcels {
			rings = append(rings, parcels[no].xy)
		}
		contains := func(no int) bool {
			for _, n := range z.parcels {
				if n == no {
					return true
				}
			}
			return false
		}
		gap := func(it *item) float64 {
			switch it.layer {
			case layerParcel:
				if contains(it.no) {
					return -1
				}
				if len(z.parcels) == 0 {
					return farFromParcels
				}
				return zoneOtherParcels
			case layerZone:
				return layerGap
			case layerRedline, layerFarmland, layerMountain, layerRight:
				return zoneTightGap // only tight zones come after these
			}
			return -1
		}
		fits := func(cand []orb.Point) bool {
			return len(cand) <= maxLayerVertices && simple(cand) && within(cand, home.xy, layerCountyMargin/3) && w.clear(cand, gap)
		}
		var xy []orb.Point
		if tight {
			// The widest buffer that fits, in whole tens of metres.
			for buf := zoneTightMax; xy == nil && buf >= zoneTightMin; buf -= 10 {
				if cand := bufferedHull(rings, float64(buf), 0); fits(cand) {
					xy = cand
				}
			}
		} else {
			for attempt := range 2000 {
				var cand []orb.Point
				if len(rings) > 0 {
					buf := math.Max(zoneBufferMin, between(rng, 450, 800)-float64(attempt))
					cand = bufferedHull(rings, buf, between(rng, 0, math.Pi/4))
				} else {
					c := jitter(rng, plane(z.lon, z.lat), math.Min(6000, 20*float64(attempt)))
					cand = starShape(rng, c, 8+rng.IntN(7), between(rng, 1200, 2500), between(rng, 0.5, 0.9), between(rng, 0, math.Pi), 0.4)
				}
				if fits(cand) {
					xy = cand
					break
				}
			}
		}
		if xy == nil {
			return nil, fmt.Errorf("gen: zone %s: no shape meets the constraints", z.name)
		}
		parcelsProp := z.parcels
		if parcelsProp == nil {
			parcelsProp = []int{}
		}
		it := w.add(&item{
			id: fmt.Sprintf("zone-%03d", i+1), layer: layerZone,
			feat: feature{ring: toLonLat(xy), props: []kv{
				{"id", fmt.Sprintf("zone-%03d", i+1)},
				{"name", z.name},
				{"kind", kindZone},
				{"geometry_source", generatedLabel},
				{"county_code", home.code},
				{"mineral", z.mineral},
				{"parcels", parcelsProp},
			}},
		})
		out = append(out, it.feat)
	}
	return out, nil
}

// mountainPlan names the protected mountains. Footprints are generated near
// a rough position of the real mountain, or (near > 0) beside a parcel so
// that the setback rule has a mountain to find.
var mountainPlan = []struct {
	name, county string
	lon, lat     float64
	near         int
}{
	{"铜山", "411726", 113.420, 32.800, 0},
	{"白云山", "411726", 0, 0, 2},
	{"盘古山", "411726", 113.370, 32.600, 0},
	{"乐山", "411702", 113.930, 32.950, 0},
	{"嵖岈山", "411728", 113.720, 33.130, 0},
	{"薄山", "411725", 113.980, 32.620, 0},
	{"北泉寺", "411725", 113.950, 32.820, 0},
}

// parcel returns the placed parcel with number no.
func (w *world) parcel(no int) *item {
	for _, it := range w.of(layerParcel) {
		if it.no == no {
			return it
		}
	}
	return nil
}

func (w *world) makeMountains() ([]feature, error) {
	rng := rand.New(rand.NewPCG(seedMountains, 0))
	var out []feature
	for i, m := range mountainPlan {
		home, err := w.county(m.county)
		if err != nil {
			return nil, err
		}
		var xy []orb.Point
		if m.near > 0 {
			shape := starShape(rng, orb.Point{}, 10+rng.IntN(10), between(rng, 700, 1200), between(rng, 0.6, 0.9), between(rng, 0, math.Pi), 0.5)
			xy, _ = placeNear(rng, w.parcel(m.near).xy, shape, nearMin, nearMax, func(r []orb.Point) bool {
				return w.home(r, layerCountyMargin) == home && w.clear(r, checkGap(m.near, farFromParcels/2))
			})
		} else {
			for attempt := range 2000 {
				c := jitter(rng, plane(m.lon, m.lat), math.Min(6000, 20*float64(attempt)))
				cand := starShape(rng, c, 10+rng.IntN(15), between(rng, 700, 2000), between(rng, 0.5, 0.9), between(rng, 0, math.Pi), 0.5)
				if w.home(cand, layerCountyMargin) == home && w.clear(cand, checkGap(0, farFromParcels)) {
					xy = cand
					break
				}
			}
		}
		if xy == nil {
			return nil, fmt.Errorf("gen: mountain %s: no spot meets the constraints", m.name)
		}
		id := fmt.Sprintf("mountain-%03d", i+1)
		it := w.add(&item{id: id, layer: layerMountain,
			feat: feature{ring: toLonLat(xy), props: []kv{
				{"id", id},
				{"name", m.name},
				{"kind", kindMountain},
				{"geometry_source", generatedLabel},
				{"county_code", home.code},
				{"note", "generated footprint bearing the name of a real mountain; not its real outline"},
			}},
		})
		out = append(out, it.feat)
	}
	return out, nil
}

// scatter places count features of one layer: first one beside each parcel
// in near, then the rest anywhere in the city. shape draws a ring about the
// origin; props names the feature once its county is known.
func (w *world) scatter(rng *rand.Rand, layer, prefix string, near []int, count int,
	shape func(near bool) []orb.Point, props func(id string, seq int, c *county) []kv) ([]feature, error) {
	city := w.cityBox()
	var out []feature
	for i := range count {
		var xy []orb.Point
		var home *county
		if i < len(near) {
			no := near[i]
			xy, _ = placeNear(rng, w.parcel(no).xy, shape(true), nearMin, nearMax, func(r []orb.Point) bool {
				home = w.home(r, layerCountyMargin)
				return home != nil && w.clear(r, checkGap(no, farFromParcels/2))
			})
		} else {
			for range 5000 {
				c := orb.Point{between(rng, city.minX, city.maxX), between(rng, city.minY, city.maxY)}
				cand := translate(shape(false), c)
				if home = w.home(cand, layerCountyMargin); home != nil && w.clear(cand, checkGap(0, farFromParcels)) {
					xy = cand
					break
				}
			}
		}
		if xy == nil {
			return nil, fmt.Errorf("gen: %s %d: no spot meets the constraints", layer, i+1)
		}
		id := fmt.Sprintf("%s-%03d", prefix, i+1)
		it := w.add(&item{id: id, layer: layer,
			feat: feature{ring: toLonLat(xy), props: props(id, i+1, home)}})
		out = append(out, it.feat)
	}
	return out, nil
}

func (w *world) makeRedlines() ([]feature, error) {
	rng := rand.New(rand.NewPCG(seedRedlines, 0))
	functions := []string{"水源涵养", "水土保持", "生物多样性维护"}
	return w.scatter(rng, layerRedline, "redline", []int{1, 3}, 12,
		func(near bool) []orb.Point {
			r := between(rng, 800, 2500)
			if near {
				r = between(rng, 600, 1200)
			}
			return starShape(rng, orb.Point{}, 12+rng.IntN(19), r, between(rng, 0.5, 1), between(rng, 0, math.Pi), 0.5)
		},
		func(id string, seq int, c *county) []kv {
			fn := functions[rng.IntN(len(functions))]
			return []kv{
				{"id", id},
				{"name", fmt.Sprintf("%s%s生态保护红线区%02d", c.name, fn, seq)},
				{"kind", kindRedline},
				{"geometry_source", generatedLabel},
				{"county_code", c.code},
				{"function", fn},
			}
		})
}

func (w *world) makeFarmland() ([]feature, error) {
	rng := rand.New(rand.NewPCG(seedFarmland, 0))
	uses := []string{"水田", "水浇地", "旱地"}
	return w.scatter(rng, layerFarmland, "farmland", []int{2, 3}, 14,
		func(bool) []orb.Point {
			return starShape(rng, orb.Point{}, 6+rng.IntN(11), between(rng, 400, 1200), between(rng, 0.5, 1), between(rng, 0, math.Pi), 0.4)
		},
		func(id string, seq int, c *county) []kv {
			use := uses[rng.IntN(len(uses))]
			return []kv{
				{"id", id},
				{"name", fmt.Sprintf("%s永久基本农田保护片%02d", c.name, seq)},
				{"kind", kindFarmland},
				{"geometry_source", generatedLabel},
				{"county_code", c.code},
				{"land_use", use},
			}
		})
}

// rightPlan lists the existing mining rights: beside a parcel (near), the
// one the 3-D fixtures overlap (fixture), or anywhere in a county.
var rightPlan = []struct {
	mineral string
	county  string
	near    int
	fixture bool
}{
	{"普通建筑石料用灰岩", "411725", 8, false},
	{"饰面用花岗岩", "411726", 1, false},
	{"普通建筑石料用灰岩", "411725", 0, true},
	{"建筑石料用花岗岩", "411726", 0, false},
	{"建筑用砂", "411726", 0, false},
	{"砖瓦用页岩", "411702", 0, false},
	{"建筑石料用花岗岩", "411728", 0, false},
}

// fixtureRight is the index in rightPlan of the right the 3-D fixtures
// overlap.
const fixtureRight = 2

// licence makes a 23-character mining licence number in the national
// pattern (C, 6-digit division code, year, month, 10 digits); generated, so
// it names no real licence.
func licence(rng *rand.Rand, code string) string {
	return fmt.Sprintf("C%s%04d%02d71%08d", code, 2006+rng.IntN(14), 1+rng.IntN(12), rng.IntN(100000000))
}

func (w *world) makeRights() ([]feature, error) {
	rng := rand.New(rand.NewPCG(seedRights, 0))
	var out []feature
	for i, rp := range rightPlan {
		home, err := w.county(rp.county)
		if err != nil {
			return nil, err
		}
		gap := func(it *item) float64 {
			switch it.layer {
			case layerParcel:
				if it.no == rp.near {
					return -1
				}
				if rp.fixture {
					return rightFixtureRoom + farFromParcels
				}
				return farFromParcels
			case layerRedline, layerFarmland, layerMountain, layerRight:
				if rp.fixture {
					return rightFixtureRoom
				}
				return layerGap
			case layerZone:
				if rp.fixture {
					return rightFixtureRoom
				}
			}
			return -1
		}
		shape := func() []orb.Point {
			return starShape(rng, orb.Point{}, 4+rng.IntN(5), between(rng, 300, 650), between(rng, 0.6, 1), between(rng, 0, math.Pi), 0.25)
		}
		var xy []orb.Point
		if rp.near > 0 {
			xy, _ = placeNear(rng, w.parcel(rp.near).xy, shape(), nearMin+30, nearMax-30, func(r []orb.Point) bool {
				return w.home(r, layerCountyMargin) == home && w.clear(r, gap)
			})
		} else {
			margin := float64(layerCountyMargin)
			if rp.fixture {
				margin = rightFixtureRoom
			}
			for range 5000 {
				c := orb.Point{between(rng, home.box.minX, home.box.maxX), between(rng, home.box.minY, home.box.maxY)}
				cand := translate(shape(), c)
				if w.home(cand, margin) == home && w.clear(cand, gap) {
					xy = cand
					break
				}
			}
		}
		if xy == nil {
			return nil, fmt.Errorf("gen: right %d: no spot meets the constraints", i+1)
		}
		top := 150 + 10*rng.IntN(36)
		bottom := top - 100 - 10*rng.IntN(21)
		id := fmt.Sprintf("right-%03d", i+1)
		it := w.add(&item{id: id, layer: layerRight,
			feat: feature{ring: toLonLat(xy), props: []kv{
				{"id", id},
				{"name", fmt.Sprintf("%s%s矿（现有采矿权%02d）", home.name, rp.mineral, i+1)},
				{"kind", kindRight},
				{"geometry_source", generatedLabel},
				{"county_code", home.code},
				{"licence", licence(rng, home.code)},
				{"mineral", rp.mineral},
				{"elevation_top_m", top},
				{"elevation_bottom_m", bottom},
				{"note", "generated licence number and footprint; not a real mining right"},
			}},
		})
		out = append(out, it.feat)
	}
	return out, nil
}
