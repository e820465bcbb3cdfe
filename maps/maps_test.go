package maps_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb/encoding/mvt"

	"minerights/internal/apitest"
	"minerights/maps"
	"minerights/registry"
	"minerights/registry/registrytest"
)

// mapEnv is the map layers on a fresh seeded database. With live set the
// change listener runs, so tiles and the collection list are cached.
type mapEnv struct {
	t  *testing.T
	h  http.Handler
	db registrytest.DB
}

func newMapEnv(t *testing.T, live bool) *mapEnv {
	t.Helper()
	db := registrytest.Seeded(t)
	return &mapEnv{t: t, db: db, h: mapHandler(t, db, live)}
}

func mapHandler(t *testing.T, db registrytest.DB, live bool) http.Handler {
	t.Helper()
	return mapHandlerWith(t, db, maps.Config{}, live)
}

func (e *mapEnv) get(path string, header ...string) apitest.Reply {
	e.t.Helper()
	return getFrom(e.h, path, header...)
}

func getFrom(h http.Handler, path string, header ...string) apitest.Reply {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Result().Body)
	return apitest.Reply{Status: rec.Code, Header: rec.Header(), Body: b}
}

type featureCollection struct {
	NumberMatched  int `json:"numberMatched"`
	NumberReturned int `json:"numberReturned"`
	Links          []struct {
		Href, Rel, Type string
	} `json:"links"`
	Features []struct {
		ID       any             `json:"id"`
		Geometry json.RawMessage `json:"geometry"`
		Props    map[string]any  `json:"properties"`
	} `json:"features"`
}

func (fc featureCollection) ids() []string {
	var out []string
	for _, f := range fc.Features {
		out = append(out, fmt.Sprint(f.ID))
	}
	return out
}

func (fc featureCollection) link(rel string) string {
	for _, l := range fc.Links {
		if l.Rel == rel {
			return l.Href
		}
	}
	return ""
}

func (e *mapEnv) items(path string) featureCollection {
	e.t.Helper()
	r := e.get(path)
	if r.Status != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	var fc featureCollection
	r.JSON(e.t, &fc)
	return fc
}

func firstCoordinate(t *testing.T, g json.RawMessage) [2]float64 {
	t.Helper()
	var mp struct {
		Coordinates [][][][2]float64 `json:"coordinates"`
	}
	if err := json.Unmarshal(g, &mp); err != nil {
		t.Fatal(err)
	}
	return mp.Coordinates[0][0][0]
}

func TestOGCLandingAndCollections(t *testing.T) {
	e := newMapEnv(t, false)
	var landing struct{ Links []struct{ Rel, Href string } }
	e.get("/ogc").JSON(t, &landing)
	rels := map[string]bool{}
	for _, l := range landing.Links {
		rels[l.Rel] = true
	}
	for _, want := range []string{"self", "conformance", "data", "service-desc"} {
		if !rels[want] {
			t.Errorf("landing page has no %s link: %+v", want, landing.Links)
		}
	}
	var conf struct{ ConformsTo []string }
	e.get("/ogc/conformance").JSON(t, &conf)
	for _, want := range []string{"ogcapi-features-1/1.0/conf/core", "ogcapi-features-2/1.0/conf/crs", "cql2/1.0/conf/cql2-text"} {
		if !slices.ContainsFunc(conf.ConformsTo, func(s string) bool { return strings.Contains(s, want) }) {
			t.Errorf("conformance lacks %s", want)
		}
	}
	var cols struct {
		Collections []struct {
			ID         string
			CRS        []string `json:"crs"`
			StorageCRS string   `json:"storageCrs"`
		}
	}
	e.get("/ogc/collections").JSON(t, &cols)
	var ids []string
	for _, c := range cols.Collections {
		ids = append(ids, c.ID)
	}
	for _, want := range []string{"parcels", "counties", "redlines", "farmland", "mountains", "mining_zones", "mining_rights", "sales"} {
		if !slices.Contains(ids, want) {
			t.Errorf("collections %v lack %s", ids, want)
		}
	}
	if c := cols.Collections[0]; !slices.Contains(c.CRS, "http://www.opengis.net/def/crs/EPSG/0/4526") || c.StorageCRS != "http://www.opengis.net/def/crs/EPSG/0/4490" {
		t.Errorf("parcels CRS %v storage %s", c.CRS, c.StorageCRS)
	}
	if r := e.get("/ogc/collections/parcels?f=html"); !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Errorf("f=html gave %s", r.Header.Get("Content-Type"))
	}
	if r := e.get("/ogc/collections/nosuch"); r.Status != http.StatusNotFound || !strings.Contains(string(r.Body), "parcels") {
		t.Errorf("unknown collection: %d %s", r.Status, r.Body)
	}
	var q struct {
		Properties map[string]struct{ Type string }
	}
	e.get("/ogc/collections/parcels/queryables").JSON(t, &q)
	if q.Properties["starting_price_yuan"].Type != "integer" || q.Properties["status"].Type != "string" || q.Properties["verdict"].Type != "string" {
		t.Errorf("queryables: %+v", q.Properties)
	}
}

