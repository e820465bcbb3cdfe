package geo

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// sq is a ~900 m square near Biyang, zone 38, counter-clockwise.
var sq = orb.Ring{{113.30, 32.70}, {113.31, 32.70}, {113.31, 32.71}, {113.30, 32.71}, {113.30, 32.70}}

func TestValidateLonLat(t *testing.T) {
	hole := orb.Ring{{113.302, 32.702}, {113.304, 32.702}, {113.304, 32.704}, {113.302, 32.702}}
	tests := []struct {
		name string
		mp   orb.MultiPolygon
		zone int
		want []string // substrings of the message; nil means valid
	}{
		{"valid square", orb.MultiPolygon{{sq}}, 38, nil},
		{"valid clockwise", orb.MultiPolygon{{reversed(sq)}}, 38, nil},
		{"valid with hole", orb.MultiPolygon{{sq, hole}}, 38, nil},
		{"valid hole touching shell at a corner", orb.MultiPolygon{{sq, {{113.30, 32.70}, {113.305, 32.702}, {113.302, 32.705}, {113.30, 32.70}}}}, 38, nil},
		{"valid repeated corner", orb.MultiPolygon{{{{113.30, 32.70}, {113.31, 32.70}, {113.31, 32.70}, {113.31, 32.71}, {113.30, 32.71}, {113.30, 32.70}}}}, 38, nil},
		{"valid collinear corner", orb.MultiPolygon{{{{113.30, 32.70}, {113.305, 32.70}, {113.31, 32.70}, {113.31, 32.71}, {113.30, 32.71}, {113.30, 32.70}}}}, 38, nil},
		{"valid at zone edge", orb.MultiPolygon{{{{112.499, 32.70}, {112.51, 32.70}, {112.51, 32.71}, {112.499, 32.70}}}}, 38, nil},
		{"two polygons", orb.MultiPolygon{{sq}, {shift(sq, 0.05, 0)}}, 38, nil},

		{"empty", nil, 38, []string{"no polygon"}},
		{"polygon without rings", orb.MultiPolygon{{}}, 38, []string{"polygon 1: polygon has no rings"}},
		{"unclosed ring", orb.MultiPolygon{{sq[:4]}}, 38, []string{"polygon 1, ring 1, point 4: ring is not closed"}},
		{"fewer than 4 points", orb.MultiPolygon{{{{113.30, 32.70}, {113.31, 32.70}, {113.30, 32.70}}}}, 38, []string{"ring has 3 points; a ring needs at least 4"}},
		{"fewer than 3 distinct", orb.MultiPolygon{{{{113.30, 32.70}, {113.31, 32.70}, {113.31, 32.70}, {113.30, 32.70}}}}, 38, []string{"fewer than 3 distinct"}},
		{"zero area", orb.MultiPolygon{{{{113.30, 32.70}, {113.31, 32.70}, {113.32, 32.70}, {113.30, 32.70}}}}, 38, []string{"zero area"}},
		{"NaN", orb.MultiPolygon{{set(sq, 2, orb.Point{math.NaN(), 32.71})}}, 38, []string{"point 3: coordinate", "not a finite number"}},
		{"+Inf", orb.MultiPolygon{{set(sq, 1, orb.Point{113.31, math.Inf(1)})}}, 38, []string{"point 2:", "not a finite number"}},
		{"-Inf", orb.MultiPolygon{{set(sq, 1, orb.Point{math.Inf(-1), 32.7})}}, 38, []string{"point 2:", "not a finite number"}},
		{"outside China", orb.MultiPolygon{{shift(sq, -100, 0)}}, 38, []string{"point 1: lon=13.", "outside China", "and 4 more points"}},
		{"south of China", orb.MultiPolygon{{shift(sq, 0, -32)}}, 38, []string{"outside China"}},
		{"swapped lon/lat", orb.MultiPolygon{{swap(sq)}}, 38, []string{"latitude and longitude are swapped"}},
		{"wrong zone", orb.MultiPolygon{{sq}}, 39, []string{"wrong zone", "zone 39 covers lon 115.5..118.5", "it is in zone 38"}},
		{"one point in the next zone", orb.MultiPolygon{{set(sq, 1, orb.Point{115.6, 32.70})}}, 38, []string{"point 2: lon=115.6 is in the wrong zone"}},
		{"bow tie", orb.MultiPolygon{{{{113.30, 32.70}, {113.31, 32.71}, {113.31, 32.70}, {113.30, 32.71}, {113.30, 32.70}}}}, 38, []string{"ring 1, point 1: ring is self-intersecting: segment 1-2 crosses segment 3-4"}},
		{"ring touching itself", orb.MultiPolygon{{{{113.30, 32.70}, {113.31, 32.70}, {113.305, 32.705}, {113.31, 32.71}, {113.30, 32.71}, {113.305, 32.705}, {113.30, 32.70}}}}, 38, []string{"segment 2-3 touches segment 5-6"}},
		{"vertex on another edge", orb.MultiPolygon{{{{113.30, 32.70}, {113.31, 32.70}, {113.31, 32.71}, {113.305, 32.70}, {113.30, 32.71}, {113.30, 32.70}}}}, 38, []string{"touches"}},
		{"spike back along the previous edge", orb.MultiPolygon{{{{113.30, 32.70}, {113.31, 32.70}, {113.305, 32.70}, {113.31, 32.71}, {113.30, 32.71}, {113.30, 32.70}}}}, 38, []string{"segment 1-2 runs along segment 2-3"}},
		{"collinear overlap of distant edges", orb.MultiPolygon{{{{113.30, 32.70}, {113.31, 32.70}, {113.31, 32.71}, {113.308, 32.71}, {113.308, 32.70}, {113.305, 32.70}, {113.305, 32.705}, {113.30, 32.705}, {113.30, 32.70}}}}, 38, []string{"runs along"}},
		{"hole crossing shell", orb.MultiPolygon{{sq, {{113.305, 32.705}, {113.315, 32.705}, {113.315, 32.706}, {113.305, 32.705}}}}, 38, []string{"of ring 2"}},
		{"hole outside shell", orb.MultiPolygon{{sq, shift(hole, 0.02, 0)}}, 38, []string{"ring 2: hole (ring 2) is not inside the outer ring"}},
		{"too many vertices", orb.MultiPolygon{{circle(DefaultMaxVertices + 1)}}, 38, []string{"vertices; at most 10000"}},
		{"second polygon is the bad one", orb.MultiPolygon{{sq}, {sq[:4]}}, 38, []string{"polygon 2, ring 1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateLonLat(tc.mp, tc.zone)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted invalid input")
			}
			asError(t, err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestValidateLimits(t *testing.T) {
	big := orb.MultiPolygon{{circle(5000)}}
	if err := ValidateLonLat(big, 38); err != nil {
		t.Fatalf("5000-vertex circle: %v", err)
	}
	if err := (Limits{MaxVertices: 100}).ValidateLonLat(big, 38); err == nil || !strings.Contains(err.Error(), "at most 100") {
		t.Errorf("limit not applied: %v", err)
	}
}

func TestValidateManyErrors(t *testing.T) {
	var mp orb.MultiPolygon
	for range 20 {
		mp = append(mp, orb.Polygon{sq[:3]})
	}
	err := ValidateLonLat(mp, 38)
	var list interface{ Unwrap() []error }
	if !errors.As(err, &list) || len(list.Unwrap()) != maxErrors+1 {
		t.Fatalf("want %d errors and a summary, got %v", maxErrors, err)
	}
	if !strings.Contains(err.Error(), "stopped after 10 problems") {
		t.Errorf("no summary in %q", err)
	}
}

func TestValidateProjected(t *testing.T) {
	ok := mustParseTXT(t, []byte(txtHead+square)).Blocks[0]
	tests := []struct {
		name   string
		modify func(b *Block)
		zone   int
		field  string
		want   string
	}{
		{"valid", func(*Block) {}, 38, "", ""},
		{"Y prefix is another zone", func(b *Block) { b.Rings[0].Corners[2].Y = 39433100 }, 38, "Y", "line 9 (ring 1, point J3): Y=39433100.00 has zone prefix 39 but 带号 is 38"},
		{"Y without prefix", func(b *Block) { b.Rings[0].Corners[2].Y = 433100 }, 38, "Y", "8 digits before the decimal point"},
		{"Y too far from meridian", func(b *Block) { b.Rings[0].Corners[2].Y = 38833100 }, 38, "Y", "333 km from the central meridian"},
		{"X not in China", func(b *Block) { b.Rings[0].Corners[2].X = 62410 }, 38, "X", "not a northing in China"},
		{"X and Y swapped", func(b *Block) { c := &b.Rings[0].Corners[2]; c.X, c.Y = c.Y, c.X }, 38, "X", "look swapped"},
		{"NaN", func(b *Block) { b.Rings[0].Corners[2].X = math.NaN() }, 38, "X", "not a finite number"},
		{"unclosed", func(b *Block) { b.Rings[0].Corners = b.Rings[0].Corners[:4] }, 38, "", "line 10 (ring 1, point J4): ring is not closed: the last point must repeat the first point (J1)"},
		{"self-intersecting", func(b *Block) {
			c := b.Rings[0].Corners
			c[1].X, c[1].Y, c[2].X, c[2].Y = c[2].X, c[2].Y, c[1].X, c[1].Y
		}, 38, "", "segment J1-J2 crosses segment J3-J4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := ok
			b.Rings = []Ring{{No: 1, Corners: append([]Corner(nil), ok.Rings[0].Corners...)}}
			tc.modify(&b)
			err := ValidateProjected(tc.zone, b)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted invalid input")
			}
			e := asError(t, err)
			if e.Field != tc.field || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got field %q %q; want field %q containing %q", e.Field, err, tc.field, tc.want)
			}
		})
	}
}

