package maps_test

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

	"minerights/registry/registrytest"
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
	db := registrytest.Seeded(t)
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
	e.get("/ogc").JSON(t, &landing)
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
	r.JSON(t, &api)
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
	e.get("/ogc/collections/redlines").JSON(t, &col)
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
	e.get("/ogc/collections/redlines/items/redline-001").JSON(t, &item)
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

// qgisScript loads each collection named on the command line through
// QGIS's own OGC API - Features provider (what a planner's "Add layer"
// does), counts its features, saves it as a GeoPackage ("Export > Save
// Features As") and reads the file back: "name loaded read written".
const qgisScript = `
import os, sys
from qgis.core import QgsApplication, QgsVectorLayer, QgsVectorFileWriter, QgsCoordinateTransformContext
app = QgsApplication([], False)
app.initQgis()
base, out = sys.argv[1], sys.argv[2]
for c in sys.argv[3:]:
    lyr = QgsVectorLayer("url='%s' typename='%s'" % (base, c), c, "OAPIF")
    if not lyr.isValid():
        print(c, "invalid", -1, -1)
        continue
    n = sum(1 for _ in lyr.getFeatures())
    opts = QgsVectorFileWriter.SaveVectorOptions()
    opts.driverName = "GPKG"
    path = os.path.join(out, c + ".gpkg")
    err = QgsVectorFileWriter.writeAsVectorFormatV3(lyr, path, QgsCoordinateTransformContext(), opts)
    back = QgsVectorLayer(path, c, "ogr")
    print(c, "loaded" if err[0] == QgsVectorFileWriter.NoError else "write-error:" + err[1], n, back.featureCount() if back.isValid() else -1)
# QGIS 3.22 may crash in exitQgis() while tearing down the network
# threads of the OAPIF provider; everything is said by now.
sys.stdout.flush()
os._exit(0)
`

// qgisPython finds a Python that can import QGIS's API (Debian's
// python3-qgis is for the system Python, not another one on the PATH).
func qgisPython(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "import qgis.core").Run() == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("QGIS's Python API is missing (apt-get install python3-qgis); CI must have it")
	}
	t.Skip("QGIS's Python API is missing: apt-get install python3-qgis")
	return ""
}

// TestQGISLoadsEveryCollection: headless QGIS (python3-qgis) loads every
// collection with all its features and saves each as a GeoPackage with
// as many (a text fid property once made that file empty).
func TestQGISLoadsEveryCollection(t *testing.T) {
	py := qgisPython(t)
	srv, _ := realServer(t)
	var cols struct{ Collections []struct{ ID string } }
	getJSON(t, srv.URL+"/ogc/collections", &cols)
	args := []string{"-c", qgisScript, srv.URL + "/ogc", t.TempDir()}
	want := map[string]int{}
	for _, c := range cols.Collections {
		var page struct{ NumberMatched int }
		getJSON(t, srv.URL+"/ogc/collections/"+c.ID+"/items?limit=1", &page)
		want[c.ID] = page.NumberMatched
		args = append(args, c.ID)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, args...)
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "QT_QPA_PLATFORM=offscreen", "HOME="+home, "XDG_RUNTIME_DIR="+home)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("QGIS: %v\n%s", err, out)
	}
	got := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) != 4 {
			continue
		}
		got[f[0]] = true
		if f[1] != "loaded" || f[2] != fmt.Sprint(want[f[0]]) || f[3] != fmt.Sprint(want[f[0]]) {
			t.Errorf("QGIS %s: %s; want %d features loaded and written", f[0], line, want[f[0]])
		}
	}
	for id := range want {
		if !got[id] {
			t.Errorf("QGIS said nothing of %s:\n%s", id, out)
		}
	}
}
