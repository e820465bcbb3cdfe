package auction

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
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
	years   map[int]bool
	off     map[day]string // date → holiday name
	work    map[day]string // date → holiday the adjusted working day belongs to
	digests map[int]string // year → hex SHA-256 of the document it was read from
}

// CalendarDocument is one year's calendar document as read: the form shared by the files,
// the database and the API.
type CalendarDocument struct {
	Year     int               `json:"year"`
	Source   string            `json:"source"`
	Holidays []CalendarHoliday `json:"holidays"`
}

// CalendarHoliday is one holiday of a document: the days off from From to To, inclusive,
// and the adjusted working days (调休) that go with it; dates are YYYY-MM-DD in China
// Standard Time.
type CalendarHoliday struct {
	Name string   `json:"name"`
	From string   `json:"from"`
	To   string   `json:"to"`
	Work []string `json:"work"`
}

// CalendarDay is one date of a holiday: a day off, or an adjusted working day.
type CalendarDay struct {
	Date    string `json:"date"`
	Holiday string `json:"holiday"`
}

// DaysOff lists every day off of the document in date order.
func (d CalendarDocument) DaysOff() []CalendarDay {
	var out []CalendarDay
	for _, h := range d.Holidays {
		from, err1 := time.ParseInLocation(time.DateOnly, h.From, cst)
		to, err2 := time.ParseInLocation(time.DateOnly, h.To, cst)
		if err1 != nil || err2 != nil {
			continue
		}
		for x, end := dayOf(from), dayOf(to); !end.before(x); x = x.add(1) {
			out = append(out, CalendarDay{Date: x.String(), Holiday: h.Name})
		}
	}
	slices.SortFunc(out, func(a, b CalendarDay) int { return strings.Compare(a.Date, b.Date) })
	return out
}

// AdjustedWorkingDays lists every adjusted working day (调休) of the document in date order.
func (d CalendarDocument) AdjustedWorkingDays() []CalendarDay {
	var out []CalendarDay
	for _, h := range d.Holidays {
		for _, w := range h.Work {
			out = append(out, CalendarDay{Date: w, Holiday: h.Name})
		}
	}
	slices.SortFunc(out, func(a, b CalendarDay) int { return strings.Compare(a.Date, b.Date) })
	return out
}

// CalendarError locates a problem in a calendar document for the clerk who fixes it.
// ParseCalendar and ParseCalendarDocument return it wrapped together with
// ErrInvalidCalendar.
type CalendarError struct {
	// Year is the document's year, 0 when it was not read.
	Year int
	// Line is the line of the document, from 1; 0 when the problem is not on one line.
	Line int
	// Field is the path of the field, e.g. "holidays[2].work[0]" (indexes from 0); empty
	// for the document as a whole.
	Field string
	// Msg says what is wrong.
	Msg string
}

func (e *CalendarError) Error() string {
	s := e.Msg
	if e.Field != "" {
		s = e.Field + ": " + s
	}
	if e.Line > 0 {
		s = fmt.Sprintf("line %d: %s", e.Line, s)
	}
	return s
}

// The document with the line of every value, for messages.
type calendarFile struct {
	year     int
	line     int // of the document
	source   string
	holidays []holidayFile
}

type holidayFile struct {
	line     int
	name     string
	from, to *dateAt
	work     []dateAt
}

type dateAt struct {
	day  day
	line int
}

var (
	yamlLine     = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	calendarKeys = []string{"year", "source", "holidays"}
	holidayKeys  = []string{"name", "from", "to", "work"}
)

// yamlProblem turns an error of the YAML reader into a CalendarError with its line.
func yamlProblem(err error) *CalendarError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return &CalendarError{Line: n, Msg: "not readable YAML: " + m[2]}
	}
	return &CalendarError{Msg: "not readable YAML: " + msg}
}

