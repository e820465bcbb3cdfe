package gen

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"minerights/geo"
)

// The stress layer is drawn from a mask of lon/lat cells (stressCells in
// stressmask.go) rather than from the county boundaries and parcels
// themselves: that keeps StressRedlines free of I/O and of point-in-polygon
// tests against 2,700-vertex rings, so it runs at millions of features a
// minute. A cell is usable when all of it lies at least stressCountyMargin
// inside one county and stressParcelClear from every parcel; the package
// tests recompute the mask from the committed data and fail when it is
// stale.
const (
	maskLon0, maskLat0 = 113.0, 32.25 // south-west corner of the grid
	maskCell           = 0.025        // degrees
	maskCols, maskRows = 90, 52
	stressCountyMargin = 200    // metres
	stressParcelClear  = 600    // metres
	stressInsetLon     = 0.0042 // ≈ 390 m at 33°N: polygons stay inside their cell
	stressInsetLat     = 0.0035 // ≈ 390 m
	stressRadiusMin    = 35     // metres: with the jitter below, 50-500 m across
	stressRadiusMax    = 210
	stressJitter       = 0.3
)

// cellRing is the open zone-38 ring of mask cell (col, row), row 0 north.
func cellRing(col, row int) []orb.Point {
	lon := maskLon0 + float64(col)*maskCell
	lat := maskLat0 + float64(maskRows-1-row)*maskCell
	return []orb.Point{plane(lon, lat), plane(lon+maskCell, lat), plane(lon+maskCell, lat+maskCell), plane(lon, lat+maskCell)}
}

// stressMask computes the mask: one string per row, north first, '#' for a
// usable cell and '.' otherwise.
func stressMask(counties []county, parcels [][]orb.Point) []string {
	w := &world{counties: counties}
	rows := make([]string, maskRows)
	for row := range maskRows {
		var sb strings.Builder
		for col := range maskCols {
			r := cellRing(col, row)
			ok := w.home(r, stressCountyMargin) != nil
			for _, p := range parcels {
				ok = ok && farFrom(r, p, stressParcelClear)
			}
			if ok {
				sb.WriteByte('#')
			} else {
				sb.WriteByte('.')
			}
		}
		rows[row] = sb.String()
	}
	return rows
}

// stressCell is a usable mask cell with the local linear map from zone-38
// metre offsets to degrees, taken from geo.Inverse at the cell's centre.
// Over a few hundred metres the map is exact to millimetres, and it spares
// a full inverse projection per vertex.
type stressCell struct {
	lon, lat float64    // south-west corner
	j        [4]float64 // dlon/dx, dlon/dy, dlat/dx, dlat/dy
}

func stressCellsOf(mask []string) []stressCell {
	var out []stressCell
	for row, line := range mask {
		for col := range len(line) {
			if line[col] != '#' {
				continue
			}
			lon := maskLon0 + float64(col)*maskCell
			lat := maskLat0 + float64(maskRows-1-row)*maskCell
			c := plane(lon+maskCell/2, lat+maskCell/2)
			const h = 100.0
			e := geo.Inverse(zone, orb.Point{c[0] + h, c[1]})
			wst := geo.Inverse(zone, orb.Point{c[0] - h, c[1]})
			n := geo.Inverse(zone, orb.Point{c[0], c[1] + h})
			s := geo.Inverse(zone, orb.Point{c[0], c[1] - h})
			out = append(out, stressCell{lon: lon, lat: lat, j: [4]float64{
				(e[0] - wst[0]) / (2 * h), (n[0] - s[0]) / (2 * h),
				(e[1] - wst[1]) / (2 * h), (n[1] - s[1]) / (2 * h),
			}})
		}
	}
	return out
}

// StressRedlines writes n generated red-line polygons for benchmarks, as a
// GeoJSON FeatureCollection with one feature per line (the first line opens
// the collection, the last closes it; every feature line but the last ends
// in a comma). Features are spread uniformly over the usable part of the
// city, each an irregular simple polygon of 5-12 corners, 50-500 m across,
// at least 600 m from every one of the 11 parcels; they may overlap one
// another. Properties are {"id": "stress-0000001", "name", "kind":
// "生态保护红线", "geometry_source": "generated"}.
//
// The output depends only on n and seed. Features are streamed through a
// buffer, so memory does not grow with n.
func StressRedlines(w io.Writer, n int, seed uint64) error {
	if n < 0 {
		return fmt.Errorf("gen: stress: negative count %d", n)
	}
	cells := stressCellsOf(stressCells[:])
	if len(cells) == 0 {
		return fmt.Errorf("gen: stress: empty mask")
	}
	rng := rand.New(rand.NewPCG(seed, 0x7265646c696e6573)) // "redlines"
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString(`{"type":"FeatureCollection","features":[` + "\n")
	buf := make([]byte, 0, 1024)
	var ring [13]orb.Point
	for i := range n {
		c := cells[rng.IntN(len(cells))]
		lon := c.lon + between(rng, stressInsetLon, maskCell-stressInsetLon)
		lat := c.lat + between(rng, stressInsetLat, maskCell-stressInsetLat)
		k := 5 + rng.IntN(8)
		shape := starShape(rng, orb.Point{}, k, between(rng, stressRadiusMin, stressRadiusMax),
			between(rng, 0.6, 1), between(rng, 0, math.Pi), stressJitter)
		for v, p := range shape {
			ring[v] = orb.Point{
				round9(lon + c.j[0]*p[0] + c.j[1]*p[1]),
				round9(lat + c.j[2]*p[0] + c.j[3]*p[1]),
			}
		}
		ring[k] = ring[0]

		buf = append(buf[:0], `{"type":"Feature","properties":{"id":"stress-`...)
		id := strconv.Itoa(i + 1)
		for range 7 - len(id) {
			buf = append(buf, '0')
		}
		buf = append(buf, id...)
		buf = append(buf, `","name":"压力测试生态保护红线`...)
		buf = append(buf, id...)
		buf = append(buf, `","kind":"`+kindRedline+`","geometry_source":"`+generatedLabel+`"},"geometry":{"type":"Polygon","coordinates":[`...)
		buf = appendPositions(buf, ring[:k+1])
		buf = append(buf, "]}}"...)
		if i < n-1 {
			buf = append(buf, ',')
		}
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return fmt.Errorf("gen: stress: %w", err)
		}
	}
	bw.WriteString("]}\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("gen: stress: %w", err)
	}
	return nil
}
