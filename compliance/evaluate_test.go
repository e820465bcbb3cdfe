package compliance_test

import (
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"

	"minerights/compliance"
	"minerights/geo"
)

// Table tests of the rule book over rows as the store hands them (the rows
// of compliance_hits), without a database.

func f(v float64) *float64 { return &v }
func s(v string) *string   { return &v }
func id(v int64) *int64    { return &v }

// square is a 1 km × 1 km parcel near 114°E (zone 38).
var square = orb.MultiPolygon{{{{114.0, 33.0}, {114.0107, 33.0}, {114.0107, 33.009}, {114.0, 33.009}, {114.0, 33.0}}}}

var rules = []compliance.Rule{
	{LayerKind: "redline", Title: "生态保护红线 (ecological red line)", Effect: compliance.EffectExclude, WarnDistanceM: 300, Enabled: true},
	{LayerKind: "farmland", Title: "永久基本农田 (permanent basic farmland)", Effect: compliance.EffectExclude, WarnDistanceM: 300,
		ExemptMinerals: []string{"矿泉水"}, Exemption: s("不破坏耕作层"), Enabled: true},
	{LayerKind: "railway", Title: "铁路 (railway)", Effect: compliance.EffectExclude, HardDistanceM: 1000, WarnDistanceM: 1500, Enabled: true},
	{LayerKind: "mining_right", Title: "已设采矿权 (existing mining rights)", Effect: compliance.EffectSeparate3D, WarnDistanceM: 300, Enabled: true},
	{LayerKind: "mining_zone", Title: "规划开采区 (planned mining zones)", Effect: compliance.EffectWithinAny, Enabled: true},
	{LayerKind: "county", Title: "县级行政区 (counties)", Effect: compliance.EffectWithinOwnCounty, WarnDistanceM: 100, Enabled: true},
	{LayerKind: "mountain", Title: "disabled rule", Effect: compliance.EffectExclude, Enabled: false},
}

func layer(lid int64, name, kind string) compliance.Layer {
	r, _ := compliance.RuleOf(rules, kind)
	return compliance.Layer{ID: lid, Name: name, Kind: kind, Version: 1, FeatureCount: 10, Rule: r}
}

var layers = []compliance.Layer{
	layer(1, "redlines", "redline"), layer(2, "farmland", "farmland"), layer(3, "railways", "railway"),
	layer(4, "mining_rights", "mining_right"), layer(5, "mining_zones", "mining_zone"), layer(6, "counties", "county"),
}

const area = 1e6

// quiet is what the rows say of a parcel with nothing near it, inside a
// mining zone and its own county.
func quiet() []compliance.Row {
	return []compliance.Row{
		{What: "nearest", LayerID: id(1), FID: s("r1"), Name: s("R"), DistanceM: f(5000)},
		{What: "hit", LayerID: id(5), FID: s("z1"), Name: s("Z"), OverlapM2: f(area), DistanceM: f(0)},
		{What: "cover", LayerID: id(5), OverlapM2: f(area)},
		{What: "hit", LayerID: id(6), FID: s("411726"), Name: s("泌阳县"), OverlapM2: f(area), DistanceM: f(0), BoundaryM: f(2000)},
	}
}

func subject() compliance.Subject {
	return compliance.Subject{Name: "t", CountyCode: "411726", Mineral: "建筑用砂岩", Geometry: square,
		ElevationTopM: f(460), ElevationBottomM: f(210), Volume: prism(460, 210)}
}

// prism is a right's volume as the store hands it: the bottom and top faces
// of a 100 m square at the given elevations, XYZ.
func prism(top, bottom float64) geom.T {
	face := func(z float64) []float64 {
		return []float64{38500000, 3650000, z, 38500100, 3650000, z, 38500100, 3650100, z, 38500000, 3650100, z, 38500000, 3650000, z}
	}
	return geom.NewMultiPolygonFlat(geom.XYZ, append(face(bottom), face(top)...), [][]int{{15}, {30}}).SetSRID(4526)
}

func measures() compliance.Measures {
	return compliance.Measures{Zone: 38, AreaM2: area, GeoAreaM2: area}
}

