package auction_test

import (
	"os"
	"testing"
	"time"

	"minerights/auction"
)

// FuzzParseRules: any rules file either fails with an error or gives rules
// that pass their own validation.
func FuzzParseRules(f *testing.F) {
	for _, name := range []string{"../data/rules/default.yaml", "../data/rules/drill.yaml"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("countdown: -5s\n"))
	f.Add([]byte("listing_period: {working_days: 10, duration: 1s}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := auction.ParseRules(b)
		if err != nil {
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("parsed rules fail validation: %v", err)
		}
	})
}

// FuzzParseCalendar: any calendar file either fails or gives a calendar
// whose working-day arithmetic terminates and moves forward.
func FuzzParseCalendar(f *testing.F) {
	b, err := os.ReadFile("../data/calendar/2026.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("year: 2026\nholidays: [2026-02-30]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cal, err := auction.ParseCalendar(b)
		if err != nil {
			return
		}
		for _, y := range cal.Years() {
			start := mustDate(t, y)
			end := cal.AddWorkingDays(start, 20)
			if !end.After(start) {
				t.Fatalf("20 working days from %v is %v", start, end)
			}
		}
	})
}

func mustDate(t *testing.T, year int) time.Time {
	t.Helper()
	return time.Date(year, time.January, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
}
