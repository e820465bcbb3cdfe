package auction

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func loadCalendar(t testing.TB) Calendar {
	t.Helper()
	b, err := os.ReadFile("../data/calendar/2026.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cal, err := ParseCalendar(b)
	if err != nil {
		t.Fatalf("shipped 2026 calendar: %v", err)
	}
	return cal
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 10, 30, 0, 0, cst) }

func TestCalendar2026WorkingDays(t *testing.T) {
	cal := loadCalendar(t)
	tests := []struct {
		day     time.Time
		working bool
	}{
		{date(2026, 1, 1), false}, // 元旦, Thursday
		{date(2026, 1, 2), false},
		{date(2026, 1, 3), false},
		{date(2026, 1, 4), true}, // Sunday, 调休
		{date(2026, 1, 5), true},
		{date(2026, 2, 13), true},  // Friday
		{date(2026, 2, 14), true},  // Saturday, 调休
		{date(2026, 2, 15), false}, // 春节 starts, Sunday
		{date(2026, 2, 16), false}, // Monday
		{date(2026, 2, 20), false}, // Friday
		{date(2026, 2, 23), false}, // Monday, last day off
		{date(2026, 2, 24), true},
		{date(2026, 2, 28), true}, // Saturday, 调休
		{date(2026, 3, 1), false}, // plain Sunday
		{date(2026, 3, 7), false}, // plain Saturday
		{date(2026, 4, 3), true},
		{date(2026, 4, 6), false}, // 清明, Monday
		{date(2026, 5, 5), false}, // 劳动节, Tuesday
		{date(2026, 5, 9), true},  // Saturday, 调休
		{date(2026, 6, 19), false},
		{date(2026, 9, 19), false}, // plain Saturday
		{date(2026, 9, 20), true},  // Sunday, 调休
		{date(2026, 9, 25), false}, // 中秋, Friday
		{date(2026, 10, 1), false},
		{date(2026, 10, 7), false},
		{date(2026, 10, 8), true},
		{date(2026, 10, 10), true}, // Saturday, 调休
		{date(2026, 10, 11), false},
	}
	for _, tc := range tests {
		t.Run(tc.day.Format("2006-01-02 Mon"), func(t *testing.T) {
			if got := cal.IsWorkingDay(tc.day); got != tc.working {
				t.Errorf("IsWorkingDay = %v, want %v", got, tc.working)
			}
		})
	}
}

func TestAddWorkingDays(t *testing.T) {
	cal := loadCalendar(t)
	tests := []struct {
		name string
		from time.Time
		n    int
		want time.Time
	}{
		{"zero", date(2026, 2, 15), 0, date(2026, 2, 15)},
		{"friday to adjusted saturday", date(2026, 2, 13), 1, date(2026, 2, 14)},
		{"over the spring festival", date(2026, 2, 14), 1, date(2026, 2, 24)},
		{"three days after the festival's eve", date(2026, 2, 12), 3, date(2026, 2, 24)},
		{"into the adjusted saturday 28 Feb", date(2026, 2, 24), 4, date(2026, 2, 28)},
		// 20 WD from 2 Feb: 3,4,5,6,9,10,11,12,13,14(Sat),24,25,26,27,28(Sat),2 Mar,3,4,5,6.
		{"announcement lead across the festival", date(2026, 2, 2), 20, date(2026, 3, 6)},
		{"from inside the holiday", date(2026, 2, 18), 1, date(2026, 2, 24)},
		{"from a plain sunday", date(2026, 3, 1), 1, date(2026, 3, 2)},
		{"to the adjusted sunday before national day", date(2026, 9, 18), 1, date(2026, 9, 20)},
		{"over 中秋 and 国庆", date(2026, 9, 24), 3, date(2026, 9, 30)},
		{"over national day", date(2026, 9, 30), 1, date(2026, 10, 8)},
		{"to the adjusted saturday after national day", date(2026, 10, 8), 2, date(2026, 10, 10)},
		// 10 WD from 28 Sep: 29,30, 8 Oct,9,10(Sat),12,13,14,15,16.
		{"listing period over national day", date(2026, 9, 28), 10, date(2026, 10, 16)},
		{"backwards over the festival", date(2026, 2, 24), -1, date(2026, 2, 14)},
		{"backwards over national day", date(2026, 10, 8), -2, date(2026, 9, 29)},
		{"new year", date(2025, 12, 31), 1, date(2026, 1, 4)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := cal.AddWorkingDays(tc.from, tc.n)
			if !got.Equal(tc.want) {
				t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", tc.from.Format(time.DateTime), tc.n,
					got.In(cst).Format("2006-01-02 Mon 15:04"), tc.want.In(cst).Format("2006-01-02 Mon 15:04"))
			}
		})
	}
}

