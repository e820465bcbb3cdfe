package openapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"minerights/auction"
	"minerights/openapi"
	"minerights/registry"
)

// calendarFixture reads a test-only calendar of auction/testdata: made-up
// holidays for a year no official notice covers, so that the test does not
// depend on today's date.
func calendarFixture(t *testing.T, year int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("../auction/testdata/calendar-%d.yaml", year))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// send sends body with a content type to server i of x.
func (x *xfer) send(i int, method, path, token, ctype, body string) reply {
	x.t.Helper()
	req, err := http.NewRequest(method, x.urls[i]+path, strings.NewReader(body))
	if err != nil {
		x.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		x.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{status: res.StatusCode, header: res.Header, body: b}
}

func (p problem) has(loc, text string) bool {
	for _, e := range p.Errors {
		if e.Location == loc && strings.Contains(e.Message, text) {
			return true
		}
	}
	return false
}

// TestCalendarLoadUnblocksAnnouncement: a listing counted in working days
// from late December 2030 into 2031 is refused (422 calendar-not-loaded,
// naming the years and how to load them) until the bureau loads the years
// through one server process; the other process then counts with them at
// once, holidays and adjusted working days of the loaded year included.
func TestCalendarLoadUnblocksAnnouncement(t *testing.T) {
	rules := fast(t)
	rules.AnnouncementLead = auction.Period{Duration: time.Second}
	rules.ListingPeriod = auction.Period{WorkingDays: 10}
	x := newXfer(t, rules, 2)
	sale, _ := x.offer(1, `"method":"listing","increment":1000,"deposit":1000`)
	path := fmt.Sprintf("/api/v1/sales/%d/announcement", sale.ID)
	cst := time.FixedZone("CST", 8*3600)
	at := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, cst) }
	announce := func(end time.Time) reply {
		w, _ := json.Marshal(map[string]any{
			"apply_start": x.dbNow().Add(2 * time.Second), "apply_end": at(2030, 12, 20, 10),
			"deposit_deadline": at(2030, 12, 20, 12), "bidding_start": at(2030, 12, 23, 9), "bidding_end": end,
		})
		return x.call(0, "POST", path, x.bureau, string(w))
	}
	// 10 working days from Monday 23 Dec 2030 on the fixtures: 24–27, 30, 31 Dec, then
	// 1–3 Jan off, Saturday 4 Jan worked, 6, 7, 8 Jan. Weekends alone would give 6 Jan.
	enough, short := at(2031, 1, 8, 9), at(2031, 1, 6, 9)

	var p problem
	r := announce(enough)
	r.into(t, &p)
	if r.status != 422 || !p.has("rule", "calendar-not-loaded") || !strings.Contains(p.Detail, "2030 and 2031 is not loaded") ||
		!strings.Contains(p.Detail, "PUT /api/v1/calendars/2030 and PUT /api/v1/calendars/2031") ||
		!p.has("calendar.2030", "PUT /api/v1/calendars/2030") || !p.has("calendar.2031", "PUT /api/v1/calendars/2031") {
		t.Fatalf("before loading: %d %s", r.status, r.body)
	}

	// Through the other process, as YAML.
	r = x.send(1, "PUT", "/api/v1/calendars/2030", x.bureau, "text/yaml", calendarFixture(t, 2030))
	if r.status != 200 {
		t.Fatalf("PUT 2030: %d %s", r.status, r.body)
	}
	r = announce(enough)
	p = problem{}
	r.into(t, &p)
	if r.status != 422 || !strings.Contains(p.Detail, "for 2031 is not loaded") || strings.Contains(p.Detail, "calendars/2030") ||
		!p.has("calendar.2031", "PUT /api/v1/calendars/2031") {
		t.Fatalf("with 2030 loaded: %d %s", r.status, r.body)
	}

	r = x.send(1, "PUT", "/api/v1/calendars/2031", x.bureau, "application/yaml; charset=utf-8", calendarFixture(t, 2031))
	var put struct {
		Year    int    `json:"year"`
		Version int    `json:"version"`
		Origin  string `json:"origin"`
		Changed bool   `json:"changed"`
	}
	r.into(t, &put)
	if r.status != 200 || put.Year != 2031 || put.Version != 1 || put.Origin != "database" || !put.Changed {
		t.Fatalf("PUT 2031: %d %s", r.status, r.body)
	}
	var list struct {
		Items []registry.CalendarYear `json:"items"`
	}
	x.must(200, "GET", "/api/v1/calendars", "", "").into(t, &list)
	var years []string
	for _, y := range list.Items {
		years = append(years, fmt.Sprintf("%d %s", y.Year, y.Origin))
	}
	if !slices.Equal(years, []string{"2026 file", "2030 database", "2031 database"}) {
		t.Fatalf("process 0 lists %v", years)
	}

	r = announce(short)
	p = problem{}
	r.into(t, &p)
	if r.status != 422 || !p.has("rule", "invalid-windows") || !strings.Contains(p.Detail, "until 2031-01-08 09:00:00 CST or later") {
		t.Fatalf("a listing that forgets the loaded holiday: %d %s", r.status, r.body)
	}
	r = announce(enough)
	if r.status != 200 {
		t.Fatalf("after loading: %d %s", r.status, r.body)
	}
	if st := x.sale(sale.ID).State; st != "announced" && st != "applying" {
		t.Fatalf("state %s", st)
	}
	// The announcement names the calendar documents it was checked with.
	var notices struct {
		Items []struct {
			Kind string `json:"kind"`
			Body struct {
				Calendar map[string]string `json:"calendar_sha256"`
			} `json:"body"`
		} `json:"items"`
	}
	x.must(200, "GET", fmt.Sprintf("/api/v1/sales/%d/notices", sale.ID), "", "").into(t, &notices)
	if len(notices.Items) != 1 || notices.Items[0].Kind != "announcement" {
		t.Fatalf("notices %+v", notices.Items)
	}
	for _, y := range list.Items {
		if got := notices.Items[0].Body.Calendar[strconv.Itoa(y.Year)]; got != y.SHA256 || got == "" {
			t.Errorf("announcement's calendar for %d: %q, want %q", y.Year, got, y.SHA256)
		}
	}

	// A correction of 2031 names the sale announced with the old dates;
	// 2030 unchanged names none.
	var corrected struct {
		Version  int     `json:"version"`
		Changed  bool    `json:"changed"`
		Affected []int64 `json:"affected_sales"`
	}
	r = x.send(0, "PUT", "/api/v1/calendars/2031", x.bureau, "text/yaml", calendarFixture(t, 2031)+"\n# corrected\n")
	r.into(t, &corrected)
	if r.status != 200 || corrected.Version != 2 || !corrected.Changed || !slices.Equal(corrected.Affected, []int64{sale.ID}) {
		t.Fatalf("correcting 2031: %d %s", r.status, r.body)
	}
	r = x.send(0, "PUT", "/api/v1/calendars/2030", x.bureau, "text/yaml", calendarFixture(t, 2030))
	corrected.Affected = nil
	r.into(t, &corrected)
	if r.status != 200 || corrected.Changed || corrected.Affected == nil || len(corrected.Affected) != 0 {
		t.Fatalf("2030 again: %d %s", r.status, r.body)
	}
}

