package pages

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The desk's setup pages: the compliance rule table and settings (here),
// the check layers and their versions (desk_layers.go), the working-day
// calendars (desk_calendars.go). Each change is the API's operation, called
// in process; the desk reads the API's answers into its own view types.

func (p *pages) registerDeskSetup(mux *http.ServeMux) {
	mux.HandleFunc("GET /desk/compliance", p.deskPage("合规规则", p.showRules))
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
	Rules    []rule
	Settings ruleSettings
	Effects  []string
}

func (p *pages) showRules(w http.ResponseWriter, r *http.Request, v view, status int) {
	d := deskRulesData{Effects: effects}
	var out struct {
		Rules    []rule       `json:"rules"`
		Settings ruleSettings `json:"settings"`
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

// rulesForm opens a form of the rules page, which it shows again with a
// refusal.
func (p *pages) rulesForm(w http.ResponseWriter, r *http.Request, limit int64) (*deskForm, bool) {
	return p.openDeskForm(w, r, "合规规则", limit, "", func(v view, status int) { p.showRules(w, r, v, status) })
}

func (p *pages) deskRulePut(w http.ResponseWriter, r *http.Request) {
	f, ok := p.rulesForm(w, r, 64<<10)
	if !ok {
		return
	}
	kind := r.PathValue("kind")
	hard, err1 := strconv.ParseFloat(strings.TrimSpace(r.PostFormValue("hard_distance_m")), 64)
	warn, err2 := strconv.ParseFloat(strings.TrimSpace(r.PostFormValue("warn_distance_m")), 64)
	if err1 != nil || err2 != nil {
		f.show(http.StatusUnprocessableEntity, "距离须为米数，例如 0 或 300。")
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
	f.refused = func(rep *apiReply) string { return "规则“" + kind + "”未保存：" + problemWords(rep) }
	if _, ok := f.send(http.MethodPut, "/api/v1/compliance/rules/"+url.PathEscape(kind), body, nil, http.StatusOK); ok {
		f.done("/desk/compliance?done=rule")
	}
}

func (p *pages) deskSettingsPut(w http.ResponseWriter, r *http.Request) {
	f, ok := p.rulesForm(w, r, 16<<10)
	if !ok {
		return
	}
	pct, err := strconv.ParseFloat(strings.TrimSpace(r.PostFormValue("area_tolerance_pct")), 64)
	if err != nil {
		f.show(http.StatusUnprocessableEntity, "面积容差须为百分数，例如 1 或 0.5。")
		return
	}
	f.refused = func(rep *apiReply) string { return "设置未保存：" + problemWords(rep) }
	if _, ok := f.send(http.MethodPut, "/api/v1/compliance/settings", map[string]any{"area_tolerance_pct": pct}, nil, http.StatusOK); ok {
		f.done("/desk/compliance?done=settings")
	}
}

// rule is a row of the compliance rule table (GET /api/v1/compliance/rules).
type rule struct {
	LayerKind      string   `json:"layer_kind"`
	Title          string   `json:"title"`
	Effect         string   `json:"effect"`
	HardDistanceM  float64  `json:"hard_distance_m"`
	WarnDistanceM  float64  `json:"warn_distance_m"`
	ExemptMinerals []string `json:"exempt_minerals"`
	Exemption      *string  `json:"exemption"`
	Basis          *string  `json:"basis"`
	Enabled        bool     `json:"enabled"`
}

// ruleSettings are the compliance settings beside the rule table.
type ruleSettings struct {
	AreaTolerancePct float64 `json:"area_tolerance_pct"`
}