func TestAddWorkingDaysCountsInChinaTime(t *testing.T) {
	cal := loadCalendar(t)
	// 16:30 UTC on Friday 13 Feb is 00:30 on Saturday 14 Feb in China: the adjusted working
	// Saturday. One working day later is Tuesday 24 Feb, 00:30 China time.
	from := time.Date(2026, 2, 13, 16, 30, 0, 0, time.UTC)
	got := cal.AddWorkingDays(from, 1)
	want := time.Date(2026, 2, 24, 0, 30, 0, 0, cst)
	if !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("got %s, want %s in UTC", got, want.UTC())
	}
}

func TestCalendarCoverage(t *testing.T) {
	cal := loadCalendar(t)
	if !cal.Covers(date(2026, 6, 1)) || cal.Covers(date(2027, 1, 4)) || cal.Covers(date(2025, 12, 31)) {
		t.Error("Covers should hold for 2026 only")
	}
	if cal.CoversSpan(date(2026, 12, 20), date(2027, 1, 10)) {
		t.Error("CoversSpan into 2027 should be false")
	}
	// Outside a loaded year only weekends are off: 1 Jan 2027 is a Friday.
	if !cal.IsWorkingDay(date(2027, 1, 1)) || cal.IsWorkingDay(date(2027, 1, 2)) {
		t.Error("outside a loaded year, weekdays work and weekends are off")
	}
	if got := cal.Years(); len(got) != 1 || got[0] != 2026 {
		t.Errorf("Years = %v", got)
	}
	var zero Calendar
	if zero.Covers(date(2026, 1, 1)) || zero.IsWorkingDay(date(2026, 1, 3)) || !zero.IsWorkingDay(date(2026, 1, 1)) {
		t.Error("the zero calendar knows weekends only and covers nothing")
	}
	if n, ok := cal.Holiday(date(2026, 10, 10)); !ok || n != "国庆节" {
		t.Errorf("Holiday(10 Oct) = %q, %v", n, ok)
	}
}

func TestCalendarWorkingDayPeriodNeedsYear(t *testing.T) {
	cal := loadCalendar(t)
	_, err := Period{WorkingDays: 10}.End(cal, date(2026, 12, 24))
	if !errors.Is(err, ErrCalendarNotLoaded) {
		t.Fatalf("err = %v, want ErrCalendarNotLoaded", err)
	}
	end, err := Period{WorkingDays: 10}.End(cal, date(2026, 12, 1))
	if err != nil || !end.Equal(date(2026, 12, 15)) {
		t.Fatalf("End = %v, %v", end, err)
	}
	end, err = Period{Duration: time.Minute}.End(Calendar{}, date(2030, 1, 1))
	if err != nil || !end.Equal(date(2030, 1, 1).Add(time.Minute)) {
		t.Fatalf("duration period: %v, %v", end, err)
	}
}

