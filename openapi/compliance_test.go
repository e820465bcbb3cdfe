package openapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"minerights/compliance"
	"minerights/registry"
)

const jsonType = "application/json"

func parcelID(t *testing.T, e *env, no int) int64 {
	t.Helper()
	var id int64
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT id FROM parcel WHERE gazette_no = $1`, no).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestComplianceReportFlow: the bureau runs a report, planners read it,
// others may not, and the parcel becomes announceable.
func TestComplianceReportFlow(t *testing.T) {
	e := newEnv(t)
	id := parcelID(t, e, 8)
	path := fmt.Sprintf("/api/v1/parcels/%d/compliance", id)

	if r := e.do(http.MethodGet, path, registry.RoleBureau, "", nil); r.Status != 404 || !strings.Contains(string(r.Body), "no compliance report yet") {
		t.Errorf("before any report: %d %s", r.Status, r.Body)
	}
	for _, role := range []string{"", registry.RolePlanner, registry.RoleBidder} {
		if r := e.do(http.MethodPost, path, role, "", nil); r.Status != 401 && r.Status != 403 {
			t.Errorf("POST as %q: %d", role, r.Status)
		}
	}
	r := e.do(http.MethodPost, path, registry.RoleBureau, "", nil)
	if r.Status != 201 {
		t.Fatalf("run: %d %s", r.Status, r.Body)
	}
	var rep compliance.Report
	r.json(t, &rep)
	if rep.Verdict == compliance.VerdictFail || rep.ID == 0 || rep.LayerVersions["redlines"] != 1 || rep.Stale {
		t.Fatalf("report: %s", r.Body)
	}
	if len(rep.Reasons) == 0 || !strings.Contains(rep.Reasons[0], "right-001") {
		t.Errorf("parcel 8 should warn about the setback to right-001: %v", rep.Reasons)
	}

	r = e.do(http.MethodGet, path, registry.RolePlanner, "", nil)
	var got compliance.Report
	r.json(t, &got)
	if r.Status != 200 || got.ID != rep.ID || got.Verdict != rep.Verdict {
		t.Errorf("planner GET: %d %s", r.Status, r.Body)
	}
	if r := e.get(path); r.Status != 401 {
		t.Errorf("anonymous GET: %d", r.Status)
	}
	if r := e.do(http.MethodGet, path, registry.RoleBidder, "", nil); r.Status != 403 {
		t.Errorf("bidder GET: %d", r.Status)
	}
	var problemText *string
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT parcel_compliance_problem($1)`, id).Scan(&problemText); err != nil || problemText != nil {
		t.Errorf("parcel_compliance_problem = %v, %v", problemText, err)
	}
}

