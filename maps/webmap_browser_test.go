package maps_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"minerights/compliance"
	"minerights/maps"
	"minerights/registry"
	"minerights/registry/registrytest"
)

// plannerMapRun is what web/e2e/planner-map.mjs prints.
type plannerMapRun struct {
	Errors, Offsite, Screenshots []string
	Public                       struct {
		mapView
		AfterSwitch      mapView
		Axe              []axeViolation
		ParcelPopup      string
		FeaturePopup     string
		FeaturePopupKind string
		FeatureName      string
		LabelsAtFeature  map[string]int
		Search           map[string][]string
		SearchPopup      string
		GeoJSON          struct {
			Name        string
			Features    int
			Collections []string
			Parcels     int
		}
		TXT struct {
			Name            string
			Headers, Blocks int
			Text            string
		}
	}
	Planner struct {
		mapView
		ParcelPopup string
		Drawn       []int
		Whatif      struct {
			Verdict, Status, Text string
			Report                compliance.Report
			HitLayers             []string
		}
		TxtSource string
		WhatifTXT struct {
			Verdict, Status, Text string
			Report                compliance.Report
			HitLayers             []string
		}
		Axe []axeViolation
	}
	Phone struct {
		Collapsed, PanelVisible bool
		Expanded                string
		MapWidth, MapHeight     float64
		AxeCollapsed, AxeOpen   []axeViolation
		AfterToggle             struct {
			Visible       bool
			Width, Height float64
			Expanded      string
		}
	}
}

type mapView struct {
	Role, Scope, ColourBy string
	VerdictState          map[string]string
	Labels                map[string]int
	PanelText             string
	Legend                []struct{ Colour, Group, Text string }
	Layers                []struct{ Text, Colour, Collection string }
	WhatifVisible         bool
}

type axeViolation struct {
	ID, Impact string
	Nodes      []string
}

