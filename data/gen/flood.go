package gen

import (
	"fmt"
	"math"
	"strings"
)

// DisjointFilter is the costly public read of the capacity tests and
// benchmark: a CQL2 S_DISJOINT filter with a polygon of the given number of
// vertices around the middle of the generated layers. No index narrows a
// disjoint test, so PostGIS compares every feature with every edge (about
// 0.6 s over 20,000 stress red lines with 700 vertices).
func DisjointFilter(vertices int) string {
	var sb strings.Builder
	sb.WriteString("S_DISJOINT(geometry,POLYGON((")
	for i := 0; i <= vertices; i++ {
		a := 2 * math.Pi * float64(i%vertices) / float64(vertices)
		r := 0.25 + 0.02*math.Sin(7*a)
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, "%.6f %.6f", 114.0+r*math.Cos(a), 32.9+r*math.Sin(a))
	}
	sb.WriteString(")))")
	return sb.String()
}
