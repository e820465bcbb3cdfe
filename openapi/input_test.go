package openapi_test

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"minerights/registry"
)

// validParcel is a registration that succeeds: a small square in 确山县.
func validParcel() map[string]any {
	return map[string]any{
		"name": "测试灰岩矿", "county_code": "411725", "mineral": "普通建筑石料用灰岩", "basis": "explored",
		"geometry": map[string]any{"type": "Polygon", "coordinates": [][][]float64{
			{{113.95, 32.65}, {113.96, 32.65}, {113.96, 32.66}, {113.95, 32.66}, {113.95, 32.65}}}},
		"starting_price_yuan": 12000000,
		"elevation":           map[string]any{"top_m": 300, "bottom_m": 100},
		"reserves":            []map[string]any{{"commodity": "灰岩", "quantity": "1000.50", "unit": "万吨", "category": "122b"}},
	}
}

func with(mod func(map[string]any)) []byte {
	p := validParcel()
	mod(p)
	b, _ := json.Marshal(p)
	return b
}

func ring(pts ...[]float64) map[string]any {
	return map[string]any{"type": "Polygon", "coordinates": [][][]float64{pts}}
}

// problem is the RFC 9457 body huma writes.
type problem struct {
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Message  string `json:"message"`
		Location string `json:"location"`
	} `json:"errors"`
}

func (p problem) text() string {
	s := p.Detail
	for _, e := range p.Errors {
		s += " | " + e.Location + ": " + e.Message
	}
	return s
}

// TestBadInputRefused: every bad input is a 4xx problem+json that names
// the point or field, and nothing is stored.
func TestBadInputRefused(t *testing.T) {
	e := newEnv(t)
	sample, err := os.ReadFile("../geo/testdata/liuzhuang.txt")
	if err != nil {
		t.Fatal(err)
	}
	txt := string(sample)
	cases := []struct {
		name string
		body []byte
		want []string // each must appear in the problem text
	}{
		{"unclosed ring", with(func(p map[string]any) {
			p["geometry"] = ring([]float64{113.95, 32.65}, []float64{113.96, 32.65}, []float64{113.96, 32.66}, []float64{113.95, 32.66})
		}), []string{"ring 1", "clos"}},
		{"fewer than 4 points", with(func(p map[string]any) {
			p["geometry"] = ring([]float64{113.95, 32.65}, []float64{113.96, 32.65}, []float64{113.95, 32.65})
		}), []string{"ring 1", "4"}},
		{"self-intersection", with(func(p map[string]any) {
			p["geometry"] = ring([]float64{113.95, 32.65}, []float64{113.96, 32.66}, []float64{113.96, 32.65}, []float64{113.95, 32.66}, []float64{113.95, 32.65})
		}), []string{"point", "cross"}},
		{"NaN coordinate", []byte(strings.Replace(string(with(func(map[string]any) {})), "113.96", "NaN", 1)), []string{"body"}},
		{"huge coordinate", []byte(strings.Replace(string(with(func(map[string]any) {})), "113.96", "1e400", 1)), []string{"body"}},
		{"outside China", with(func(p map[string]any) {
			p["geometry"] = ring([]float64{-0.12, 51.5}, []float64{-0.11, 51.5}, []float64{-0.11, 51.51}, []float64{-0.12, 51.5})
		}), []string{"point 1", "China"}},
		{"lon/lat swapped", with(func(p map[string]any) {
			p["geometry"] = ring([]float64{32.65, 113.95}, []float64{32.65, 113.96}, []float64{32.66, 113.96}, []float64{32.65, 113.95})
		}), []string{"point 1", "swapped"}},
		// A parcel in zone 37 or 39 is no longer refused: it is measured in
		// its own zone (TestCornersInOwnZone). Outside China's zones is.
		{"outside China's zones (GeoJSON)", with(func(p map[string]any) {
			p["geometry"] = ring([]float64{140.0, 32.65}, []float64{140.01, 32.65}, []float64{140.01, 32.66}, []float64{140.0, 32.65})
		}), []string{"point 1"}},
		{"TXT Y prefix against 带号", with(func(p map[string]any) {
			delete(p, "geometry")
			p["corners_txt"] = strings.Replace(txt, "J4,1,3624210.45,38434710.92", "J4,1,3624210.45,39434710.92", 1)
		}), []string{"line 17", "J4"}},
		{"TXT wrong header", with(func(p map[string]any) {
			delete(p, "geometry")
			p["corners_txt"] = strings.Replace(txt, "[地块坐标]", "[坐标]", 1)
		}), []string{"line", "[地块坐标]"}},
		{"TXT point count mismatch", with(func(p map[string]any) {
			delete(p, "geometry")
			p["corners_txt"] = strings.Replace(txt, "14,135.8808", "15,135.8808", 1)
		}), []string{"line 13", "点数"}},
		{"both geometry and TXT", with(func(p map[string]any) { p["corners_txt"] = txt }), []string{"either"}},
		{"no geometry", with(func(p map[string]any) { delete(p, "geometry") }), []string{"needs a geometry"}},
		{"negative price", with(func(p map[string]any) { p["starting_price_yuan"] = -5 }), []string{"starting_price_yuan"}},
		{"float price", with(func(p map[string]any) { p["starting_price_yuan"] = 1234.5 }), []string{"starting_price_yuan"}},
		{"price as string", with(func(p map[string]any) { p["starting_price_yuan"] = "43586.65" }), []string{"starting_price_yuan"}},
		{"elevation top below bottom", with(func(p map[string]any) {
			p["elevation"] = map[string]any{"top_m": 100, "bottom_m": 300}
		}), []string{"body.elevation", "below"}},
		{"float reserve quantity", with(func(p map[string]any) {
			p["reserves"] = []map[string]any{{"commodity": "灰岩", "quantity": 1000.5, "unit": "万吨"}}
		}), []string{"quantity"}},
		{"unknown county", with(func(p map[string]any) { p["county_code"] = "110101" }), []string{"county_code", "110101"}},
		{"county code malformed", with(func(p map[string]any) { p["county_code"] = "泌阳" }), []string{"county_code"}},
		{"missing name", with(func(p map[string]any) { delete(p, "name") }), []string{"name"}},
		{"not JSON", []byte(`{"name": `), []string{"body"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.count()
			r := e.do(http.MethodPost, "/api/v1/parcels", registry.RoleBureau, "application/json", tc.body)
			if r.Status < 400 || r.Status >= 500 {
				t.Fatalf("status %d, want 4xx: %s", r.Status, r.Body)
			}
			if ct := r.Header.Get("Content-Type"); !strings.Contains(ct, "application/problem+json") {
				t.Fatalf("content type %q", ct)
			}
			var p problem
			r.json(t, &p)
			for _, w := range tc.want {
				if !strings.Contains(p.text(), w) {
					t.Errorf("problem %q does not mention %q", p.text(), w)
				}
			}
			if after := e.count(); after != before {
				t.Fatalf("%d parcels after a refused request, %d before", after, before)
			}
		})
	}
	// The valid registration the cases are made from succeeds.
	if r := e.do(http.MethodPost, "/api/v1/parcels", registry.RoleBureau, "application/json", with(func(map[string]any) {})); r.Status != 201 {
		t.Fatalf("valid registration: %d %s", r.Status, r.Body)
	}
}

