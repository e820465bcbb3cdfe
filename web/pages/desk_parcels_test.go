package pages_test

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// clerk makes a bureau account and signs it in on the pages.
func (s *site) clerk(login string) *browser {
	s.t.Helper()
	s.api(http.StatusCreated, "POST", "/api/v1/accounts",
		fmt.Sprintf(`{"role":"bureau","login":%q,"name":"登记科王五","password":%q}`, login, pw), nil)
	b := s.browser(0)
	p := b.post("/login", "/login", url.Values{"login": {login}, "password": {pw}, "next": {"/desk"}})
	if p.status != http.StatusSeeOther {
		s.t.Fatalf("clerk sign-in: %d\n%s", p.status, p.body)
	}
	return b
}

// upload posts the registration form with a file, as the browser does.
func (b *browser) upload(fields map[string]string, fileName string, file []byte) page {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fields["csrf"] = b.csrf("/desk/parcels/new")
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if file != nil {
		fw, _ := mw.CreateFormFile("file", fileName)
		_, _ = fw.Write(file)
	}
	_ = mw.Close()
	req, _ := http.NewRequest("POST", b.base+"/desk/parcels/new", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, header: res.Header, body: string(body)}
}

// exampleTXT is the example corner file's first block, and the same with
// two corners of the outer ring swapped, so that its boundary crosses itself.
func exampleTXT(t *testing.T) (good, bad []byte) {
	t.Helper()
	good, err := os.ReadFile("../../geo/testdata/liuzhuang.txt")
	if err != nil {
		t.Fatal(err)
	}
	// One block only: the first, so that the test's parcel is simple.
	s := string(good)
	if i := strings.Index(s, "\n6,9.6121"); i > 0 {
		s = s[:i+1]
	}
	good = []byte(s)
	// J3 and J5 trade coordinates: the boundary then crosses itself.
	j3, j5 := "J3,1,3624595.60,38434395.18", "J5,1,3623702.83,38434588.06"
	r := strings.NewReplacer(j3, "J3,1,3623702.83,38434588.06", j5, "J5,1,3624595.60,38434395.18")
	bad = []byte(r.Replace(s))
	return good, bad
}

// TestDeskParcels registers a parcel on the desk from an uploaded TXT file:
// a self-intersecting file is refused at its line and corners, in Chinese,
// and stores nothing; the fixed file is previewed with its area and saved;
// the check runs and its report reads in Chinese; an edit from a stale form
// is refused with the conflict explained. Visitors and bidders do not get
// the desk.
func TestDeskParcels(t *testing.T) {
	s := newSite(t, rules(t), 1)
	clerk := s.clerk("wangwu@zmd.gov.cn")
	deskGates(t, s, clerk)
	id := registerOnDesk(t, s, clerk)
	overlapOnDesk(t, s, clerk, id)
	editRaceOnDesk(t, s, clerk, id)
}

// deskGates: the desk's home, who may not use the desk, and a filter of
// the parcels table.
func deskGates(t *testing.T, s *site, clerk *browser) {
	t.Helper()
	home := clerk.do("GET", "/desk", nil)
	mustContain(t, "desk home", home, "业务办理", "已登记", "/desk/parcels/new", "/desk/sales", "/desk/accounts", "/desk/audit",
		"工作日历缺少年度", "2027 年")
	if v := s.browser(0).do("GET", "/desk", nil); v.status != http.StatusSeeOther || !strings.Contains(v.header.Get("Location"), "/login?next=") {
		t.Errorf("a visitor at /desk: %d %s", v.status, v.header.Get("Location"))
	}
	// A form posted without a session (it ended meanwhile) is refused, not
	// redirected to sign in, which would lose it.
	for _, path := range []string{"/desk/parcels/1/edit", "/desk/parcels/1/compliance", "/desk/compliance/settings", "/desk/sales"} {
		if v := s.browser(0).do("POST", path, url.Values{"name": {"改名"}, "area_tolerance_pct": {"5"}}); v.status != http.StatusUnauthorized || !strings.Contains(v.body, "登录已失效") {
			t.Errorf("a visitor's post to %s: %d %s", path, v.status, v.header.Get("Location"))
		}
	}
	bidder, _ := s.register(companies[0])
	if b := bidder.do("GET", "/desk/parcels", nil); b.status != http.StatusForbidden {
		t.Errorf("a bidder at /desk/parcels: %d", b.status)
	}

	list := clerk.do("GET", "/desk/parcels?county="+url.QueryEscape("泌阳县"), nil)
	mustContain(t, "parcels filtered by county", list, "泌阳县")
	if strings.Contains(list.body, "<td class=\"nowrap\">确山县</td>") {
		t.Errorf("the county filter lets other counties through")
	}
}

