package pages

// The desk's working-day calendars (/desk/calendars): the years in force,
// the years a sale needs that are missing, and the load of a year.

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"minerights/registry"
)

// calendarYear is a working-day calendar year in force (GET
// /api/v1/calendars).
type calendarYear struct {
	Year     int        `json:"year"`
	Origin   string     `json:"origin"`
	Version  int        `json:"version"`
	Source   string     `json:"source"`
	Holidays int        `json:"holiday_count"`
	LoadedAt *time.Time `json:"loaded_at"`
	LoadedBy string     `json:"loaded_by"`
}

type deskCalendarsData struct {
	Years    []calendarYear
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
	years, sales, code, msg := p.calendars(r, v.Me)
	if code != http.StatusOK {
		p.fail(w, r, code, msg)
		return
	}
	d.Years = years
	loadedYears := map[int]bool{}
	for _, y := range d.Years {
		loadedYears[y.Year] = true
		d.Next = max(d.Next, y.Year+1)
	}
	d.Missing = missingYears(p.now(sales), sales, loadedYears)
	if len(d.Missing) > 0 {
		d.Next = d.Missing[0].Year
	}
	v.Page = d
	p.render(w, "desk_calendars", status, v)
}

func (p *pages) deskCalendarLoad(w http.ResponseWriter, r *http.Request) {
	var problems []string
	f, ok := p.openDeskForm(w, r, "工作日历", 300<<10, "文件过大：日历文件不能超过 256 KiB。",
		func(v view, status int) { p.showCalendars(w, r, v, nil, status, problems...) })
	if !ok {
		return
	}
	year, err := strconv.Atoi(strings.TrimSpace(r.FormValue("year")))
	if err != nil || year < 1992 || year > 2200 {
		f.show(http.StatusUnprocessableEntity, "请填写日历的年度，例如 2027。")
		return
	}
	data, status, fix := uploaded(r, 256<<10, "请选择该年度的日历文件（YAML，格式同 data/calendar/2026.yaml）。", "文件过大：日历文件不能超过 256 KiB。")
	if fix != "" {
		f.show(status, fix)
		return
	}
	f.refused = listProblems(&problems, func(_, msg string) string { return calendarWords(msg) },
		fmt.Sprintf("%d 年日历未载入，原有日历保持不变：", year))
	var out struct {
		Version  int     `json:"version"`
		Changed  bool    `json:"changed"`
		Replaced int     `json:"replaced_version"`
		Affected []int64 `json:"affected_sales"`
	}
	if !f.sendFor(&out, http.MethodPut, fmt.Sprintf("/api/v1/calendars/%d", year), rawBody{contentType: "application/yaml", data: data}, http.StatusOK) {
		return
	}
	f.v.Flash = fmt.Sprintf("%d 年工作日历已载入（第 %d 版），即时生效。", year, out.Version)
	if !out.Changed {
		f.v.Flash = fmt.Sprintf("%d 年工作日历与在用的相同，未作变更。", year)
	}
	p.showCalendars(w, r, f.v, &calendarLoaded{Year: year, Version: out.Version, Replaced: out.Replaced, Changed: out.Changed, Affected: out.Affected}, http.StatusOK)
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

// calendars reads the calendar years in force and the sales whose windows
// need them; on a refusal it answers the status and its words.
func (p *pages) calendars(r *http.Request, me *registry.Principal) ([]calendarYear, []sale, int, string) {
	var cals struct {
		Items []calendarYear `json:"items"`
	}
	if code, msg := p.get(r, me, "/api/v1/calendars", &cals); code != http.StatusOK {
		return nil, nil, code, msg
	}
	var sales struct {
		Items []sale `json:"items"`
	}
	if code, msg := p.get(r, me, "/api/v1/sales?limit=200", &sales); code != http.StatusOK {
		return nil, nil, code, msg
	}
	return cals.Items, sales.Items, http.StatusOK, ""
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
