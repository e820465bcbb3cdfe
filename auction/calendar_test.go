package auction

import (
	"errors"
	"os"
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
