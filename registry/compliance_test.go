package registry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"minerights/compliance"
	"minerights/data"
	"minerights/geo"
	"minerights/registry"
)

// checkByName returns the check named name ("layer:redlines", "parcels",
// "area", "validity").
func checkByName(t *testing.T, rep compliance.Report, name string) compliance.Check {
	t.Helper()
	for _, c := range rep.Checks {
		if c.Check == name {
			return c
		}
	}
	t.Fatalf("report has no check %q; checks: %v", name, checkNames(rep))
	return compliance.Check{}
}

func checkNames(rep compliance.Report) []string {
	var out []string
	for _, c := range rep.Checks {
		out = append(out, c.Check+"="+c.Verdict)
	}
	return out
}

func parcelByNo(t *testing.T, store *registry.Store, no int) registry.Parcel {
	t.Helper()
	ps, _, err := store.ListParcels(context.Background(), registry.ParcelFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.GazetteNo != nil && *p.GazetteNo == no {
			return p
		}
	}
	t.Fatalf("no parcel %d", no)
	return registry.Parcel{}
}

// TestGazetteParcelsComply runs the check on the 11 parcels: each passes or
// warns only about setbacks, and the report states the gazette's facts —
// no overlap with red lines, farmland or protected mountains, inside a
// planned mining zone, inside its county, no collision with another right.
func TestGazetteParcelsComply(t *testing.T) {
	ctx := context.Background()
	store, _ := newStore(t, true)
	for no := 1; no <= 11; no++ {
		t.Run(strconv.Itoa(no), func(t *testing.T) {
			p := parcelByNo(t, store, no)
			rep, err := store.RunCompliance(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rep.Reasons {
				t.Log(r)
			}
			if rep.Verdict == compliance.VerdictFail {
				t.Fatalf("parcel %d fails: %v", no, rep.Reasons)
			}
			for _, c := range rep.Checks {
				for _, h := range c.Hits {
					if h.Severity == compliance.VerdictWarn && !strings.Contains(h.Reason, "without overlapping it (setback") {
						t.Errorf("%s: a warning other than a setback: %s", c.Check, h.Reason)
					}
				}
				if c.Verdict == compliance.VerdictWarn && len(c.Hits) == 0 {
					t.Errorf("%s warns without a hit: %s", c.Check, c.Statement)
				}
			}
			for _, name := range []string{"layer:redlines", "layer:farmland", "layer:mountains", "layer:mining_rights", "parcels"} {
				c := checkByName(t, rep, name)
				for _, h := range c.Hits {
					if h.OverlapM2 != 0 {
						t.Errorf("%s: overlaps %s by %v m²", name, h.FID, h.OverlapM2)
					}
				}
				if c.Verdict == compliance.VerdictPass && !strings.HasPrefix(c.Statement, "does not overlap") {
					t.Errorf("%s: statement %q", name, c.Statement)
				}
			}
			zone := checkByName(t, rep, "layer:mining_zones")
			if zone.Verdict != compliance.VerdictPass || zone.CoveredPct == nil || *zone.CoveredPct < 99.9999 ||
				!strings.HasPrefix(zone.Statement, "lies inside 规划开采区") {
				t.Errorf("mining zone: %s %s", zone.Verdict, zone.Statement)
			}
			county := checkByName(t, rep, "layer:counties")
			if county.Verdict != compliance.VerdictPass || !strings.Contains(county.Statement, p.CountyCode) {
				t.Errorf("county: %s %s", county.Verdict, county.Statement)
			}
			if c := checkByName(t, rep, "area"); c.Verdict != compliance.VerdictPass {
				t.Errorf("area: %s", c.Statement)
			}
			if rep.Stale {
				t.Errorf("fresh report is stale: %s", rep.StaleReason)
			}
			problem, err := store.ComplianceProblem(ctx, p.ID)
			if err != nil || problem != "" {
				t.Errorf("parcel_compliance_problem = %q, %v; want none", problem, err)
			}
		})
	}
}

// fixture is one feature of data/fixtures/conflicts.geojson.
type fixture struct {
	Key, Expect, Reason, Hits, County, Area string
	Top, Bottom                             float64
	Geometry                                orb.MultiPolygon
}

func conflictFixtures(t *testing.T) []fixture {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "data", "fixtures", "conflicts.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		t.Fatal(err)
	}
	var out []fixture
	for _, f := range fc.Features {
		fx := fixture{Key: f.Properties.MustString("fixture"), Expect: f.Properties.MustString("expect"),
			Reason: f.Properties.MustString("reason"), Hits: f.Properties.MustString("hits", ""),
			County: f.Properties.MustString("county_code"), Area: f.Properties.MustString("area_km2"),
			Top: f.Properties.MustFloat64("elevation_top_m"), Bottom: f.Properties.MustFloat64("elevation_bottom_m")}
		switch g := f.Geometry.(type) {
		case orb.Polygon:
			fx.Geometry = orb.MultiPolygon{g}
		case orb.MultiPolygon:
			fx.Geometry = g
		}
		out = append(out, fx)
	}
	if len(out) < 9 {
		t.Fatalf("%d conflict fixtures, want at least 9", len(out))
	}
	return out
}