func TestTXTLonLatNamesBlock(t *testing.T) {
	in := txtHead + square + strings.Replace(square, "J3,1,3624100.00,38433100.00", "J3,1,3624100.00,38432900.00", 1)
	_, _, err := mustParseTXT(t, []byte(in)).LonLat()
	if err == nil || !strings.Contains(err.Error(), "line 14 (block 2, ring 1, point J2): ring is self-intersecting: segment J2-J3 crosses segment J4-J1") {
		t.Errorf("err = %v", err)
	}
}

func TestIntersect(t *testing.T) {
	p := func(x, y float64) orb.Point { return orb.Point{x, y} }
	tests := []struct {
		name       string
		a, b, c, d orb.Point
		want       hit
	}{
		{"cross", p(0, 0), p(2, 2), p(0, 2), p(2, 0), hitCross},
		{"apart", p(0, 0), p(1, 0), p(0, 1), p(1, 1), hitNone},
		{"shared endpoint", p(0, 0), p(1, 0), p(1, 0), p(1, 1), hitTouch},
		{"T junction", p(0, 0), p(2, 0), p(1, 0), p(1, 1), hitTouch},
		{"collinear apart", p(0, 0), p(1, 0), p(2, 0), p(3, 0), hitNone},
		{"collinear end to end", p(0, 0), p(1, 0), p(1, 0), p(3, 0), hitTouch},
		{"collinear overlap", p(0, 0), p(2, 0), p(1, 0), p(3, 0), hitOverlap},
		{"collinear contained", p(0, 0), p(3, 0), p(1, 0), p(2, 0), hitOverlap},
		{"vertical overlap", p(0, 0), p(0, 2), p(0, 3), p(0, 1), hitOverlap},
		{"on the line but not the segment", p(0, 0), p(1, 1), p(2, 2), p(3, 0), hitNone},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := intersect(tc.a, tc.b, tc.c, tc.d); got != tc.want {
				t.Errorf("intersect = %v, want %v", got, tc.want)
			}
			if got := intersect(tc.c, tc.d, tc.a, tc.b); got != tc.want {
				t.Errorf("intersect swapped = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{Line: 12, Block: 1, Ring: 1, Point: 7, Label: "J7", Reason: "r"}, "line 12 (block 1, ring 1, point J7): r"},
		{Error{Line: 3, Reason: "r"}, "line 3: r"},
		{Error{Polygon: 2, Ring: 1, Point: 4, Reason: "r"}, "polygon 2, ring 1, point 4: r"},
		{Error{Reason: "r"}, "r"},
	}
	for _, tc := range tests {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func reversed(r orb.Ring) orb.Ring {
	out := append(orb.Ring(nil), r...)
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

func shift(r orb.Ring, dlon, dlat float64) orb.Ring {
	out := make(orb.Ring, len(r))
	for i, p := range r {
		out[i] = orb.Point{p[0] + dlon, p[1] + dlat}
	}
	return out
}

func swap(r orb.Ring) orb.Ring {
	out := make(orb.Ring, len(r))
	for i, p := range r {
		out[i] = orb.Point{p[1], p[0]}
	}
	return out
}

func set(r orb.Ring, i int, p orb.Point) orb.Ring {
	out := append(orb.Ring(nil), r...)
	out[i] = p
	return out
}

// circle returns a closed ring of n points (n-1 distinct) around Biyang.
func circle(n int) orb.Ring {
	r := make(orb.Ring, n)
	for i := range n - 1 {
		a := 2 * math.Pi * float64(i) / float64(n-1)
		r[i] = orb.Point{113.3 + 0.01*math.Cos(a), 32.7 + 0.01*math.Sin(a)}
	}
	r[n-1] = r[0]
	return r
}
