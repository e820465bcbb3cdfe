package pages

import (
	"time"

	"minerights/auction"
)

// workingDays counts the working days after from's day up to and including
// to's day in Beijing time, by the calendar in force; ok is false when the
// span runs into a year the calendar does not hold (never guessed).
func workingDays(cal auction.Calendar, from, to time.Time) (n int, ok bool) {
	if to.Before(from) || !cal.CoversSpan(from, to) {
		return 0, false
	}
	d := time.Date(from.In(shanghai).Year(), from.In(shanghai).Month(), from.In(shanghai).Day(), 12, 0, 0, 0, shanghai)
	end := time.Date(to.In(shanghai).Year(), to.In(shanghai).Month(), to.In(shanghai).Day(), 12, 0, 0, 0, shanghai)
	for d = d.AddDate(0, 0, 1); !d.After(end); d = d.AddDate(0, 0, 1) {
		if cal.IsWorkingDay(d) {
			n++
		}
	}
	return n, true
}

// windowDays are the announcement's windows in working days, for the
// sale page; a zero entry is not shown.
type windowDays struct {
	Lead, Apply, Bidding int
	Known                bool
}
