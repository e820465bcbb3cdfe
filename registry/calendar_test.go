package registry_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"minerights/auction"
	"minerights/data"
	"minerights/registry"
	"minerights/registry/registrytest"
)

// calendarFixture reads a test-only calendar of auction/testdata: made-up holidays
// for a year no official notice covers.
func calendarFixture(t *testing.T, year string) []byte {
	t.Helper()
	b, err := os.ReadFile("../auction/testdata/calendar-" + year + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func embeddedCalendars(t *testing.T) registry.CalendarFiles {
	t.Helper()
	f, err := registry.NewCalendarFiles(data.Calendars()...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

var cst = time.FixedZone("CST", 8*3600)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 10, 0, 0, 0, cst) }

// TestCalendarLoadedPerYear: a loaded year counts at once in another Store
// on the same database; the database year replaces the file of its year;
// loading the same document again records nothing; every version stays, in
// an append-only history.
func TestCalendarLoadedPerYear(t *testing.T) {
	ctx := context.Background()
	db := registrytest.Migrated(t)
	files := embeddedCalendars(t)
	a := db.Store
	pool, err := pgxpool.New(ctx, db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	b := registry.New(pool) // another process

	cal, err := b.Calendar(ctx, files)
	if err != nil {
		t.Fatal(err)
	}
	if cal.Covers(day(2031, 1, 2)) || !cal.Covers(day(2026, 5, 1)) {
		t.Fatalf("before any load: years %v", cal.Years())
	}

	put, err := a.PutCalendar(ctx, files, 2031, calendarFixture(t, "2031"), "登记科 (bureau#1)")
	if err != nil {
		t.Fatal(err)
	}
	if !put.Changed || put.Version != 1 || put.Replaced != 0 || put.Holidays != 2 || put.LoadedAt == nil || put.Origin != registry.CalendarFromDatabase {
		t.Fatalf("first load: %+v", put)
	}
	cal, err = b.Calendar(ctx, files)
	if err != nil {
		t.Fatal(err)
	}
	if !cal.Covers(day(2031, 6, 1)) || cal.IsWorkingDay(day(2031, 1, 2)) || !cal.IsWorkingDay(day(2031, 1, 4)) || !cal.Covers(day(2026, 1, 5)) {
		t.Fatalf("the other store does not see 2031: years %v", cal.Years())
	}

	again, err := a.PutCalendar(ctx, files, 2031, calendarFixture(t, "2031"), "someone else")
	if err != nil || again.Changed || again.Version != 1 || again.LoadedBy != "登记科 (bureau#1)" {
		t.Fatalf("same document again: %+v, %v", again, err)
	}

	// A corrected 2031 (the fixture's 劳动节 dropped) becomes version 2.
	v2doc := strings.Split(string(calendarFixture(t, "2031")), "  - name: 测试劳动节")[0]
	v2, err := a.PutCalendar(ctx, files, 2031, []byte(v2doc), "规划科 (bureau#2)")
	if err != nil || !v2.Changed || v2.Version != 2 || v2.Replaced != 1 || v2.Holidays != 1 {
		t.Fatalf("second version: %+v, %v", v2, err)
	}
	cal, err = b.Calendar(ctx, files)
	if err != nil || !cal.IsWorkingDay(day(2031, 5, 2)) {
		t.Fatalf("version 2 not in force: %v", err)
	}
	vs, err := b.CalendarVersions(ctx, files, 2031)
	if err != nil || len(vs) != 2 {
		t.Fatalf("versions: %+v, %v", vs, err)
	}
	if vs[0].Current || !vs[1].Current || vs[0].ReplacedAt == nil || !vs[0].ReplacedAt.Equal(*vs[1].LoadedAt) || vs[1].ReplacedAt != nil {
		t.Errorf("history: %+v", vs)
	}
	if vs[0].Document != string(calendarFixture(t, "2031")) || vs[0].LoadedBy != "登记科 (bureau#1)" || len(vs[0].Parsed.Holidays) != 2 {
		t.Errorf("version 1 is not kept as loaded: %+v", vs[0])
	}
	old, err := b.CalendarVersion(ctx, files, 2031, 1)
	if err != nil || old.Current || old.Version != 1 {
		t.Errorf("version 1: %+v, %v", old, err)
	}
	if _, err := b.CalendarVersion(ctx, files, 2031, 3); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("version 3: %v", err)
	}
	if _, err := b.CalendarVersion(ctx, files, 2032, 0); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("2032: %v", err)
	}

	// The history and the loaded years cannot be rewritten or removed.
	for _, q := range []string{
		`UPDATE calendar_year_version SET document = 'x' WHERE year = 2031`,
		`DELETE FROM calendar_year_version WHERE year = 2031`,
		`TRUNCATE calendar_year_version CASCADE`,
		`DELETE FROM calendar_year WHERE year = 2031`,
	} {
		if _, err := db.Pool.Exec(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v", q, err)
		}
	}

	// A year loaded into the database replaces the file of its year: 2026
	// without 清明节 makes 6 April a working day.
	emb := string(data.Calendars()[0])
	i := strings.Index(emb, "  - name: 清明节")
	j := strings.Index(emb, "  - name: 劳动节")
	mine := emb[:i] + emb[j:]
	p26, err := a.PutCalendar(ctx, files, 2026, []byte(mine), "登记科 (bureau#1)")
	if err != nil || !p26.ReplacesFile || p26.Version != 1 {
		t.Fatalf("2026 into the database: %+v, %v", p26, err)
	}
	cal, err = b.Calendar(ctx, files)
	if err != nil || !cal.IsWorkingDay(day(2026, 4, 6)) || cal.IsWorkingDay(day(2026, 10, 1)) {
		t.Fatalf("2026 of the database not in force: %v", err)
	}
	ys, err := b.CalendarYears(ctx, files)
	if err != nil || len(ys) != 2 || ys[0].Year != 2026 || ys[0].Origin != registry.CalendarFromDatabase || !ys[0].ReplacesFile ||
		ys[0].Holidays != 6 || ys[1].Year != 2031 || ys[1].Version != 2 || ys[1].LoadedBy != "规划科 (bureau#2)" {
		t.Fatalf("years: %+v, %v", ys, err)
	}
	vs, err = b.CalendarVersions(ctx, files, 2026)
	if err != nil || len(vs) != 2 || vs[0].Origin != registry.CalendarFromFile || vs[0].ReplacedAt == nil || !vs[1].Current {
		t.Fatalf("2026 versions: %+v, %v", vs, err)
	}
}

// TestCalendarLoadRefused: a document for another year, one that does not
// read, or one that disagrees with a neighbouring year in force is refused
// and nothing is stored; several years load all or nothing.
func TestCalendarLoadRefused(t *testing.T) {
	ctx := context.Background()
	db := registrytest.Migrated(t)
	files := embeddedCalendars(t)
	s := db.Store
	if _, err := s.PutCalendar(ctx, files, 2030, calendarFixture(t, "2030"), "bureau"); err != nil {
		t.Fatal(err)
	}
	doc31 := string(calendarFixture(t, "2031"))
	tests := []struct {
		name  string
		year  int
		doc   string
		field string // of the CalendarError or ValidationError
		text  string
	}{
		{"another year", 2032, doc31, "year", "the document is for 2031, not 2032"},
		{"not a date", 2031, strings.Replace(doc31, "to: 2031-01-03", "to: 2031-01-33", 1), "holidays[0].to", `"2031-01-33" is not a date`},
		{"weekday worked", 2031, strings.Replace(doc31, "work: [2031-04-27]", "work: [2031-04-28]", 1), "holidays[1].work[0]", "is a Monday, not a weekend day"},
		{"to before from", 2031, strings.Replace(doc31, "to: 2031-05-05", "to: 2031-04-05", 1), "holidays[1].to", "is before from"},
		{"off on the neighbour's working day", 2031, doc31 + "  - {name: 测试补假 (fixture), from: 2030-10-12, to: 2030-10-12}\n", "holidays[2]", "2030-10-12 is a working day for 测试国庆 (fixture)"},
		{"not UTF-8", 2031, "year: 2031\nsource: \xff\n", "document", "UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.PutCalendar(ctx, files, tc.year, []byte(tc.doc), "bureau")
			var ce *auction.CalendarError
			var ve *registry.ValidationError
			switch {
			case errors.As(err, &ce):
				if ce.Field != tc.field || !strings.Contains(ce.Error(), tc.text) || ce.Line == 0 {
					t.Errorf("%v; want field %s, %q and a line", ce, tc.field, tc.text)
				}
			case errors.As(err, &ve):
				if ve.Field != tc.field || !strings.Contains(ve.Reason, tc.text) {
					t.Errorf("%v; want field %s, %q", ve, tc.field, tc.text)
				}
			default:
				t.Fatalf("err = %v", err)
			}
		})
	}
	// Two years at once, the second disagreeing with the first: neither is stored.
	bad := []byte(doc31 + "  - {name: 测试补假 (fixture), from: 2030-12-29, to: 2030-12-29}\n")
	doc30 := strings.Replace(string(calendarFixture(t, "2030")), "work: [2030-09-29, 2030-10-12]", "work: [2030-09-29, 2030-10-12, 2030-12-29]", 1)
	if _, err := s.PutCalendars(ctx, files, [][]byte{[]byte(doc30), bad}, "bureau"); !errors.Is(err, auction.ErrInvalidCalendar) {
		t.Fatalf("PutCalendars with a bad year: %v", err)
	}
	var n, v30 int
	if err := db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM calendar_year_version WHERE year = 2031),
		(SELECT max(version) FROM calendar_year_version WHERE year = 2030)`).Scan(&n, &v30); err != nil {
		t.Fatal(err)
	}
	if n != 0 || v30 != 1 {
		t.Fatalf("a refused load stored something: %d versions of 2031, 2030 at version %d", n, v30)
	}
	puts, err := s.PutCalendars(ctx, files, [][]byte{[]byte(doc30), calendarFixture(t, "2031")}, "bureau")
	if err != nil || len(puts) != 2 || puts[0].Version != 2 || puts[1].Version != 1 {
		t.Fatalf("both years: %+v, %v", puts, err)
	}

	// A server whose own calendar file disagrees with a loaded year cannot
	// count, and says so, rather than count with either.
	other, err := registry.NewCalendarFiles(append(data.Calendars(), []byte("year: 2029\nsource: test fixture\nholidays:\n  - {name: 测试 (fixture), from: 2030-09-29, to: 2030-09-29}\n"))...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Calendar(ctx, other); !errors.Is(err, auction.ErrInvalidCalendar) || !strings.Contains(err.Error(), "2030-09-29") {
		t.Fatalf("disagreeing files: %v", err)
	}
}