// deskParcelFields are the registration form's fields for the example file.
func deskParcelFields() map[string]string {
	return map[string]string{"name": "河南省泌阳县刘庄饰面花岗岩矿（桌面登记）", "county_code": "411726", "mineral": "饰面用花岗岩",
		"basis": "explored", "top_m": "692", "bottom_m": "192", "price_wan": "1234.5", "action": "preview"}
}

// registerOnDesk: a file with a problem is refused at its line, the fixed
// file previews without storing anything, then is saved and checked; it
// answers the new parcel's id.
func registerOnDesk(t *testing.T, s *site, clerk *browser) string {
	t.Helper()
	good, bad := exampleTXT(t)
	var before int
	s.api(200, "GET", "/api/v1/parcels?limit=1", "", &struct {
		Total *int `json:"total"`
	}{&before})
	p := clerk.upload(deskParcelFields(), "刘庄.txt", bad)
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("a self-intersecting file: %d\n%s", p.status, p.body)
	}
	mustContain(t, "the self-intersecting file's problems", p, "边界自相交", "第 1 圈", "拐点 J", "行</td>")
	if !regexp.MustCompile(`第 1[0-9] 行`).MatchString(p.body) {
		t.Errorf("the problem does not name the file's line:\n%s", p.body)
	}
	p = clerk.upload(deskParcelFields(), "刘庄.txt", good)
	if p.status != http.StatusOK {
		t.Fatalf("the fixed file: %d\n%s", p.status, p.body)
	}
	mustContain(t, "preview", p, "预览（尚未保存）", "计算面积", "平方公里", `id="desk-map-data"`, `"label":"J8"`, "/map/desk-map.js", "保存登记")
	var mid int
	s.api(200, "GET", "/api/v1/parcels?limit=1", "", &struct {
		Total *int `json:"total"`
	}{&mid})
	if mid != before {
		t.Errorf("the preview stored a parcel: %d → %d", before, mid)
	}
	content := regexp.MustCompile(`name="content" value="([^"]*)"`).FindStringSubmatch(p.body)
	if content == nil {
		t.Fatalf("the preview does not keep the file")
	}
	f := deskParcelFields()
	f["action"] = "save"
	f["content"] = htmlUnescape(content[1])
	p = clerk.upload(f, "", nil)
	if p.status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", p.status, p.body)
	}
	where := p.header.Get("Location")
	parcelPage := clerk.do("GET", where, nil)
	mustContain(t, "the new parcel's page", parcelPage, "桌面登记", "1234.50 万元", "壹仟贰佰叁拾肆万伍仟元整", "J8", "尚未进行合规检查",
		"/corners", "/geojson")
	id := strings.TrimSuffix(strings.TrimPrefix(where, "/desk/parcels/"), "?done=created")

	p = clerk.post(where, "/desk/parcels/"+id+"/compliance", url.Values{})
	if p.status != http.StatusSeeOther {
		t.Fatalf("run check: %d\n%s", p.status, p.body)
	}
	checked := clerk.do("GET", "/desk/parcels/"+id, nil)
	mustContain(t, "the report", checked, "结论：", "几何有效性", "面积核对", "所用图层版本", "第 1 版")
	if strings.Contains(checked.body, "id=\"stale\"") {
		t.Errorf("a fresh report is marked stale")
	}
	return id
}

