package pages

import (
	"fmt"
	"html/template"
	"maps"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"minerights/registry"
)

// The bureau's desk (/desk): the clerk's home and the pages of parcels and
// their compliance. Like every page it reads and changes state only through
// the API called in process as the signed-in clerk (p.get, p.call); the
// pages here only arrange what the API answers, in Chinese.

// deskPages are the desk's templates; each is parsed with the layout and
// the desk navigation.
var deskPages = []string{"desk_home", "desk_parcels", "desk_parcel", "desk_parcel_new", "desk_parcel_edit", "desk_rules", "desk_layers", "desk_calendars"}

func (p *pages) registerDesk(mux *http.ServeMux, shared template.FuncMap) {
	funcs := maps.Clone(shared)
	funcs["pstatus"] = func(s string) string { return or(parcelStatusNames[s], s) }
	funcs["verdict"] = func(s string) string { return or(verdictNames[s], s) }
	funcs["km2"] = func(m2 float64) string { return strconv.FormatFloat(m2/1e6, 'f', 4, 64) }
	funcs["m2"] = func(m2 float64) string { return groupDigits(int64(math.Round(m2))) }
	funcs["staleWords"] = staleWords
	funcs["join"] = strings.Join
	funcs["str"] = func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	funcs["effect"] = func(s string) string { return or(effectNames[s], s) }
	funcs["zhTitle"] = zhTitle
	funcs["via"] = viaWords
	for _, name := range deskPages {
		p.tmpl[name] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templates,
			"templates/layout.html", "templates/desk_nav.html", "templates/desk_report.html", "templates/desk_map.html", "templates/"+name+".html"))
	}
	mux.HandleFunc("GET /desk", p.deskHome)
	mux.HandleFunc("GET /desk/parcels", p.deskParcels)
	mux.HandleFunc("GET /desk/parcels/new", p.deskParcelNew)
	mux.HandleFunc("POST /desk/parcels/new", p.deskParcelCreate)
	mux.HandleFunc("GET /desk/parcels/{id}", p.deskParcel)
	mux.HandleFunc("GET /desk/parcels/{id}/edit", p.deskParcelEdit)
	mux.HandleFunc("POST /desk/parcels/{id}/edit", p.deskParcelUpdate)
	mux.HandleFunc("POST /desk/parcels/{id}/compliance", p.deskCompliance)
	p.registerDeskSetup(mux)
}

// deskView starts a desk page or form: a visitor is sent to sign in (a
// form posted after the session ended is refused: a redirect would lose
// it), anyone but the bureau is refused (the API would refuse their changes
// anyway; the desk is not theirs to browse).
func (p *pages) deskView(w http.ResponseWriter, r *http.Request, title string) (view, bool) {
	v := p.newView(w, r, title)
	if v.Me == nil && r.Method == http.MethodPost {
		p.fail(w, r, http.StatusUnauthorized, ruleWords["session-ended"])
		return v, false
	}
	if v.Me == nil {
		http.Redirect(w, r, loginURL(r), http.StatusSeeOther)
		return v, false
	}
	if v.Me.Role != registry.RoleBureau {
		p.fail(w, r, http.StatusForbidden, "业务办理页面仅供自然资源和规划局工作人员使用。")
		return v, false
	}
	return v, true
}

// deskItem starts a desk page about the thing whose id is in the path
// (deskView); a path without one is refused (404).
func (p *pages) deskItem(w http.ResponseWriter, r *http.Request, title string) (view, int64, bool) {
	v, ok := p.deskView(w, r, title)
	if !ok {
		return v, 0, false
	}
	id, ok := pathID(r)
	if !ok {
		p.fail(w, r, http.StatusNotFound, statusWords[http.StatusNotFound])
	}
	return v, id, ok
}