// TestOGCPaging walks the parcels a few at a time, as QGIS does through
// the next links, and must meet each parcel exactly once, in id order.
func TestOGCPaging(t *testing.T) {
	e := newMapEnv(t, false)
	var seen []string
	next := "/ogc/collections/parcels/items?limit=4"
	for pages := 0; next != ""; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		fc := e.items(next)
		if fc.NumberMatched != 11 || fc.NumberReturned != len(fc.Features) {
			t.Fatalf("%s: matched %d returned %d of %d", next, fc.NumberMatched, fc.NumberReturned, len(fc.Features))
		}
		seen = append(seen, fc.ids()...)
		next = ""
		if href := fc.link("next"); href != "" {
			u, _ := url.Parse(href)
			next = u.RequestURI()
		}
	}
	want := []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"}
	if !slices.Equal(seen, want) {
		t.Fatalf("pages gave %v, want %v", seen, want)
	}
	fc := e.items("/ogc/collections/parcels/items?limit=4&offset=4")
	if fc.link("prev") == "" {
		t.Error("second page has no prev link")
	}
	if fc := e.items("/ogc/collections/parcels/items?offset=50"); fc.NumberMatched != 11 || len(fc.Features) != 0 {
		t.Errorf("past the end: %+v", fc)
	}
}