// fixtureCheck names the check each conflict fixture is about.
var fixtureCheck = map[string]string{
	"overlaps-redline":        "layer:redlines",
	"overlaps-farmland":       "layer:farmland",
	"overlaps-mountain":       "layer:mountains",
	"right-3d-conflict":       "layer:mining_rights",
	"right-vertical-layering": "layer:mining_rights",
	"crosses-county":          "layer:counties",
	"area-mismatch":           "area",
	"outside-mining-zone":     "layer:mining_zones",
	"setback":                 "layer:redlines",
}

// fixtureWords are words the specific reason must contain.
var fixtureWords = map[string][]string{
	"overlaps-redline":        {"overlaps 生态保护红线"},
	"overlaps-farmland":       {"overlaps 永久基本农田"},
	"overlaps-mountain":       {"overlaps 重点保护山体"},
	"right-3d-conflict":       {"3-D conflict", "elevation ranges"},
	"right-vertical-layering": {"vertical layering", "disjoint"},
	"crosses-county":          {"straddles the boundary of 泌阳县 (411726) and 确山县 (411725)"},
	"area-mismatch":           {"is 10.0% larger than the area of the geometry"},
	"outside-mining-zone":     {"lies outside every 规划开采区"},
	"setback":                 {"without overlapping it (setback 300 m)"},
}

// TestConflictFixtures checks each fixture of parcels.md as a what-if: its
// own check gives the expected verdict and reason, naming the feature, with
// the overlap area PostGIS computes itself.
func TestConflictFixtures(t *testing.T) {
	ctx := context.Background()
	store, pool := newStore(t, true)
	fixtures := conflictFixtures(t)
	zonesAround(t, store, fixtures)
	for _, fx := range fixtures {
		t.Run(fx.Key, func(t *testing.T) {
			top, bottom := fx.Top, fx.Bottom
			rep, err := store.CheckGeometry(ctx, compliance.Subject{Name: fx.Key, CountyCode: fx.County, Mineral: "建筑用砂",
				Geometry: fx.Geometry, StatedAreaKm2: fx.Area, ElevationTopM: &top, ElevationBottomM: &bottom})
			if err != nil {
				t.Fatal(err)
			}
			c := checkByName(t, rep, fixtureCheck[fx.Key])
			t.Logf("%s: %s", c.Verdict, c.Statement)
			if c.Verdict != fx.Expect {
				t.Errorf("check %s is %s, want %s (%s): %s", c.Check, c.Verdict, fx.Expect, fx.Reason, c.Statement)
			}
			for _, w := range fixtureWords[fx.Key] {
				if !strings.Contains(c.Statement, w) {
					t.Errorf("statement %q lacks %q", c.Statement, w)
				}
			}
			if !slices.Contains(rep.Reasons, c.Title+": "+c.Statement) {
				t.Errorf("the report's reasons %q do not carry the check's statement", rep.Reasons)
			}
			// The verdict is the worst of the checks, and every other check
			// passes (zonesAround put each fixture in a planned zone).
			for _, o := range rep.Checks {
				if o.Check != c.Check && o.Verdict != compliance.VerdictPass {
					t.Errorf("unrelated check %s is %s: %s", o.Check, o.Verdict, o.Statement)
				}
			}
			if rep.Verdict != fx.Expect {
				t.Errorf("verdict %s, want %s", rep.Verdict, fx.Expect)
			}
			if fx.Hits == "" {
				return
			}
			i := slices.IndexFunc(c.Hits, func(h compliance.Hit) bool { return h.FID == fx.Hits })
			if i < 0 {
				t.Fatalf("no hit on %s: %+v", fx.Hits, c.Hits)
			}
			h := c.Hits[i]
			if !strings.Contains(h.Reason, "("+fx.Hits+")") {
				t.Errorf("reason %q does not name %s", h.Reason, fx.Hits)
			}
			var want2, area float64
			err = pool.QueryRow(ctx, `SELECT ST_Area(ST_Intersection(ST_Transform(f.geom, 4526), ST_Transform(ST_GeomFromGeoJSON($1), 4526))),
					ST_Area(ST_Transform(ST_GeomFromGeoJSON($1), 4526))
				FROM layer_feature f JOIN layer l ON l.id = f.layer_id WHERE l.current AND f.fid = $2`,
				mustJSON(t, fx.Geometry), fx.Hits).Scan(&want2, &area)
			if err != nil {
				t.Fatal(err)
			}
			if h.OverlapM2 != want2 {
				t.Errorf("overlap %v m², PostGIS says %v m²", h.OverlapM2, want2)
			}
			if math.Abs(h.OverlapPct-want2/area*100) > 1e-9 {
				t.Errorf("overlap %v%%, want %v%%", h.OverlapPct, want2/area*100)
			}
		})
	}
}