// TestRoleMatrix: who may call what. Writes need the bureau role; reads are
// public; a bad token is refused even where none is needed.
func TestRoleMatrix(t *testing.T) {
	e := newEnv(t)
	create := with(func(map[string]any) {})
	patch := []byte(`{"name": "renamed"}`)
	corners := e.get("/api/v1/parcels/5/corners").Body
	type call struct {
		method, path, ctype string
		body                []byte
		ok                  int
	}
	writes := []call{
		{http.MethodPost, "/api/v1/parcels", "application/json", create, 201},
		{http.MethodPatch, "/api/v1/parcels/4", "application/json", patch, 200},
		{http.MethodPut, "/api/v1/parcels/5/corners", "text/plain", corners, 200},
	}
	reads := []call{
		{http.MethodGet, "/api/v1/parcels", "", nil, 200},
		{http.MethodGet, "/api/v1/parcels/1", "", nil, 200},
		{http.MethodGet, "/api/v1/parcels/1/corners", "", nil, 200},
		{http.MethodGet, "/api/v1/parcels/1/geojson", "", nil, 200},
	}
	who := []struct {
		name      string
		role      string
		writeWant int // status for writes; 0 = the call's success status
		readWant  int
	}{
		{"anonymous", "", 401, 0},
		{"forged token", "mrt_forged", 401, 401},
		{"not a bearer token", "", 401, 0},
		{"planner", registry.RolePlanner, 403, 0},
		{"bidder", registry.RoleBidder, 403, 0},
		{"bureau", registry.RoleBureau, 0, 0},
	}
	for _, w := range who {
		for _, c := range append(writes, reads...) {
			isWrite := c.method != http.MethodGet
			want := w.readWant
			if isWrite {
				want = w.writeWant
			}
			if want == 0 {
				want = c.ok
			}
			t.Run(w.name+" "+c.method+" "+c.path, func(t *testing.T) {
				before := e.version(t)
				var r resp
				if w.name == "not a bearer token" && isWrite {
					r = e.raw(c.method, c.path, "Basic Ym9iOnNlY3JldA==", c.ctype, c.body)
				} else {
					r = e.do(c.method, c.path, w.role, c.ctype, c.body)
				}
				if r.Status != want {
					t.Fatalf("status %d, want %d: %s", r.Status, want, r.Body)
				}
				if r.Status == 401 && r.Header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
				if (r.Status == 401 || r.Status == 403) && e.version(t) != before {
					t.Fatal("a refused write changed the registry")
				}
			})
		}
	}
}

// version sums the parcels' versions and counts them: any write moves it.
func (e *env) version(t *testing.T) int {
	t.Helper()
	var n int
	if err := e.db.Pool.QueryRow(t.Context(), `SELECT count(*) * 1000 + sum(version) FROM parcel`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