func checkOf(t *testing.T, checks []compliance.Check, name string) compliance.Check {
	t.Helper()
	for _, c := range checks {
		if c.Check == name {
			return c
		}
	}
	t.Fatalf("no check %s", name)
	return compliance.Check{}
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name    string
		subj    func(*compliance.Subject)
		rows    []compliance.Row // added to quiet(), replacing its rows of the same layer and What
		check   string
		verdict string
		words   string
	}{
		{name: "nothing near", check: "layer:redlines", verdict: compliance.VerdictPass, words: "nearest R (r1) at 5,000 m"},
		{name: "overlap excludes", check: "layer:redlines", verdict: compliance.VerdictFail, words: "overlaps 生态保护红线 R2 (r2) by 1,200 m² (0.12% of the parcel)",
			rows: []compliance.Row{{What: "hit", LayerID: id(1), FID: s("r2"), Name: s("R2"), OverlapM2: f(1200), DistanceM: f(0)}}},
		{name: "edge contact is a warning", check: "layer:redlines", verdict: compliance.VerdictWarn, words: "within 0 m",
			rows: []compliance.Row{{What: "hit", LayerID: id(1), FID: s("r2"), Name: s("R2"), OverlapM2: f(0.001), DistanceM: f(0)}}},
		{name: "setback warning", check: "layer:redlines", verdict: compliance.VerdictWarn, words: "within 150 m of 生态保护红线 R2 (r2) without overlapping it (setback 300 m)",
			rows: []compliance.Row{{What: "hit", LayerID: id(1), FID: s("r2"), Name: s("R2"), OverlapM2: f(0), DistanceM: f(150)}}},
		{name: "beyond the warning distance", check: "layer:redlines", verdict: compliance.VerdictPass, words: "none within 300 m",
			rows: []compliance.Row{{What: "hit", LayerID: id(1), FID: s("r2"), Name: s("R2"), OverlapM2: f(0), DistanceM: f(300)}}},
		{name: "inside the exclusion distance", check: "layer:railways", verdict: compliance.VerdictFail, words: "lies 800 m from 铁路 L1 (l1), inside the 1,000 m exclusion distance",
			rows: []compliance.Row{{What: "hit", LayerID: id(3), FID: s("l1"), Name: s("L1"), OverlapM2: f(0), DistanceM: f(800)}}},
		{name: "between exclusion and warning distance", check: "layer:railways", verdict: compliance.VerdictWarn, words: "within 1,200 m",
			rows: []compliance.Row{{What: "hit", LayerID: id(3), FID: s("l1"), Name: s("L1"), OverlapM2: f(0), DistanceM: f(1200)}}},
		{name: "farmland exception for the mineral", check: "layer:farmland", verdict: compliance.VerdictWarn, words: "allowed for 饮用天然矿泉水 (exception 矿泉水): 不破坏耕作层",
			subj: func(s *compliance.Subject) { s.Mineral = "饮用天然矿泉水" },
			rows: []compliance.Row{{What: "hit", LayerID: id(2), FID: s("f1"), Name: s("F"), OverlapM2: f(5000), DistanceM: f(0)}}},
		{name: "farmland without exception", check: "layer:farmland", verdict: compliance.VerdictFail, words: "overlaps 永久基本农田 F (f1) by 5,000 m²",
			rows: []compliance.Row{{What: "hit", LayerID: id(2), FID: s("f1"), Name: s("F"), OverlapM2: f(5000), DistanceM: f(0)}}},
		{name: "3-D: elevation ranges overlap", check: "layer:mining_rights", verdict: compliance.VerdictFail, words: "3-D conflict",
			rows: []compliance.Row{{What: "hit", LayerID: id(4), FID: s("m1"), Name: s("M"), OverlapM2: f(2000), DistanceM: f(0), TopM: f(490), BottomM: f(260), Volume: prism(490, 260)}}},
		{name: "3-D: disjoint elevations are layering", check: "layer:mining_rights", verdict: compliance.VerdictWarn, words: "vertical layering",
			rows: []compliance.Row{{What: "hit", LayerID: id(4), FID: s("m1"), Name: s("M"), OverlapM2: f(2000), DistanceM: f(0), TopM: f(200), BottomM: f(100), Volume: prism(200, 100)}}},
		{name: "3-D: unknown elevation fails", check: "layer:mining_rights", verdict: compliance.VerdictFail, words: "cannot be ruled out",
			rows: []compliance.Row{{What: "hit", LayerID: id(4), FID: s("m1"), Name: s("M"), OverlapM2: f(2000), DistanceM: f(0)}}},
		{name: "3-D: registered parcel above", check: "parcels", verdict: compliance.VerdictWarn, words: "registered parcel P (id 7)",
			rows: []compliance.Row{{What: "parcel", FID: s("7"), Name: s("P"), OverlapM2: f(3000), DistanceM: f(0), TopM: f(900), BottomM: f(500), Volume: prism(900, 500)}}},
		{name: "3-D: registered parcel in the same range", check: "parcels", verdict: compliance.VerdictFail, words: "overlap by 250 m (750,000 m³ in common)",
			rows: []compliance.Row{{What: "parcel", FID: s("7"), Name: s("P"), OverlapM2: f(3000), DistanceM: f(0), TopM: f(460), BottomM: f(210), Volume: prism(460, 210)}}},
		{name: "within any: covered", check: "layer:mining_zones", verdict: compliance.VerdictPass, words: "100% of the parcel"},
		{name: "within any: partly outside", check: "layer:mining_zones", verdict: compliance.VerdictFail, words: "250,000 m² (25.00% of the parcel) lies outside every",
			rows: []compliance.Row{
				{What: "hit", LayerID: id(5), FID: s("z1"), Name: s("Z"), OverlapM2: f(750000), DistanceM: f(0)},
				{What: "cover", LayerID: id(5), OverlapM2: f(750000)}}},
		{name: "within any: outside all", check: "layer:mining_zones", verdict: compliance.VerdictFail, words: "lies outside every 规划开采区",
			rows: []compliance.Row{{What: "cover", LayerID: id(5)}, {What: "nearest", LayerID: id(5), FID: s("z9"), Name: s("Z9"), DistanceM: f(4200)}}},
		{name: "own county", check: "layer:counties", verdict: compliance.VerdictPass, words: "lies entirely inside its county 泌阳县 (411726), 2,000 m from the county boundary"},
		{name: "own county, near its boundary", check: "layer:counties", verdict: compliance.VerdictWarn, words: "closer than 100 m",
			rows: []compliance.Row{{What: "hit", LayerID: id(6), FID: s("411726"), Name: s("泌阳县"), OverlapM2: f(area), DistanceM: f(0), BoundaryM: f(40)}}},
		{name: "straddles two counties", check: "layer:counties", verdict: compliance.VerdictFail, words: "straddles the boundary of 泌阳县 (411726) and 确山县 (411725)",
			rows: []compliance.Row{
				{What: "hit", LayerID: id(6), FID: s("411726"), Name: s("泌阳县"), OverlapM2: f(600000), DistanceM: f(0), BoundaryM: f(0)},
				{What: "hit", LayerID: id(6), FID: s("411725"), Name: s("确山县"), OverlapM2: f(400000), DistanceM: f(0)}}},
		{name: "in another county", check: "layer:counties", verdict: compliance.VerdictFail, words: "does not lie in its county 411726: it lies in 确山县 (411725)",
			rows: []compliance.Row{{What: "hit", LayerID: id(6), FID: s("411725"), Name: s("确山县"), OverlapM2: f(area), DistanceM: f(0)}}},
		{name: "any one county", check: "layer:counties", verdict: compliance.VerdictPass, words: "lies entirely inside its county 泌阳县",
			subj: func(s *compliance.Subject) { s.CountyCode = "" }},
		{name: "stated area agrees", check: "area", verdict: compliance.VerdictPass, words: "agrees with the geometry, 1.000000 km² (1,000,000 m²) in EPSG:4526",
			subj: func(s *compliance.Subject) { s.StatedAreaKm2 = "1.00" }},
		{name: "stated area too large", check: "area", verdict: compliance.VerdictFail, words: "is 20.0% larger than the area of the geometry",
			subj: func(s *compliance.Subject) { s.StatedAreaKm2 = "1.2" }},
		{name: "validity", check: "validity", verdict: compliance.VerdictPass, words: "1 polygon(s), 4 corner points"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			subj := subject()
			if tc.subj != nil {
				tc.subj(&subj)
			}
			rows := replace(quiet(), tc.rows)
			checks := compliance.Evaluate(subj, measures(), rules, layers, rows, compliance.Settings{AreaTolerancePct: 0.1})
			c := checkOf(t, checks, tc.check)
			if c.Verdict != tc.verdict || !strings.Contains(c.Statement, tc.words) {
				t.Errorf("%s: %s %q; want %s with %q", tc.check, c.Verdict, c.Statement, tc.verdict, tc.words)
			}
			if v := compliance.VerdictOf(checks); v != worstOf(checks) {
				t.Errorf("VerdictOf = %s, want %s", v, worstOf(checks))
			}
		})
	}
}

