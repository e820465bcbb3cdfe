package pages_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"minerights/openapi"
	"minerights/web/pages"
)

// uploadTo posts a multipart form with one file to path, with the CSRF
// token of the page at from.
func (b *browser) uploadTo(from, path string, fields map[string]string, fileName string, file []byte) page {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fields["csrf"] = b.csrf(from)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", fileName)
	_, _ = fw.Write(file)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", b.base+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, header: res.Header, body: string(body)}
}

// TestDeskSetup changes the rule table and the settings, imports a layer
// version (a bad file first: refused, nothing changes) and loads next
// year's calendar (a file for the wrong year first), all on the desk's
// pages; each change is then seen through the API.
func TestDeskSetup(t *testing.T) {
	s := newSite(t, rules(t), 1)
	clerk := s.clerk("setup@zmd.gov.cn")

	// Rules and settings.
	mustContain(t, "rules page", clerk.do("GET", "/desk/compliance", nil), "生态保护红线", "禁止距离", "面积容差")
	p := clerk.post("/desk/compliance", "/desk/compliance/rules/redline", url.Values{"title": {"生态保护红线 (ecological protection red line)"},
		"effect": {"exclude"}, "hard_distance_m": {"50"}, "warn_distance_m": {"500"}, "enabled": {"on"}, "basis": {"生态保护红线管理办法"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("rule: %d\n%s", p.status, p.body)
	}
	var rules struct {
		Rules []struct {
			LayerKind     string  `json:"layer_kind"`
			HardDistanceM float64 `json:"hard_distance_m"`
			WarnDistanceM float64 `json:"warn_distance_m"`
		} `json:"rules"`
		Settings struct {
			AreaTolerancePct float64 `json:"area_tolerance_pct"`
		} `json:"settings"`
	}
	p = clerk.post("/desk/compliance", "/desk/compliance/rules/redline", url.Values{"title": {"红线"}, "effect": {"exclude"},
		"hard_distance_m": {"abc"}, "warn_distance_m": {"500"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "距离须为米数") {
		t.Errorf("a distance that is not a number: %d", p.status)
	}
	if p := clerk.post("/desk/compliance", "/desk/compliance/settings", url.Values{"area_tolerance_pct": {"2.5"}}); p.status != http.StatusSeeOther {
		t.Fatalf("settings: %d\n%s", p.status, p.body)
	}
	s.api(200, "GET", "/api/v1/compliance/rules", "", &rules)
	for _, r := range rules.Rules {
		if r.LayerKind == "redline" && (r.HardDistanceM != 50 || r.WarnDistanceM != 500) {
			t.Errorf("the red-line rule after the edit: %+v", r)
		}
	}
	if rules.Settings.AreaTolerancePct != 2.5 {
		t.Errorf("area tolerance %v", rules.Settings.AreaTolerancePct)
	}

	// Layers: a file that is not GeoJSON is refused and changes nothing.
	p = clerk.uploadTo("/desk/layers", "/desk/layers", map[string]string{"name": "railways", "source": "测试"}, "bad.geojson", []byte(`{"type":"Point"}`))
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "图层未导入，当前版本保持不变") || !strings.Contains(p.body, "请填写图层类别") {
		t.Errorf("a bad layer file: %d\n%s", p.status, p.body)
	}
	fc := `{"type":"FeatureCollection","features":[{"type":"Feature","id":"mountain-test","properties":{"name":"测试山体"},"geometry":{"type":"Polygon","coordinates":[[[114.0,32.9],[114.01,32.9],[114.01,32.91],[114.0,32.91],[114.0,32.9]]]}}]}`
	p = clerk.uploadTo("/desk/layers", "/desk/layers", map[string]string{"name": "mountains", "source": "驻马店市林业局 2026-11"}, "rail.geojson", []byte(fc))
	if p.status != http.StatusSeeOther {
		t.Fatalf("layer import: %d\n%s", p.status, p.body)
	}
	done := clerk.do("GET", p.header.Get("Location"), nil)
	mustContain(t, "the import's summary", done, "已导入为第 2 版", "共 1 个要素", "原第 1 版保留", "驻马店市林业局 2026-11", "第 2 版（在用）")

	// Calendars: the home warns of 2027; a file for another year is refused;
	// 2027 loads and the warning goes.
	mustContain(t, "calendars", clerk.do("GET", "/desk/calendars", nil), "2026", "缺少年度", "2027 年")
	cal := "year: 2027\nsource: 测试用 2027 年节假日安排\nholidays:\n  - name: 元旦\n    from: 2027-01-01\n    to: 2027-01-01\n"
	p = clerk.uploadTo("/desk/calendars", "/desk/calendars", map[string]string{"year": "2028"}, "2027.yaml", []byte(cal))
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "2028 年日历未载入") {
		t.Errorf("a calendar for the wrong year: %d\n%s", p.status, p.body)
	}
	p = clerk.uploadTo("/desk/calendars", "/desk/calendars", map[string]string{"year": "2027"}, "2027.yaml", []byte(cal))
	if p.status != http.StatusOK || !strings.Contains(p.body, "2027 年工作日历已载入（第 1 版）") {
		t.Fatalf("load 2027: %d\n%s", p.status, p.body)
	}
	home := clerk.do("GET", "/desk", nil)
	if strings.Contains(home.body, "calendar-warning") {
		t.Errorf("the desk still warns after 2027 is loaded:\n%s", home.body)
	}
}

// TestAuthorityNamed: the configured issuing authority (MINERIGHTS_AUTHORITY)
// heads every page and the desk.
func TestAuthorityNamed(t *testing.T) {
	s := newSite(t, rules(t), 1)
	mux := http.NewServeMux()
	openapi.New(mux, openapi.Deps{Store: s.db.Store, Transfer: openapi.Transfer{Rules: rules(t)}})
	pages.New(mux, pages.Deps{Accounts: s.db.Store, API: mux}) // no authority configured
	srv := httptest.NewServer(pages.Protect(mux))
	defer srv.Close()
	b := &browser{t: t, base: srv.URL, c: s.browser(0).c}
	mustContain(t, "the default", b.do("GET", "/login", nil), `<span class="issuer">自然资源和规划局</span>`)
	// newSite configures the authority as serve --authority would.
	mustContain(t, "login page", s.browser(0).do("GET", "/login", nil), `<span class="issuer">驻马店市自然资源和规划局</span>`)
}
