package gen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/paulmach/orb"

	"minerights/geo"
)

// parcelPlan says roughly where each parcel goes, in gazette order. The
// spots follow the names in the gazette only loosely: 1-3 in the granite
// hills of south-eastern 泌阳, 4-7 near the townships they are named after,
// 8-9 in 刘店镇 east of the 确山 county seat and 10-11 south of it in
// 三里河. pair names the parcel a parcel must lie a few km from.
var parcelPlan = [11]struct {
	lon, lat float64
	pair     int
}{
	{113.500, 32.700, 0},  // 1 黑石板沟
	{113.450, 32.630, 0},  // 2 李木林
	{113.560, 32.770, 0},  // 3 刘庄
	{113.330, 32.660, 0},  // 4 高店
	{113.240, 32.880, 0},  // 5 杨家集
	{113.400, 33.070, 0},  // 6 羊册
	{113.280, 32.990, 0},  // 7 官庄
	{114.120, 32.750, 0},  // 8 刘店镇红土山
	{114.140, 32.720, 8},  // 9 刘店镇扁担山
	{114.000, 32.770, 0},  // 10 三里河南泉村
	{114.040, 32.750, 10}, // 11 三里河中店村
}

// Parcel placement limits, in metres.
const (
	parcelCountyMargin = 600  // ≥ 500 required, with room for the coarse boundary
	parcelGap          = 1200 // ≥ 1000 required between any two parcels
	pairMin, pairMax   = 2500, 6000
	minCompactness     = 0.5 // 4πA/P²: 1 for a disc, ~0.79 for a square
)

// compactness is the isoperimetric quotient of r.
func compactness(r []orb.Point) float64 {
	p := perimeter(r)
	return 4 * math.Pi * math.Abs(signedArea(r)) / (p * p)
}

// fitArea scales xy about its centroid until the zone-38 area of its
// rounded lon/lat form is the target, and returns that form and its area.
// The first scale is exact in the plane; the round trip through lon/lat and
// the nine-decimal rounding move the area by well under a square metre,
// which the further steps take out.
func fitArea(xy []orb.Point, target float64) (orb.Ring, float64) {
	c := centroid(xy)
	xy = scaleAbout(xy, c, math.Sqrt(target/math.Abs(signedArea(xy))))
	var ll orb.Ring
	var a float64
	for range 5 {
		ll = toLonLat(xy)
		a = geo.AreaM2(zone, orb.MultiPolygon{{ll}})
		if math.Abs(a-target) < 0.5 {
			break
		}
		xy = scaleAbout(xy, c, math.Sqrt(target/a))
	}
	return ll, a
}

// makeParcels places the 11 parcels and returns their features.
func (w *world) makeParcels(facts []fact) ([]feature, error) {
	var out []feature
	byNo := map[int]*item{}
	for i, f := range facts {
		plan := parcelPlan[i]
		home, err := w.county(f.CountyCode)
		if err != nil {
			return nil, fmt.Errorf("gen: parcel %d: %w", f.No, err)
		}
		km2, err := strconv.ParseFloat(f.AreaKM2, 64)
		if err != nil {
			return nil, fmt.Errorf("gen: parcel %d: %w", f.No, err)
		}
		target := km2 * 1e6
		rng := rand.New(rand.NewPCG(seedParcels, uint64(f.No)))
		anchor := plane(plan.lon, plan.lat)
		var placed *item
		for attempt := range 500 {
			c := jitter(rng, anchor, math.Min(5000, 30*float64(attempt)))
			n := 5 + rng.IntN(6)
			xy := starShape(rng, c, n, 1000, between(rng, 0.55, 0.95), between(rng, 0, math.Pi), 0.5)
			ll, area := fitArea(xy, target)
			if formatKM2(area, f.decimals()) != f.AreaKM2 {
				return nil, fmt.Errorf("gen: parcel %d: area %.3f m² does not round to %s km²", f.No, area, f.AreaKM2)
			}
			xy = toPlane(ll)
			if !simple(xy) || compactness(xy) < minCompactness || !within(xy, home.xy, parcelCountyMargin) {
				continue
			}
			if !w.clear(xy, func(it *item) float64 { return parcelGap }) {
				continue
			}
			if plan.pair != 0 {
				p, q := centroid(xy), centroid(byNo[plan.pair].xy)
				if d := math.Hypot(p[0]-q[0], p[1]-q[1]); d < pairMin || d > pairMax {
					continue
				}
			}
			placed = w.add(&item{
				id: fmt.Sprintf("parcel-%02d", f.No), layer: layerParcel, no: f.No,
				feat: feature{ring: ll, props: []kv{
					{"no", f.No},
					{"name", f.Name},
					{"county", f.County},
					{"county_code", f.CountyCode},
					{"geometry_source", generatedLabel},
				}},
			})
			break
		}
		if placed == nil {
			return nil, fmt.Errorf("gen: parcel %d: no spot near %.3f,%.3f meets the constraints", f.No, plan.lon, plan.lat)
		}
		byNo[f.No] = placed
		out = append(out, placed.feat)
	}
	return out, nil
}
