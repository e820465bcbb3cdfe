package pages

import (
	"strings"
	"testing"
)

// A 3-D conflict's hit names the volume the two rights share; vertical
// layering (0 m³) and a hit without a volume say nothing of one.
func TestHitWordsSayTheSharedVolume(t *testing.T) {
	top, bottom, shared, none := 600.0, 200.0, 19547760.4, 0.0
	c := check{Hits: []hit{
		{Name: "甲矿", OverlapM2: 48869.4, OverlapPct: 12.5, ElevationTopM: &top, ElevationBottomM: &bottom, OverlapM3: &shared, Severity: "fail"},
		{Name: "乙矿", OverlapM2: 48869.4, OverlapPct: 12.5, ElevationTopM: &top, ElevationBottomM: &bottom, OverlapM3: &none, Severity: "warn"},
		{Name: "丙矿", DistanceM: 120, Severity: "warn"},
	}}
	words := hitWords("采矿权", c)
	if len(words) != 3 {
		t.Fatalf("%d lines for 3 hits: %q", len(words), words)
	}
	if !strings.Contains(words[0], "与对方共用开采空间 19,547,760 立方米") {
		t.Errorf("a 3-D conflict does not name the shared volume: %s", words[0])
	}
	for _, w := range words[1:] {
		if strings.Contains(w, "立方米") {
			t.Errorf("a hit that shares no volume names one: %s", w)
		}
	}
}