// decodeCalendar reads the document's structure, keeping lines: exactly one YAML document
// (JSON being YAML, a JSON object with the same keys reads too), no unknown or repeated
// keys, no aliases.
func decodeCalendar(b []byte) (calendarFile, error) {
	var f calendarFile
	var root yaml.Node
	if err := decodeStrict(b, &root); err != nil {
		return f, yamlProblem(err)
	}
	n := &root
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	f.line = n.Line
	if n.Kind != yaml.MappingNode {
		return f, &CalendarError{Line: n.Line, Msg: "the document must be a mapping with the keys year, source and holidays"}
	}
	var year, source, holidays *yaml.Node
	err := eachKey(n, "", calendarKeys, func(key string, v *yaml.Node) error {
		switch key {
		case "year":
			year = v
		case "source":
			source = v
		case "holidays":
			holidays = v
		}
		return nil
	})
	if err != nil {
		return f, err
	}
	if year == nil {
		return f, &CalendarError{Line: n.Line, Field: "year", Msg: "missing (the year the document is for, e.g. year: 2027)"}
	}
	if year.Kind != yaml.ScalarNode || year.ShortTag() != "!!int" || year.Decode(&f.year) != nil {
		return f, &CalendarError{Line: year.Line, Field: "year", Msg: fmt.Sprintf("%q is not a year (a whole number, e.g. 2027)", year.Value)}
	}
	if f.year < 1992 || f.year > 2200 {
		return f, &CalendarError{Year: f.year, Line: year.Line, Field: "year", Msg: fmt.Sprintf("year %d out of range (1992–2200)", f.year)}
	}
	if source != nil && source.Kind == yaml.ScalarNode && source.ShortTag() != "!!null" {
		f.source = strings.TrimSpace(source.Value)
	}
	if f.source == "" {
		line := n.Line
		if source != nil {
			line = source.Line
		}
		return f, &CalendarError{Year: f.year, Line: line, Field: "source", Msg: fmt.Sprintf("%d: source missing (name the notice the dates come from)", f.year)}
	}
	if holidays == nil || holidays.ShortTag() == "!!null" {
		return f, nil
	}
	if holidays.Kind != yaml.SequenceNode {
		return f, &CalendarError{Year: f.year, Line: holidays.Line, Field: "holidays", Msg: "must be a list of holidays, each with name, from, to and work"}
	}
	for i, hn := range holidays.Content {
		h, err := decodeHoliday(f.year, fmt.Sprintf("holidays[%d]", i), hn)
		if err != nil {
			return f, err
		}
		f.holidays = append(f.holidays, h)
	}
	return f, nil
}

func decodeHoliday(year int, path string, n *yaml.Node) (holidayFile, error) {
	h := holidayFile{line: n.Line}
	if n.Kind != yaml.MappingNode {
		return h, &CalendarError{Year: year, Line: n.Line, Field: path, Msg: "a holiday is a mapping with name, from, to and work"}
	}
	err := eachKey(n, path, holidayKeys, func(key string, v *yaml.Node) error {
		field := path + "." + key
		switch key {
		case "name":
			if v.Kind == yaml.ScalarNode && v.ShortTag() != "!!null" {
				h.name = strings.TrimSpace(v.Value)
			}
		case "from", "to":
			d, err := dateOf(year, field, v)
			if err != nil {
				return err
			}
			if key == "from" {
				h.from = &d
			} else {
				h.to = &d
			}
		case "work":
			if v.ShortTag() == "!!null" {
				return nil
			}
			if v.Kind != yaml.SequenceNode {
				return &CalendarError{Year: year, Line: v.Line, Field: field, Msg: "must be a list of dates, e.g. [2027-02-07]"}
			}
			for j, w := range v.Content {
				d, err := dateOf(year, fmt.Sprintf("%s[%d]", field, j), w)
				if err != nil {
					return err
				}
				h.work = append(h.work, d)
			}
		}
		return nil
	})
	if err != nil {
		return h, err
	}
	if h.name == "" {
		return h, &CalendarError{Year: year, Line: n.Line, Field: path + ".name", Msg: fmt.Sprintf("%d: holiday %d: name missing", year, holidayIndex(path)+1)}
	}
	if h.from == nil || h.to == nil {
		return h, &CalendarError{Year: year, Line: n.Line, Field: path, Msg: fmt.Sprintf("%d, %s: from and to are required", year, h.name)}
	}
	return h, nil
}

func holidayIndex(path string) int {
	var i int
	fmt.Sscanf(path, "holidays[%d]", &i)
	return i
}

// eachKey calls fn for each key of a mapping, refusing unknown and repeated keys and
// aliases.
func eachKey(n *yaml.Node, path string, keys []string, fn func(key string, v *yaml.Node) error) error {
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		field := k.Value
		if path != "" {
			field = path + "." + k.Value
		}
		if k.Kind != yaml.ScalarNode || !slices.Contains(keys, k.Value) {
			return &CalendarError{Line: k.Line, Field: field, Msg: fmt.Sprintf("unknown key %q: the keys are %s", k.Value, strings.Join(keys, ", "))}
		}
		if seen[k.Value] {
			return &CalendarError{Line: k.Line, Field: field, Msg: fmt.Sprintf("%s given twice", k.Value)}
		}
		seen[k.Value] = true
		if a := alias(v); a != nil {
			return &CalendarError{Line: a.Line, Field: field, Msg: fmt.Sprintf("aliases (*%s) are not accepted: write the value out", a.Value)}
		}
		if err := fn(k.Value, v); err != nil {
			return err
		}
	}
	return nil
}

// alias returns the first alias in n, nil when there is none.
func alias(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode {
		return n
	}
	for _, c := range n.Content {
		if a := alias(c); a != nil {
			return a
		}
	}
	return nil
}

// dateOf reads a YYYY-MM-DD date in China Standard Time, whether YAML tagged it as a
// timestamp or as a string.
func dateOf(year int, field string, n *yaml.Node) (dateAt, error) {
	if n.Kind != yaml.ScalarNode {
		return dateAt{}, &CalendarError{Year: year, Line: n.Line, Field: field, Msg: "must be a date (YYYY-MM-DD)"}
	}
	t, err := time.ParseInLocation(time.DateOnly, n.Value, cst)
	if err != nil {
		return dateAt{}, &CalendarError{Year: year, Line: n.Line, Field: field, Msg: fmt.Sprintf("%q is not a date (YYYY-MM-DD)", n.Value)}
	}
	return dateAt{day: dayOf(t), line: n.Line}, nil
}