func TestOGCItemsQueries(t *testing.T) {
	e := newMapEnv(t, false)
	// Parcel 1 lies about 113.49-113.52°E, 32.688-32.714°N.
	tests := []struct {
		name string
		path string
		want []string
	}{
		{"all", "/ogc/collections/parcels/items?limit=100", []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"}},
		{"bbox CRS84", "/ogc/collections/parcels/items?bbox=113.48,32.68,113.53,32.72", []string{"1"}},
		{"bbox in EPSG:4490 is lat,lon", "/ogc/collections/parcels/items?bbox=32.68,113.48,32.72,113.53&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4490", []string{"1"}},
		{"bbox with heights", "/ogc/collections/parcels/items?bbox=113.48,32.68,0,113.53,32.72,1000", []string{"1"}},
		{"like", "/ogc/collections/parcels/items?filter=" + url.QueryEscape("name LIKE '%黑石板沟%'"), []string{"1"}},
		{"between", "/ogc/collections/parcels/items?filter=" + url.QueryEscape("gazette_no BETWEEN 2 AND 4"), []string{"2", "3", "4"}},
		{"in and or", "/ogc/collections/parcels/items?filter=" + url.QueryEscape("gazette_no IN (5, 7) OR id = 11"), []string{"5", "7", "11"}},
		{"comparison on money", "/ogc/collections/parcels/items?filter=" + url.QueryEscape("starting_price_yuan = 435866500"), []string{"1"}},
		{"is null", "/ogc/collections/parcels/items?limit=100&filter=" + url.QueryEscape("verdict IS NULL AND NOT (status <> 'registered')"), []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"}},
		{"spatial point", "/ogc/collections/parcels/items?filter=" + url.QueryEscape("S_INTERSECTS(geometry, POINT(113.5 32.7))"), []string{"1"}},
		{"spatial bbox in 4526", "/ogc/collections/parcels/items?filter-crs=EPSG:4526&filter=" + url.QueryEscape("S_INTERSECTS(geometry, BBOX(3617000, 38451000, 3623000, 38456000))"), []string{"1"}},
		{"property parameter", "/ogc/collections/parcels/items?limit=100&gazette_no=3", []string{"3"}},
		{"value that looks like SQL", "/ogc/collections/parcels/items?filter=" + url.QueryEscape("name = 'x'' OR 1=1 --'"), nil},
		{"check layer", "/ogc/collections/counties/items?filter=" + url.QueryEscape("name = '泌阳县'"), []string{"411726"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fc := e.items(tc.path)
			if got := fc.ids(); !slices.Equal(got, tc.want) {
				t.Fatalf("%s: got %v, want %v", tc.path, got, tc.want)
			}
		})
	}

	t.Run("crs", func(t *testing.T) {
		base := e.items("/ogc/collections/parcels/items?limit=1")
		lonlat := firstCoordinate(t, base.Features[0].Geometry)
		r := e.get("/ogc/collections/parcels/items?limit=1&crs=http://www.opengis.net/def/crs/EPSG/0/4490")
		if r.Header.Get("Content-Crs") != "<http://www.opengis.net/def/crs/EPSG/0/4490>" {
			t.Errorf("Content-Crs %q", r.Header.Get("Content-Crs"))
		}
		var fc featureCollection
		r.JSON(t, &fc)
		if latlon := firstCoordinate(t, fc.Features[0].Geometry); latlon != [2]float64{lonlat[1], lonlat[0]} {
			t.Errorf("EPSG:4490 gives %v for CRS84 %v: want latitude first", latlon, lonlat)
		}
		fc = e.items("/ogc/collections/parcels/items?limit=1&crs=EPSG:4526")
		ne := firstCoordinate(t, fc.Features[0].Geometry)
		if ne[0] < 3.5e6 || ne[0] > 3.7e6 || ne[1] < 38.4e6 || ne[1] > 38.6e6 {
			t.Errorf("EPSG:4526 gives %v: want northing ~3.6e6 then easting ~38.5e6", ne)
		}
	})

	t.Run("properties", func(t *testing.T) {
		fc := e.items("/ogc/collections/parcels/items?limit=1&properties=name,status")
		if len(fc.Features[0].Props) != 2 || fc.Features[0].Props["status"] != "registered" {
			t.Fatalf("properties: %v", fc.Features[0].Props)
		}
	})

	t.Run("one feature", func(t *testing.T) {
		r := e.get("/ogc/collections/parcels/items/2")
		var f struct {
			ID    int
			Props map[string]any `json:"properties"`
			Links []struct{ Rel string }
		}
		r.JSON(t, &f)
		if r.Status != 200 || f.ID != 2 || f.Props["gazette_no"] != float64(2) || len(f.Links) == 0 {
			t.Fatalf("item 2: %d %s", r.Status, r.Body)
		}
		if r := e.get("/ogc/collections/parcels/items/999"); r.Status != http.StatusNotFound {
			t.Fatalf("item 999: %d %s", r.Status, r.Body)
		}
		if r := e.get("/ogc/collections/parcels/items/1?f=html"); !strings.Contains(string(r.Body), "黑石板沟") {
			t.Fatalf("item 1 as HTML: %s", r.Body)
		}
	})
}

// TestOGCBadInput: every malformed parameter is a 400 problem naming it
// and saying what is wrong; none is a 500.
func TestOGCBadInput(t *testing.T) {
	e := newMapEnv(t, false)
	items := "/ogc/collections/parcels/items?"
	tests := []struct {
		name, path, loc, reason string
	}{
		{"bbox of 3", items + "bbox=1,2,3", "query.bbox", "needs 4 numbers"},
		{"bbox not numbers", items + "bbox=a,b,c,d", "query.bbox", "not a number"},
		{"bbox inverted", items + "bbox=114,33,113,32", "query.bbox", "lower corner"},
		{"bbox off the globe", items + "bbox=100,200,101,201", "query.bbox", "latitude in [-90, 90]"},
		{"bbox-crs unknown", items + "bbox=1,2,3,4&bbox-crs=EPSG:3857", "query.bbox-crs", "not served"},
		{"crs unknown", items + "crs=http://www.opengis.net/def/crs/EPSG/0/9999", "query.crs", "not served"},
		{"filter syntax", items + "filter=" + url.QueryEscape("name = "), "query.filter", "at character"},
		{"filter property", items + "filter=" + url.QueryEscape("nosuch = 1"), "query.filter", "no queryable \"nosuch\""},
		{"filter type", items + "filter=" + url.QueryEscape("gazette_no = 'one'"), "query.filter", "not a integer"},
		{"filter like on number", items + "filter=" + url.QueryEscape("gazette_no LIKE '1%'"), "query.filter", "not a integer"},
		{"filter invalid polygon", items + "filter=" + url.QueryEscape("S_INTERSECTS(geometry, POLYGON((113 32, 114 33, 114 32, 113 33, 113 32)))"), "query.filter", "not valid"},
		{"filter-lang", items + "filter=a%3D1&filter-lang=cql2-json", "query.filter-lang", "cql2-text"},
		{"limit 0", items + "limit=0", "query.limit", "whole number"},
		{"offset negative", items + "offset=-1", "query.offset", "whole number"},
		{"unknown parameter", items + "colour=red", "query.colour", "unknown query parameter"},
		{"property parameter type", items + "gazette_no=abc", "query.gazette_no", "is a number"},
		{"properties unknown", items + "properties=name,nosuch", "query.properties", "no property \"nosuch\""},
		{"format", items + "f=xml", "query.f", "f=json"},
		{"zoom too deep", "/tiles/parcels/23/0/0.mvt", "query.z", "outside 0-22"},
		{"column off the grid", "/tiles/parcels/2/4/0.mvt", "query.x", "outside 0-3"},
		{"row not a number", "/tiles/parcels/2/1/y.mvt", "query.y", "not a whole number"},
		{"tile without .mvt", "/tiles/parcels/2/1/1.png", "query.y", "{y}.mvt"},
		{"zoom negative", "/tiles/parcels/-1/0/0.mvt", "query.z", "outside"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.get(tc.path)
			if r.Status != http.StatusBadRequest || r.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("GET %s: %d %s %s", tc.path, r.Status, r.Header.Get("Content-Type"), r.Body)
			}
			var p struct {
				Detail string
				Errors []struct{ Location, Message string }
			}
			r.JSON(t, &p)
			if len(p.Errors) != 1 || p.Errors[0].Location != tc.loc || !strings.Contains(p.Detail, tc.reason) {
				t.Fatalf("GET %s: %s, want location %s and %q", tc.path, r.Body, tc.loc, tc.reason)
			}
		})
	}
	if r := e.get("/tiles/nosuch/0/0/0.mvt"); r.Status != http.StatusNotFound {
		t.Errorf("unknown tile layer: %d %s", r.Status, r.Body)
	}
}

