package maps_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"minerights/maps"
	"minerights/openapi"
	"minerights/registry"
	"minerights/registry/registrytest"
)

// verdictFixture is a seeded database where parcel 1 (registered, never
// announced), parcel 2 (announced) and parcel 3 (withdrawn before any
// announcement) have compliance reports, with a planner's, a bureau
// clerk's and a bidder's token.
type verdictFixture struct {
	env                       *mapEnv
	planner, bureau, bidder   string
	registeredID, announcedID int64
}

func newVerdictFixture(t *testing.T) verdictFixture {
	t.Helper()
	env := newMapEnv(t, false)
	ctx := context.Background()
	f := verdictFixture{env: env, registeredID: 1, announcedID: 2}
	for _, id := range []int64{f.registeredID, f.announcedID, 3} {
		if _, err := env.db.Store.RunCompliance(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	// The announcement itself is the transfer's business (TestDrill); what
	// the map keys on is the parcel's status.
	if _, err := env.db.Pool.Exec(ctx, `UPDATE parcel SET status = 'announced' WHERE id = $1`, f.announcedID); err != nil {
		t.Fatal(err)
	}
	if _, err := env.db.Pool.Exec(ctx, `UPDATE parcel SET status = 'withdrawn' WHERE id = 3`); err != nil {
		t.Fatal(err)
	}
	for role, tok := range map[string]*string{registry.RolePlanner: &f.planner, registry.RoleBureau: &f.bureau, registry.RoleBidder: &f.bidder} {
		s, err := env.db.Store.CreateToken(ctx, role, "地图测试 "+role, 0)
		if err != nil {
			t.Fatal(err)
		}
		*tok = s
	}
	return f
}

func (f verdictFixture) verdicts(t *testing.T, query, token string) maps.VerdictsOut {
	t.Helper()
	var hdr []string
	if token != "" {
		hdr = []string{"Authorization", "Bearer " + token}
	}
	r := f.env.get("/api/v1/compliance/verdicts"+query, hdr...)
	if r.Status != 200 {
		t.Fatalf("verdicts%s: %d %s", query, r.Status, r.Body)
	}
	var out maps.VerdictsOut
	r.JSON(t, &out)
	return out
}

func verdictIDs(out maps.VerdictsOut) []int64 {
	ids := []int64{}
	for _, v := range out.Items {
		ids = append(ids, v.ParcelID)
	}
	return ids
}

// TestMapVerdictsByRole: the bureau and planners see the latest verdict of
// every parcel with a report, announced or not; the public and bidders only
// those of announced parcels — and the public tiles and OGC items, shared
// by every caller, never carry an unannounced parcel's verdict.
func TestMapVerdictsByRole(t *testing.T) {
	f := newVerdictFixture(t)
	for _, tc := range []struct {
		name, token, role, scope string
		ids                      []int64
	}{
		{"public", "", "public", "announced", []int64{2}},
		{"bidder", f.bidder, "bidder", "announced", []int64{2}},
		{"planner", f.planner, "planner", "all", []int64{1, 2, 3}},
		{"bureau", f.bureau, "bureau", "all", []int64{1, 2, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := f.verdicts(t, "", tc.token)
			if out.Role != tc.role || out.Scope != tc.scope {
				t.Errorf("role %q scope %q, want %q %q", out.Role, out.Scope, tc.role, tc.scope)
			}
			if got := verdictIDs(out); !equalIDs(got, tc.ids) {
				t.Fatalf("verdicts of parcels %v, want %v", got, tc.ids)
			}
			for _, v := range out.Items {
				rep, err := f.env.db.Store.LatestReport(context.Background(), v.ParcelID)
				if err != nil {
					t.Fatal(err)
				}
				if v.Verdict != rep.Verdict || v.Stale != rep.Stale || v.Name == "" || v.GazetteNo == nil {
					t.Errorf("parcel %d: %+v, the report says %s (stale %v)", v.ParcelID, v, rep.Verdict, rep.Stale)
				}
			}
		})
	}

	// The shared layers keep the public rule whoever asks.
	var item struct{ Properties map[string]any }
	for _, id := range []string{"1", "3"} {
		r := f.env.get("/ogc/collections/parcels/items/"+id+"?f=json", "Authorization", "Bearer "+f.planner)
		item.Properties = nil
		r.JSON(t, &item)
		if v, ok := item.Properties["verdict"]; ok && v != nil {
			t.Errorf("OGC item of unannounced parcel %s carries verdict %v", id, v)
		}
	}
	r := f.env.get("/ogc/collections/parcels/items?f=json&filter=" + url.QueryEscape("verdict IS NOT NULL"))
	var fc featureCollection
	r.JSON(t, &fc)
	if ids := fc.ids(); len(ids) != 1 || ids[0] != "2" {
		t.Errorf("a filter on verdict finds parcels %v, want only the announced 2", ids)
	}
	r = f.env.get("/ogc/collections/parcels/items/2?f=json")
	r.JSON(t, &item)
	if item.Properties["verdict"] == nil {
		t.Errorf("OGC item of announced parcel 2 lacks its verdict: %v", item.Properties)
	}
	seen := map[int]any{}
	for _, l := range decodeTile(t, f.env.get(zhumadianTile, "Authorization", "Bearer "+f.planner).Body, false) {
		for _, feat := range l.Features {
			seen[featureID(feat.ID)] = feat.Properties["verdict"]
		}
	}
	if seen[1] != nil || seen[3] != nil || seen[2] == nil {
		t.Errorf("tile verdicts: parcel 1 %v, parcel 3 %v (want none), parcel 2 %v (want its verdict)", seen[1], seen[3], seen[2])
	}
}

// TestMapVerdictsStaleAndBBox: a report goes stale when the parcel changes,
// and a box keeps only the parcels in it.
func TestMapVerdictsStaleAndBBox(t *testing.T) {
	f := newVerdictFixture(t)
	ctx := context.Background()
	if _, err := f.env.db.Pool.Exec(ctx, `UPDATE parcel SET mining_method = '露天开采 (变更)', version = version + 1 WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	out := f.verdicts(t, "", f.planner)
	if len(out.Items) != 3 || !out.Items[0].Stale || out.Items[1].Stale {
		t.Errorf("after parcel 1 changed: %+v", out.Items)
	}
	p2, err := f.env.db.Store.GetParcel(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	b := p2.Geometry.Bound()
	q := fmt.Sprintf("?bbox=%f,%f,%f,%f", b.Min[0], b.Min[1], b.Max[0], b.Max[1])
	if got := verdictIDs(f.verdicts(t, q, f.planner)); !equalIDs(got, []int64{2}) {
		t.Errorf("bbox of parcel 2 %s gave %v", q, got)
	}
	if got := verdictIDs(f.verdicts(t, "?bbox=100,20,100.1,20.1", f.planner)); len(got) != 0 {
		t.Errorf("an empty box gave %v", got)
	}
}

// TestMapVerdictsBadInput: a malformed box is a 400 problem naming
// query.bbox, for every role.
func TestMapVerdictsBadInput(t *testing.T) {
	f := newVerdictFixture(t)
	for _, bad := range []string{"1,2,3", "a,b,c,d", "114,33,113,32", "0,0,0,NaN", "-200,0,0,0", "1,2,3,4,5"} {
		r := f.env.get("/api/v1/compliance/verdicts?bbox="+bad, "Authorization", "Bearer "+f.planner)
		if r.Status != 400 || !strings.Contains(string(r.Body), "query.bbox") {
			t.Errorf("bbox=%s: %d %s", bad, r.Status, r.Body)
		}
	}
	if r := f.env.get("/api/v1/compliance/verdicts?limit=0"); r.Status != 422 && r.Status != 400 {
		t.Errorf("limit=0: %d %s", r.Status, r.Body)
	}
	if r := f.env.get("/api/v1/compliance/verdicts", "Authorization", "Bearer mrt_forged"); r.Status != 401 {
		t.Errorf("a forged token: %d", r.Status)
	}
}

// TestWebMapConfig: the base map is off unless configured, and a
// configured one reaches the page.
func TestWebMapConfig(t *testing.T) {
	f := newVerdictFixture(t)
	if r := f.env.get("/map/config.json"); r.Status != 200 || strings.TrimSpace(string(r.Body)) != `{"basemap":null}` {
		t.Errorf("default config: %d %s", r.Status, r.Body)
	}
	h := mapHandlerWith(t, f.env.db, maps.Config{Basemap: maps.Basemap{URL: "https://tiles.example.gov.cn/{z}/{x}/{y}.png", Attribution: "测绘院"}}, false)
	var cfg struct {
		Basemap struct {
			Tiles       []string
			Attribution string
			MaxZoom     int
		}
	}
	getFrom(h, "/map/config.json").JSON(t, &cfg)
	if len(cfg.Basemap.Tiles) != 1 || cfg.Basemap.Attribution != "测绘院" || cfg.Basemap.MaxZoom != 18 {
		t.Errorf("configured base map: %+v", cfg)
	}
	for _, bad := range []string{"ftp://x/{z}/{x}/{y}", "https://x/{z}/{x}.png", "tiles/{z}/{x}/{y}"} {
		if maps.CheckBasemapURL(bad) == nil {
			t.Errorf("CheckBasemapURL(%q) accepted it", bad)
		}
	}
	if err := maps.CheckBasemapURL("http://127.0.0.1:9/{z}/{x}/{y}.png"); err != nil {
		t.Error(err)
	}
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// mapHandlerWith is the API with the map layers configured by cfg. With
// live set their change listener runs until the test ends, so tiles and the
// collection list are cached.
func mapHandlerWith(t *testing.T, db registrytest.DB, cfg maps.Config, live bool) http.Handler {
	t.Helper()
	layers := maps.New(db.Store, nil, cfg)
	if live {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = layers.Run(ctx)
		}()
		t.Cleanup(func() {
			cancel()
			<-done
		})
	}
	mux := http.NewServeMux()
	openapi.New(mux, openapi.Deps{Store: db.Store, Maps: layers})
	return mux
}
