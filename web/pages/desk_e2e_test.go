package pages_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// deskResult is what web/e2e/desk-parcels.mjs saw.
type deskResult struct {
	pageReport
	Home, CalendarWarning        string
	ParcelRows                   int
	FilteredCounties             []string
	Problem, ProblemAlert        string
	SaveOfferedOnError           bool
	PreviewArea                  string
	PreviewMap                   bool
	PreviewCorners               int
	ParcelURL, Figures, NoReport string
	Verdict, Layers              string
	Checks                       []string
	PhoneOverflow                int
	UploadStatus                 []string
	LayerSummary, LayerVersions  string
	Calendars                    string
	PreviewMapDrawn, ReportMap   mapDrawn
	Overlaps, Legend             string
	Latin                        []string
}

// mapDrawn is what desk-map.js drew (the map's data attributes).
type mapDrawn struct {
	State                             string
	Parcel, Corners, Overlaps, Labels int
	Error                             string
}

// TestDeskParcelsInChromium runs the clerk's parcel jobs in headless
// Chromium (web/e2e/desk-parcels.mjs): sign in, the desk's home with its
// calendar warning, the parcels table and its county filter, registering a
// parcel from an uploaded TXT file (a self-intersecting one first, refused
// at its line and corners; then the fixed one, previewed with its map and
// area, saved), running the check and reading the report; the same at a
// phone's size. axe-core on every page, a screenshot of each.
func TestDeskParcelsInChromium(t *testing.T) {
	node := needBrowser(t)
	s := newSite(t, rules(t), 1)
	s.clerk("desk@zmd.gov.cn")
	good, bad := exampleTXT(t)
	// A parcel already registered where the clerk's file lies: the report
	// then has an overlap for the map to draw.
	body, _ := json.Marshal(map[string]any{"name": "刘庄相邻地块（已登记）", "county_code": "411726", "mineral": "饰面用花岗岩",
		"basis": "explored", "corners_txt": string(good)})
	s.api(201, "POST", "/api/v1/parcels", string(body), nil)
	dir := t.TempDir()
	goodPath, badPath := filepath.Join(dir, "good.txt"), filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(goodPath, good, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(badPath, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	shots := screenshotDir(t)
	var res deskResult
	runScript(t, context.Background(), 5*time.Minute, node, "desk-parcels.mjs", []string{"BASE=" + s.urls[0], "LOGIN=desk@zmd.gov.cn", "PASSWORD=" + pw, "GOOD=" + goodPath, "BAD=" + badPath, "SHOTS=" + shots}, &res, &res.pageReport)
	if !strings.Contains(res.Home, "已登记") || !strings.Contains(res.CalendarWarning, "2027") {
		t.Errorf("desk home %q, calendar warning %q", res.Home, res.CalendarWarning)
	}
	if res.ParcelRows < 11 || len(res.FilteredCounties) != 1 || res.FilteredCounties[0] != "泌阳县" {
		t.Errorf("parcels table: %d rows; filtered by 泌阳县: counties %v", res.ParcelRows, res.FilteredCounties)
	}
	for _, want := range []string{"第 15 行", "第 1 地块", "第 1 圈", "拐点 J2", "边界自相交", "J2–J3", "J5–J6"} {
		if !strings.Contains(res.Problem, want) {
			t.Errorf("the self-intersection's message lacks %q: %s", want, res.Problem)
		}
	}
	if !strings.Contains(res.ProblemAlert, "第 15 行") || res.SaveOfferedOnError {
		t.Errorf("alert %q; save offered on a refused file: %v", res.ProblemAlert, res.SaveOfferedOnError)
	}
	if !strings.Contains(res.PreviewArea, "平方公里") || !res.PreviewMap || res.PreviewCorners != 14 {
		t.Errorf("preview: %q, map %v, %d corners", res.PreviewArea, res.PreviewMap, res.PreviewCorners)
	}
	for _, want := range []string{"浏览器登记", "1234.50 万元", "壹仟贰佰叁拾肆万伍仟元整", "692 米至 192 米", "泌阳县"} {
		if !strings.Contains(res.Figures, want) {
			t.Errorf("the parcel's figures lack %q: %s", want, res.Figures)
		}
	}
	if !strings.Contains(res.NoReport, "尚未进行合规检查") || !strings.Contains(res.Verdict, "结论") {
		t.Errorf("before the check %q, after %q", res.NoReport, res.Verdict)
	}
	res.checkReport(t)
	if len(res.Latin) > 0 {
		t.Errorf("English on the desk: %v", res.Latin)
	}
	mustHaveScreenshots(t, shots, "desk-home", "desk-parcels", "desk-parcels-filtered", "desk-parcel-new", "desk-parcel-new-error", "desk-parcel-preview",
		"desk-parcel", "desk-parcel-report", "desk-parcel-map", "desk-rules", "desk-layers", "desk-layers-imported", "desk-calendars", "desk-home-phone", "desk-parcel-phone", "desk-parcel-new-phone")
}

// checkReport checks what the clerk read after the compliance check: the
// report in Chinese with its layer versions and map, the layer upload and
// the calendars.
func (res deskResult) checkReport(t *testing.T) {
	t.Helper()
	joined := strings.Join(res.Checks, "\n")
	for _, want := range []string{"几何有效性｜通过", "面积核对｜", "生态保护红线", "与其他已登记地块｜"} {
		if !strings.Contains(joined, want) {
			t.Errorf("the report lacks %q:\n%s", want, joined)
		}
	}
	for _, c := range res.Checks {
		words := c[strings.LastIndex(c, "｜")+len("｜"):]
		if strings.HasPrefix(words, "does ") || strings.HasPrefix(words, "the ") || strings.HasPrefix(words, "lies ") {
			t.Errorf("a check speaks English: %s", c)
		}
	}
	if !strings.Contains(res.Layers, "redlines：第 1 版") {
		t.Errorf("layer versions: %s", res.Layers)
	}
	joined = strings.Join(res.UploadStatus, "\n")
	if !strings.Contains(joined, "已上传") || !strings.Contains(joined, "KiB") || !strings.Contains(res.LayerSummary, "已导入为第 2 版") ||
		!strings.Contains(res.LayerVersions, "浏览器上传") {
		t.Errorf("layer upload: progress %q, summary %q, versions %q", res.UploadStatus, res.LayerSummary, res.LayerVersions)
	}
	if !strings.Contains(res.Calendars, "2026") {
		t.Errorf("calendars: %s", res.Calendars)
	}
	if res.PhoneOverflow > 0 {
		t.Errorf("the parcel page is %d px wider than a phone", res.PhoneOverflow)
	}
	// The parcel's map: MapLibre drew the outline, its 12 corners (the 14
	// rows of the corner table less the two that close the rings) with
	// their numbers and, after the check, the overlap with the parcel
	// registered there, labelled with its area, in the legend and the table.
	if m := res.ReportMap; m.State != "loaded" || m.Parcel == 0 || m.Corners != 12 || m.Overlaps == 0 || m.Labels == 0 || m.Error != "" {
		t.Errorf("the report's map drew %+v", m)
	}
	for _, want := range []string{"刘庄相邻地块（已登记）", "不通过"} {
		if !strings.Contains(res.Overlaps, want) {
			t.Errorf("the overlap table lacks %q: %s", want, res.Overlaps)
		}
	}
	if !strings.Contains(res.Legend, "矿区范围") || !strings.Contains(res.Legend, "重叠（不通过）") {
		t.Errorf("the legend: %s", res.Legend)
	}
}