// zhumadianTile is the z7 tile that holds all 11 parcels.
const zhumadianTile = "/tiles/parcels/7/104/51.mvt"

func decodeTile(t *testing.T, body []byte, gz bool) mvt.Layers {
	t.Helper()
	var ls mvt.Layers
	var err error
	if gz {
		ls, err = mvt.UnmarshalGzipped(body)
	} else {
		ls, err = mvt.Unmarshal(body)
	}
	if err != nil {
		t.Fatalf("decode tile: %v", err)
	}
	return ls
}

func parcelIDs(t *testing.T, ls mvt.Layers) []int {
	t.Helper()
	var ids []int
	for _, l := range ls {
		if l.Name != "parcels" {
			t.Fatalf("tile has layer %s", l.Name)
		}
		for _, f := range l.Features {
			ids = append(ids, featureID(f.ID))
		}
	}
	slices.Sort(ids)
	return ids
}

// featureID reads an MVT feature id, which orb decodes as a float64.
func featureID(id any) int {
	switch v := id.(type) {
	case float64:
		return int(v)
	case uint64:
		return int(v)
	}
	return -1
}

func TestTiles(t *testing.T) {
	e := newMapEnv(t, false)
	r := e.get(zhumadianTile)
	if r.Status != 200 || r.Header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" || r.Header.Get("Cache-Control") == "" {
		t.Fatalf("tile: %d %v", r.Status, r.Header)
	}
	ids := parcelIDs(t, decodeTile(t, r.Body, false))
	if !slices.Equal(ids, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}) {
		t.Fatalf("z7 tile has parcels %v", ids)
	}
	etag := r.Header.Get("ETag")
	if r := e.get(zhumadianTile, "If-None-Match", etag); r.Status != http.StatusNotModified || len(r.Body) != 0 {
		t.Errorf("If-None-Match: %d", r.Status)
	}
	gz := e.get(zhumadianTile, "Accept-Encoding", "gzip, deflate")
	if gz.Header.Get("Content-Encoding") != "gzip" || gz.Header.Get("ETag") != etag || len(gz.Body) >= len(r.Body) {
		t.Errorf("gzip: %v, %d bytes of %d", gz.Header, len(gz.Body), len(r.Body))
	}
	if ids := parcelIDs(t, decodeTile(t, gz.Body, true)); len(ids) != 11 {
		t.Errorf("gzipped tile has %v", ids)
	}
	if r := e.get("/tiles/parcels/7/0/0.mvt"); r.Status != 200 || len(r.Body) != 0 {
		t.Errorf("empty tile: %d, %d bytes", r.Status, len(r.Body))
	}
	var tj struct {
		TileJSON     string   `json:"tilejson"`
		Tiles        []string `json:"tiles"`
		Bounds       []float64
		VectorLayers []struct {
			ID     string
			Fields map[string]string
		} `json:"vector_layers"`
	}
	e.get("/tiles/parcels.json").JSON(t, &tj)
	if tj.TileJSON != "3.0.0" || !strings.HasSuffix(tj.Tiles[0], "/tiles/parcels/{z}/{x}/{y}.mvt") || tj.VectorLayers[0].Fields["status"] == "" || tj.Bounds[0] < 113 {
		t.Errorf("TileJSON: %+v", tj)
	}
	// Every check layer cuts tiles.
	for _, layer := range []string{"counties", "redlines", "farmland", "mountains", "mining_zones", "mining_rights"} {
		if r := e.get("/tiles/" + layer + "/8/208/103.mvt"); r.Status != 200 {
			t.Errorf("%s: %d %s", layer, r.Status, r.Body)
		}
	}
}

