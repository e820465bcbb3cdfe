package openapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"minerights/data"
	"minerights/geo"
	"minerights/internal/pgtest"
	"minerights/openapi"
	"minerights/registry"
	"minerights/registry/registrytest"
)

var update = flag.Bool("update", false, "rewrite openapi.yaml")

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestSpecCurrent fails when openapi.yaml is not what the code generates.
func TestSpecCurrent(t *testing.T) {
	got, err := openapi.YAML(openapi.New(http.NewServeMux(), openapi.Deps{}))
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("openapi.yaml", got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatalf("%v (run `make openapi`)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("openapi/openapi.yaml is stale: run `make openapi` (or go test ./openapi -run TestSpecCurrent -update)")
	}
}

// env is an API on a fresh seeded database, with one token per role.
type env struct {
	t      *testing.T
	h      http.Handler
	db     registrytest.DB
	tokens map[string]string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := registrytest.Seeded(t)
	mux := http.NewServeMux()
	openapi.New(mux, openapi.Deps{Store: db.Store})
	e := &env{t: t, h: mux, db: db, tokens: map[string]string{}}
	for _, role := range []string{registry.RoleBureau, registry.RoleBidder, registry.RolePlanner} {
		tok, err := db.Store.CreateToken(context.Background(), role, role+" test", 0)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[role] = tok
	}
	return e
}

type resp struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// do sends a request as role ("" = anonymous; anything not a role is sent
// as the token itself).
func (e *env) do(method, path, role, contentType string, body []byte) resp {
	e.t.Helper()
	auth := ""
	if role != "" {
		tok, ok := e.tokens[role]
		if !ok {
			tok = role
		}
		auth = "Bearer " + tok
	}
	return e.raw(method, path, auth, contentType, body)
}

// raw sends a request with the Authorization header as given.
func (e *env) raw(method, path, auth, contentType string, body []byte) resp {
	e.t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Result().Body)
	return resp{Status: rec.Code, Header: rec.Header(), Body: b}
}

func (e *env) get(path string) resp { return e.do(http.MethodGet, path, "", "", nil) }

