package pages

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"minerights/registry"
)

// The desk's setup pages: the compliance rule table and settings, the check
// layers and their versions, the working-day calendars. Each change is the
// API's operation, called in process.

func (p *pages) registerDeskSetup(mux *http.ServeMux) {
	mux.HandleFunc("GET /desk/compliance", p.deskRules)
	mux.HandleFunc("POST /desk/compliance/rules/{kind}", p.deskRulePut)
	mux.HandleFunc("POST /desk/compliance/settings", p.deskSettingsPut)
	mux.HandleFunc("GET /desk/layers", p.deskLayers)
	mux.HandleFunc("POST /desk/layers", p.deskLayerImport)
	mux.HandleFunc("GET /desk/calendars", p.deskCalendars)
	mux.HandleFunc("POST /desk/calendars", p.deskCalendarLoad)
}

// effects are the rule effects, in the order the form offers them.
var effects = []string{"exclude", "separate_3d", "within_any", "within_own_county"}

type deskRulesData struct {
	Rules    []registry.Rule
	Settings registry.Settings
	Effects  []string
}

func (p *pages) deskRules(w http.ResponseWriter, r *http.Request) {
	v, ok := p.deskView(w, r, "合规规则")
	if !ok {
		return
	}
	p.showRules(w, r, v, http.StatusOK)
}

func (p *pages) showRules(w http.ResponseWriter, r *http.Request, v view, status int) {
	d := deskRulesData{Effects: effects}
	var out struct {
		Rules    []registry.Rule   `json:"rules"`
		Settings registry.Settings `json:"settings"`
	}
	if code, msg := p.get(r, v.Me, "/api/v1/compliance/rules", &out); code != http.StatusOK {
		p.fail(w, r, code, msg)
		return
	}
	d.Rules, d.Settings = out.Rules, out.Settings
	switch r.URL.Query().Get("done") {
	case "rule":
		v.Flash = "规则已保存。按旧规则作出的合规报告已过时，相关地块需重新检查。"
	case "settings":
		v.Flash = "设置已保存。"
	}
	v.Page = d
	p.render(w, "desk_rules", status, v)
}

func (p *pages) deskRulePut(w http.ResponseWriter, r *http.Request) {
	v, ok := p.deskView(w, r, "合规规则")
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if !p.checkCSRF(r, v.Me) {
		p.forbiddenCSRF(w, r)
		return
	}
	kind := r.PathValue("kind")
	hard, err1 := strconv.ParseFloat(strings.TrimSpace(r.PostFormValue("hard_distance_m")), 64)
	warn, err2 := strconv.ParseFloat(strings.TrimSpace(r.PostFormValue("warn_distance_m")), 64)
	if err1 != nil || err2 != nil {
		v.Error = "距离须为米数，例如 0 或 300。"
		p.showRules(w, r, v, http.StatusUnprocessableEntity)
		return
	}
	body := map[string]any{"title": strings.TrimSpace(r.PostFormValue("title")), "effect": r.PostFormValue("effect"),
		"hard_distance_m": hard, "warn_distance_m": warn, "enabled": r.PostFormValue("enabled") == "on"}
	var exempt []string
	for _, m := range strings.FieldsFunc(r.PostFormValue("exempt_minerals"), func(c rune) bool { return c == ',' || c == '，' || c == '、' || c == '\n' }) {
		if m = strings.TrimSpace(m); m != "" {
			exempt = append(exempt, m)
		}
	}
	if exempt != nil {
		body["exempt_minerals"] = exempt
	}
	for _, k := range []string{"exemption", "basis"} {
		if s := strings.TrimSpace(r.PostFormValue(k)); s != "" {
			body[k] = s
		}
	}
	rep := p.call(r, v.Me, http.MethodPut, "/api/v1/compliance/rules/"+url.PathEscape(kind), body)
	if rep.status != http.StatusOK {
		v.Error = "规则“" + kind + "”未保存：" + problemWords(rep)
		p.showRules(w, r, v, rep.status)
		return
	}
	http.Redirect(w, r, "/desk/compliance?done=rule", http.StatusSeeOther)
}

