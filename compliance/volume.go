package compliance

import (
	"math"

	"github.com/twpayne/go-geom"
)

// A mining right is a volume: its footprint between the bottom and the top
// of its mining elevation range (开采标高), a closed vertical prism in
// metres of its own 3° zone that the database keeps with the right
// (migration 015) and the store hands over as go-geom XYZ faces. The 3-D
// rule reads the vertical relation of two rights from their volumes.
//
// Why the vertical extents decide, and not a solid intersection: both
// volumes are vertical prisms, so once their footprints overlap in plan
// (PostGIS measured that area), they share a volume exactly when their
// extents [bottom, top] overlap with positive length, and the shared volume
// is the plan overlap times that length: exact, where an exact solid
// intersection (SFCGAL) costs a second per pair (docs/compliance.md).

// Extent is the vertical extent of a volume, in metres above sea level.
type Extent struct {
	BottomM, TopM float64
}

// ExtentOf is the lowest and the highest Z of a volume's coordinates. ok is
// false when v is nil, empty, or has no Z (a plan is not a volume).
func ExtentOf(v geom.T) (e Extent, ok bool) {
	if v == nil {
		return e, false
	}
	l := v.Layout()
	zi := l.ZIndex()
	flat := v.FlatCoords()
	if zi < 0 || len(flat) == 0 {
		return e, false
	}
	e = Extent{BottomM: math.Inf(1), TopM: math.Inf(-1)}
	for i := zi; i < len(flat); i += l.Stride() {
		e.BottomM = math.Min(e.BottomM, flat[i])
		e.TopM = math.Max(e.TopM, flat[i])
	}
	return e, true
}

// Shared is the height two extents have in common, and whether they share
// any: touching extents (one's bottom the other's top) share none.
func (e Extent) Shared(o Extent) (float64, bool) {
	lo, hi := math.Max(e.BottomM, o.BottomM), math.Min(e.TopM, o.TopM)
	return hi - lo, hi > lo
}