// deskPage answers a desk page that needs nothing but the clerk: the gate
// (deskView), then show at 200.
func (p *pages) deskPage(title string, show func(w http.ResponseWriter, r *http.Request, v view, status int)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if v, ok := p.deskView(w, r, title); ok {
			show(w, r, v, http.StatusOK)
		}
	}
}

// deskHomeData is the desk's home page.
type deskHomeData struct {
	Authority string
	Parcels   int
	ByStatus  []statusCount
	Sales     int
	Years     []int
	Missing   []missingYear
	Today     time.Time
}

type statusCount struct {
	Status string
	Count  int
}

// missingYear is a calendar year a sale's windows need that is not loaded.
type missingYear struct {
	Year int
	Why  string
}

// parcelStatusNames are the Chinese names of a parcel's states.
var parcelStatusNames = map[string]string{"registered": "已登记", "announced": "已公告", "in_sale": "出让中", "sold": "已出让",
	"failed": "流拍", "withdrawn": "已撤回"}

var parcelStatuses = []string{"registered", "announced", "in_sale", "sold", "failed", "withdrawn"}

func (p *pages) deskHome(w http.ResponseWriter, r *http.Request) {
	v, ok := p.deskView(w, r, "业务办理")
	if !ok {
		return
	}
	d := deskHomeData{Authority: p.authority}
	for _, st := range parcelStatuses {
		var list struct {
			Total int `json:"total"`
		}
		if code, msg := p.get(r, v.Me, "/api/v1/parcels?limit=1&status="+st, &list); code != http.StatusOK {
			p.fail(w, r, code, msg)
			return
		}
		d.Parcels += list.Total
		d.ByStatus = append(d.ByStatus, statusCount{Status: st, Count: list.Total})
	}
	years, sales, code, msg := p.calendars(r, v.Me)
	if code != http.StatusOK {
		p.fail(w, r, code, msg)
		return
	}
	d.Sales = len(sales)
	loaded := map[int]bool{}
	for _, c := range years {
		if !loaded[c.Year] {
			d.Years = append(d.Years, c.Year)
		}
		loaded[c.Year] = true
	}
	sort.Ints(d.Years)
	now := p.now(sales)
	d.Today = now
	d.Missing = missingYears(now, sales, loaded)
	v.Page = d
	p.render(w, "desk_home", http.StatusOK, v)
}

// saleHorizon is how far ahead a sale announced today reaches: the rule
// book's announcement lead (20 working days) and listing (10 working days)
// with their weekends and holidays fit within it, so a year that begins
// before now+saleHorizon is one a sale announced today may need.
const saleHorizon = 62 * 24 * time.Hour

// missingYears lists the calendar years that a sale announced now, or a
// sale's windows, would need and that are not loaded.
func missingYears(now time.Time, sales []sale, loaded map[int]bool) []missingYear {
	var out []missingYear
	seen := map[int]bool{}
	add := func(y int, why string) {
		if loaded[y] || seen[y] {
			return
		}
		seen[y] = true
		out = append(out, missingYear{Year: y, Why: why})
	}
	for _, s := range sales {
		if s.Windows == nil || s.Closed() {
			continue
		}
		for _, t := range []time.Time{s.Windows.ApplyStart, s.Windows.ApplyEnd, s.Windows.DepositDeadline, s.Windows.BiddingStart} {
			add(t.In(shanghai).Year(), fmt.Sprintf("出让“%s”的报名、保证金或竞价时间在 %d 年", s.ParcelName, t.In(shanghai).Year()))
		}
		if s.Windows.BiddingEnd != nil {
			y := s.Windows.BiddingEnd.In(shanghai).Year()
			add(y, fmt.Sprintf("出让“%s”的竞价截止时间在 %d 年", s.ParcelName, y))
		}
	}
	for _, t := range []time.Time{now, now.Add(saleHorizon)} {
		y := t.In(shanghai).Year()
		add(y, fmt.Sprintf("今天公告的出让，其公告期、报名期和挂牌期将计算到 %d 年的工作日", y))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Year < out[j].Year })
	return out
}
