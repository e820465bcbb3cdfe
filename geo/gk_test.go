package geo

import (
	"fmt"
	"math"
	"testing"

	"github.com/paulmach/orb"
)

// PostGIS 3.3.2 (PROJ 9.1.1) ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4490), 4526)
// outputs, printed with to_char to 7+ decimals. Golden data from the real
// implementation our registry uses, so agreement here is agreement there.
var postgisZone38 = []struct {
	lon, lat float64
	x, y     float64
}{
	{114.0, 0.0, 38500000.0000000, 0.0},
	{114.0, 32.7, 38500000.0000000, 3619477.50531175},
	{113.3, 32.7, 38434361.5750542, 3619694.12789903},
	{113.6, 32.9, 38462576.4763178, 3641728.64334801},
	{112.5, 32.5, 38359028.0000498, 3598289.66043632},
	{115.5, 33.5, 38639390.0879686, 3709209.71109199},
	{112.5, 3.0, 38333228.9993114, 331840.140559250},
	{115.5, 54.0, 38598360.1963018, 5986957.76446024},
	{114.9, 45.2, 38570714.8285428, 5007565.23103042},
	{113.123456789, 32.987654321, 38418071.5008871, 3651720.07866640},
}

func TestForwardMatchesPostGIS(t *testing.T) {
	for _, tc := range postgisZone38 {
		t.Run(fmt.Sprintf("%v,%v", tc.lon, tc.lat), func(t *testing.T) {
			got := Forward(38, orb.Point{tc.lon, tc.lat})
			// 1e-7 m is the resolution of the golden values (7 decimals).
			if dx, dy := got[0]-tc.x, got[1]-tc.y; math.Abs(dx) > 1e-7 || math.Abs(dy) > 1e-7 {
				t.Errorf("Forward = %.7f, %.7f; PostGIS %.7f, %.7f (d %.3g, %.3g)", got[0], got[1], tc.x, tc.y, dx, dy)
			}
		})
	}
}

func TestInverseMatchesPostGIS(t *testing.T) {
	// PostGIS: ST_Transform(ST_SetSRID(ST_MakePoint(38412345.67, 3624512.35), 4526), 4490)
	got := Inverse(38, orb.Point{38412345.67, 3624512.35})
	want := orb.Point{113.06478196723933, 32.741911000982995}
	if math.Abs(got[0]-want[0]) > 1e-11 || math.Abs(got[1]-want[1]) > 1e-11 {
		t.Errorf("Inverse = %.15f, %.15f; PostGIS %.15f, %.15f", got[0], got[1], want[0], want[1])
	}
}

func TestRoundTrip(t *testing.T) {
	for _, zone := range []int{25, 38, 45} {
		cm := CentralMeridian(zone)
		for lat := 0.0; lat <= 60; lat += 0.73 {
			for dlon := -1.6; dlon <= 1.6; dlon += 0.05 {
				ll := orb.Point{cm + dlon, lat}
				back := Inverse(zone, Forward(zone, ll))
				if math.Abs(back[0]-ll[0]) > 1e-9 || math.Abs(back[1]-ll[1]) > 1e-9 {
					t.Fatalf("zone %d %v: round trip gave %v", zone, ll, back)
				}
			}
		}
	}
}

func TestZoneForLon(t *testing.T) {
	tests := []struct {
		lon  float64
		want int
	}{
		{114, 38}, {113.3, 38}, {112.51, 38}, {115.49, 38}, {112.49, 37}, {115.51, 39}, {75, 25}, {135, 45},
	}
	for _, tc := range tests {
		if got := ZoneForLon(tc.lon); got != tc.want {
			t.Errorf("ZoneForLon(%v) = %d, want %d", tc.lon, got, tc.want)
		}
	}
}

func TestZoneOfEasting(t *testing.T) {
	tests := []struct {
		e    float64
		zone int
		ok   bool
	}{
		{38512345.67, 38, true},
		{38000000, 38, true},
		{39999999.99, 39, true},
		{512345.67, 0, false},    // prefix missing
		{3512345.67, 0, false},   // 7 digits
		{385123456.7, 0, false},  // 9 digits
		{-38512345.67, 0, false}, // negative
		{math.NaN(), 0, false},   // not a number
		{math.Inf(1), 0, false},  // not a number
		{99999999.999, 99, true}, // largest 8-digit value
		{100000000.0, 0, false},  // first 9-digit value
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.e), func(t *testing.T) {
			z, ok := ZoneOfEasting(tc.e)
			if z != tc.zone || ok != tc.ok {
				t.Errorf("ZoneOfEasting(%v) = %d, %v; want %d, %v", tc.e, z, ok, tc.zone, tc.ok)
			}
		})
	}
}

func TestPlanarArea(t *testing.T) {
	square := orb.Ring{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}
	cw := orb.Ring{{0, 0}, {0, 10}, {10, 10}, {10, 0}, {0, 0}}
	hole := orb.Ring{{2, 2}, {4, 2}, {4, 4}, {2, 4}, {2, 2}}
	far := orb.Ring{{38412345.67, 3624512.35}, {38412355.67, 3624512.35}, {38412355.67, 3624522.35}, {38412345.67, 3624522.35}, {38412345.67, 3624512.35}}
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{"ccw ring is positive", RingArea(square), 100},
		{"cw ring is negative", RingArea(cw), -100},
		{"open ring", RingArea(square[:4]), 100},
		{"degenerate", RingArea(square[:2]), 0},
		{"prefixed coordinates keep precision", RingArea(far), 100},
		{"polygon with hole", PolygonArea(orb.Polygon{square, hole}), 96},
		{"hole orientation ignored", PolygonArea(orb.Polygon{cw, hole}), 96},
		{"empty polygon", PolygonArea(nil), 0},
		{"multipolygon", MultiPolygonArea(orb.MultiPolygon{{square, hole}, {cw}}), 196},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if math.Abs(tc.got-tc.want) > 1e-9 {
				t.Errorf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
}

func TestAreaM2MatchesPostGIS(t *testing.T) {
	tests := []struct {
		name string
		mp   orb.MultiPolygon
		want float64 // PostGIS 3.3.2 ST_Area(ST_Transform(ST_GeomFromText(wkt, 4490), 4526))
	}{
		{
			"polygon with hole",
			orb.MultiPolygon{{
				{{113.3, 32.7}, {113.32, 32.7}, {113.32, 32.715}, {113.3, 32.715}, {113.3, 32.7}},
				{{113.305, 32.705}, {113.31, 32.705}, {113.31, 32.71}, {113.305, 32.705}},
			}},
			2989716.7191728,
		},
		{
			"two polygons",
			orb.MultiPolygon{
				{{{113.3, 32.7}, {113.32, 32.7}, {113.32, 32.715}, {113.3, 32.715}, {113.3, 32.7}}},
				{{{113.5, 32.8}, {113.52, 32.81}, {113.51, 32.83}, {113.5, 32.8}}},
			},
			5716473.5747570,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := AreaM2(38, tc.mp); math.Abs(got-tc.want) > 1e-4 {
				t.Errorf("AreaM2 = %.7f, PostGIS %.7f", got, tc.want)
			}
		})
	}
}