func (e *env) count() int {
	e.t.Helper()
	var n int
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM parcel`).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestListParcelsShowsGazette(t *testing.T) {
	e := newEnv(t)
	r := e.get("/api/v1/parcels")
	if r.Status != 200 {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	var list struct {
		Items []openapi.Parcel `json:"items"`
		Total int              `json:"total"`
	}
	r.json(t, &list)
	facts, err := registry.ParseFacts(data.Facts())
	if err != nil {
		t.Fatal(err)
	}
	if list.Total != 11 || len(list.Items) != 11 {
		t.Fatalf("%d parcels, total %d", len(list.Items), list.Total)
	}
	for i, fp := range facts.Parcels {
		p := list.Items[i]
		t.Run(fmt.Sprint(fp.No), func(t *testing.T) {
			if p.Name != fp.Name || p.County.Name != fp.County || p.Area.StatedKm2 != fp.AreaKm2 {
				t.Errorf("got %s %s %s", p.Name, p.County.Name, p.Area.StatedKm2)
			}
			if !strings.HasPrefix(p.Area.ComputedKm2, fp.AreaKm2) {
				t.Errorf("computed area %s km², gazette %s", p.Area.ComputedKm2, fp.AreaKm2)
			}
			if fp.StartingPriceYuan == nil {
				if p.StartingPrice != nil {
					t.Errorf("price %+v where the gazette gives none", p.StartingPrice)
				}
				if p.Elevation != nil {
					t.Errorf("elevation %+v where the gazette gives none", p.Elevation)
				}
				return
			}
			if p.StartingPrice == nil {
				t.Fatal("no starting price")
			}
			sp := *p.StartingPrice
			if sp.Yuan != *fp.StartingPriceYuan || sp.WanYuan != *fp.StartingPriceWanYuan || sp.Capital != *fp.StartingPriceCapital {
				t.Errorf("price %+v, gazette %d / %s / %s", sp, *fp.StartingPriceYuan, *fp.StartingPriceWanYuan, *fp.StartingPriceCapital)
			}
			if p.Elevation == nil || p.Elevation.TopM != *fp.ElevationTopM || p.Elevation.BottomM != *fp.ElevationBottomM {
				t.Errorf("elevation %+v", p.Elevation)
			}
		})
	}
	// Filters and paging reach the store.
	r = e.get("/api/v1/parcels?county=%E7%A1%AE%E5%B1%B1%E5%8E%BF&limit=2&offset=1")
	r.json(t, &list)
	if list.Total != 4 || len(list.Items) != 2 || *list.Items[0].GazetteNo != 9 {
		t.Fatalf("确山县 page: total %d, %d items", list.Total, len(list.Items))
	}
	if r := e.get("/api/v1/parcels?status=bogus"); r.Status != 422 {
		t.Fatalf("bad status filter: %d", r.Status)
	}
}

func TestGetParcelAndExports(t *testing.T) {
	e := newEnv(t)
	r := e.get("/api/v1/parcels/1")
	var p openapi.Parcel
	r.json(t, &p)
	if r.Status != 200 || p.Geometry == nil || r.Header.Get("ETag") != `"v1"` {
		t.Fatalf("status %d etag %q geometry %v", r.Status, r.Header.Get("ETag"), p.Geometry != nil)
	}
	if r := e.get("/api/v1/parcels/424242"); r.Status != 404 || !strings.Contains(r.Header.Get("Content-Type"), "problem+json") {
		t.Fatalf("missing parcel: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	r = e.get("/api/v1/parcels/1/geojson")
	var f openapi.Feature
	r.json(t, &f)
	if r.Status != 200 || f.Type != "Feature" || f.Geometry.Type != "MultiPolygon" || f.Properties.Name != p.Name {
		t.Fatalf("geojson: %d %s", r.Status, r.Body)
	}
	r = e.get("/api/v1/parcels/1/corners")
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("corners: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	txt, err := geo.ParseTXT(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatalf("exported TXT does not parse: %v\n%s", err, r.Body)
	}
	if z, err := txt.Zone(); err != nil || z != 38 {
		t.Fatalf("zone %d %v", z, err)
	}
}

// TestTXTRoundTrip: import → export → import gives the same corners.
func TestTXTRoundTrip(t *testing.T) {
	e := newEnv(t)
	first := e.get("/api/v1/parcels/3/corners").Body
	body, _ := json.Marshal(map[string]any{
		"name": "round trip", "county_code": "411726", "mineral": "饰面用花岗岩", "basis": "explored",
		"corners_txt": string(first),
	})
	r := e.do(http.MethodPost, "/api/v1/parcels", registry.RoleBureau, "application/json", body)
	if r.Status != 201 {
		t.Fatalf("import: %d %s", r.Status, r.Body)
	}
	var p openapi.Parcel
	r.json(t, &p)
	if r.Header.Get("Location") != fmt.Sprintf("/api/v1/parcels/%d", p.ID) || p.Provenance.GeometrySource != "surveyed" {
		t.Fatalf("location %q source %q", r.Header.Get("Location"), p.Provenance.GeometrySource)
	}
	second := e.get(fmt.Sprintf("/api/v1/parcels/%d/corners", p.ID)).Body
	a, err := geo.ParseTXT(bytes.NewReader(first))
	if err != nil {
		t.Fatal(err)
	}
	b, err := geo.ParseTXT(bytes.NewReader(second))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Blocks) != 1 || len(b.Blocks) != 1 {
		t.Fatalf("blocks %d and %d", len(a.Blocks), len(b.Blocks))
	}
	ca, cb := a.Blocks[0].Rings[0].Corners, b.Blocks[0].Rings[0].Corners
	if len(ca) != len(cb) {
		t.Fatalf("%d corners, then %d", len(ca), len(cb))
	}
	for i := range ca {
		if ca[i].X != cb[i].X || ca[i].Y != cb[i].Y || ca[i].Label != cb[i].Label {
			t.Errorf("corner %d: %+v then %+v", i+1, ca[i], cb[i])
		}
	}
	// PUT the same file back onto the new parcel: same corners again.
	r = e.do(http.MethodPut, fmt.Sprintf("/api/v1/parcels/%d/corners", p.ID), registry.RoleBureau, "text/plain", second)
	if r.Status != 200 {
		t.Fatalf("put corners: %d %s", r.Status, r.Body)
	}
	if third := e.get(fmt.Sprintf("/api/v1/parcels/%d/corners", p.ID)).Body; !bytes.Equal(stripDate(third), stripDate(second)) {
		t.Fatalf("corners changed after PUT:\n%s\nvs\n%s", second, third)
	}
}

// stripDate drops the 数据产生日期 line, the one line an export may change.
func stripDate(b []byte) []byte {
	var out [][]byte
	for _, l := range bytes.Split(b, []byte("\n")) {
		if !bytes.HasPrefix(l, []byte("数据产生日期")) {
			out = append(out, l)
		}
	}
	return bytes.Join(out, []byte("\n"))
}