// TestWhatIfCheck: a geometry that is not registered is checked and
// nothing is stored; bad geometry is a 422 naming the problem.
func TestWhatIfCheck(t *testing.T) {
	e := newEnv(t)
	b, err := os.ReadFile(filepath.Join("..", "data", "fixtures", "conflicts.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []struct {
			Properties map[string]any  `json:"properties"`
			Geometry   json.RawMessage `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatal(err)
	}
	var geom json.RawMessage
	for _, f := range fc.Features {
		if f.Properties["fixture"] == "overlaps-redline" {
			geom = f.Geometry
		}
	}
	body, _ := json.Marshal(map[string]any{"geometry": geom, "county_code": "411728", "mineral": "建筑用砂",
		"elevation": map[string]float64{"top_m": 300, "bottom_m": 150}})
	if r := e.do(http.MethodPost, "/api/v1/compliance/check", registry.RoleBidder, jsonType, body); r.Status != 403 {
		t.Errorf("bidder: %d", r.Status)
	}
	var before int
	e.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM compliance_report`).Scan(&before)
	r := e.do(http.MethodPost, "/api/v1/compliance/check", registry.RolePlanner, jsonType, body)
	if r.Status != 200 {
		t.Fatalf("what-if: %d %s", r.Status, r.Body)
	}
	var rep compliance.Report
	r.json(t, &rep)
	if rep.Verdict != compliance.VerdictFail || len(rep.Reasons) == 0 || !strings.Contains(strings.Join(rep.Reasons, " "), "(redline-003) by ") {
		t.Errorf("what-if verdict %s, reasons %v", rep.Verdict, rep.Reasons)
	}
	var after int
	e.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM compliance_report`).Scan(&after)
	if after != before {
		t.Errorf("a what-if stored a report")
	}

	bad := []struct{ name, body, loc string }{
		{"bow tie", `{"geometry":{"type":"Polygon","coordinates":[[[113.74,32.69],[113.7485,32.697],[113.7485,32.69],[113.74,32.697],[113.74,32.69]]]}}`, "body.geometry"},
		{"no geometry", `{"county_code":"411725"}`, "body.geometry"},
		{"inverted elevation", `{"geometry":{"type":"Polygon","coordinates":[[[113.5,32.7],[113.51,32.7],[113.51,32.71],[113.5,32.71],[113.5,32.7]]]},"elevation":{"top_m":1,"bottom_m":2}}`, "body.elevation"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(http.MethodPost, "/api/v1/compliance/check", registry.RoleBureau, jsonType, []byte(tc.body))
			var p problem
			r.json(t, &p)
			if r.Status != 422 || len(p.Errors) == 0 || p.Errors[0].Location != tc.loc {
				t.Errorf("%d %s", r.Status, r.Body)
			}
		})
	}
}

// TestRulesAndLayerImportOverHTTP: the bureau adds a railway rule and
// layer; a bad layer file is refused whole, naming the feature, and the
// report of a parcel becomes stale when a layer gets a new version.
func TestRulesAndLayerImportOverHTTP(t *testing.T) {
	e := newEnv(t)
	r := e.do(http.MethodGet, "/api/v1/compliance/rules", registry.RolePlanner, "", nil)
	var rules struct {
		Rules    []compliance.Rule   `json:"rules"`
		Settings compliance.Settings `json:"settings"`
	}
	r.json(t, &rules)
	if r.Status != 200 || len(rules.Rules) != 6 || rules.Settings.AreaTolerancePct != 0.1 {
		t.Fatalf("rules: %d %s", r.Status, r.Body)
	}
	for _, rl := range rules.Rules {
		if rl.Effect == compliance.EffectExclude && rl.WarnDistanceM != 300 {
			t.Errorf("%s: default setback %v, want 300 m", rl.LayerKind, rl.WarnDistanceM)
		}
	}
	if r := e.do(http.MethodPut, "/api/v1/compliance/rules/railway", registry.RoleBureau, jsonType,
		[]byte(`{"title":"铁路","effect":"exclude","hard_distance_m":1000,"warn_distance_m":500}`)); r.Status != 422 || !strings.Contains(string(r.Body), "warn_distance_m") {
		t.Errorf("warn below hard: %d %s", r.Status, r.Body)
	}
	if r := e.do(http.MethodPut, "/api/v1/compliance/rules/railway", registry.RolePlanner, jsonType,
		[]byte(`{"title":"铁路","effect":"exclude","hard_distance_m":1000,"warn_distance_m":1000}`)); r.Status != 403 {
		t.Errorf("planner PUT: %d", r.Status)
	}
	if r := e.do(http.MethodPut, "/api/v1/compliance/rules/railway", registry.RoleBureau, jsonType,
		[]byte(`{"title":"铁路 (railway)","effect":"exclude","hard_distance_m":1000,"warn_distance_m":1000}`)); r.Status != 200 {
		t.Fatalf("PUT rule: %d %s", r.Status, r.Body)
	}

	id := parcelID(t, e, 10)
	if r := e.do(http.MethodPost, fmt.Sprintf("/api/v1/parcels/%d/compliance", id), registry.RoleBureau, "", nil); r.Status != 201 {
		t.Fatalf("run: %d %s", r.Status, r.Body)
	}
	sq := `[[113.5,32.7],[113.51,32.7],[113.51,32.71],[113.5,32.71],[113.5,32.7]]`
	badFile := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"ok"},"geometry":{"type":"Polygon","coordinates":[` + sq + `]}},
		{"type":"Feature","properties":{"id":"bow"},"geometry":{"type":"Polygon","coordinates":[[[113.6,32.7],[113.61,32.71],[113.61,32.7],[113.6,32.71],[113.6,32.7]]]}}]}`
	r = e.do(http.MethodPost, "/api/v1/layers/redlines/features", registry.RoleBureau, "application/geo+json", []byte(badFile))
	var p problem
	r.json(t, &p)
	if r.Status != 422 || len(p.Errors) != 1 || p.Errors[0].Location != "body.features[1]" || !strings.Contains(p.Errors[0].Message, "feature 2 (bow)") {
		t.Fatalf("bad file: %d %s", r.Status, r.Body)
	}
	if r := e.do(http.MethodPost, "/api/v1/layers/redlines/features", registry.RolePlanner, "application/geo+json", []byte(badFile)); r.Status != 403 {
		t.Errorf("planner import: %d", r.Status)
	}
	if r := e.do(http.MethodPost, "/api/v1/layers/railways/features", registry.RoleBureau, "application/geo+json", []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"r"},"geometry":{"type":"Polygon","coordinates":[`+sq+`]}}]}`)); r.Status != 422 || !strings.Contains(string(r.Body), "say its kind") {
		t.Errorf("new layer without kind: %d %s", r.Status, r.Body)
	}
	r = e.do(http.MethodPost, "/api/v1/layers/railways/features?kind=railway&source=test", registry.RoleBureau, "application/geo+json",
		[]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"r1","name":"测试铁路"},"geometry":{"type":"Polygon","coordinates":[`+sq+`]}}]}`))
	var imp struct {
		Layer    registry.Layer `json:"layer"`
		Features int            `json:"features"`
		Previous int            `json:"previous_version"`
	}
	r.json(t, &imp)
	if r.Status != 201 || imp.Layer.Version != 1 || imp.Features != 1 || imp.Previous != 0 || imp.Layer.Kind != "railway" {
		t.Fatalf("import: %d %s", r.Status, r.Body)
	}

	r = e.do(http.MethodGet, fmt.Sprintf("/api/v1/parcels/%d/compliance", id), registry.RoleBureau, "", nil)
	var rep compliance.Report
	r.json(t, &rep)
	if !rep.Stale || !strings.Contains(rep.StaleReason, "layer railways (kind railway, version 1) was added after the report") {
		t.Errorf("stale %v %q", rep.Stale, rep.StaleReason)
	}
	r = e.do(http.MethodGet, "/api/v1/layers?all=true", "", "", nil)
	var ls struct {
		Items []registry.Layer `json:"items"`
	}
	r.json(t, &ls)
	var names []string
	for _, l := range ls.Items {
		names = append(names, fmt.Sprintf("%s/%s/v%d", l.Name, l.Kind, l.Version))
	}
	if want := "counties/county/v1 farmland/farmland/v1 mining_rights/mining_right/v1 mining_zones/mining_zone/v1 mountains/mountain/v1 railways/railway/v1 redlines/redline/v1"; strings.Join(names, " ") != want {
		t.Errorf("layers %v, want %s", names, want)
	}
}
