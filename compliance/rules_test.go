package compliance

import (
	"strings"
	"testing"

	"github.com/twpayne/go-geom"
)

// Pure tests of the rule logic: the figures are given, no database.

func fptr(v float64) *float64 { return &v }

// prism is a volume as the store hands it: a 100 m square's bottom and top
// faces at the given elevations, XYZ (the walls add no Z of their own).
func prism(top, bottom float64) geom.T {
	face := func(z float64) []float64 {
		return []float64{38500000, 3650000, z, 38500100, 3650000, z, 38500100, 3650100, z, 38500000, 3650100, z, 38500000, 3650000, z}
	}
	return geom.NewMultiPolygonFlat(geom.XYZ, append(face(bottom), face(top)...), [][]int{{15}, {30}}).SetSRID(4526)
}

func volumeOf(top, bottom *float64) geom.T {
	if top == nil || bottom == nil {
		return nil
	}
	return prism(*top, *bottom)
}

func TestJudge3D(t *testing.T) {
	tests := []struct {
		name               string
		top, bottom        *float64
		otherTop, otherBot *float64
		want, words        string
		m3                 *float64
	}{
		{"ranges overlap", fptr(460), fptr(210), fptr(490), fptr(260), VerdictFail, "overlap by 200 m (2,000 m³ in common)", fptr(2000)},
		{"disjoint below", fptr(240), fptr(120), fptr(490), fptr(260), VerdictWarn, "disjoint (20 m apart)", fptr(0)},
		{"touching", fptr(260), fptr(120), fptr(490), fptr(260), VerdictWarn, "vertical layering", fptr(0)},
		{"disjoint above", fptr(800), fptr(500), fptr(490), fptr(260), VerdictWarn, "vertical layering", fptr(0)},
		{"ours unknown", nil, nil, fptr(490), fptr(260), VerdictFail, "the parcel's elevation range is unknown", nil},
		{"theirs unknown", fptr(490), fptr(260), nil, nil, VerdictFail, "is unknown", nil},
		{"both unknown", nil, nil, nil, nil, VerdictFail, "both elevation ranges are unknown", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, why, m3 := judge3D(Subject{Volume: volumeOf(tc.top, tc.bottom)},
				Hit{OverlapM2: 10, volume: volumeOf(tc.otherTop, tc.otherBot)}, "right X (r1)", "by 10 m²")
			if got != tc.want || !strings.Contains(why, tc.words) {
				t.Errorf("%s: %q; want %s with %q", got, why, tc.want, tc.words)
			}
			if (m3 == nil) != (tc.m3 == nil) || (m3 != nil && *m3 != *tc.m3) {
				t.Errorf("shared volume %v, want %v", m3, tc.m3)
			}
		})
	}
}

// TestJudge3DReadsTheVolumes: the verdict follows the volumes, not the
// ranges stated beside them, and a plan without Z is no volume.
func TestJudge3DReadsTheVolumes(t *testing.T) {
	subj := Subject{ElevationTopM: fptr(460), ElevationBottomM: fptr(210), Volume: prism(900, 800)}
	other := Hit{OverlapM2: 10, ElevationTopM: fptr(490), ElevationBottomM: fptr(260), volume: prism(490, 260)}
	if got, why, _ := judge3D(subj, other, "right X (r1)", "by 10 m²"); got != VerdictWarn || !strings.Contains(why, "+900…+800 m") {
		t.Errorf("volume above the other: %s %q", got, why)
	}
	flat := geom.NewMultiPolygonFlat(geom.XY, []float64{0, 0, 1, 0, 1, 1, 0, 0}, [][]int{{8}})
	if got, why, _ := judge3D(Subject{Volume: flat}, other, "right X (r1)", "by 10 m²"); got != VerdictFail || !strings.Contains(why, "the parcel's elevation range is unknown") {
		t.Errorf("a plan as the volume: %s %q", got, why)
	}
}