func TestParseCalendarRejects(t *testing.T) {
	const ok = "year: 2027\nsource: test\nholidays:\n  - {name: x, from: 2027-01-01, to: 2027-01-01}\n"
	if _, err := ParseCalendar([]byte(ok)); err != nil {
		t.Fatalf("control document refused: %v", err)
	}
	tests := map[string]string{
		"empty":                "",
		"not yaml":             "year: [",
		"unknown key":          "year: 2027\nsource: s\nholiday: []\n",
		"no source":            "year: 2027\nholidays: []\n",
		"year out of range":    "year: 27\nsource: s\n",
		"bad date":             "year: 2027\nsource: s\nholidays:\n  - {name: x, from: 2027-02-30, to: 2027-03-01}\n",
		"reversed range":       "year: 2027\nsource: s\nholidays:\n  - {name: x, from: 2027-01-03, to: 2027-01-01}\n",
		"far year":             "year: 2027\nsource: s\nholidays:\n  - {name: x, from: 2030-01-01, to: 2030-01-01}\n",
		"no name":              "year: 2027\nsource: s\nholidays:\n  - {from: 2027-01-01, to: 2027-01-01}\n",
		"missing to":           "year: 2027\nsource: s\nholidays:\n  - {name: x, from: 2027-01-01}\n",
		"weekday as work":      "year: 2027\nsource: s\nholidays:\n  - {name: x, from: 2027-01-01, to: 2027-01-01, work: [2027-01-05]}\n",
		"overlapping holidays": "year: 2027\nsource: s\nholidays:\n  - {name: x, from: 2027-01-01, to: 2027-01-03}\n  - {name: y, from: 2027-01-03, to: 2027-01-04}\n",
		"off and work":         "year: 2027\nsource: s\nholidays:\n  - {name: x, from: 2027-01-02, to: 2027-01-03, work: [2027-01-02]}\n",
		"two documents":        ok + "---\n" + ok,
	}
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseCalendar([]byte(doc)); !errors.Is(err, ErrInvalidCalendar) {
				t.Errorf("err = %v, want ErrInvalidCalendar", err)
			}
		})
	}
	t.Run("same year twice", func(t *testing.T) {
		if _, err := ParseCalendar([]byte(ok), []byte(ok)); !errors.Is(err, ErrInvalidCalendar) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("two years merge", func(t *testing.T) {
		b, _ := os.ReadFile("../data/calendar/2026.yaml")
		cal, err := ParseCalendar(b, []byte(ok))
		if err != nil || !cal.CoversSpan(date(2026, 12, 1), date(2027, 1, 5)) || cal.IsWorkingDay(date(2027, 1, 1)) {
			t.Errorf("merge: %v", err)
		}
	})
}

// TestParseCalendarNamesTheProblem: a refused document names the line and the field to
// correct, in YAML and in JSON.
func TestParseCalendarNamesTheProblem(t *testing.T) {
	const head = "year: 2031\nsource: s\nholidays:\n"
	tests := []struct {
		name, doc string
		line      int
		field     string
		msg       string
	}{
		{"not a date", head + "  - name: x\n    from: 2031-02-30\n    to: 2031-03-01\n", 5, "holidays[0].from", `"2031-02-30" is not a date (YYYY-MM-DD)`},
		{"a word for a date", head + "  - {name: x, from: 2031-01-01, to: soon}\n", 4, "holidays[0].to", `"soon" is not a date`},
		{"timestamp for a date", head + "  - {name: x, from: 2031-01-01T00:00:00Z, to: 2031-01-02}\n", 4, "holidays[0].from", "is not a date"},
		{"to before from", head + "  - name: x\n    from: 2031-01-03\n    to: 2031-01-01\n", 6, "holidays[0].to", "to (2031-01-01) is before from (2031-01-03)"},
		{"adjusted working day on a Monday", head + "  - name: x\n    from: 2031-01-01\n    to: 2031-01-03\n    work:\n      - 2031-01-04\n      - 2031-01-06\n", 9, "holidays[0].work[1]", "adjusted working day 2031-01-06 is a Monday, not a weekend day"},
		{"day far from the year", head + "  - {name: x, from: 2033-01-01, to: 2033-01-02}\n", 4, "holidays[0].from", "2033-01-01 is not in 2031 or a neighbouring year"},
		{"range too long", head + "  - name: x\n    from: 2031-01-01\n    to: 2031-03-01\n", 4, "holidays[0]", "longer than a holiday"},
		{"overlap", head + "  - {name: x, from: 2031-01-01, to: 2031-01-03}\n  - {name: y, from: 2031-01-03, to: 2031-01-04}\n", 5, "holidays[1]", "2031-01-03 is already off for x"},
		{"off and work", head + "  - {name: x, from: 2031-01-04, to: 2031-01-05, work: [2031-01-04]}\n", 4, "holidays[0].work[0]", "2031-01-04 is off for x"},
		{"misspelt key", head + "  - name: x\n    form: 2031-01-01\n    to: 2031-01-02\n", 5, "holidays[0].form", `unknown key "form"`},
		{"unknown top key", "year: 2031\nsource: s\nholiday: []\n", 3, "holiday", `unknown key "holiday"`},
		{"key twice", "year: 2031\nyear: 2032\nsource: s\n", 2, "year", "year given twice"},
		{"year as text", "year: \"2031\"\nsource: s\n", 1, "year", `"2031" is not a year`},
		{"year out of range", "year: 31\nsource: s\n", 1, "year", "year 31 out of range"},
		{"no year", "source: s\n", 1, "year", "missing"},
		{"no source", "year: 2031\nholidays: []\n", 1, "source", "source missing"},
		{"empty source", "year: 2031\nsource: \" \"\n", 2, "source", "source missing"},
		{"no name", head + "  - {from: 2031-01-01, to: 2031-01-01}\n", 4, "holidays[0].name", "name missing"},
		{"missing to", head + "  - {name: x, from: 2031-01-01}\n", 4, "holidays[0]", "from and to are required"},
		{"work not a list", head + "  - {name: x, from: 2031-01-01, to: 2031-01-01, work: 2031-01-04}\n", 4, "holidays[0].work", "must be a list of dates"},
		{"holidays not a list", "year: 2031\nsource: s\nholidays: 3\n", 3, "holidays", "must be a list of holidays"},
		{"alias", "year: 2031\nsource: s\nholidays:\n  - &h {name: x, from: 2031-01-01, to: 2031-01-01}\n  - *h\n", 5, "holidays", "aliases (*h) are not accepted"},
		{"not a mapping", "- 2031\n", 1, "", "must be a mapping"},
		{"not YAML", "year: 2031\nsource: [\n", 2, "", "not readable YAML"},
		{"JSON, bad date", "{\n  \"year\": 2031,\n  \"source\": \"s\",\n  \"holidays\": [\n    {\"name\": \"x\", \"from\": \"2031-01-01\", \"to\": \"2031-01-32\"}\n  ]\n}\n", 5, "holidays[0].to", `"2031-01-32" is not a date`},
		{"JSON, weekday worked", `{"year": 2031, "source": "s", "holidays": [{"name": "x", "from": "2031-01-01", "to": "2031-01-03", "work": ["2031-01-02"]}]}`, 1, "holidays[0].work[0]", "2031-01-02 is a Thursday, not a weekend day"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCalendarDocument([]byte(tc.doc))
			var ce *CalendarError
			if !errors.Is(err, ErrInvalidCalendar) || !errors.As(err, &ce) {
				t.Fatalf("err = %v, want ErrInvalidCalendar with a *CalendarError", err)
			}
			if ce.Line != tc.line || ce.Field != tc.field || !strings.Contains(ce.Msg, tc.msg) {
				t.Errorf("got line %d, field %q, %q; want line %d, field %q, containing %q", ce.Line, ce.Field, ce.Msg, tc.line, tc.field, tc.msg)
			}
			if tc.line > 0 && !strings.Contains(err.Error(), fmt.Sprintf("line %d: ", tc.line)) {
				t.Errorf("message %q does not name line %d", err, tc.line)
			}
		})
	}
}

