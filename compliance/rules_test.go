package compliance

import (
	"strings"
	"testing"
)

// Pure tests of the rule logic: the figures are given, no database.

func fptr(v float64) *float64 { return &v }

func TestJudge3D(t *testing.T) {
	tests := []struct {
		name               string
		top, bottom        *float64
		otherTop, otherBot *float64
		want, words        string
	}{
		{"ranges overlap", fptr(460), fptr(210), fptr(490), fptr(260), VerdictFail, "overlap by 200 m"},
		{"disjoint below", fptr(240), fptr(120), fptr(490), fptr(260), VerdictWarn, "disjoint (20 m apart)"},
		{"touching", fptr(260), fptr(120), fptr(490), fptr(260), VerdictWarn, "vertical layering"},
		{"disjoint above", fptr(800), fptr(500), fptr(490), fptr(260), VerdictWarn, "vertical layering"},
		{"ours unknown", nil, nil, fptr(490), fptr(260), VerdictFail, "the parcel's elevation range is unknown"},
		{"theirs unknown", fptr(490), fptr(260), nil, nil, VerdictFail, "is unknown"},
		{"both unknown", nil, nil, nil, nil, VerdictFail, "both elevation ranges are unknown"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, why := judge3D(Subject{ElevationTopM: tc.top, ElevationBottomM: tc.bottom},
				Hit{ElevationTopM: tc.otherTop, ElevationBottomM: tc.otherBot}, "right X (r1)", "by 10 m²")
			if got != tc.want || !strings.Contains(why, tc.words) {
				t.Errorf("%s: %q; want %s with %q", got, why, tc.want, tc.words)
			}
		})
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