// zonesAround loads a version of the planned mining zones with a zone
// around each fixture but outside-mining-zone: the fixtures are placed
// without regard to the zones, and each should meet only its own rule.
func zonesAround(t *testing.T, store *registry.Store, fixtures []fixture) {
	t.Helper()
	fc, err := geojson.UnmarshalFeatureCollection(data.Layers()["mining_zones"])
	if err != nil {
		t.Fatal(err)
	}
	var outside orb.Bound
	for _, fx := range fixtures {
		if fx.Key == "outside-mining-zone" {
			outside = fx.Geometry.Bound()
		}
	}
	for _, fx := range fixtures {
		if fx.Key == "outside-mining-zone" {
			continue
		}
		b := fx.Geometry.Bound().Pad(0.002) // about 200 m
		if b.Intersects(outside) {
			t.Fatalf("a zone around %s would reach the outside-mining-zone fixture", fx.Key)
		}
		f := geojson.NewFeature(b.ToPolygon())
		f.Properties = geojson.Properties{"id": "test-zone-" + fx.Key, "name": fx.Key + " 规划开采区 (test)",
			"kind": "规划开采区", "geometry_source": "generated", "county_code": fx.County, "mineral": "建筑用砂", "parcels": []int{}}
		fc.Append(f)
	}
	b, err := fc.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	r, err := geo.NewLayerReader(bytes.NewReader(b), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.ImportLayer(context.Background(), registry.LayerImport{Name: "mining_zones", Features: r, Source: "test: zones around the fixtures"}); err != nil {
		t.Fatal(err)
	}
}

func mustJSON(t *testing.T, mp orb.MultiPolygon) string {
	t.Helper()
	b, err := json.Marshal(geojson.NewGeometry(mp))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestInvalidFixturesRejectedByGeo: the invalid geometries never reach the
// database; geo names the problem.
func TestInvalidFixturesRejectedByGeo(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "data", "fixtures", "invalid.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Fixtures []struct {
			Fixture     string          `json:"fixture"`
			Coordinates json.RawMessage `json:"coordinates"`
		} `json:"fixtures"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, fx := range doc.Fixtures {
		t.Run(fx.Fixture, func(t *testing.T) {
			_, err := geo.ParseGeoJSON([]byte(`{"type":"Polygon","coordinates":` + string(fx.Coordinates) + `}`))
			if err == nil {
				mp, _ := geo.ParseGeoJSON([]byte(`{"type":"Polygon","coordinates":` + string(fx.Coordinates) + `}`))
				err = geo.ValidateLonLat(mp, 38)
			}
			var ge *geo.Error
			if !errors.As(err, &ge) {
				t.Fatalf("accepted, or not a *geo.Error: %v", err)
			}
		})
	}
}

// TestThreeDimensionalRule: the same plan overlap with an existing right is
// a conflict or vertical layering depending on the elevation ranges alone,
// and a review failure when the range is unknown.
func TestThreeDimensionalRule(t *testing.T) {
	ctx := context.Background()
	store, _ := newStore(t, true)
	var fx fixture
	for _, f := range conflictFixtures(t) {
		if f.Key == "right-3d-conflict" {
			fx = f
		}
	}
	f64 := func(v float64) *float64 { return &v }
	tests := []struct {
		name        string
		top, bottom *float64
		verdict     string
		words       string
	}{
		{"ranges overlap", f64(460), f64(210), compliance.VerdictFail, "3-D conflict"},
		{"entirely below", f64(200), f64(100), compliance.VerdictWarn, "vertical layering"},
		{"touching ranges", f64(260), f64(100), compliance.VerdictWarn, "vertical layering"},
		{"entirely above", f64(900), f64(491), compliance.VerdictWarn, "vertical layering"},
		{"unknown", nil, nil, compliance.VerdictFail, "elevation range is unknown"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := store.CheckGeometry(ctx, compliance.Subject{CountyCode: fx.County, Geometry: fx.Geometry,
				ElevationTopM: tc.top, ElevationBottomM: tc.bottom})
			if err != nil {
				t.Fatal(err)
			}
			c := checkByName(t, rep, "layer:mining_rights")
			if c.Verdict != tc.verdict || !strings.Contains(c.Statement, tc.words) {
				t.Errorf("%s: %s, want %s with %q", tc.name, c.Verdict, tc.verdict, tc.words)
			}
		})
	}
}

// TestParcelsAreMiningRights: a second parcel registered over a first one
// conflicts with it in 3-D, and the 11 do not conflict with one another.
func TestParcelsAreMiningRights(t *testing.T) {
	ctx := context.Background()
	store, _ := newStore(t, true)
	p1 := parcelByNo(t, store, 1)
	top, bottom := 300.0, 250.0
	rep, err := store.CheckGeometry(ctx, compliance.Subject{CountyCode: p1.CountyCode, Geometry: p1.Geometry,
		ElevationTopM: &top, ElevationBottomM: &bottom})
	if err != nil {
		t.Fatal(err)
	}
	c := checkByName(t, rep, "parcels")
	if c.Verdict != compliance.VerdictFail || len(c.Hits) != 1 || c.Hits[0].FID != strconv.FormatInt(p1.ID, 10) ||
		math.Abs(c.Hits[0].OverlapPct-100) > 1e-6 || !strings.Contains(c.Statement, "3-D conflict") {
		t.Errorf("parcels check: %s %s %+v", c.Verdict, c.Statement, c.Hits)
	}
	below := 100.0
	rep, err = store.CheckGeometry(ctx, compliance.Subject{CountyCode: p1.CountyCode, Geometry: p1.Geometry,
		ElevationTopM: &below, ElevationBottomM: f64p(0)})
	if err != nil {
		t.Fatal(err)
	}
	if c := checkByName(t, rep, "parcels"); c.Verdict != compliance.VerdictWarn || !strings.Contains(c.Statement, "vertical layering") {
		t.Errorf("below parcel 1: %s %s", c.Verdict, c.Statement)
	}
}

func f64p(v float64) *float64 { return &v }

// TestFarmlandException: the rule table's mineral exceptions turn an
// overlap with farmland from a failure into a warning to review.
func TestFarmlandException(t *testing.T) {
	ctx := context.Background()
	store, _ := newStore(t, true)
	var fx fixture
	for _, f := range conflictFixtures(t) {
		if f.Key == "overlaps-farmland" {
			fx = f
		}
	}
	for _, tc := range []struct{ mineral, verdict string }{
		{"建筑用砂", compliance.VerdictFail},
		{"矿泉水", compliance.VerdictWarn},
		{"萤石", compliance.VerdictWarn},
	} {
		t.Run(tc.mineral, func(t *testing.T) {
			rep, err := store.CheckGeometry(ctx, compliance.Subject{CountyCode: fx.County, Mineral: tc.mineral, Geometry: fx.Geometry})
			if err != nil {
				t.Fatal(err)
			}
			c := checkByName(t, rep, "layer:farmland")
			if c.Verdict != tc.verdict {
				t.Errorf("%s: %s, want %s: %s", tc.mineral, c.Verdict, tc.verdict, c.Statement)
			}
			if tc.verdict == compliance.VerdictWarn && !strings.Contains(c.Statement, "allowed for "+tc.mineral) {
				t.Errorf("statement does not explain the exception: %s", c.Statement)
			}
		})
	}
}

// TestNewLayerKindWithoutCode: a province's 1 km exclusion around railways
// is a layer import plus a rule row; the check picks it up, and existing
// reports become stale.
func TestNewLayerKindWithoutCode(t *testing.T) {
	ctx := context.Background()
	store, _ := newStore(t, true)
	p := parcelByNo(t, store, 9)
	if _, err := store.RunCompliance(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	// A railway strip 600 m east of parcel 9's eastern edge.
	b := p.Geometry.Bound()
	e := b.Max[0] + 600.0/(111320*math.Cos(b.Center()[1]*math.Pi/180))
	rail := orb.Polygon{{{e, b.Min[1] - 0.05}, {e + 0.0003, b.Min[1] - 0.05}, {e + 0.0003, b.Max[1] + 0.05}, {e, b.Max[1] + 0.05}, {e, b.Min[1] - 0.05}}}
	fc := geojson.NewFeatureCollection()
	f := geojson.NewFeature(rail)
	f.Properties = geojson.Properties{"id": "rail-1", "name": "京广铁路 (test strip)"}
	fc.Append(f)
	raw, _ := fc.MarshalJSON()
	r, err := geo.NewLayerReader(strings.NewReader(string(raw)), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.ImportLayer(ctx, registry.LayerImport{Name: "railways", Kind: "railway", Features: r}); err != nil {
		t.Fatal(err)
	}
	// A layer of a kind without a rule changes nothing.
	rep, err := store.CheckGeometry(ctx, registry.SubjectOf(p))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rep.Checks {
		if c.Layer == "railways" {
			t.Fatalf("railways checked without a rule: %+v", c)
		}
	}
	if _, err := store.PutRule(ctx, compliance.Rule{LayerKind: "railway", Title: "铁路 (railway)", Effect: compliance.EffectExclude,
		HardDistanceM: 1000, WarnDistanceM: 1000, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	problem, err := store.ComplianceProblem(ctx, p.ID)
	if err != nil || !strings.Contains(problem, "report is stale") || !strings.Contains(problem, "railways") {
		t.Errorf("after the new rule: %q, %v", problem, err)
	}
	rep, err = store.RunCompliance(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	c := checkByName(t, rep, "layer:railways")
	if c.Verdict != compliance.VerdictFail || !strings.Contains(c.Statement, "inside the 1,000 m exclusion distance") ||
		!strings.Contains(c.Statement, "rail-1") {
		t.Errorf("railway check: %s %s", c.Verdict, c.Statement)
	}
	if rep.Verdict != compliance.VerdictFail || rep.LayerVersions["railways"] != 1 {
		t.Errorf("verdict %s, versions %v", rep.Verdict, rep.LayerVersions)
	}
	problem, _ = store.ComplianceProblem(ctx, p.ID)
	if !strings.HasPrefix(problem, "latest report fails: ") || !strings.Contains(problem, "rail-1") {
		t.Errorf("problem %q", problem)
	}
}

// TestStaleReport: a new version of a layer makes the report stale; the
// parcel cannot be announced until it is checked again.
func TestStaleReport(t *testing.T) {
	ctx := context.Background()
	store, pool := newStore(t, true)
	p := parcelByNo(t, store, 4)
	if problem, _ := store.ComplianceProblem(ctx, p.ID); !strings.HasPrefix(problem, "no compliance report") {
		t.Errorf("before any report: %q", problem)
	}
	if _, err := store.RunCompliance(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	r, err := geo.NewLayerReader(strings.NewReader(string(data.Layers()["redlines"])), 0)
	if err != nil {
		t.Fatal(err)
	}
	l, err := store.ImportLayer(ctx, registry.LayerImport{Name: "redlines", Features: r, Source: "test re-import"})
	if err != nil {
		t.Fatal(err)
	}
	if l.Version != 2 || !l.Current || l.Kind != registry.KindRedline {
		t.Fatalf("re-import: %+v", l)
	}
	rep, err := store.LatestReport(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Stale || !strings.Contains(rep.StaleReason, "layer redlines is now version 2 (report used version 1)") {
		t.Errorf("stale %v %q", rep.Stale, rep.StaleReason)
	}
	problem, _ := store.ComplianceProblem(ctx, p.ID)
	if !strings.HasPrefix(problem, "report is stale: layer redlines is now version 2") {
		t.Errorf("problem %q", problem)
	}
	if _, err := store.RunCompliance(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if problem, _ := store.ComplianceProblem(ctx, p.ID); problem != "" {
		t.Errorf("after re-running: %q", problem)
	}
	name := "renamed"
	if _, err := store.UpdateParcel(ctx, p.ID, registry.ParcelPatch{Name: &name}); err != nil {
		t.Fatal(err)
	}
	if problem, _ := store.ComplianceProblem(ctx, p.ID); !strings.Contains(problem, "the parcel changed since the report") {
		t.Errorf("after an edit: %q", problem)
	}
	if _, err := store.RunCompliance(ctx, p.ID); err != nil {
		t.Fatal(err)
	}

	// Another mining right registered later: a far one changes nothing, one
	// within the 3-D rule's reach makes the report stale; so does its
	// withdrawal after a new report, but not a sale moving its status.
	register := func(name string, g orb.MultiPolygon) registry.Parcel {
		t.Helper()
		top, bottom := 900.0, 800.0
		q, err := store.CreateParcel(ctx, registry.ParcelInput{Name: name, CountyCode: p.CountyCode, Mineral: p.Mineral, Basis: "explored",
			Geometry: g, ElevationTopM: &top, ElevationBottomM: &bottom, SourceDocument: "test", GeometrySource: registry.GeometryGenerated})
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	far := parcelByNo(t, store, 11)
	register("远处新设", far.Geometry)
	if problem, _ := store.ComplianceProblem(ctx, p.ID); problem != "" {
		t.Errorf("after a parcel far away: %q", problem)
	}
	near := register("邻近新设", p.Geometry)
	problem, _ = store.ComplianceProblem(ctx, p.ID)
	if !strings.Contains(problem, fmt.Sprintf("parcel %d (邻近新设), within 300 m, was registered or changed after the report", near.ID)) {
		t.Errorf("after a parcel nearby: %q", problem)
	}
	if _, err := store.RunCompliance(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if rep, err := store.LatestReport(ctx, p.ID); err != nil || rep.Stale {
		t.Fatalf("re-checked: %+v, %v", rep, err)
	}
	if _, err := pool.Exec(ctx, `UPDATE parcel SET status = 'in_sale' WHERE id = $1`, near.ID); err != nil {
		t.Fatal(err)
	}
	if rep, _ := store.LatestReport(ctx, p.ID); rep.Stale {
		t.Errorf("a neighbour's sale status made the report stale: %s", rep.StaleReason)
	}
	withdrawn := registry.StatusWithdrawn
	if _, err := store.UpdateParcel(ctx, near.ID, registry.ParcelPatch{Status: &withdrawn}); err != nil {
		t.Fatal(err)
	}
	if rep, _ := store.LatestReport(ctx, p.ID); !rep.Stale || !strings.Contains(rep.StaleReason, "邻近新设") {
		t.Errorf("after the neighbour's withdrawal: %v %q", rep.Stale, rep.StaleReason)
	}
}

// TestImportAllOrNothing: a file with one bad feature is refused whole,
// naming the feature, and the previous version stays current.
func TestImportAllOrNothing(t *testing.T) {
	ctx := context.Background()
	store, pool := newStore(t, true)
	before, err := store.CurrentLayer(ctx, "farmland")
	if err != nil {
		t.Fatal(err)
	}
	good := `{"type":"Feature","properties":{"id":"a","name":"A"},"geometry":{"type":"Polygon","coordinates":[[[113.5,32.7],[113.51,32.7],[113.51,32.71],[113.5,32.71],[113.5,32.7]]]}}`
	tests := []struct {
		name, file, want string
	}{
		{"self-intersection", `{"type":"FeatureCollection","features":[` + good + `,
			{"type":"Feature","properties":{"id":"bow"},"geometry":{"type":"Polygon","coordinates":[[[113.6,32.7],[113.61,32.71],[113.61,32.7],[113.6,32.71],[113.6,32.7]]]}}]}`,
			"feature 2 (bow)"},
		{"unclosed", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"open"},"geometry":{"type":"Polygon","coordinates":[[[113.5,32.7],[113.51,32.7],[113.51,32.71],[113.5,32.71]]]}},` + good + `]}`,
			"feature 1 (open)"},
		{"duplicate id", `{"type":"FeatureCollection","features":[` + good + `,` + good + `]}`, "feature 2 (a): duplicate feature id"},
		{"point", `{"type":"FeatureCollection","features":[` + good + `,{"type":"Feature","id":"p","properties":{},"geometry":{"type":"Point","coordinates":[113.5,32.7]}}]}`,
			"feature 2 (p): geometry type Point"},
		{"bad elevation", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"e","elevation_top_m":100,"elevation_bottom_m":200},"geometry":{"type":"Polygon","coordinates":[[[113.5,32.7],[113.51,32.7],[113.51,32.71],[113.5,32.71],[113.5,32.7]]]}}]}`,
			"feature 1 (e): elevation_top_m 100 is below"},
		{"broken json", `{"type":"FeatureCollection","features":[` + good + `,{"type":`, "not valid GeoJSON"},
		{"empty", `{"type":"FeatureCollection","features":[]}`, "no features"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := geo.NewLayerReader(strings.NewReader(tc.file), 0)
			if err == nil {
				_, err = store.ImportLayer(ctx, registry.LayerImport{Name: "farmland", Features: r})
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			var le *registry.LayerError
			var ve *registry.ValidationError
			if !errors.As(err, &le) && !errors.As(err, &ve) {
				t.Errorf("error is not a LayerError or ValidationError: %T", err)
			}
			after, err := store.CurrentLayer(ctx, "farmland")
			if err != nil || after.ID != before.ID || after.Version != before.Version {
				t.Errorf("current farmland changed: %+v, %v", after, err)
			}
			var n int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM layer WHERE name = 'farmland'`).Scan(&n); err != nil || n != 1 {
				t.Errorf("%d farmland versions, %v", n, err)
			}
		})
	}
}