func TestExtentOf(t *testing.T) {
	e, ok := ExtentOf(prism(-20, -150.5))
	if !ok || e != (Extent{BottomM: -150.5, TopM: -20}) {
		t.Errorf("extent %+v %v", e, ok)
	}
	for name, v := range map[string]geom.T{"nil": nil, "empty": geom.NewMultiPolygon(geom.XYZ), "XY": geom.NewPointFlat(geom.XY, []float64{1, 2})} {
		if _, ok := ExtentOf(v); ok {
			t.Errorf("%s: an extent", name)
		}
	}
	if h, ok := (Extent{100, 200}).Shared(Extent{200, 300}); ok || h != 0 {
		t.Errorf("touching extents share %v %v", h, ok)
	}
	if h, ok := (Extent{100, 200}).Shared(Extent{150, 300}); !ok || h != 50 {
		t.Errorf("overlapping extents share %v %v", h, ok)
	}
}

func TestJudgeNear(t *testing.T) {
	rule := Rule{Title: "永久基本农田 (permanent basic farmland)", Effect: EffectExclude, HardDistanceM: 0, WarnDistanceM: 300,
		ExemptMinerals: []string{"矿泉水"}, Exemption: fptrS("allowed for water")}
	tests := []struct {
		name          string
		mineral       string
		overlap, dist float64
		hard          float64
		want, words   string
		kept          bool
	}{
		{"overlap", "建筑用砂", 1200, 0, 0, VerdictFail, "overlaps 永久基本农田 F (f1) by 1,200 m²", true},
		{"overlap exempt", "饮用天然矿泉水", 1200, 0, 0, VerdictWarn, "allowed for 饮用天然矿泉水 (exception 矿泉水)", true},
		{"edge only", "建筑用砂", 0.001, 0, 0, VerdictWarn, "within 0 m", true},
		{"setback", "建筑用砂", 0, 150, 0, VerdictWarn, "within 150 m", true},
		{"exclusion distance", "建筑用砂", 0, 150, 1000, VerdictFail, "inside the 1,000 m exclusion distance", true},
		{"far", "建筑用砂", 0, 301, 0, VerdictPass, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rule
			r.HardDistanceM = tc.hard
			if r.WarnDistanceM < r.HardDistanceM {
				r.WarnDistanceM = r.HardDistanceM
			}
			c := Check{Check: "layer:farmland", Hits: []Hit{{Source: "layer", FID: "f1", Name: "F", OverlapM2: tc.overlap, OverlapPct: 1, DistanceM: tc.dist}}}
			judgeNear(&c, Subject{Mineral: tc.mineral}, r, "src")
			if c.Verdict != tc.want || (len(c.Hits) == 1) != tc.kept || !strings.Contains(c.Statement, tc.words) {
				t.Errorf("%s %q, %d hits; want %s with %q", c.Verdict, c.Statement, len(c.Hits), tc.want, tc.words)
			}
		})
	}
}

func fptrS(s string) *string { return &s }

func TestAreaCheck(t *testing.T) {
	st := Settings{AreaTolerancePct: 0.1}
	tests := []struct {
		name   string
		stated string
		m2     float64
		want   string
	}{
		{"exact", "1.3153", 1315300, VerdictPass},
		{"rounding of 4 decimals", "1.3153", 1315349, VerdictPass},
		{"rounding of 2 decimals", "1.14", 1144900, VerdictPass},
		{"0.1% tolerance", "5.3782", 5372900, VerdictPass},
		{"10% larger", "0.8894", 808540, VerdictFail},
		{"smaller", "0.8", 880000, VerdictFail},
		{"none stated", "", 808540, VerdictPass},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := areaCheck(Subject{StatedAreaKm2: tc.stated}, Measures{Zone: 38, AreaM2: tc.m2, GeoAreaM2: tc.m2}, st)
			if c.Verdict != tc.want {
				t.Errorf("%s: %s", c.Verdict, c.Statement)
			}
		})
	}
	if c := areaCheck(Subject{}, Measures{Zone: 38, AreaM2: 1e6, GeoAreaM2: 1.001e6}, st); c.Verdict != VerdictWarn || !strings.Contains(c.Statement, "independent Gauss-Krüger area") {
		t.Errorf("geo disagreement: %s %s", c.Verdict, c.Statement)
	}
}
