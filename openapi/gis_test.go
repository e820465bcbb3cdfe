package openapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"minerights/internal/testdb"
)

// urlRecorder keeps the request URIs a server saw.
type urlRecorder struct {
	mu   sync.Mutex
	uris []string
}

func (u *urlRecorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.uris = append(u.uris, r.URL.RequestURI())
		u.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (u *urlRecorder) since(n int) []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.uris[n:]...)
}

func (u *urlRecorder) len() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.uris)
}

// gdal runs a GDAL program and returns its stdout; a failure, or any line
// GDAL reports as an ERROR, fails the test.
func gdal(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "GDAL_HTTP_TIMEOUT=30", "CPL_DEBUG=OFF")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil || strings.Contains(errb.String(), "ERROR") || strings.Contains(out.String(), "ERROR") {
		t.Fatalf("%s %s: %v\n%s\n%s", name, strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// TestGISClientsReadEveryCollection is what a planner does with GDAL (and
// QGIS, which reads OGC API - Features through GDAL): every collection
// exported to GeoPackage in EPSG:4490 and EPSG:4526 with all its features
// and no ERROR, a feature by id, a -where filter the server evaluates.
func TestGISClientsReadEveryCollection(t *testing.T) {
	ogr2ogr := needTool(t, "ogr2ogr", "apt-get install gdal-bin")
	ogrinfo := needTool(t, "ogrinfo", "apt-get install gdal-bin")
	db := testdb.Seeded(t)
	rec := &urlRecorder{}
	srv := httptest.NewServer(rec.wrap(mapHandler(t, db, true)))
	t.Cleanup(srv.Close)
	oapif := "OAPIF:" + srv.URL + "/ogc"

	var cols struct{ Collections []struct{ ID string } }
	getJSON(t, srv.URL+"/ogc/collections", &cols)
	if len(cols.Collections) < 8 {
		t.Fatalf("%d collections", len(cols.Collections))
	}
	dir := t.TempDir()
	count := regexp.MustCompile(`Feature Count: (\d+)`)
	for _, c := range cols.Collections {
		var page struct{ NumberMatched int }
		getJSON(t, srv.URL+"/ogc/collections/"+c.ID+"/items?limit=1", &page)
		for _, srs := range []string{"EPSG:4490", "EPSG:4526"} {
			t.Run(c.ID+"/"+srs, func(t *testing.T) {
				gpkg := filepath.Join(dir, c.ID+"-"+strings.TrimPrefix(srs, "EPSG:")+".gpkg")
				gdal(t, ogr2ogr, "-f", "GPKG", "-t_srs", srs, gpkg, oapif, c.ID)
				info := gdal(t, ogrinfo, "-ro", "-so", gpkg, c.ID)
				m := count.FindStringSubmatch(info)
				if m == nil || m[1] != fmt.Sprint(page.NumberMatched) {
					t.Fatalf("GeoPackage of %s has %v features, the collection %d:\n%s", c.ID, m, page.NumberMatched, info)
				}
				if !strings.Contains(info, `ID["EPSG",`+strings.TrimPrefix(srs, "EPSG:")+`]]`) {
					t.Errorf("GeoPackage of %s is not in %s:\n%s", c.ID, srs, info)
				}
				if strings.Contains(info, "fid: String") {
					t.Errorf("a text fid field survives:\n%s", info)
				}
				if c.ID == "redlines" && !strings.Contains(info, "feature_id: String") {
					t.Errorf("check layer without its feature_id:\n%s", info)
				}
			})
		}
	}

	// A feature by id: GDAL appends /{id} to the items link.
	out := gdal(t, ogrinfo, "-ro", "-fid", "3", oapif, "parcels")
	if !strings.Contains(out, "OGRFeature(parcels):3") || !strings.Contains(out, "gazette_no (Integer) = 3") {
		t.Errorf("ogrinfo -fid 3:\n%s", out)
	}

	// An attribute filter goes to the server as CQL: the request carries
	// it and the answer has only the matching parcels.
	n := rec.len()
	out = gdal(t, ogrinfo, "-ro", "-al", "-q", "-where", "status = 'registered' AND gazette_no > 3", oapif, "parcels")
	if got := strings.Count(out, "OGRFeature(parcels):"); got != 8 {
		t.Errorf("-where read %d parcels, want 8:\n%s", got, out)
	}
	filtered := false
	for _, u := range rec.since(n) {
		if strings.Contains(u, "/items?") && strings.Contains(u, "filter=") && strings.Contains(u, "gazette_no") {
			filtered = true
		}
	}
	if !filtered {
		t.Errorf("the filter never reached the server: %v", rec.since(n))
	}
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", u, res.StatusCode)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

// TestOGCClientMetadata: the API definition is OpenAPI 3.0 with the media
// type Part 1 names, and documents the page size and filter language; a
// page holds a whole small layer; the HTML table shows the id once and
// numbers with the decimals the API writes.
func TestOGCClientMetadata(t *testing.T) {
	e := newMapEnv(t, false)
	var landing struct {
		Links []struct{ Rel, Href, Type string }
	}
	e.get("/ogc").json(t, &landing)
	desc := ""
	for _, l := range landing.Links {
		if l.Rel == "service-desc" {
			if desc != "" {
				t.Error("two service-desc links")
			}
			desc = l.Href
			if l.Type != "application/vnd.oai.openapi+json;version=3.0" {
				t.Errorf("service-desc type %q", l.Type)
			}
		}
	}
	u := strings.TrimPrefix(desc, "http://example.com")
	r := e.get(u)
	if r.Status != 200 || r.Header.Get("Content-Type") != "application/vnd.oai.openapi+json;version=3.0" {
		t.Fatalf("GET %s: %d %s", u, r.Status, r.Header.Get("Content-Type"))
	}
	var api struct {
		OpenAPI string
		Paths   map[string]struct {
			Get struct {
				Parameters []struct {
					Name   string
					Schema map[string]any
				}
			}
		}
	}
	r.json(t, &api)
	if !strings.HasPrefix(api.OpenAPI, "3.0.") {
		t.Errorf("openapi %q", api.OpenAPI)
	}
	params := map[string]map[string]any{}
	for _, p := range api.Paths["/collections/{collectionId}/items"].Get.Parameters {
		params[p.Name] = p.Schema
	}
	if params["limit"]["maximum"] != 10000.0 || params["limit"]["default"] != 1000.0 {
		t.Errorf("limit %v", params["limit"])
	}
	if fmt.Sprint(params["filter-lang"]["enum"]) != "[cql2-text cql-text]" {
		t.Errorf("filter-lang %v", params["filter-lang"])
	}
	names := map[string]bool{}
	for _, p := range api.Paths["/collections/parcels/items"].Get.Parameters {
		names[p.Name] = true
	}
	if !names["gazette_no"] || !names["status"] || !names["limit"] {
		t.Errorf("parcels items parameters %v", names)
	}
	if r := e.get("/ogc/collections/parcels/queryables"); r.Header.Get("Content-Type") != "application/schema+json" {
		t.Errorf("queryables as %s", r.Header.Get("Content-Type"))
	}

	var col struct {
		Links []struct{ Rel, Href, Type string }
	}
	e.get("/ogc/collections/redlines").json(t, &col)
	for _, l := range col.Links {
		if l.Rel == "items" && l.Type == "application/geo+json" && strings.Contains(l.Href, "?") {
			t.Errorf("the items link %s has a query: clients append /{featureId} to it", l.Href)
		}
	}
	if fc := e.items("/ogc/collections/parcels/items"); len(fc.Features) != 11 {
		t.Errorf("the default page holds %d of 11 parcels", len(fc.Features))
	}
	if fc := e.items("/ogc/collections/parcels/items?limit=50000"); len(fc.Features) != 11 {
		t.Errorf("a limit over the maximum: %d features", len(fc.Features))
	}
	var item struct{ Properties map[string]any }
	e.get("/ogc/collections/redlines/items/redline-001").json(t, &item)
	if item.Properties["feature_id"] != "redline-001" || item.Properties["fid"] != nil {
		t.Errorf("red line properties: %v", item.Properties)
	}

	html := string(e.get("/ogc/collections/parcels/items?f=html").Body)
	head := html[strings.Index(html, "<table>"):]
	head = head[:strings.Index(head, "</tr>")]
	if strings.Count(head, "<th>id</th>") != 1 {
		t.Errorf("the table heads id more than once: %s", head)
	}
	if !strings.Contains(html, "<td>0.5270</td>") || strings.Contains(html, "<td>0.527</td>") {
		t.Error("parcel 4's area is not 0.5270 in the HTML table, as the API writes it")
	}
	html = string(e.get("/ogc/collections/redlines/items?f=html").Body)
	if strings.Contains(html, "<th>fid</th>") || !strings.Contains(html, "<th>feature_id</th>") {
		t.Error("check layer HTML columns")
	}
}