// TestParseCalendarDocument: the document as read, its days off and adjusted working days,
// the same from YAML and from JSON.
func TestParseCalendarDocument(t *testing.T) {
	b, err := os.ReadFile("../data/calendar/2026.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseCalendarDocument(b)
	if err != nil {
		t.Fatal(err)
	}
	if d.Year != 2026 || !strings.HasPrefix(d.Source, "国务院办公厅") || len(d.Holidays) != 7 {
		t.Fatalf("read %d, %q, %d holidays", d.Year, d.Source, len(d.Holidays))
	}
	off, work := d.DaysOff(), d.AdjustedWorkingDays()
	if len(off) != 3+9+3+5+3+3+7 || off[0] != (CalendarDay{"2026-01-01", "元旦"}) || off[len(off)-1] != (CalendarDay{"2026-10-07", "国庆节"}) {
		t.Errorf("days off: %d, first %v, last %v", len(off), off[0], off[len(off)-1])
	}
	want := []CalendarDay{{"2026-01-04", "元旦"}, {"2026-02-14", "春节"}, {"2026-02-28", "春节"}, {"2026-05-09", "劳动节"}, {"2026-09-20", "国庆节"}, {"2026-10-10", "国庆节"}}
	if !slices.Equal(work, want) {
		t.Errorf("adjusted working days %v, want %v (in date order)", work, want)
	}
	js, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := ParseCalendarDocument(js)
	if err != nil {
		t.Fatalf("the JSON form %s: %v", js, err)
	}
	if !reflect.DeepEqual(d, d2) {
		t.Errorf("JSON form reads as %+v, YAML as %+v", d2, d)
	}
	for _, f := range []string{"testdata/calendar-2030.yaml", "testdata/calendar-2031.yaml"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if d, err := ParseCalendarDocument(b); err != nil || !strings.Contains(d.Source, "test fixture") {
			t.Errorf("%s: %v; source %q must say it is a test fixture", f, err, d.Source)
		}
	}
}

// TestCalendarNotLoadedNamesTheYears: a count into years that are not loaded names exactly
// those years.
func TestCalendarNotLoadedNamesTheYears(t *testing.T) {
	cal := loadCalendar(t)
	tests := []struct {
		from  time.Time
		n     int
		years []int
		text  string
	}{
		{date(2026, 12, 24), 10, []int{2027}, "the working-day calendar for 2027 is not loaded"},
		{date(2026, 12, 24), 300, []int{2027, 2028}, "for 2027 and 2028 is not loaded"},
		{date(2029, 12, 24), 10, []int{2029, 2030}, "for 2029 and 2030 is not loaded"},
		{date(2027, 3, 1), -5, []int{2027}, "for 2027 is not loaded"},
	}
	for _, tc := range tests {
		_, err := Period{WorkingDays: tc.n}.End(cal, tc.from)
		var re *RuleError
		if !errors.As(err, &re) || !errors.Is(err, ErrCalendarNotLoaded) || re.Rule != "calendar-not-loaded" {
			t.Fatalf("%d WD from %s: %v", tc.n, tc.from, err)
		}
		if !slices.Equal(re.Years, tc.years) || !strings.Contains(re.Msg, tc.text) {
			t.Errorf("%d WD from %s: years %v, %q; want %v, %q", tc.n, tc.from, re.Years, re.Msg, tc.years, tc.text)
		}
	}
	if m := cal.Missing(date(2027, 1, 5), date(2025, 6, 1)); !slices.Equal(m, []int{2025, 2027}) {
		t.Errorf("Missing = %v", m)
	}
	// With the test fixtures of 2030 and 2031 loaded, 10 working days from Monday
	// 23 Dec 2030 skip the fixture's 1–3 Jan and count Saturday 4 Jan.
	var docs [][]byte
	for _, f := range []string{"testdata/calendar-2030.yaml", "testdata/calendar-2031.yaml"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, b)
	}
	fx, err := ParseCalendar(docs...)
	if err != nil {
		t.Fatal(err)
	}
	end, err := Period{WorkingDays: 10}.End(fx, date(2030, 12, 23))
	if err != nil || !end.Equal(date(2031, 1, 8)) {
		t.Errorf("10 WD from 23 Dec 2030 = %v, %v; want 8 Jan 2031", end, err)
	}
}