// ParseCalendar reads one YAML document per year and merges them. A document gives the
// year, its source, and each holiday as a range of days off (from, to) with the adjusted
// working days (work) that go with it. Days may fall in the neighbouring year, as a New
// Year holiday sometimes does. Two documents for the same year, a date both off and on,
// or an adjusted working day that is not a weekend are refused. The error wraps
// ErrInvalidCalendar and a *CalendarError that names the line and the field.
func ParseCalendar(docs ...[]byte) (Calendar, error) {
	c := Calendar{years: map[int]bool{}, off: map[day]string{}, work: map[day]string{}, digests: map[int]string{}}
	for _, b := range docs {
		d, err := c.load(b)
		if err != nil {
			return Calendar{}, fmt.Errorf("auction: %w: %w", ErrInvalidCalendar, err)
		}
		sum := sha256.Sum256(b)
		c.digests[d.Year] = hex.EncodeToString(sum[:])
	}
	return c, nil
}

// Digests returns, by year, the hex SHA-256 of the document each year was read from: what
// a count made with the calendar can be traced back to.
func (c Calendar) Digests() map[int]string {
	return maps.Clone(c.digests)
}

// ParseCalendarDocument reads and checks one year's document on its own, as ParseCalendar
// does, and returns what it says.
func ParseCalendarDocument(b []byte) (CalendarDocument, error) {
	c := Calendar{years: map[int]bool{}, off: map[day]string{}, work: map[day]string{}}
	d, err := c.load(b)
	if err != nil {
		return CalendarDocument{}, fmt.Errorf("auction: %w: %w", ErrInvalidCalendar, err)
	}
	return d, nil
}

func (c *Calendar) load(b []byte) (CalendarDocument, error) {
	f, err := decodeCalendar(b)
	if err != nil {
		return CalendarDocument{}, err
	}
	doc := CalendarDocument{Year: f.year, Source: f.source, Holidays: []CalendarHoliday{}}
	if c.years[f.year] {
		return doc, &CalendarError{Year: f.year, Line: f.line, Field: "year", Msg: fmt.Sprintf("year %d loaded twice", f.year)}
	}
	near := func(d day) bool { return d.y >= f.year-1 && d.y <= f.year+1 }
	for i, h := range f.holidays {
		path := fmt.Sprintf("holidays[%d]", i)
		bad := func(line int, field, format string, args ...any) error {
			return &CalendarError{Year: f.year, Line: line, Field: field, Msg: fmt.Sprintf("%d, %s: ", f.year, h.name) + fmt.Sprintf(format, args...)}
		}
		from, to := h.from.day, h.to.day
		switch {
		case to.before(from):
			return doc, bad(h.to.line, path+".to", "to (%s) is before from (%s)", to, from)
		case !near(from):
			return doc, bad(h.from.line, path+".from", "%s is not in %d or a neighbouring year", from, f.year)
		case !near(to):
			return doc, bad(h.to.line, path+".to", "%s is not in %d or a neighbouring year", to, f.year)
		case from.add(31).before(to):
			return doc, bad(h.line, path, "range %s–%s is longer than a holiday (32 days at most)", from, to)
		}
		for d := from; !to.before(d); d = d.add(1) {
			if other, ok := c.off[d]; ok {
				return doc, bad(h.line, path, "%s is already off for %s", d, other)
			}
			if other, ok := c.work[d]; ok {
				return doc, bad(h.line, path, "%s is a working day for %s", d, other)
			}
			c.off[d] = h.name
		}
		out := CalendarHoliday{Name: h.name, From: from.String(), To: to.String(), Work: []string{}}
		for j, w := range h.work {
			d, field := w.day, fmt.Sprintf("%s.work[%d]", path, j)
			if wd := d.weekday(); wd != time.Saturday && wd != time.Sunday {
				return doc, bad(w.line, field, "adjusted working day %s is a %s, not a weekend day", d, wd)
			}
			if !near(d) {
				return doc, bad(w.line, field, "adjusted working day %s is not near this year", d)
			}
			if other, ok := c.off[d]; ok {
				return doc, bad(w.line, field, "%s is off for %s", d, other)
			}
			if _, ok := c.work[d]; ok {
				return doc, bad(w.line, field, "%s listed twice as a working day", d)
			}
			c.work[d] = h.name
			out.Work = append(out.Work, d.String())
		}
		doc.Holidays = append(doc.Holidays, out)
	}
	c.years[f.year] = true
	return doc, nil
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

// Missing returns the years from from to to (either order) that are not loaded, in order.
func (c Calendar) Missing(from, to time.Time) []int {
	a, b := from.In(cst).Year(), to.In(cst).Year()
	if a > b {
		a, b = b, a
	}
	var out []int
	for y := a; y <= b; y++ {
		if !c.years[y] {
			out = append(out, y)
		}
	}
	return out
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
