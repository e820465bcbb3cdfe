package pages

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"minerights/geo"
	"minerights/internal/money"
	"minerights/registry"
)

// deskParcel is the part of the API's parcel the desk shows and edits.
type deskParcel struct {
	parcel
	Basis     string  `json:"basis"`
	BasisText *string `json:"basis_text"`
	Area      struct {
		StatedKm2   string  `json:"stated_km2"`
		ComputedKm2 string  `json:"computed_km2"`
		ComputedM2  float64 `json:"computed_m2"`
		CRS         string  `json:"crs"`
	} `json:"area"`
	County struct {
		Code string `json:"code"`
		Name string `json:"name"`
	} `json:"county"`
	Capacity []struct {
		Commodity string `json:"commodity"`
		Quantity  string `json:"quantity"`
		Unit      string `json:"unit"`
	} `json:"capacity"`
	Statement   *string   `json:"statement"`
	Schedule    *string   `json:"schedule"`
	Responsible []string  `json:"responsible"`
	Version     int       `json:"version"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// verdictNames are the Chinese names of a compliance verdict.
var verdictNames = map[string]string{"pass": "通过", "warn": "需复核", "fail": "不通过"}

// effectNames say what a rule of the rule table does.
var effectNames = map[string]string{"exclude": "禁止进入（含退让距离）", "separate_3d": "禁止平面重叠（标高不交叠时为分层，需复核）",
	"within_any": "须位于其内", "within_own_county": "须位于所在县内"}

// report is the API's compliance report (registry.Report).
type report = registry.Report

// deskParcelsData is the parcels table.
type deskParcelsData struct {
	Items                  []deskParcel
	Total                  int
	Q, County, Mineral, St string
	Counties               []string
	Statuses               []string
}

func (p *pages) deskParcels(w http.ResponseWriter, r *http.Request) {
	v, ok := p.deskView(w, r, "地块")
	if !ok {
		return
	}
	q := r.URL.Query()
	d := deskParcelsData{Q: strings.TrimSpace(q.Get("q")), County: q.Get("county"), Mineral: strings.TrimSpace(q.Get("mineral")), St: q.Get("status"),
		Statuses: parcelStatuses}
	var all struct {
		Items []deskParcel `json:"items"`
	}
	// The counties offered are those of the registered parcels.
	if code, msg := p.get(r, v.Me, "/api/v1/parcels?limit=1000", &all); code != http.StatusOK {
		p.fail(w, r, code, msg)
		return
	}
	seen := map[string]bool{}
	for _, pc := range all.Items {
		if !seen[pc.County.Name] {
			seen[pc.County.Name] = true
			d.Counties = append(d.Counties, pc.County.Name)
		}
	}
	sort.Strings(d.Counties)
	path := "/api/v1/parcels?limit=1000"
	for k, val := range map[string]string{"county": d.County, "mineral": d.Mineral, "status": d.St} {
		if val != "" {
			path += "&" + k + "=" + urlQuery(val)
		}
	}
	var list struct {
		Items []deskParcel `json:"items"`
	}
	if code, msg := p.get(r, v.Me, path, &list); code != http.StatusOK {
		v.Error = msg
	}
	for _, pc := range list.Items {
		if d.Q != "" && !strings.Contains(pc.Name, d.Q) && (pc.GazetteNo == nil || strconv.Itoa(*pc.GazetteNo) != d.Q) {
			continue
		}
		d.Items = append(d.Items, pc)
	}
	d.Total = len(d.Items)
	v.Page = d
	p.render(w, "desk_parcels", http.StatusOK, v)
}

// deskParcelData is a parcel's page.
type deskParcelData struct {
	P        deskParcel
	Corners  []cornerRow
	Zone     string
	Map      *deskMap
	Report   *report
	Checks   []checkLine
	Layers   []layerVersion
	Overlaps []overlapRow
}

type layerVersion struct {
	Name    string
	Version int
}

func (p *pages) deskParcel(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		p.fail(w, r, http.StatusNotFound, statusWords[http.StatusNotFound])
		return
	}
	v, ok := p.deskView(w, r, "地块")
	if !ok {
		return
	}
	var d deskParcelData
	if code, msg := p.get(r, v.Me, fmt.Sprintf("/api/v1/parcels/%d", id), &d.P); code != http.StatusOK {
		p.fail(w, r, code, msg)
		return
	}
	if rep := p.call(r, v.Me, http.MethodGet, fmt.Sprintf("/api/v1/parcels/%d/corners", id), nil); rep.status == http.StatusOK {
		if txt, err := geo.ParseTXT(bytes.NewReader(rep.body.Bytes())); err == nil {
			d.Corners, _ = corners(txt)
			d.Map = mapOfTXT(txt)
			d.Zone = attr(txt, "带号")
		}
	}
	var rep report
	code, msg := p.get(r, v.Me, fmt.Sprintf("/api/v1/parcels/%d/compliance", id), &rep)
	switch code {
	case http.StatusOK:
		d.Report, d.Checks, d.Layers = &rep, checkLines(rep), layerVersions(rep)
		d.Overlaps = p.overlaps(r, v, id, d.Map)
	case http.StatusNotFound:
	default:
		v.Error = msg
	}
	v.Title = "地块 · " + d.P.Name
	switch r.URL.Query().Get("done") {
	case "created":
		v.Flash = "地块已登记。请运行合规检查。"
	case "checked":
		v.Flash = "合规检查已完成，报告如下。"
	case "updated":
		v.Flash = "地块数据已保存。原合规报告已过时，请重新检查。"
	}
	v.Page = d
	p.render(w, "desk_parcel", http.StatusOK, v)
}

func attr(t *geo.TXT, key string) string {
	for _, a := range t.Attributes {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}

func layerVersions(rep report) []layerVersion {
	var out []layerVersion
	for n, ver := range rep.LayerVersions {
		out = append(out, layerVersion{Name: n, Version: ver})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (p *pages) deskCompliance(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		p.fail(w, r, http.StatusNotFound, statusWords[http.StatusNotFound])
		return
	}
	v, ok := p.deskView(w, r, "合规检查")
	if !ok {
		return
	}
	if !p.checkCSRF(r, v.Me) {
		p.forbiddenCSRF(w, r)
		return
	}
	rep := p.call(r, v.Me, http.MethodPost, fmt.Sprintf("/api/v1/parcels/%d/compliance", id), nil)
	if rep.status != http.StatusCreated {
		p.fail(w, r, rep.status, chinese(rep.status, rep.body.Bytes()))
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/desk/parcels/%d?done=checked#compliance", id), http.StatusSeeOther)
}

// parcelForm is the registration form, kept to show it again.
type parcelForm struct {
	Name, CountyCode, Mineral, Basis, StatedKm2, Top, Bottom, PriceWan, Source string
	FileName, Content                                                          string
}

// countyOption is one county of the counties layer.
type countyOption struct{ Code, Name string }

// deskParcelNewData is the registration page: the form, the problems the
// API found in the file, or the preview of what would be stored.
type deskParcelNewData struct {
	F        parcelForm
	Counties []countyOption
	Problems []fileProblem
	Preview  *preview
}

type preview struct {
	AreaM2  float64
	Report  report
	Checks  []checkLine
	Map     *deskMap
	Corners []cornerRow
}

func (p *pages) counties(r *http.Request, v view) []countyOption {
	var fc struct {
		Features []struct {
			ID         any            `json:"id"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if code, _ := p.get(r, v.Me, "/ogc/collections/counties/items?limit=100", &fc); code != http.StatusOK {
		return nil
	}
	var out []countyOption
	for _, f := range fc.Features {
		code := fmt.Sprint(f.ID)
		if c, ok := f.Properties["fid"].(string); ok && len(code) != 6 {
			code = c
		}
		name, _ := f.Properties["name"].(string)
		out = append(out, countyOption{Code: code, Name: name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

func (p *pages) deskParcelNew(w http.ResponseWriter, r *http.Request) {
	v, ok := p.deskView(w, r, "登记地块")
	if !ok {
		return
	}
	v.Page = deskParcelNewData{F: parcelForm{Basis: "explored"}, Counties: p.counties(r, v)}
	p.render(w, "desk_parcel_new", http.StatusOK, v)
}

// maxUpload bounds a corner-point or GeoJSON file uploaded on the desk.
const maxUpload = 2 << 20

func (p *pages) deskParcelCreate(w http.ResponseWriter, r *http.Request) {
	v, ok := p.deskView(w, r, "登记地块")
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload+64<<10)
	if err := r.ParseMultipartForm(maxUpload + 64<<10); err != nil && err != http.ErrNotMultipart {
		p.fail(w, r, http.StatusRequestEntityTooLarge, "文件过大：拐点坐标文件或 GeoJSON 文件不能超过 2 MiB。")
		return
	}
	if !p.checkCSRF(r, v.Me) {
		p.forbiddenCSRF(w, r)
		return
	}
	f := parcelForm{Name: strings.TrimSpace(r.FormValue("name")), CountyCode: r.FormValue("county_code"), Mineral: strings.TrimSpace(r.FormValue("mineral")),
		Basis: r.FormValue("basis"), StatedKm2: strings.TrimSpace(r.FormValue("stated_km2")), Top: strings.TrimSpace(r.FormValue("top_m")),
		Bottom: strings.TrimSpace(r.FormValue("bottom_m")), PriceWan: strings.TrimSpace(r.FormValue("price_wan")),
		Source: strings.TrimSpace(r.FormValue("source")), Content: r.FormValue("content"), FileName: r.FormValue("file_name")}
	if file, hdr, err := r.FormFile("file"); err == nil {
		b, err := io.ReadAll(io.LimitReader(file, maxUpload+1))
		_ = file.Close()
		if err == nil && len(b) > 0 {
			if len(b) > maxUpload {
				p.fail(w, r, http.StatusRequestEntityTooLarge, "文件过大：拐点坐标文件或 GeoJSON 文件不能超过 2 MiB。")
				return
			}
			// The API takes the file as a JSON string: a GBK file travels decoded.
			f.Content, f.FileName = decodeUpload(b), hdr.Filename
		}
	}
	d := deskParcelNewData{F: f, Counties: p.counties(r, v)}
	show := func(status int, msg string) {
		v.Error = msg
		v.Page = d
		p.render(w, "desk_parcel_new", status, v)
	}
	if strings.TrimSpace(f.Content) == "" {
		show(http.StatusUnprocessableEntity, "请选择要上传的国土 TXT 拐点坐标文件或 GeoJSON 文件。")
		return
	}
	body := map[string]any{}
	isJSON := strings.HasPrefix(strings.TrimSpace(f.Content), "{")
	if isJSON {
		body["geometry"] = json.RawMessage(f.Content)
	} else {
		body["corners_txt"] = f.Content
	}
	if f.CountyCode != "" {
		body["county_code"] = f.CountyCode
	}
	if f.Mineral != "" {
		body["mineral"] = f.Mineral
	}
	if f.StatedKm2 != "" {
		body["stated_area_km2"] = f.StatedKm2
	}
	if f.Top != "" || f.Bottom != "" {
		top, err1 := strconv.ParseFloat(f.Top, 64)
		bottom, err2 := strconv.ParseFloat(f.Bottom, 64)
		if err1 != nil || err2 != nil {
			show(http.StatusUnprocessableEntity, "开采标高：请同时填写上限和下限（米，数字），或两者都不填。")
			return
		}
		body["elevation"] = map[string]float64{"top_m": top, "bottom_m": bottom}
	}
	if r.FormValue("action") != "save" {
		rep := p.call(r, v.Me, http.MethodPost, "/api/v1/compliance/check", body)
		if rep.status != http.StatusOK {
			d.Problems = fileProblems(rep.body.Bytes())
			show(rep.status, "文件或填写内容有误，请按下列提示更正后重新上传。"+or(problemsSummary(d.Problems), chinese(rep.status, rep.body.Bytes())))
			return
		}
		var pv preview
		if err := json.Unmarshal(rep.body.Bytes(), &pv.Report); err != nil {
			show(http.StatusInternalServerError, "页面生成失败")
			return
		}
		pv.AreaM2, pv.Checks = pv.Report.AreaM2, checkLines(pv.Report)
		if !isJSON {
			if txt, err := geo.ParseTXT(strings.NewReader(f.Content)); err == nil {
				pv.Corners, _ = corners(txt)
				pv.Map = mapOfTXT(txt)
			}
		} else if txt := txtOfGeoJSON(f.Content); txt != nil {
			pv.Corners, _ = corners(txt)
			pv.Map = mapOfTXT(txt)
		}
		d.Preview = &pv
		v.Flash = "文件已通过检查。请核对下面的示意图和计算面积，确认无误后点击“保存登记”。"
		v.Page = d
		p.render(w, "desk_parcel_new", http.StatusOK, v)
		return
	}
	delete(body, "county_code")
	body["name"], body["county_code"], body["mineral"], body["basis"] = f.Name, f.CountyCode, f.Mineral, f.Basis
	body["source_document"] = or(f.Source, "由"+p.authority+"在业务办理页面上传登记（"+or(f.FileName, "拐点坐标文件")+"）")
	if f.PriceWan != "" {
		yuan, err := money.ParseWan(f.PriceWan)
		if err != nil || yuan <= 0 {
			show(http.StatusUnprocessableEntity, "出让收益起始价：请输入以万元为单位的金额，例如 43586.65（最多四位小数）。")
			return
		}
		body["starting_price_yuan"] = yuan
	}
	rep := p.call(r, v.Me, http.MethodPost, "/api/v1/parcels", body)
	if rep.status != http.StatusCreated {
		d.Problems = fileProblems(rep.body.Bytes())
		show(rep.status, "未能登记："+or(problemsSummary(d.Problems), chinese(rep.status, rep.body.Bytes())))
		return
	}
	var created struct {
		ID int64 `json:"id"`
	}
	_ = json.Unmarshal(rep.body.Bytes(), &created)
	http.Redirect(w, r, fmt.Sprintf("/desk/parcels/%d?done=created", created.ID), http.StatusSeeOther)
}

// decodeUpload reads an uploaded file as the API's TXT reader does (UTF-8
// or GBK), so that a GBK file reaches the API as the same text.
func decodeUpload(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	if s, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b); err == nil {
		return string(s)
	}
	return string(b)
}

// txtOfGeoJSON projects a GeoJSON geometry to the Gauss-Krüger corners the
// desk's map draws, labelling the corners 1, 2, ….
func txtOfGeoJSON(s string) *geo.TXT {
	mp, err := geo.ParseGeoJSON([]byte(s))
	if err != nil || len(mp) == 0 || len(mp[0]) == 0 || len(mp[0][0]) == 0 {
		return nil
	}
	zone := geo.ZoneForLon(mp[0][0][0][0])
	t := &geo.TXT{}
	for _, poly := range mp {
		var b geo.Block
		for i, ring := range poly {
			rg := geo.Ring{No: i + 1}
			for k, pt := range ring {
				gk := geo.Forward(zone, pt)
				label := strconv.Itoa(k + 1)
				if k == len(ring)-1 && k > 0 && pt == ring[0] {
					label = "1"
				}
				rg.Corners = append(rg.Corners, geo.Corner{Label: label, X: gk[1], Y: gk[0]})
			}
			b.Rings = append(b.Rings, rg)
		}
		t.Blocks = append(t.Blocks, b)
	}
	return t
}

// fileProblem is one problem the API found in a file, at the line and
// corner it names.
type fileProblem struct {
	Line  int
	Where string
	Text  string
}

// geoLocation reads the place a geo.Error names: "line 12 (block 1, ring 1,
// point J7): reason" or "block 1, ring 1, point J7: reason".
var geoLocation = regexp.MustCompile(`^(?:line (\d+)(?: \(([^)]*)\))?|((?:(?:block|polygon|ring|point) [^,:]+(?:, )?)+)): (.*)$`)

// fileProblems reads the problems of a 422 answer.
func fileProblems(body []byte) []fileProblem {
	var pr problem
	_ = json.Unmarshal(body, &pr)
	var out []fileProblem
	for _, e := range pr.Errors {
		msg := e.Message
		fp := fileProblem{}
		if m := geoLocation.FindStringSubmatch(msg); m != nil {
			fp.Line, _ = strconv.Atoi(m[1])
			loc := m[2]
			if loc == "" {
				loc = m[3]
			}
			fp.Where = whereWords(loc)
			fp.Text = reasonWords(m[4])
		} else {
			fp.Text = or(fieldWords(e.Location), "") + reasonWords(msg)
		}
		out = append(out, fp)
	}
	return out
}

// problemsSummary is the first problem in one line, for the page's alert.
func problemsSummary(ps []fileProblem) string {
	if len(ps) == 0 {
		return ""
	}
	s := ps[0].Text
	if ps[0].Where != "" {
		s = ps[0].Where + "：" + s
	}
	if ps[0].Line > 0 {
		s = fmt.Sprintf("第 %d 行，", ps[0].Line) + s
	}
	return s
}

var locPart = regexp.MustCompile(`(block|polygon|ring|point) ([^,\s]+)`)

func whereWords(loc string) string {
	var parts []string
	for _, m := range locPart.FindAllStringSubmatch(loc, -1) {
		switch m[1] {
		case "block":
			parts = append(parts, "第 "+m[2]+" 地块")
		case "polygon":
			parts = append(parts, "第 "+m[2]+" 个多边形")
		case "ring":
			parts = append(parts, "第 "+m[2]+" 圈")
		case "point":
			parts = append(parts, "拐点 "+m[2])
		}
	}
	return strings.Join(parts, "，")
}

func fieldWords(loc string) string {
	switch loc {
	case "body.county_code":
		return "所在县："
	case "body.stated_area_km2":
		return "申报面积："
	case "body.elevation":
		return "开采标高："
	case "body.name":
		return "矿业权名称："
	case "body.mineral":
		return "开采矿种："
	}
	return ""
}

// reasonPatterns put the geometry validator's reasons (geo) into Chinese;
// a reason not listed keeps the API's words after a Chinese lead.
var reasonPatterns = []struct {
	re *regexp.Regexp
	zh string
}{
	{regexp.MustCompile(`^ring is self-intersecting: segment (\S+)-(\S+) crosses segment (\S+)-(\S+)(?: of ring (\d+))?`), "边界自相交：线段 $1–$2 与线段 $3–$4 交叉。请核对这几个拐点的坐标和顺序"},
	{regexp.MustCompile(`^ring is self-intersecting: segment (\S+)-(\S+) runs along segment (\S+)-(\S+)(?: of ring (\d+))?`), "边界自相交：线段 $1–$2 与线段 $3–$4 重叠。请核对这几个拐点的坐标"},
	{regexp.MustCompile(`^ring is self-intersecting: segment (\S+)-(\S+) touches segment (\S+)-(\S+)(?: of ring (\d+))?`), "边界自相交：线段 $1–$2 与线段 $3–$4 相接。请核对这几个拐点的坐标"},
	{regexp.MustCompile(`^ring is not closed: the last point must repeat the first point \((\S+)\)`), "边界未闭合：最后一个拐点须与第一个拐点（$1）相同"},
	{regexp.MustCompile(`^ring has (\d+) points; a ring needs at least 4`), "该圈只有 $1 个点：至少需要 3 个拐点，再重复第一个拐点闭合"},
	{regexp.MustCompile(`^ring has fewer than 3 distinct corners`), "该圈不同的拐点少于 3 个"},
	{regexp.MustCompile(`^ring has zero area`), "该圈面积为零：拐点在一条直线上"},
	{regexp.MustCompile(`^hole \(ring (\d+)\) is not inside the outer ring`), "内圈（第 $1 圈）不在外圈之内"},
	{regexp.MustCompile(`^header says 点数=(\d+) but the block has (\d+) corners`), "地块头写的点数为 $1，实际有 $2 个拐点"},
	{regexp.MustCompile(`^the file's 带号 is (\d+), but this registry's parcels are in 3° zone (\d+)`), "文件的带号为 $1，本系统的地块在 3 度带第 $2 带：请把坐标换算到第 $2 带"},
	{regexp.MustCompile(`^the corner-point file has no block under \[地块坐标\]`), "文件的 [地块坐标] 部分没有地块"},
	{regexp.MustCompile(`^layer (\S+) is new: say its kind`), "图层 $1 是新图层：请填写图层类别（例如 railway），并在合规规则中为该类别添加规则"},
}

func reasonWords(s string) string {
	for _, p := range reasonPatterns {
		if m := p.re.FindStringSubmatchIndex(s); m != nil {
			return string(p.re.ExpandString(nil, p.zh, s, m)) + "。"
		}
	}
	if hasHan(s) && !latinWord.MatchString(s) {
		return "坐标或填写内容有误（" + s + "）"
	}
	return "坐标或填写内容有误：请核对该处的拐点坐标和填写内容。"
}

// checkLine is one check of a compliance report in Chinese, built from the
// report's structured fields (the report's statements are English).
type checkLine struct {
	Title   string
	Verdict string
	Words   []string
	Layer   string
	Version int
}

func checkLines(rep report) []checkLine {
	var out []checkLine
	for _, c := range rep.Checks {
		l := checkLine{Title: zhTitle(c.LayerKind, c.Title), Verdict: c.Verdict, Layer: c.Layer, Version: c.LayerVersion}
		c.Title = l.Title
		switch {
		case c.Check == "validity":
			l.Title = "几何有效性"
			if c.Verdict == "pass" {
				l.Words = []string{"边界图形有效。"}
			} else {
				l.Words = []string{"边界图形无效：请更正拐点坐标；其他检查未进行。"}
			}
		case c.Check == "area":
			l.Title = "面积核对"
			switch c.Verdict {
			case "pass":
				l.Words = []string{fmt.Sprintf("申报面积与计算面积（%s 平方公里）相符。", strconv.FormatFloat(rep.AreaM2/1e6, 'f', 4, 64))}
			default:
				l.Words = []string{fmt.Sprintf("申报面积与计算面积（%s 平方公里）不符或未申报：请更正申报面积或拐点坐标。", strconv.FormatFloat(rep.AreaM2/1e6, 'f', 4, 64))}
			}
		case c.Check == "parcels":
			l.Title = "与其他已登记地块"
			l.Words = hitWords("已登记地块", c)
			if len(l.Words) == 0 {
				l.Words = []string{"与其他已登记地块无重叠，也不在退让距离内。"}
			}
		case c.Layer == "" && c.LayerVersion == 0 && c.Check != "parcels":
			l.Words = []string{"尚未导入该类图层，无法检查：请在“图层”中导入。"}
		case c.Effect == "within_any":
			if c.CoveredPct != nil {
				l.Words = []string{fmt.Sprintf("地块有 %s%% 位于%s内。", strconv.FormatFloat(*c.CoveredPct, 'f', 1, 64), c.Title)}
			}
			l.Words = append(l.Words, hitWords(c.Title, c)...)
		case c.Effect == "within_own_county":
			if c.Verdict == "pass" {
				l.Words = []string{"完全位于所在县内。"}
			} else {
				l.Words = append([]string{"不完全位于所在县内（跨县界或位于他县）。"}, hitWords("县", c)...)
			}
		default:
			l.Words = hitWords(c.Title, c)
			if len(l.Words) == 0 {
				l.Words = []string{"未与任何" + c.Title + "重叠，也不在退让距离内。"}
			}
		}
		out = append(out, l)
	}
	return out
}

func hitWords(what string, c registry.Check) []string {
	var out []string
	for _, h := range c.Hits {
		name := or(h.Name, h.FID)
		sev := or(verdictNames[h.Severity], h.Severity)
		switch {
		case h.OverlapM2 > 0:
			out = append(out, fmt.Sprintf("与%s“%s”重叠 %s 平方米（占地块 %s%%）——%s。", what, name, groupDigits(int64(h.OverlapM2+0.5)),
				strconv.FormatFloat(h.OverlapPct, 'f', 2, 64), sev))
		default:
			out = append(out, fmt.Sprintf("距%s“%s” %s 米——%s。", what, name, strconv.FormatFloat(h.DistanceM, 'f', 1, 64), sev))
		}
		if h.ElevationTopM != nil && h.ElevationBottomM != nil {
			out[len(out)-1] += fmt.Sprintf("（对方开采标高 %s 米至 %s 米）", strconv.FormatFloat(*h.ElevationTopM, 'f', -1, 64), strconv.FormatFloat(*h.ElevationBottomM, 'f', -1, 64))
		}
	}
	return out
}

// staleWords say in Chinese why a report is stale.
func staleWords(why string) string {
	var parts []string
	w := strings.ToLower(why)
	if strings.Contains(w, "layer") {
		parts = append(parts, "所用图层已有新版本或新增了图层")
	}
	if strings.Contains(w, "rule") || strings.Contains(w, "setting") {
		parts = append(parts, "检查规则或设置已修改")
	}
	if strings.Contains(w, "parcel") {
		parts = append(parts, "地块数据已修改")
	}
	if len(parts) == 0 {
		parts = append(parts, "检查依据已变化")
	}
	return strings.Join(parts, "；")
}