func (p *pages) deskSettingsPut(w http.ResponseWriter, r *http.Request) {
	v, ok := p.deskView(w, r, "合规规则")
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if !p.checkCSRF(r, v.Me) {
		p.forbiddenCSRF(w, r)
		return
	}
	pct, err := strconv.ParseFloat(strings.TrimSpace(r.PostFormValue("area_tolerance_pct")), 64)
	if err != nil {
		v.Error = "面积容差须为百分数，例如 1 或 0.5。"
		p.showRules(w, r, v, http.StatusUnprocessableEntity)
		return
	}
	rep := p.call(r, v.Me, http.MethodPut, "/api/v1/compliance/settings", map[string]any{"area_tolerance_pct": pct})
	if rep.status != http.StatusOK {
		v.Error = "设置未保存：" + problemWords(rep)
		p.showRules(w, r, v, rep.status)
		return
	}
	http.Redirect(w, r, "/desk/compliance?done=settings", http.StatusSeeOther)
}

// problemWords says what a refused change was refused for: the Chinese
// words of the status or rule, and the API's own detail for the record.
func problemWords(rep *apiReply) string {
	var pr problem
	_ = json.Unmarshal(rep.body.Bytes(), &pr)
	if len(pr.Errors) > 0 {
		e := pr.Errors[0]
		if w, ok := ruleWords[e.Message]; ok {
			return w
		}
		return or(fieldWords(e.Location), or(statusWords[rep.status], "操作失败")+"：") + reasonWords(e.Message)
	}
	return chinese(rep.status, rep.body.Bytes())
}

// layerGroup is a layer's versions, newest first.
type layerGroup struct {
	Name, Kind, Title string
	Versions          []registry.Layer
}

type deskLayersData struct {
	Groups   []layerGroup
	Problems []string
	Done     *layerDone
	MaxMiB   int
}

type layerDone struct {
	Name                        string
	Version, Features, Previous int
	Unchanged                   bool
}

// maxLayerUpload is what the API takes over HTTP; bigger files go through
// `minerights import`.
const maxLayerUpload = 8 << 20

func (p *pages) deskLayers(w http.ResponseWriter, r *http.Request) {
	v, ok := p.deskView(w, r, "图层")
	if !ok {
		return
	}
	d := deskLayersData{MaxMiB: maxLayerUpload >> 20}
	q := r.URL.Query()
	if q.Get("done") != "" {
		ver, _ := strconv.Atoi(q.Get("version"))
		n, _ := strconv.Atoi(q.Get("features"))
		prev, _ := strconv.Atoi(q.Get("previous"))
		d.Done = &layerDone{Name: q.Get("done"), Version: ver, Features: n, Previous: prev, Unchanged: q.Get("unchanged") == "1"}
	}
	p.showLayers(w, r, v, d, http.StatusOK)
}

func (p *pages) showLayers(w http.ResponseWriter, r *http.Request, v view, d deskLayersData, status int) {
	var list struct {
		Items []registry.Layer `json:"items"`
	}
	if code, msg := p.get(r, v.Me, "/api/v1/layers?all=true", &list); code != http.StatusOK {
		p.fail(w, r, code, msg)
		return
	}
	by := map[string]*layerGroup{}
	var names []string
	for _, l := range list.Items {
		g := by[l.Name]
		if g == nil {
			g = &layerGroup{Name: l.Name}
			by[l.Name] = g
			names = append(names, l.Name)
		}
		g.Versions = append(g.Versions, l)
	}
	sort.Strings(names)
	for _, n := range names {
		g := by[n]
		sort.Slice(g.Versions, func(i, j int) bool { return g.Versions[i].Version > g.Versions[j].Version })
		g.Kind, g.Title = g.Versions[0].Kind, g.Versions[0].Title
		d.Groups = append(d.Groups, *g)
	}
	v.Page = d
	p.render(w, "desk_layers", status, v)
}

var layerName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