// overlapOnDesk: the parcel's downloads; its outline as GeoJSON registered
// again overlaps it whole, and the desk's map and table say by how much.
func overlapOnDesk(t *testing.T, s *site, clerk *browser, id string) {
	t.Helper()
	// The page's downloads, with the clerk's session: the 国土 TXT reads back
	// with the corners uploaded.
	txt := clerk.do("GET", "/api/v1/parcels/"+id+"/corners", nil)
	if txt.status != http.StatusOK || !strings.Contains(txt.body, "[地块坐标]") || !strings.Contains(txt.body, "J8,1,") {
		t.Errorf("TXT download: %d\n%s", txt.status, txt.body)
	}
	// The same outline as GeoJSON previews with its map and area too.
	gj := clerk.do("GET", "/api/v1/parcels/"+id+"/geojson", nil)
	if gj.status != http.StatusOK {
		t.Fatalf("geojson download: %d %s", gj.status, gj.body)
	}
	g := deskParcelFields()
	g["name"] = "GeoJSON 预览"
	p := clerk.upload(g, "刘庄.geojson", []byte(gj.body))
	mustContain(t, "GeoJSON preview", p, "预览（尚未保存）", `id="desk-map-data"`, "平方公里", "与已登记地块")

	// Saved and checked, the copy overlaps the first parcel whole: the map
	// draws the overlap with its area as a label, the legend names it, and
	// the table under the report gives its area.
	g["action"] = "save"
	g["content"] = gj.body
	p = clerk.upload(g, "", nil)
	if p.status != http.StatusSeeOther {
		t.Fatalf("save the copy: %d\n%s", p.status, p.body)
	}
	copyID := strings.TrimSuffix(strings.TrimPrefix(p.header.Get("Location"), "/desk/parcels/"), "?done=created")
	if p := clerk.post("/desk/parcels/"+copyID, "/desk/parcels/"+copyID+"/compliance", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("check the copy: %d\n%s", p.status, p.body)
	}
	var first struct {
		Area struct {
			ComputedM2 float64 `json:"computed_m2"`
		} `json:"area"`
	}
	s.api(200, "GET", "/api/v1/parcels/"+id, "", &first)
	overlapped := clerk.do("GET", "/desk/parcels/"+copyID, nil)
	mustContain(t, "the overlapping parcel", overlapped, `id="overlaps"`, "重叠（不通过）", `"severity":"fail"`, "legend-overlap-fail")
	m := regexp.MustCompile(`"label":"1\. 与已登记地块“河南省泌阳县刘庄饰面花岗岩矿（桌面登记）”重叠 ([0-9,]+) 平方米"`).FindStringSubmatch(overlapped.body)
	if m == nil {
		t.Fatalf("the map has no labelled overlap with the first parcel:\n%s", overlapped.body)
	}
	mustContain(t, "the overlap table", overlapped, `<td class="num">`+m[1]+`</td>`)
	if got, _ := strconv.ParseFloat(strings.ReplaceAll(m[1], ",", ""), 64); math.Abs(got-first.Area.ComputedM2) > 1 {
		t.Errorf("the overlap's label says %s m², the parcel is %.1f m²", m[1], first.Area.ComputedM2)
	}
}

// editRaceOnDesk: two clerks open the edit form; the second saves first,
// and the first is shown the parcel as it now is.
func editRaceOnDesk(t *testing.T, s *site, clerk *browser, id string) {
	t.Helper()
	// Two clerks open the edit form; the second saves first.
	other := s.clerk("zhaoliu@zmd.gov.cn")
	formA := clerk.do("GET", "/desk/parcels/"+id+"/edit", nil)
	version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(formA.body)
	if version == nil {
		t.Fatalf("edit form:\n%s", formA.body)
	}
	edit := url.Values{"name": {"河南省泌阳县刘庄饰面花岗岩矿（桌面登记）"}, "mineral": {"饰面用花岗岩"}, "price_wan": {"2000"}, "version": {version[1]}}
	if p := other.post("/desk/parcels/"+id+"/edit", "/desk/parcels/"+id+"/edit", edit); p.status != http.StatusSeeOther {
		t.Fatalf("first edit: %d\n%s", p.status, p.body)
	}
	edit.Set("price_wan", "3000")
	edit.Set("csrf", clerk.csrf("/desk/parcels/"+id))
	p := clerk.do("POST", "/desk/parcels/"+id+"/edit", edit)
	if p.status != http.StatusPreconditionFailed {
		t.Fatalf("stale edit: %d\n%s", p.status, p.body)
	}
	mustContain(t, "the conflict", p, "已被他人修改", "2000.00 万元", "贰仟万元整")
	stale := clerk.do("GET", "/desk/parcels/"+id, nil)
	mustContain(t, "the report after the edit", stale, "2000.00 万元", "此报告已过时", "地块数据已修改")
}

func htmlUnescape(s string) string {
	r := strings.NewReplacer("&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">", "&#43;", "+", "&#10;", "\n", "&#13;", "\r", "&amp;", "&")
	return r.Replace(s)
}