// replace puts the new rows in place of the quiet rows of the same layer
// and kind.
func replace(rows, news []compliance.Row) []compliance.Row {
	key := func(r compliance.Row) string {
		if r.LayerID == nil {
			return r.What
		}
		return r.What + string(rune('0'+*r.LayerID))
	}
	drop := map[string]bool{}
	for _, r := range news {
		drop[key(r)] = true
	}
	var out []compliance.Row
	for _, q := range rows {
		if !drop[key(q)] {
			out = append(out, q)
		}
	}
	return append(out, news...)
}

func worstOf(checks []compliance.Check) string {
	v := compliance.VerdictPass
	for _, c := range checks {
		if c.Verdict == compliance.VerdictFail {
			return c.Verdict
		}
		if c.Verdict == compliance.VerdictWarn {
			v = c.Verdict
		}
	}
	return v
}

// TestEvaluateChecks: one check per loaded layer with an enabled rule, a
// warning for an enabled rule without a layer, none for a disabled rule,
// and the parcels check because a separate_3d rule is on.
func TestEvaluateChecks(t *testing.T) {
	withoutRailways := append([]compliance.Layer{}, layers[:2]...)
	withoutRailways = append(withoutRailways, layers[3:]...)
	checks := compliance.Evaluate(subject(), measures(), rules, withoutRailways, quiet(), compliance.Settings{})
	var names []string
	for _, c := range checks {
		names = append(names, c.Check+"="+c.Verdict)
	}
	want := "validity=pass area=pass layer:redlines=pass layer:farmland=pass layer-kind:railway=warn layer:mining_rights=pass layer:mining_zones=pass layer:counties=pass parcels=pass"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("checks\n got %s\nwant %s", got, want)
	}
	c := checkOf(t, checks, "layer-kind:railway")
	if !strings.Contains(c.Statement, "minerights import NAME FILE --kind railway") {
		t.Errorf("missing layer: %q", c.Statement)
	}
	reasons := compliance.ReasonsOf(checks)
	if len(reasons) != 1 || !strings.HasPrefix(reasons[0], "铁路 (railway): no layer of kind railway") {
		t.Errorf("reasons %q", reasons)
	}
	off := append([]compliance.Rule{}, rules...)
	for i := range off {
		if off[i].Effect == compliance.EffectSeparate3D {
			off[i].Enabled = false
		}
	}
	for _, c := range compliance.Evaluate(subject(), measures(), off, layers, quiet(), compliance.Settings{}) {
		if c.Check == "parcels" || c.Check == "layer:mining_rights" {
			t.Errorf("check %s ran with its rule disabled", c.Check)
		}
	}
}