func (p *pages) deskLayerImport(w http.ResponseWriter, r *http.Request) {
	v, ok := p.deskView(w, r, "图层")
	if !ok {
		return
	}
	d := deskLayersData{MaxMiB: maxLayerUpload >> 20}
	refuse := func(status int, msg string, problems ...string) {
		v.Error, d.Problems = msg, problems
		p.showLayers(w, r, v, d, status)
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxLayerUpload+64<<10)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		refuse(http.StatusRequestEntityTooLarge, fmt.Sprintf("文件过大：网页上传的图层文件不能超过 %d MiB；更大的文件请由系统管理员用 minerights import 命令导入。", maxLayerUpload>>20))
		return
	}
	if !p.checkCSRF(r, v.Me) {
		p.forbiddenCSRF(w, r)
		return
	}
	name := strings.TrimSpace(r.FormValue("name"))
	if !layerName.MatchString(name) {
		refuse(http.StatusUnprocessableEntity, "图层名称须以小写英文字母开头，只含小写字母、数字和下划线，例如 redlines 或 railways。")
		return
	}
	file, _, err := r.FormFile("file")
	if err != nil {
		refuse(http.StatusUnprocessableEntity, "请选择要上传的图层文件（GeoJSON 要素集合或国土 TXT）。")
		return
	}
	data, err := io.ReadAll(io.LimitReader(file, maxLayerUpload+1))
	_ = file.Close()
	if err != nil || len(data) > maxLayerUpload {
		refuse(http.StatusRequestEntityTooLarge, fmt.Sprintf("文件过大：网页上传的图层文件不能超过 %d MiB。", maxLayerUpload>>20))
		return
	}
	q := url.Values{}
	for _, k := range []string{"kind", "title", "source"} {
		if s := strings.TrimSpace(r.FormValue(k)); s != "" {
			q.Set(k, s)
		}
	}
	path := "/api/v1/layers/" + name + "/features"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	rep := p.call(r, v.Me, http.MethodPost, path, rawBody{contentType: "application/geo+json", data: data})
	if rep.status != http.StatusCreated && rep.status != http.StatusOK {
		var pr problem
		_ = json.Unmarshal(rep.body.Bytes(), &pr)
		var lines []string
		for _, e := range pr.Errors {
			where := ""
			if i := strings.Index(e.Location, "features["); i >= 0 {
				n, _ := strconv.Atoi(strings.TrimSuffix(e.Location[i+len("features["):], "]"))
				where = fmt.Sprintf("第 %d 个要素：", n+1)
			}
			lines = append(lines, where+reasonWords(e.Message))
		}
		refuse(rep.status, "图层未导入，当前版本保持不变："+or(statusWords[rep.status], "操作失败"), lines...)
		return
	}
	var out struct {
		Layer    registry.Layer `json:"layer"`
		Features int            `json:"features"`
		Previous int            `json:"previous_version"`
	}
	_ = json.Unmarshal(rep.body.Bytes(), &out)
	q = url.Values{"done": {out.Layer.Name}, "version": {strconv.Itoa(out.Layer.Version)}, "features": {strconv.Itoa(out.Features)},
		"previous": {strconv.Itoa(out.Previous)}}
	if out.Layer.Unchanged {
		q.Set("unchanged", "1")
	}
	http.Redirect(w, r, "/desk/layers?"+q.Encode(), http.StatusSeeOther)
}

type deskCalendarsData struct {
	Years    []registry.CalendarYear
	Missing  []missingYear
	Next     int
	Loaded   *calendarLoaded
	Problems []string
}

type calendarLoaded struct {
	Year, Version, Replaced int
	Changed                 bool
	Affected                []int64
}

func (p *pages) deskCalendars(w http.ResponseWriter, r *http.Request) {
	v, ok := p.deskView(w, r, "工作日历")
	if !ok {
		return
	}
	p.showCalendars(w, r, v, nil, http.StatusOK)
}