// TestCalendarLoadForTodaysAnnouncement: with the default rules, an
// announcement made today whose working days run into a year that is not
// loaded is refused until that year is loaded, then accepted. The loaded
// years are made up here (no holidays) for whatever years today's count
// needs.
func TestCalendarLoadForTodaysAnnouncement(t *testing.T) {
	b, _ := os.ReadFile("../data/rules/default.yaml")
	rules, err := auction.ParseRules(b)
	if err != nil {
		t.Fatal(err)
	}
	x := newXfer(t, rules, 1)
	sale, _ := x.offer(2, `"method":"listing","increment":1000,"deposit":1000`)
	now := x.dbNow()
	day := 24 * time.Hour
	w, _ := json.Marshal(map[string]any{
		"apply_start": now.Add(time.Minute), "apply_end": now.Add(40 * day), "deposit_deadline": now.Add(40 * day),
		"bidding_start": now.Add(45 * day), "bidding_end": now.Add(75 * day),
	})
	path := fmt.Sprintf("/api/v1/sales/%d/announcement", sale.ID)
	r := x.call(0, "POST", path, x.bureau, string(w))
	if r.status == 200 {
		t.Skip("every year today's count needs is shipped: nothing to load")
	}
	var p problem
	r.into(t, &p)
	if r.status != 422 || !p.has("rule", "calendar-not-loaded") {
		t.Fatalf("announcement: %d %s", r.status, r.body)
	}
	var missing []int
	for _, e := range p.Errors {
		var y int
		if _, err := fmt.Sscanf(e.Location, "calendar.%d", &y); err == nil {
			missing = append(missing, y)
			if !strings.Contains(p.Detail, fmt.Sprintf("PUT /api/v1/calendars/%d", y)) {
				t.Errorf("the message does not say how to load %d: %s", y, p.Detail)
			}
		}
	}
	if len(missing) == 0 {
		t.Fatalf("no missing year named: %s", r.body)
	}
	for _, y := range missing {
		doc := fmt.Sprintf(`{"year": %d, "source": "test fixture, not an official notice", "holidays": []}`, y)
		if r := x.send(0, "PUT", fmt.Sprintf("/api/v1/calendars/%d", y), x.bureau, "application/json", doc); r.status != 200 {
			t.Fatalf("PUT %d: %d %s", y, r.status, r.body)
		}
	}
	x.must(200, "POST", path, x.bureau, string(w))
}

