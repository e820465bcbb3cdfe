package auction

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// day is a civil date in China Standard Time.
type day struct {
	y int
	m time.Month
	d int
}

func dayOf(t time.Time) day {
	y, m, d := t.In(cst).Date()
	return day{y, m, d}
}

func (d day) add(n int) day {
	return dayOf(time.Date(d.y, d.m, d.d+n, 12, 0, 0, 0, cst))
}

func (d day) weekday() time.Weekday {
	return time.Date(d.y, d.m, d.d, 12, 0, 0, 0, cst).Weekday()
}

func (d day) before(e day) bool {
	if d.y != e.y {
		return d.y < e.y
	}
	if d.m != e.m {
		return d.m < e.m
	}
	return d.d < e.d
}

// String formats the date as YYYY-MM-DD.
func (d day) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.y, d.m, d.d) }

// Calendar is the working-day calendar: weekends and public holidays are off, adjusted
// working days (调休, a Saturday or Sunday declared a working day) are on. It is loaded per
// year; for a year that is not loaded only weekends are off, and Covers reports false so the
// caller can refuse to count instead of guessing. The zero Calendar holds no year.
// A Calendar is immutable and safe for concurrent use.
type Calendar struct {
	years map[int]bool
	off   map[day]string // date → holiday name
	work  map[day]string // date → holiday the adjusted working day belongs to
}

type dateFile struct{ day day }

// UnmarshalYAML reads a YYYY-MM-DD date as a China Standard Time date, whether YAML
// tagged it as a timestamp or as a string.
func (d *dateFile) UnmarshalYAML(n *yaml.Node) error {
	t, err := time.ParseInLocation("2006-01-02", n.Value, cst)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a date (YYYY-MM-DD)", n.Line, n.Value)
	}
	d.day = dayOf(t)
	return nil
}

type calendarFile struct {
	Year     int    `yaml:"year"`
	Source   string `yaml:"source"`
	Holidays []struct {
		Name string     `yaml:"name"`
		From *dateFile  `yaml:"from"`
		To   *dateFile  `yaml:"to"`
		Work []dateFile `yaml:"work"`
	} `yaml:"holidays"`
}

// ParseCalendar reads one YAML document per year and merges them. A document gives the
// year, its source, and each holiday as a range of days off (from, to) with the adjusted
// working days (work) that go with it. Days may fall in the neighbouring year, as a New
// Year holiday sometimes does. Two documents for the same year, a date both off and on,
// or an adjusted working day that is not a weekend are refused.
func ParseCalendar(docs ...[]byte) (Calendar, error) {
	c := Calendar{years: map[int]bool{}, off: map[day]string{}, work: map[day]string{}}
	for _, b := range docs {
		if err := c.load(b); err != nil {
			return Calendar{}, fmt.Errorf("auction: %w: %v", ErrInvalidCalendar, err)
		}
	}
	return c, nil
}

func (c *Calendar) load(b []byte) error {
	var f calendarFile
	if err := decodeStrict(b, &f); err != nil {
		return err
	}
	if f.Year < 1992 || f.Year > 2200 {
		return fmt.Errorf("year %d out of range", f.Year)
	}
	if c.years[f.Year] {
		return fmt.Errorf("year %d loaded twice", f.Year)
	}
	if strings.TrimSpace(f.Source) == "" {
		return fmt.Errorf("%d: source missing (name the notice the dates come from)", f.Year)
	}
	near := func(d day) bool { return d.y >= f.Year-1 && d.y <= f.Year+1 }
	for i, h := range f.Holidays {
		if strings.TrimSpace(h.Name) == "" {
			return fmt.Errorf("%d: holiday %d: name missing", f.Year, i+1)
		}
		if h.From == nil || h.To == nil {
			return fmt.Errorf("%d: %s: from and to are required", f.Year, h.Name)
		}
		from, to := h.From.day, h.To.day
		if to.before(from) || !near(from) || !near(to) || from.add(31).before(to) {
			return fmt.Errorf("%d: %s: range %s–%s is not a holiday in this year", f.Year, h.Name, from, to)
		}
		for d := from; !to.before(d); d = d.add(1) {
			if other, ok := c.off[d]; ok {
				return fmt.Errorf("%d: %s: %s is already off for %s", f.Year, h.Name, d, other)
			}
			if other, ok := c.work[d]; ok {
				return fmt.Errorf("%d: %s: %s is a working day for %s", f.Year, h.Name, d, other)
			}
			c.off[d] = h.Name
		}
		for _, w := range h.Work {
			d := w.day
			if wd := d.weekday(); wd != time.Saturday && wd != time.Sunday {
				return fmt.Errorf("%d: %s: adjusted working day %s is a %s, not a weekend day", f.Year, h.Name, d, wd)
			}
			if !near(d) {
				return fmt.Errorf("%d: %s: adjusted working day %s is not near this year", f.Year, h.Name, d)
			}
			if other, ok := c.off[d]; ok {
				return fmt.Errorf("%d: %s: %s is off for %s", f.Year, h.Name, d, other)
			}
			if _, ok := c.work[d]; ok {
				return fmt.Errorf("%d: %s: %s listed twice as a working day", f.Year, h.Name, d)
			}
			c.work[d] = h.Name
		}
	}
	c.years[f.Year] = true
	return nil
}

// Years returns the loaded years in order.
func (c Calendar) Years() []int { return slices.Sorted(maps.Keys(c.years)) }

// Covers reports whether the year of t (in China Standard Time) is loaded.
func (c Calendar) Covers(t time.Time) bool { return c.years[t.In(cst).Year()] }

// CoversSpan reports whether every year from from to to (either order) is loaded.
func (c Calendar) CoversSpan(from, to time.Time) bool {
	a, b := from.In(cst).Year(), to.In(cst).Year()
	if a > b {
		a, b = b, a
	}
	for y := a; y <= b; y++ {
		if !c.years[y] {
			return false
		}
	}
	return true
}

// IsWorkingDay reports whether the date of t, in China Standard Time, is a working day.
func (c Calendar) IsWorkingDay(t time.Time) bool { return c.working(dayOf(t)) }

func (c Calendar) working(d day) bool {
	if _, ok := c.work[d]; ok {
		return true
	}
	if _, ok := c.off[d]; ok {
		return false
	}
	wd := d.weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// Holiday returns the name of the holiday that t falls in, or that t is an adjusted working
// day for, and whether there is one.
func (c Calendar) Holiday(t time.Time) (string, bool) {
	d := dayOf(t)
	if n, ok := c.off[d]; ok {
		return n, true
	}
	n, ok := c.work[d]
	return n, ok
}

// AddWorkingDays returns the same clock time, in China Standard Time, on the n-th working
// day after the date of t (before it, for negative n); n = 0 returns t. Whether t itself
// falls on a working day does not matter: a letter due "within 3 working days" of a Friday
// close is due the third working day after that Friday. Check CoversSpan on t and the
// result before relying on it.
func (c Calendar) AddWorkingDays(t time.Time, n int) time.Time {
	if n == 0 {
		return t
	}
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	d := dayOf(t)
	for n > 0 {
		d = d.add(step)
		if c.working(d) {
			n--
		}
	}
	lt := t.In(cst)
	end := time.Date(d.y, d.m, d.d, lt.Hour(), lt.Minute(), lt.Second(), lt.Nanosecond(), cst)
	return end.In(t.Location())
}
