package openapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"minerights/geo"
	"minerights/openapi"
	"minerights/registry"
)

// zoneTXT is a 国土 TXT file of a 2 km × 1.5 km parcel at lon, lat in zone.
func zoneTXT(t *testing.T, zone int, lon, lat float64) (orb.MultiPolygon, []byte) {
	t.Helper()
	dx, dy := 2000/(111320*math.Cos(lat*math.Pi/180)), 1500/110574.0
	poly := orb.Polygon{{{lon, lat}, {lon + dx, lat}, {lon + dx, lat + dy}, {lon, lat + dy}, {lon, lat}}}
	txt := geo.NewTXT(zone, "自然资源和规划局", "2026-11-30",
		geo.BlockFromPolygon(zone, poly, geo.BlockHeader{Code: "Z1", Name: "分带测试", Shape: "面", Use: "采矿用地"}))
	var buf bytes.Buffer
	if err := txt.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	// The corners as the file holds them (rounded to the centimetre).
	mp, _, err := txt.LonLat()
	if err != nil {
		t.Fatal(err)
	}
	return mp, buf.Bytes()
}

// TestCornersInOwnZone: a corner file in zone 37 or 39 (a province spans
// 37 to 39) is accepted because it names its zone; the parcel's area is
// measured, and its corners exported, in that zone.
func TestCornersInOwnZone(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		zone     int
		lon, lat float64
	}{{37, 111.5, 33.1}, {39, 117.5, 33.1}} {
		t.Run(geo.EPSGOfZone(tc.zone), func(t *testing.T) {
			mp, txt := zoneTXT(t, tc.zone, tc.lon, tc.lat)
			body, _ := json.Marshal(map[string]any{"name": "分带测试", "county_code": "411726", "mineral": "建筑用砂岩",
				"basis": "explored", "corners_txt": string(txt)})
			r := e.do(http.MethodPost, "/api/v1/parcels", registry.RoleBureau, "application/json", body)
			if r.Status != 201 {
				t.Fatalf("import: %d %s", r.Status, r.Body)
			}
			var p openapi.Parcel
			r.json(t, &p)
			if want := geo.EPSGOfZone(tc.zone); p.Area.CRS != want {
				t.Errorf("area CRS %q, want %q", p.Area.CRS, want)
			}
			if own := geo.AreaM2(tc.zone, mp); math.Abs(p.Area.ComputedM2-own) > 0.01 {
				t.Errorf("computed %.2f m², geo in zone %d %.2f m²", p.Area.ComputedM2, tc.zone, own)
			}
			if in38 := geo.AreaM2(38, mp); math.Abs(p.Area.ComputedM2-in38) < 100 {
				t.Errorf("computed %.2f m² is the zone-38 area", p.Area.ComputedM2)
			}
			out := e.get(fmt.Sprintf("/api/v1/parcels/%d/corners", p.ID))
			back, err := geo.ParseTXT(bytes.NewReader(out.Body))
			if err != nil {
				t.Fatal(err)
			}
			if z, err := back.Zone(); err != nil || z != tc.zone {
				t.Errorf("exported zone %d, %v; want %d", z, err, tc.zone)
			}
		})
	}
}

// TestCornersWithoutZone: a file without 带号 is read in the configured
// zone (Deps.Zone, serve --zone); its Y prefixes must match it.
func TestCornersWithoutZone(t *testing.T) {
	e := newEnv(t)
	_, txt := zoneTXT(t, 38, 113.9, 32.9)
	var kept []string
	for _, line := range strings.Split(string(txt), "\n") {
		if !strings.HasPrefix(line, "带号=") {
			kept = append(kept, line)
		}
	}
	noZone := strings.Join(kept, "\n")
	body, _ := json.Marshal(map[string]any{"name": "无带号", "county_code": "411726", "mineral": "建筑用砂岩",
		"basis": "explored", "corners_txt": noZone})
	if r := e.do(http.MethodPost, "/api/v1/parcels", registry.RoleBureau, "application/json", body); r.Status != 201 {
		t.Fatalf("file without 带号 in the default zone: %d %s", r.Status, r.Body)
	}
	// The same file in a server configured for zone 39: its Y prefixes
	// (38) contradict the zone, a 422 naming the corner.
	mux := http.NewServeMux()
	openapi.New(mux, openapi.Deps{Store: e.db.Store, Zone: 39})
	e39 := *e
	e39.h = mux
	r := e39.do(http.MethodPost, "/api/v1/parcels", registry.RoleBureau, "application/json", body)
	if r.Status != 422 || !strings.Contains(string(r.Body), "带号 is 39") {
		t.Fatalf("zone-38 corners read in zone 39: %d %s", r.Status, r.Body)
	}
}