// e2eOut is where the browser tests keep their screenshots:
// MINERIGHTS_E2E_OUT, or web/e2e/out (ignored by git).
func e2eOut(t *testing.T, name string) string {
	t.Helper()
	dir := os.Getenv("MINERIGHTS_E2E_OUT")
	if dir == "" {
		dir = filepath.Join("..", "web", "e2e", "out")
	}
	dir = filepath.Join(dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestPlannerMapInChromium drives the map in headless Chromium as the
// public, a planner and the public on a phone (web/e2e/planner-map.mjs):
// the planner sees every parcel's verdict and its report in the popup and
// runs a what-if by drawing a polygon over a red line, which is stored
// nowhere; the public sees only the announced parcel's verdict; labels,
// legend and popups are Chinese and the colours shown together are apart;
// a check-layer feature's popup, search, downloads of the view; the panel
// is collapsed on a phone; axe-core finds no serious or critical violation.
// Screenshots go to web/e2e/out/planner-map (or MINERIGHTS_E2E_OUT).
func TestPlannerMapInChromium(t *testing.T) {
	node := needBrowser(t, "playwright-core", "axe-core")
	db := registrytest.Seeded(t)
	ctx := context.Background()
	reports := map[string]compliance.Report{}
	for id := int64(1); id <= 11; id++ {
		rep, err := db.Store.RunCompliance(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		reports[strconv.FormatInt(id, 10)] = rep
	}
	// Parcel 2 announced: its verdict is public; parcel 1's is not.
	if _, err := db.Pool.Exec(ctx, `UPDATE parcel SET status = 'announced' WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	planner, err := db.Store.CreateToken(ctx, registry.RolePlanner, "规划科", 0)
	if err != nil {
		t.Fatal(err)
	}
	countReports := func() (n int) {
		if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM compliance_report`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := countReports()
	srv := httptest.NewServer(mapHandler(t, db, true))
	t.Cleanup(srv.Close)
	out := e2eOut(t, "planner-map")

	text := run(t, 10*time.Minute, node, "../web/e2e/planner-map.mjs", srv.URL+"/", out, planner)
	var res plannerMapRun
	if err := json.Unmarshal([]byte(strings.TrimSpace(text)), &res); err != nil {
		t.Fatalf("planner-map.mjs printed %q: %v", text, err)
	}
	if len(res.Errors) > 0 || len(res.Offsite) > 0 {
		t.Errorf("page errors %v; requests to other hosts or with a token in the URL %v", res.Errors, res.Offsite)
	}

	// The public: only the announced parcel's verdict.
	pub := res.Public
	if pub.Role != "public" || pub.Scope != "announced" {
		t.Errorf("public view: role %q scope %q", pub.Role, pub.Scope)
	}
	if want := map[string]string{"2": reports["2"].Verdict}; !equalMaps(pub.VerdictState, want) {
		t.Errorf("public map colours verdicts %v, want only %v", pub.VerdictState, want)
	}
	if pub.AfterSwitch.ColourBy != "verdict" || !equalMaps(pub.AfterSwitch.VerdictState, map[string]string{"2": reports["2"].Verdict}) {
		t.Errorf("public, colour by verdict: %s %v", pub.AfterSwitch.ColourBy, pub.AfterSwitch.VerdictState)
	}
	if strings.Contains(pub.ParcelPopup, "核查结论: "+verdictWords[reports["1"].Verdict]) || !strings.Contains(pub.ParcelPopup, "未公开") {
		t.Errorf("public popup of unannounced parcel 1 shows its verdict: %s", pub.ParcelPopup)
	}
	if pub.WhatifVisible {
		t.Error("the public is offered the what-if check")
	}

	// Chinese: panel, legend, layer names; labels drawn.
	for _, v := range []mapView{pub.mapView, pub.AfterSwitch, res.Planner.mapView} {
		if w := englishWords(v.PanelText); len(w) > 0 {
			t.Errorf("panel has English words %v:\n%s", w, v.PanelText)
		}
		for _, l := range v.Legend {
			if !hanOnly(l.Text) {
				t.Errorf("legend entry %q is not Chinese", l.Text)
			}
		}
		for _, l := range v.Layers {
			if !hanOnly(l.Text) {
				t.Errorf("layer name %q is not Chinese", l.Text)
			}
		}
	}
	for _, w := range []string{"已登记", "公告中", "出让中", "已成交", "流拍", "已撤回", "生态保护红线", "永久基本农田", "重点保护山体", "规划开采区", "现有采矿权"} {
		if !strings.Contains(pub.PanelText, w) {
			t.Errorf("panel lacks %q", w)
		}
	}
	if pub.Labels["parcels-label"] != 11 || pub.Labels["counties-label"] == 0 {
		t.Errorf("overview labels: %v", pub.Labels)
	}
	if pub.LabelsAtFeature["redlines-label"] == 0 {
		t.Errorf("no red-line labels at zoom 14: %v", pub.LabelsAtFeature)
	}
	checkPalette(t, pub.mapView)
	checkPalette(t, pub.AfterSwitch)

	// A check-layer feature's popup; search; downloads.
	if pub.FeaturePopupKind != "redlines" || !strings.Contains(pub.FeaturePopup, pub.FeatureName) || !strings.Contains(pub.FeaturePopup, "要素编号") {
		t.Errorf("red-line popup (%s): %s", pub.FeaturePopupKind, pub.FeaturePopup)
	}
	if s := pub.Search["确山"]; len(s) != 6 || s[1] != "县区: 确山县" {
		t.Errorf("search 确山: %q", s)
	}
	if s := pub.Search["5"]; len(s) != 2 || !strings.HasPrefix(s[1], "5号 ") {
		t.Errorf("search 5: %q", s)
	}
	if s := pub.Search["花岗岩"]; len(s) < 4 || !strings.Contains(s[1], "花岗岩") {
		t.Errorf("search 花岗岩: %q", s)
	}
	if !strings.Contains(pub.SearchPopup, "公告序号") {
		t.Errorf("search result opened %q", pub.SearchPopup)
	}
	if g := pub.GeoJSON; g.Parcels != 11 || !containsAll(g.Collections, "parcels", "counties", "redlines") || !strings.HasSuffix(g.Name, ".geojson") {
		t.Errorf("GeoJSON of the view: %+v", g)
	}
	if x := pub.TXT; x.Headers != 1 || x.Blocks < 11 || !strings.Contains(x.Text, "带号=38") {
		t.Errorf("TXT of the view: %d headers, %d blocks", x.Headers, x.Blocks)
	}

	// The planner: every verdict, the report in the popup.
	pl := res.Planner
	want := map[string]string{}
	for id, r := range reports {
		want[id] = r.Verdict
	}
	if pl.Role != "planner" || pl.Scope != "all" || pl.ColourBy != "verdict" || !equalMaps(pl.VerdictState, want) || !pl.WhatifVisible {
		t.Errorf("planner view: role %q scope %q colour %q verdicts %v (want %v) what-if %v", pl.Role, pl.Scope, pl.ColourBy, pl.VerdictState, want, pl.WhatifVisible)
	}
	if !strings.Contains(pl.ParcelPopup, "核查结论: "+verdictWords[reports["1"].Verdict]) {
		t.Errorf("planner popup of parcel 1 lacks its verdict %s: %s", reports["1"].Verdict, pl.ParcelPopup)
	}
	for _, c := range reports["1"].Checks {
		for _, h := range c.Hits {
			if h.Severity == compliance.VerdictWarn || h.Severity == compliance.VerdictFail {
				figure := fmt.Sprintf("%s m", groupDigits(h.DistanceM))
				if h.OverlapM2 > 0 {
					figure = groupDigits(h.OverlapM2) + " m²"
				}
				if !strings.Contains(pl.ParcelPopup, h.Name) || !strings.Contains(pl.ParcelPopup, figure) {
					t.Errorf("planner popup lacks %s with %s: %s", h.Name, figure, pl.ParcelPopup)
				}
			}
		}
	}

	// The what-if: drawn over a red line, it fails on the overlap.
	w := pl.Whatif
	if len(pl.Drawn) != 1 || pl.Drawn[0] != 5 {
		t.Errorf("drawn polygons (ring lengths) %v, want one square", pl.Drawn)
	}
	if w.Verdict != "fail" || w.Report.Verdict != "fail" || !strings.Contains(w.Text, "核查结论: 不通过") || !strings.Contains(w.Text, "生态保护红线") || !strings.Contains(w.Text, "重叠") {
		t.Errorf("what-if: %s %s: %s", w.Verdict, w.Status, w.Text)
	}
	overlap := 0.0
	for _, c := range w.Report.Checks {
		if c.Layer == "redlines" {
			for _, h := range c.Hits {
				overlap += h.OverlapM2
			}
		}
	}
	if overlap <= 0 || !strings.Contains(w.Text, groupDigits(overlap)) || !containsAll(w.HitLayers, "redlines-hit-0") {
		t.Errorf("what-if overlap %v m² not shown (%v): %s", overlap, w.HitLayers, w.Text)
	}
	// The what-if from parcel 3's TXT file finds parcel 3 under it.
	wt := pl.WhatifTXT
	var under *compliance.Hit
	for _, c := range wt.Report.Checks {
		for i, h := range c.Hits {
			if c.Check == "parcels" && h.FID == "3" && h.OverlapM2 > 0 {
				under = &c.Hits[i]
			}
		}
	}
	if !strings.Contains(pl.TxtSource, "地块3.txt") || under == nil || wt.Verdict != wt.Report.Verdict || wt.Verdict == "pass" ||
		!strings.Contains(wt.Text, "已登记地块") || !strings.Contains(wt.Text, groupDigits(under.OverlapM2)) || !strings.Contains(" "+strings.Join(wt.HitLayers, " "), " parcels-hit-") {
		t.Errorf("what-if from TXT (%s): %s %s, hits %v: %s", pl.TxtSource, wt.Verdict, wt.Status, wt.HitLayers, wt.Text)
	}
	if n := countReports(); n != before {
		t.Errorf("the what-if stored a report: %d reports, were %d", n, before)
	}

	// The phone, and axe-core everywhere.
	ph := res.Phone
	if !ph.Collapsed || ph.PanelVisible || ph.Expanded != "false" || ph.MapWidth != 390 || ph.MapHeight != 844 {
		t.Errorf("phone: panel collapsed %v visible %v expanded %s, map %vx%v", ph.Collapsed, ph.PanelVisible, ph.Expanded, ph.MapWidth, ph.MapHeight)
	}
	if !ph.AfterToggle.Visible || ph.AfterToggle.Expanded != "true" || ph.AfterToggle.Width > 390 || ph.AfterToggle.Height > 844*0.7 {
		t.Errorf("phone, panel opened: %+v", ph.AfterToggle)
	}
	for name, v := range map[string][]axeViolation{"public": pub.Axe, "planner": pl.Axe, "phone": ph.AxeCollapsed, "phone, panel open": ph.AxeOpen} {
		if len(v) > 0 {
			t.Errorf("axe-core, %s: %+v", name, v)
		}
	}
	if len(res.Screenshots) != 9 {
		t.Errorf("screenshots %v", res.Screenshots)
	}
	for _, s := range res.Screenshots {
		if fi, err := os.Stat(s); err != nil || fi.Size() < 10000 {
			t.Errorf("screenshot %s: %v", s, err)
		}
	}
}

var verdictWords = map[string]string{"pass": "通过", "warn": "警告", "fail": "不通过"}

var latinWord = regexp.MustCompile(`[A-Za-z]{3,}`)

// englishWords are the Latin words of a text other than names of formats
// and standards.
func englishWords(s string) []string {
	var out []string
	for _, w := range latinWord.FindAllString(s, -1) {
		switch w {
		case "GeoJSON", "TXT", "OGC", "API", "EPSG":
		default:
			out = append(out, w)
		}
	}
	return out
}

var hanRune = regexp.MustCompile(`\p{Han}`)

func hanOnly(s string) bool { return hanRune.MatchString(s) && len(englishWords(s)) == 0 }

// checkPalette: the parcel colours of the legend and the colours of every
// check layer and the county base differ pairwise by CIE76 ΔE ≥ 20 (about
// what tells two swatches apart at a glance).
func checkPalette(t *testing.T, v mapView) {
	t.Helper()
	type swatch struct{ name, hex string }
	var all []swatch
	for _, l := range v.Legend {
		if l.Group == "parcels" {
			all = append(all, swatch{"地块 " + l.Text, l.Colour})
		}
	}
	for _, l := range v.Layers {
		if l.Collection != "parcels" && l.Collection != "basemap" {
			all = append(all, swatch{l.Text, l.Colour})
		}
	}
	if len(all) < 10 {
		t.Fatalf("palette of %d colours: %+v %+v", len(all), v.Legend, v.Layers)
	}
	for i := range all {
		for j := i + 1; j < len(all); j++ {
			if d := deltaE(all[i].hex, all[j].hex); d < 20 {
				t.Errorf("%s %s and %s %s collide: ΔE %.1f", all[i].name, all[i].hex, all[j].name, all[j].hex, d)
			}
		}
	}
}

// deltaE is the CIE76 distance of two sRGB colours (#rrggbb) in CIELAB (D65).
func deltaE(a, b string) float64 {
	la, lb := lab(a), lab(b)
	return math.Sqrt((la[0]-lb[0])*(la[0]-lb[0]) + (la[1]-lb[1])*(la[1]-lb[1]) + (la[2]-lb[2])*(la[2]-lb[2]))
}

func lab(hex string) [3]float64 {
	var c [3]float64
	for i := range c {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		x := float64(v) / 255
		if x <= 0.04045 {
			c[i] = x / 12.92
		} else {
			c[i] = math.Pow((x+0.055)/1.055, 2.4)
		}
	}
	X := (0.4124*c[0] + 0.3576*c[1] + 0.1805*c[2]) / 0.95047
	Y := 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]
	Z := (0.0193*c[0] + 0.1192*c[1] + 0.9505*c[2]) / 1.08883
	f := func(t float64) float64 {
		if t > 0.008856 {
			return math.Cbrt(t)
		}
		return 7.787*t + 16.0/116
	}
	return [3]float64{116*f(Y) - 16, 500 * (f(X) - f(Y)), 200 * (f(Y) - f(Z))}
}

// groupDigits writes x rounded to a whole number with thousands commas, as
// the page's zh-CN number format does.
func groupDigits(x float64) string {
	s := strconv.FormatInt(int64(math.Round(x)), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func containsAll(have []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			found = found || h == w
		}
		if !found {
			return false
		}
	}
	return true
}

// TestWebMapBasemapInChromium: with a base map configured on another host
// (here a second local server), the page requests nothing from it until the
// base map is turned on, then draws its tiles with its attribution.
func TestWebMapBasemapInChromium(t *testing.T) {
	node := needBrowser(t, "playwright-core")
	var tile bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 256, 256))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.RGBA{0xa6, 0xd8, 0x54, 0xff}}, image.Point{}, draw.Src)
	if err := png.Encode(&tile, img); err != nil {
		t.Fatal(err)
	}
	var served atomic.Int64
	tiles := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		_, _ = w.Write(tile.Bytes())
	}))
	t.Cleanup(tiles.Close)
	db := registrytest.Seeded(t)
	srv := httptest.NewServer(mapHandlerWith(t, db, maps.Config{Basemap: maps.Basemap{URL: tiles.URL + "/{z}/{x}/{y}.png", Attribution: "测试底图"}}, false))
	t.Cleanup(srv.Close)
	shot := filepath.Join(e2eOut(t, "basemap"), "basemap-on.png")
	text := run(t, 5*time.Minute, node, "../web/e2e/basemap.mjs", srv.URL+"/", shot)
	var res struct {
		Errors, OffsiteBefore, OffsiteAfter []string
		Toggle                              *struct {
			Checked bool
			Label   string
		}
		Visibility, Attribution string
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(text)), &res); err != nil {
		t.Fatalf("basemap.mjs printed %q: %v", text, err)
	}
	if len(res.Errors) > 0 || len(res.OffsiteBefore) > 0 {
		t.Errorf("errors %v; requests before the base map was turned on %v", res.Errors, res.OffsiteBefore)
	}
	if res.Toggle == nil || res.Toggle.Checked || !strings.Contains(res.Toggle.Label, "底图") {
		t.Errorf("base-map switch: %+v", res.Toggle)
	}
	if res.Visibility != "visible" || len(res.OffsiteAfter) == 0 || served.Load() == 0 || !strings.Contains(res.Attribution, "测试底图") {
		t.Errorf("base map on: visibility %q, %d requests (%d served), attribution %q", res.Visibility, len(res.OffsiteAfter), served.Load(), res.Attribution)
	}
	for _, u := range res.OffsiteAfter {
		if !strings.HasPrefix(u, tiles.URL+"/") {
			t.Errorf("request to %s", u)
		}
	}
}
