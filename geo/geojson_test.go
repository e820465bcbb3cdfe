package geo

import (
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

const polyJSON = `{"type":"Polygon","coordinates":[[[113.3,32.7],[113.31,32.7],[113.31,32.71],[113.3,32.71],[113.3,32.7]]]}`

func TestParseGeoJSON(t *testing.T) {
	want := orb.MultiPolygon{{sq}}
	tests := []struct {
		name string
		in   string
		want orb.MultiPolygon
	}{
		{"Polygon", polyJSON, want},
		{"MultiPolygon", `{"type":"MultiPolygon","coordinates":[[[[113.3,32.7],[113.31,32.7],[113.31,32.71],[113.3,32.71],[113.3,32.7]]]]}`, want},
		{"Feature", `{"type":"Feature","properties":{"name":"刘庄"},"geometry":` + polyJSON + `}`, want},
		{"FeatureCollection of one", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":null,"geometry":` + polyJSON + `}]}`, want},
		{"elevation dropped", strings.ReplaceAll(polyJSON, "32.7]", "32.7,250]"), want},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseGeoJSON([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseGeoJSONErrors(t *testing.T) {
	feature := func(geom string) string { return `{"type":"Feature","properties":{},"geometry":` + geom + `}` }
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty input", ``, "no GeoJSON"},
		{"not JSON", `POLYGON((113.3 32.7, ...))`, "not valid GeoJSON"},
		{"array", `[1,2]`, "not valid GeoJSON"},
		{"no type", `{"coordinates":[]}`, `no "type"`},
		{"Point", `{"type":"Point","coordinates":[113.3,32.7]}`, `type "Point" is not accepted`},
		{"LineString", `{"type":"LineString","coordinates":[[113.3,32.7],[113.4,32.7]]}`, `type "LineString" is not accepted`},
		{"GeometryCollection", `{"type":"GeometryCollection","geometries":[` + polyJSON + `]}`, `type "GeometryCollection" is not accepted`},
		{"lower-case type", strings.Replace(polyJSON, "Polygon", "polygon", 1), `type "polygon" is not accepted`},
		{"Feature with a Point", feature(`{"type":"Point","coordinates":[113.3,32.7]}`), "geometry type Point is not accepted"},
		{"Feature without geometry", feature(`null`), "has no geometry"},
		{"empty FeatureCollection", `{"type":"FeatureCollection","features":[]}`, "has 0 features"},
		{"two features", `{"type":"FeatureCollection","features":[` + feature(polyJSON) + `,` + feature(polyJSON) + `]}`, "has 2 features"},
		{"empty coordinates", `{"type":"Polygon","coordinates":[]}`, "polygon has no rings"},
		{"empty ring", `{"type":"Polygon","coordinates":[[]]}`, "ring has 0 points"},
		{"null coordinates", `{"type":"Polygon","coordinates":null}`, "polygon has no rings"},
		{"empty MultiPolygon", `{"type":"MultiPolygon","coordinates":[]}`, "no coordinates"},
		{"NaN", strings.Replace(polyJSON, "113.31,32.7]", "NaN,32.7]", 1), "not valid GeoJSON"},
		{"huge number", strings.Replace(polyJSON, "113.31,32.7]", "1e400,32.7]", 1), "not valid GeoJSON"},
		{"large but finite", strings.Replace(polyJSON, "113.31,32.7]", "1e300,32.7]", 1), "outside China"},
		{"string coordinate", strings.Replace(polyJSON, "113.31,32.7]", `"113.31",32.7]`, 1), "not valid GeoJSON"},
		{"one-number position", strings.Replace(polyJSON, "[113.31,32.7]", "[113.31]", 1), "outside China"},
		{"too deep", strings.Repeat("[", 100) + strings.Repeat("]", 100), "nested more than"},
		{"too large", `{"type":"Polygon","coordinates":[[` + strings.Repeat(" ", maxGeoJSONSize) + `]]}`, "larger than"},
		{"unclosed ring", `{"type":"Polygon","coordinates":[[[113.3,32.7],[113.31,32.7],[113.31,32.71],[113.3,32.71]]]}`, "ring is not closed"},
		{"self-intersecting", `{"type":"Polygon","coordinates":[[[113.3,32.7],[113.31,32.71],[113.31,32.7],[113.3,32.71],[113.3,32.7]]]}`, "self-intersecting"},
		{"swapped", `{"type":"Polygon","coordinates":[[[32.7,113.3],[32.7,113.31],[32.71,113.31],[32.71,113.3],[32.7,113.3]]]}`, "swapped"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mp, err := ParseGeoJSON([]byte(tc.in))
			if err == nil {
				t.Fatalf("accepted: %v", mp)
			}
			asError(t, err)
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
		})
	}
}

func TestZoneOf(t *testing.T) {
	// Mostly in zone 38, one corner just over the 112.5° boundary.
	mp := orb.MultiPolygon{{{{112.49, 32.7}, {113.3, 32.7}, {113.3, 32.8}, {112.49, 32.7}}}}
	if z := ZoneOf(mp); z != 38 {
		t.Errorf("ZoneOf = %d, want 38", z)
	}
}