// TestTileCacheInvalidation: two server processes on one database cache a
// tile; an edit of a parcel drops it in both at once (LISTEN/NOTIFY), so
// neither serves the old tile after the edit.
func TestTileCacheInvalidation(t *testing.T) {
	db := registrytest.Seeded(t)
	servers := []http.Handler{mapHandler(t, db, true), mapHandler(t, db, true)}
	status := func(h http.Handler) (string, string) {
		r := getFrom(h, zhumadianTile)
		for _, l := range decodeTile(t, r.Body, false) {
			for _, f := range l.Features {
				if featureID(f.ID) == 1 {
					return f.Properties["status"].(string), r.Header.Get("X-Tile-Cache")
				}
			}
		}
		t.Fatal("parcel 1 is not in the tile")
		return "", ""
	}
	for i, h := range servers {
		// The listener connects in the background; once it has, a second
		// request is served from memory.
		deadline := time.Now().Add(10 * time.Second)
		for {
			status(h)
			if _, cache := status(h); cache == "hit" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("server %d never caches", i)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	withdrawn := registry.StatusWithdrawn
	if _, err := db.Store.UpdateParcel(context.Background(), 1, registry.ParcelPatch{Status: &withdrawn}); err != nil {
		t.Fatal(err)
	}
	for i, h := range servers {
		deadline := time.Now().Add(5 * time.Second)
		for {
			s, _ := status(h)
			if s == withdrawn {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("server %d still serves parcel 1 as %s after the edit", i, s)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// needTool finds a program the real-client tests drive. Under CI a missing
// one fails the test; elsewhere the test is skipped with the install hint.
func needTool(t *testing.T, name, hint string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing (%s); CI must have it", name, hint)
		}
		t.Skipf("%s is missing: %s", name, hint)
	}
	return p
}

// needBrowser returns node once node, Debian's chromium and the named
// packages of web/node_modules are there for the browser tests (web/e2e);
// without them the test is skipped, or fails on CI.
func needBrowser(t *testing.T, modules ...string) string {
	t.Helper()
	node := needTool(t, "node", "apt-get install nodejs npm")
	needTool(t, "chromium", "apt-get install chromium")
	for _, m := range modules {
		if _, err := os.Stat("../web/node_modules/" + m); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("web/node_modules/%s is missing: make test runs npm ci in web/", m)
			}
			t.Skipf("web/node_modules/%s is missing: run npm ci in web/", m)
		}
	}
	return node
}

func realServer(t *testing.T) (*httptest.Server, registrytest.DB) {
	t.Helper()
	db := registrytest.Seeded(t)
	srv := httptest.NewServer(mapHandler(t, db, true))
	t.Cleanup(srv.Close)
	return srv, db
}

func run(t *testing.T, timeout time.Duration, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "GDAL_HTTP_TIMEOUT=30", "CPL_DEBUG=OFF")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s\n%s", name, args, err, out.String(), errb.String())
	}
	return out.String()
}