// TestCalendarPutRefused: every bad document is a 4xx problem naming the
// line, the date or the field, and nothing is stored; only the bureau may
// load; the JSON form loads like the YAML; every version stays readable.
func TestCalendarPutRefused(t *testing.T) {
	e := newEnv(t)
	doc31 := calendarFixture(t, 2031)
	put := func(year int, role, ctype, body string) resp {
		t.Helper()
		return e.do(http.MethodPut, fmt.Sprintf("/api/v1/calendars/%d", year), role, ctype, []byte(body))
	}
	jsonDoc := `{
  "year": 2031,
  "source": "测试用虚构日历 (test fixture, not an official notice)",
  "holidays": [
    {"name": "测试元旦 (fixture)", "from": "2031-01-01", "to": "2031-01-03", "work": ["2031-01-04"]},
    {"name": "测试劳动节 (fixture)", "from": "2031-05-01", "to": "2031-05-05", "work": ["2031-04-27"]}
  ]
}`
	tests := []struct {
		name        string
		year        int
		ctype, body string
		status      int
		loc, text   string
	}{
		{"year of the path differs", 2030, "application/yaml", doc31, 422, "body.year", "the document is for 2031, not 2030"},
		{"not a date", 2031, "application/yaml", strings.Replace(doc31, "from: 2031-05-01", "from: 2031-02-30", 1), 422, "body.holidays[1].from", `line 12: holidays[1].from: "2031-02-30" is not a date`},
		{"adjusted working day on a weekday", 2031, "text/yaml", strings.Replace(doc31, "work: [2031-04-27]", "work: [2031-04-29]", 1), 422, "body.holidays[1].work[0]", "adjusted working day 2031-04-29 is a Tuesday, not a weekend day"},
		{"to before from", 2031, "application/yaml", strings.Replace(doc31, "to: 2031-01-03", "to: 2030-12-30", 1), 422, "body.holidays[0].to", "to (2030-12-30) is before from (2031-01-01)"},
		{"misspelt key", 2031, "application/yaml", strings.Replace(doc31, "    to: 2031-05-05", "    til: 2031-05-05", 1), 422, "body.holidays[1].til", `line 13: holidays[1].til: unknown key "til"`},
		{"not YAML", 2031, "application/yaml", "year: 2031\nsource: [unclosed\n", 422, "body", "not readable YAML"},
		{"JSON with a bad date", 2031, "application/json", strings.Replace(jsonDoc, `"to": "2031-05-05"`, `"to": "5 May"`, 1), 422, "body.holidays[1].to", `line 6: holidays[1].to: "5 May" is not a date`},
		{"JSON year as text", 2031, "application/json", strings.Replace(jsonDoc, `"year": 2031`, `"year": "2031"`, 1), 422, "body.year", `"2031" is not a year`},
		{"empty body", 2031, "application/yaml", "", 400, "", "request body is required"},
		{"a form", 2031, "application/x-www-form-urlencoded", doc31, 415, "", "application/yaml"},
		{"year out of range", 1900, "application/yaml", doc31, 422, "path.year", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := put(tc.year, registry.RoleBureau, tc.ctype, tc.body)
			if r.Status != tc.status || !strings.Contains(r.Header.Get("Content-Type"), "problem+json") {
				t.Fatalf("%d %s: %s", r.Status, r.Header.Get("Content-Type"), r.Body)
			}
			var p problem
			r.json(t, &p)
			if tc.loc != "" && !p.has(tc.loc, tc.text) || !strings.Contains(p.text(), tc.text) {
				t.Errorf("want %s: %q in %s", tc.loc, tc.text, r.Body)
			}
		})
	}
	for _, c := range []struct {
		role   string
		status int
	}{{registry.RoleBidder, 403}, {registry.RolePlanner, 403}, {"", 401}} {
		if r := put(2031, c.role, "application/yaml", doc31); r.Status != c.status {
			t.Errorf("PUT as %q: %d %s", c.role, r.Status, r.Body)
		}
	}
	var n int
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM calendar_year) + (SELECT count(*) FROM calendar_year_version)`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("refused loads stored %d rows (%v)", n, err)
	}
	if r := e.get("/api/v1/calendars/2031"); r.Status != 404 || !strings.Contains(string(r.Body), "PUT /api/v1/calendars/2031") {
		t.Fatalf("GET 2031 before loading: %d %s", r.Status, r.Body)
	}

	// The JSON form, then the YAML form of the same year: two versions.
	if r := put(2031, registry.RoleBureau, "application/json", jsonDoc); r.Status != 200 {
		t.Fatalf("JSON form: %d %s", r.Status, r.Body)
	}
	r := put(2031, registry.RoleBureau, "application/yaml", doc31)
	var res struct {
		Version  int  `json:"version"`
		Replaced int  `json:"replaced_version"`
		Changed  bool `json:"changed"`
	}
	r.json(t, &res)
	if r.Status != 200 || res.Version != 2 || res.Replaced != 1 || !res.Changed {
		t.Fatalf("YAML form: %d %s", r.Status, r.Body)
	}
	r = put(2031, registry.RoleBureau, "application/yaml", doc31)
	r.json(t, &res)
	if r.Status != 200 || res.Version != 2 || res.Changed {
		t.Fatalf("the same document again: %d %s", r.Status, r.Body)
	}

	var cur openapi.CalendarOut
	r = e.get("/api/v1/calendars/2031")
	r.json(t, &cur)
	if r.Status != 200 || cur.Version != 2 || !cur.Current || cur.Document != doc31 || len(cur.Holidays) != 2 || !strings.HasPrefix(cur.LoadedBy, "bureau test (bureau#") {
		t.Fatalf("GET 2031: %d %s", r.Status, r.Body)
	}
	wantOff := []auction.CalendarDay{{Date: "2031-01-01", Holiday: "测试元旦 (fixture)"}, {Date: "2031-01-02", Holiday: "测试元旦 (fixture)"}}
	wantWork := []auction.CalendarDay{{Date: "2031-01-04", Holiday: "测试元旦 (fixture)"}, {Date: "2031-04-27", Holiday: "测试劳动节 (fixture)"}}
	if len(cur.DaysOff) != 8 || !slices.Equal(cur.DaysOff[:2], wantOff) || !slices.Equal(cur.AdjustedWorkingDays, wantWork) {
		t.Errorf("days off %v, adjusted working days %v", cur.DaysOff, cur.AdjustedWorkingDays)
	}
	if len(cur.Versions) != 2 || cur.Versions[0].ReplacedAt == nil || !cur.Versions[1].Current {
		t.Errorf("versions %+v", cur.Versions)
	}
	var v1 openapi.CalendarOut
	r = e.get("/api/v1/calendars/2031?version=1")
	r.json(t, &v1)
	if r.Status != 200 || v1.Version != 1 || v1.Current || v1.Document != jsonDoc || v1.ReplacedAt == nil {
		t.Fatalf("version 1: %d %s", r.Status, r.Body)
	}
	if r := e.get("/api/v1/calendars/2031?version=9"); r.Status != 404 {
		t.Errorf("version 9: %d", r.Status)
	}
	var f26 openapi.CalendarOut
	r = e.get("/api/v1/calendars/2026")
	r.json(t, &f26)
	if r.Status != 200 || f26.Origin != "file" || f26.Version != 0 || len(f26.Holidays) != 7 || f26.LoadedAt != nil {
		t.Errorf("2026: %d %s", r.Status, r.Body)
	}
}
