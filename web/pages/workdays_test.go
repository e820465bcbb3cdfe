package pages

import (
	"testing"
	"time"

	"minerights/auction"
	"minerights/data"
)

func TestWorkingDays(t *testing.T) {
	cal, err := auction.ParseCalendar(data.Calendars()...)
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		from, to string
		want     int
		ok       bool
	}{
		{"2026-09-30 09:00", "2026-10-09 17:00", 2, true},  // 国庆 1-7 off: the 8th and 9th
		{"2026-10-09 09:00", "2026-10-12 09:00", 2, true},  // Saturday the 10th is a 调休 working day
		{"2026-11-30 09:00", "2026-11-30 17:00", 0, true},  // the same day
		{"2026-12-30 09:00", "2027-01-05 09:00", 0, false}, // 2027 is not loaded
		{"2026-12-01 09:00", "2026-11-30 09:00", 0, false},
	} {
		n, ok := workingDays(cal, at(tc.from), at(tc.to))
		if n != tc.want || ok != tc.ok {
			t.Errorf("workingDays(%s, %s) = %d, %v; want %d, %v", tc.from, tc.to, n, ok, tc.want, tc.ok)
		}
	}
}