// TestGDALReadsFeaturesAndTiles drives GDAL's ogrinfo against a real
// server: OGC API - Features through the OAPIF driver (the one QGIS uses),
// and a vector tile through the MVT driver.
func TestGDALReadsFeaturesAndTiles(t *testing.T) {
	ogrinfo := needTool(t, "ogrinfo", "apt-get install gdal-bin")
	srv, _ := realServer(t)

	out := run(t, time.Minute, ogrinfo, "-ro", "OAPIF:"+srv.URL+"/ogc")
	for _, want := range []string{"parcels", "counties", "redlines", "farmland", "mountains", "mining_zones", "mining_rights"} {
		if !strings.Contains(out, ": "+want+" ") {
			t.Errorf("ogrinfo lists no %s:\n%s", want, out)
		}
	}
	// Small pages make GDAL follow the next links.
	out = run(t, time.Minute, ogrinfo, "-ro", "-al", "-oo", "PAGE_SIZE=4", "OAPIF:"+srv.URL+"/ogc", "parcels")
	if n := strings.Count(out, "OGRFeature(parcels):"); n != 11 {
		t.Errorf("ogrinfo read %d parcels, want 11:\n%s", n, out)
	}
	for _, want := range []string{"name (String) = 河南省泌阳县黑石板沟饰面花岗岩矿", "starting_price_yuan (Integer", "status (String) = registered", "MULTIPOLYGON"} {
		if !strings.Contains(out, want) {
			t.Errorf("ogrinfo output lacks %q", want)
		}
	}

	res, err := http.Get(srv.URL + zhumadianTile)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	// The MVT driver reads z/x/y from the file's path.
	dir := filepath.Join(t.TempDir(), "7", "104")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "51.pbf")
	if err := os.WriteFile(file, body, 0o644); err != nil {
		t.Fatal(err)
	}
	out = run(t, time.Minute, ogrinfo, "-ro", "-al", "MVT:"+file)
	if n := strings.Count(out, "OGRFeature(parcels):"); n != 11 {
		t.Errorf("the MVT driver found %d parcels, want 11:\n%s", n, out)
	}
	if !strings.Contains(out, "mineral (String) = ") {
		t.Errorf("tile features lack their attributes:\n%s", out)
	}
}

// TestWebMapInChromium opens the map in headless Chromium: the 11 parcels
// over the counties, the layer switcher, a parcel's popup with the
// gazette's figures, and a screenshot (kept under testdata/ when
// MINERIGHTS_SCREENSHOT names a file).
func TestWebMapInChromium(t *testing.T) {
	node := needBrowser(t, "playwright-core")
	srv, _ := realServer(t)
	shot := os.Getenv("MINERIGHTS_SCREENSHOT")
	if shot == "" {
		shot = filepath.Join(t.TempDir(), "map.png")
	}
	out := run(t, 5*time.Minute, node, "../web/e2e/map.mjs", srv.URL+"/", shot)
	var res struct {
		Errors, Offsite []string
		ParcelIDs       []int
		Dots, Counties  int
		Switched        []struct {
			ID         string
			From       bool
			Visibility string
		}
		ColourBy     string
		Popup        string
		ExpectedName string
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &res); err != nil {
		t.Fatalf("map.mjs printed %q: %v", out, err)
	}
	if len(res.Errors) > 0 || len(res.Offsite) > 0 {
		t.Errorf("page errors %v, requests to other hosts %v", res.Errors, res.Offsite)
	}
	if !slices.Equal(res.ParcelIDs, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}) || res.Dots != 11 || res.Counties < 2 {
		t.Errorf("the map shows parcels %v (%d dots) over %d counties", res.ParcelIDs, res.Dots, res.Counties)
	}
	if len(res.Switched) < 7 {
		t.Errorf("layer switcher has %d layers: %+v", len(res.Switched), res.Switched)
	}
	for _, s := range res.Switched {
		if want := map[bool]string{true: "none", false: "visible"}[s.From]; s.Visibility != want {
			t.Errorf("switching %s from %v left it %s", s.ID, s.From, s.Visibility)
		}
	}
	if res.ColourBy != "verdict" {
		t.Errorf("colour-by switch gave %q", res.ColourBy)
	}
	for _, want := range []string{res.ExpectedName, "5.3782", "43586.65 万元", "肆亿叁仟伍佰捌拾陆万陆仟伍佰元整", "10078 万吨", "核查结论", "出让:"} {
		if !strings.Contains(res.Popup, want) {
			t.Errorf("popup lacks %q: %s", want, res.Popup)
		}
	}
	if fi, err := os.Stat(shot); err != nil || fi.Size() < 10000 {
		t.Errorf("screenshot %s: %v", shot, err)
	}
}