// TestImportProjected: a layer in EPSG:4526 (zone-prefixed eastings, found
// from the coordinates) and in a 国土 TXT file lands where the lon/lat
// original is.
func TestImportProjected(t *testing.T) {
	ctx := context.Background()
	store, pool := newStore(t, false)
	ring := orb.Ring{{113.5, 32.7}, {113.51, 32.7}, {113.51, 32.71}, {113.5, 32.71}, {113.5, 32.7}}
	var coords []string
	for _, p := range ring {
		q := geo.Forward(38, p)
		coords = append(coords, "["+strconv.FormatFloat(q[0], 'f', 4, 64)+","+strconv.FormatFloat(q[1], 'f', 4, 64)+"]")
	}
	file := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"x"},"geometry":{"type":"Polygon","coordinates":[[` + strings.Join(coords, ",") + `]]}}]}`
	txt := geo.NewTXT(38, "test", "2026-01-01", geo.BlockFromPolygon(38, orb.Polygon{ring}, geo.BlockHeader{Code: "T1", Name: "测试", Shape: "面"}))
	var sb strings.Builder
	if err := txt.Encode(&sb); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, layer, file, format string }{
		{"geojson 4526", "proj", file, "geojson"},
		{"txt", "txt", sb.String(), "txt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := geo.NewLayerReader(strings.NewReader(tc.file), 0)
			if err != nil {
				t.Fatal(err)
			}
			l, err := store.ImportLayer(ctx, registry.LayerImport{Name: tc.layer, Kind: "test", Features: r})
			if err != nil {
				t.Fatal(err)
			}
			if l.Provenance["srid"] != float64(4526) || l.Provenance["format"] != tc.format {
				t.Errorf("provenance %v", l.Provenance)
			}
			var d float64
			err = pool.QueryRow(ctx, `SELECT ST_HausdorffDistance(ST_Transform(f.geom, 4526), ST_Transform(ST_GeomFromText($1, 4490), 4526))
				FROM layer_feature f WHERE f.layer_id = $2`, "POLYGON((113.5 32.7,113.51 32.7,113.51 32.71,113.5 32.71,113.5 32.7))", l.ID).Scan(&d)
			if err != nil || d > 0.01 {
				t.Errorf("imported polygon is %v m off, %v", d, err)
			}
		})
	}
}

// TestGeoAreaAgreesWithPostGIS: geo's Gauss-Krüger zone 38 area agrees with
// ST_Area(ST_Transform(g, 4526)) within 0.01% on the 11 parcels and on
// random polygons across the city.
func TestGeoAreaAgreesWithPostGIS(t *testing.T) {
	ctx := context.Background()
	store, pool := newStore(t, true)
	ps, _, err := store.ListParcels(ctx, registry.ParcelFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var polys []orb.MultiPolygon
	for _, p := range ps {
		polys = append(polys, p.Geometry)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		c := orb.Point{113.2 + rng.Float64()*1.6, 32.3 + rng.Float64()*1.2}
		n := 3 + rng.IntN(20)
		r := make(orb.Ring, 0, n+1)
		radius := 0.001 + rng.Float64()*0.2
		for i := range n {
			a := 2 * math.Pi * float64(i) / float64(n)
			rr := radius * (0.5 + 0.5*rng.Float64())
			r = append(r, orb.Point{c[0] + rr*math.Cos(a), c[1] + rr*math.Sin(a)})
		}
		r = append(r, r[0])
		polys = append(polys, orb.MultiPolygon{{r}})
	}
	for i, mp := range polys {
		var want float64
		if err := pool.QueryRow(ctx, `SELECT ST_Area(ST_Transform(ST_GeomFromGeoJSON($1), 4526))`, mustJSON(t, mp)).Scan(&want); err != nil {
			t.Fatal(err)
		}
		got := geo.AreaM2(38, mp)
		if math.Abs(got-want)/want > 1e-4 {
			t.Errorf("polygon %d: geo %v m², PostGIS %v m²", i, got, want)
		}
	}
}

// TestInvalidForPostGIS: a MultiPolygon whose polygons overlap passes geo's
// per-polygon checks but not ST_IsValid; the check fails it by name and
// never hands it to GEOS overlay.
func TestInvalidForPostGIS(t *testing.T) {
	ctx := context.Background()
	store, _ := newStore(t, true)
	a := orb.Polygon{{{113.5, 32.7}, {113.51, 32.7}, {113.51, 32.71}, {113.5, 32.71}, {113.5, 32.7}}}
	b := orb.Polygon{{{113.505, 32.705}, {113.515, 32.705}, {113.515, 32.715}, {113.505, 32.715}, {113.505, 32.705}}}
	mp := orb.MultiPolygon{a, b}
	if err := geo.ValidateLonLat(mp, 38); err != nil {
		t.Fatalf("geo refuses it already: %v", err)
	}
	rep, err := store.CheckGeometry(ctx, compliance.Subject{Geometry: mp})
	if err != nil {
		t.Fatal(err)
	}
	c := checkByName(t, rep, "validity")
	if rep.Verdict != compliance.VerdictFail || c.Verdict != compliance.VerdictFail || !strings.Contains(c.Statement, "Self-intersection") || len(rep.Checks) != 1 {
		t.Errorf("%s: %+v", rep.Verdict, rep.Checks)
	}
}