func (p *pages) showCalendars(w http.ResponseWriter, r *http.Request, v view, loaded *calendarLoaded, status int, problems ...string) {
	d := deskCalendarsData{Loaded: loaded, Problems: problems}
	var list struct {
		Items []registry.CalendarYear `json:"items"`
	}
	if code, msg := p.get(r, v.Me, "/api/v1/calendars", &list); code != http.StatusOK {
		p.fail(w, r, code, msg)
		return
	}
	var sales struct {
		Items []sale `json:"items"`
	}
	if code, msg := p.get(r, v.Me, "/api/v1/sales?limit=200", &sales); code != http.StatusOK {
		p.fail(w, r, code, msg)
		return
	}
	d.Years = list.Items
	loadedYears := map[int]bool{}
	for _, y := range d.Years {
		loadedYears[y.Year] = true
		d.Next = max(d.Next, y.Year+1)
	}
	d.Missing = missingYears(p.now(sales.Items), sales.Items, loadedYears)
	if len(d.Missing) > 0 {
		d.Next = d.Missing[0].Year
	}
	v.Page = d
	p.render(w, "desk_calendars", status, v)
}

func (p *pages) deskCalendarLoad(w http.ResponseWriter, r *http.Request) {
	v, ok := p.deskView(w, r, "工作日历")
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 300<<10)
	if err := r.ParseMultipartForm(300 << 10); err != nil {
		v.Error = "文件过大：日历文件不能超过 256 KiB。"
		p.showCalendars(w, r, v, nil, http.StatusRequestEntityTooLarge)
		return
	}
	if !p.checkCSRF(r, v.Me) {
		p.forbiddenCSRF(w, r)
		return
	}
	year, err := strconv.Atoi(strings.TrimSpace(r.FormValue("year")))
	if err != nil || year < 1992 || year > 2200 {
		v.Error = "请填写日历的年度，例如 2027。"
		p.showCalendars(w, r, v, nil, http.StatusUnprocessableEntity)
		return
	}
	file, _, err := r.FormFile("file")
	if err != nil {
		v.Error = "请选择该年度的日历文件（YAML，格式同 data/calendar/2026.yaml）。"
		p.showCalendars(w, r, v, nil, http.StatusUnprocessableEntity)
		return
	}
	data, _ := io.ReadAll(io.LimitReader(file, 256<<10))
	_ = file.Close()
	rep := p.call(r, v.Me, http.MethodPut, fmt.Sprintf("/api/v1/calendars/%d", year), rawBody{contentType: "application/yaml", data: data})
	if rep.status != http.StatusOK {
		var pr problem
		_ = json.Unmarshal(rep.body.Bytes(), &pr)
		var lines []string
		for _, e := range pr.Errors {
			lines = append(lines, calendarWords(e.Message))
		}
		v.Error = fmt.Sprintf("%d 年日历未载入，原有日历保持不变：%s", year, or(statusWords[rep.status], "操作失败"))
		p.showCalendars(w, r, v, nil, rep.status, lines...)
		return
	}
	var out struct {
		Version  int     `json:"version"`
		Changed  bool    `json:"changed"`
		Replaced int     `json:"replaced_version"`
		Affected []int64 `json:"affected_sales"`
	}
	_ = json.Unmarshal(rep.body.Bytes(), &out)
	v.Flash = fmt.Sprintf("%d 年工作日历已载入（第 %d 版），即时生效。", year, out.Version)
	if !out.Changed {
		v.Flash = fmt.Sprintf("%d 年工作日历与在用的相同，未作变更。", year)
	}
	p.showCalendars(w, r, v, &calendarLoaded{Year: year, Version: out.Version, Replaced: out.Replaced, Changed: out.Changed, Affected: out.Affected}, http.StatusOK)
}

// calendarWords puts a calendar problem's place into Chinese; the reason
// keeps the API's words.
func calendarWords(msg string) string {
	if m := regexp.MustCompile(`^line (\d+)(?:, (\S+))?: (.*)$`).FindStringSubmatch(msg); m != nil {
		s := "第 " + m[1] + " 行"
		if m[2] != "" {
			s += "（" + m[2] + "）"
		}
		return s + "：日历文件有误（" + m[3] + "）"
	}
	return "日历文件有误（" + msg + "）"
}

// now is the database's time as the sales answer it, or this server's.
func (p *pages) now(sales []sale) time.Time {
	for _, s := range sales {
		if !s.ServerTime.IsZero() {
			return s.ServerTime
		}
	}
	return time.Now()
}
