package geo

import (
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func TestSRIDOfCRSName(t *testing.T) {
	tests := []struct {
		name string
		want int
		ok   bool
	}{
		{"urn:ogc:def:crs:EPSG::4526", 4526, true},
		{"EPSG:4490", 4490, true},
		{"http://www.opengis.net/def/crs/EPSG/0/4547", 4547, true},
		{"urn:ogc:def:crs:OGC:1.3:CRS84", 4326, true},
		{"EPSG:3857", 0, false},
		{"bogus", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sridOfCRSName(tc.name)
			if (err == nil) != tc.ok || got != tc.want {
				t.Errorf("got %d, %v; want %d ok=%v", got, err, tc.want, tc.ok)
			}
		})
	}
}

func TestDetectSRID(t *testing.T) {
	tests := []struct {
		name string
		pt   orb.Point
		want int
		ok   bool
	}{
		{"lon/lat", orb.Point{113.5, 32.7}, 4490, true},
		{"zone 38 prefixed", orb.Point{38453100, 3619000}, 4526, true},
		{"zone 39 prefixed", orb.Point{39500000, 3619000}, 4527, true},
		{"no zone prefix", orb.Point{453100, 3619000}, 0, false},
		{"nonsense", orb.Point{1e9, 1e9}, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := detectSRID(tc.pt)
			if (err == nil) != tc.ok || got != tc.want {
				t.Errorf("got %d, %v; want %d ok=%v", got, err, tc.want, tc.ok)
			}
		})
	}
}

// square is a lon/lat square written in srid, as a FeatureCollection.
func squareFile(srid int, crs bool) string {
	ring := []orb.Point{{113.5, 32.7}, {113.51, 32.7}, {113.51, 32.71}, {113.5, 32.71}, {113.5, 32.7}}
	var coords []string
	for _, p := range ring {
		switch {
		case srid == 4526:
			p = Forward(38, p)
		case srid == 4547: // zone 38 without the prefix (CM 114°E)
			p = Forward(38, p)
			p[0] -= 38e6
		}
		coords = append(coords, "["+strconv.FormatFloat(p[0], 'f', 9, 64)+","+strconv.FormatFloat(p[1], 'f', 9, 64)+"]")
	}
	head := `{"type":"FeatureCollection",`
	if crs {
		head += `"crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::` + strconv.Itoa(srid) + `"}},`
	}
	return head + `"features":[{"type":"Feature","id":"sq","properties":{"name":"方块","elevation_top_m":10},"geometry":{"type":"Polygon","coordinates":[[` + strings.Join(coords, ",") + `]]}}]}`
}

func TestLayerReaderCRS(t *testing.T) {
	tests := []struct {
		name string
		file string
		srid int // given
		want int // read in
	}{
		{"lon/lat detected", squareFile(4490, false), 0, 4490},
		{"4526 detected from the prefix", squareFile(4526, false), 0, 4526},
		{"4526 from crs", squareFile(4526, true), 0, 4526},
		{"4547 from crs, no prefix", squareFile(4547, true), 0, 4547},
		{"4547 given", squareFile(4547, false), 4547, 4547},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewLayerReader(strings.NewReader("\ufeff"+tc.file), tc.srid)
			if err != nil {
				t.Fatal(err)
			}
			f, err := r.Next()
			if err != nil {
				t.Fatal(err)
			}
			if r.SRID() != tc.want || f.ID != "sq" || f.Name != "方块" || f.Index != 1 || r.Format() != "geojson" {
				t.Errorf("srid %d, feature %+v", r.SRID(), f)
			}
			if p := f.Geometry[0][0][2]; math.Abs(p[0]-113.51) > 1e-8 || math.Abs(p[1]-32.71) > 1e-8 {
				t.Errorf("corner 3 at %v", p)
			}
			if _, err := r.Next(); !errors.Is(err, io.EOF) {
				t.Errorf("after the last feature: %v", err)
			}
		})
	}
}

func TestLayerReaderKeepsGoingAfterBadFeature(t *testing.T) {
	file := `{"type":"FeatureCollection","features":[
		{"type":"Feature","properties":{"id":"bow"},"geometry":{"type":"Polygon","coordinates":[[[113.6,32.7],[113.61,32.71],[113.61,32.7],[113.6,32.71],[113.6,32.7]]]}},
		{"type":"Feature","properties":{"id":"ok"},"geometry":{"type":"Polygon","coordinates":[[[113.5,32.7],[113.51,32.7],[113.51,32.71],[113.5,32.71],[113.5,32.7]]]}}]}`
	r, err := NewLayerReader(strings.NewReader(file), 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Next()
	var fe *FeatureError
	if !errors.As(err, &fe) || fe.Index != 1 || fe.ID != "bow" || !strings.HasPrefix(fe.Error(), "feature 1 (bow): ") {
		t.Fatalf("first: %v", err)
	}
	if f, err := r.Next(); err != nil || f.ID != "ok" {
		t.Fatalf("second: %+v, %v", f, err)
	}
}

func TestLayerReaderRefuses(t *testing.T) {
	tests := []struct{ name, file, want string }{
		{"empty", "  ", "empty"},
		{"not a collection", `{"type":"Feature"}`, "must be a FeatureCollection"},
		{"no features", `{"type":"FeatureCollection"}`, "no \"features\" array"},
		{"unknown crs", `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:3857"}},"features":[]}`, "not supported"},
		{"unprefixed without crs", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[453100,3619000],[454100,3619000],[454100,3620000],[453100,3619000]]]}}]}`, "no zone prefix"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewLayerReader(strings.NewReader(tc.file), 0)
			if err == nil {
				_, err = r.Next()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}