// TestAreaInOwnZone: the area check names the zone it measured in, and
// compares PostGIS's figure with geo's in that zone.
func TestAreaInOwnZone(t *testing.T) {
	for _, zone := range []int{37, 38, 39} {
		m := compliance.Measures{Zone: zone, AreaM2: area, GeoAreaM2: area}
		c := checkOf(t, compliance.Evaluate(subject(), m, rules, layers, quiet(), compliance.Settings{}), "area")
		epsg := geo.EPSGOfZone(zone)
		if !strings.Contains(c.Title, epsg) || !strings.Contains(c.Statement, "in "+epsg) {
			t.Errorf("zone %d: %q %q; want %s", zone, c.Title, c.Statement, epsg)
		}
	}
	m := compliance.Measures{Zone: 39, AreaM2: area, GeoAreaM2: area * 1.001}
	c := checkOf(t, compliance.Evaluate(subject(), m, rules, layers, quiet(), compliance.Settings{}), "area")
	if c.Verdict != compliance.VerdictWarn || !strings.Contains(c.Statement, "independent Gauss-Krüger area") {
		t.Errorf("disagreement: %s %q", c.Verdict, c.Statement)
	}
}

func TestInvalid(t *testing.T) {
	c := compliance.Invalid(square, "Self-intersection[114 33]")
	if c.Verdict != compliance.VerdictFail || !strings.Contains(c.Statement, "Self-intersection") {
		t.Errorf("%s %q", c.Verdict, c.Statement)
	}
	if compliance.VerdictOf([]compliance.Check{c}) != compliance.VerdictFail {
		t.Error("an invalid geometry must fail")
	}
}
