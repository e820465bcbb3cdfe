package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"minerights/auction"
)

// CalendarFiles are the working-day calendar documents that come from files:
// those embedded in the binary and those of --calendar-dir, one per year. A
// year loaded into the database (PutCalendar) replaces the file of the same
// year. The zero CalendarFiles holds no year.
type CalendarFiles struct {
	docs map[int][]byte
}

// NewCalendarFiles checks the documents together, as auction.ParseCalendar
// does (one per year, no date both off and on), and keys them by year.
func NewCalendarFiles(docs ...[]byte) (CalendarFiles, error) {
	if _, err := auction.ParseCalendar(docs...); err != nil {
		return CalendarFiles{}, err
	}
	f := CalendarFiles{docs: map[int][]byte{}}
	for _, b := range docs {
		d, err := auction.ParseCalendarDocument(b)
		if err != nil {
			return CalendarFiles{}, err
		}
		f.docs[d.Year] = b
	}
	return f, nil
}

// Years returns the years the files hold, in order.
func (f CalendarFiles) Years() []int { return slices.Sorted(maps.Keys(f.docs)) }

// Calendar origins: where the year in force comes from.
const (
	CalendarFromDatabase = "database"
	CalendarFromFile     = "file"
)

// CalendarYear is one year of the working-day calendar in force, or one
// version of a loaded year.
type CalendarYear struct {
	Year     int        `json:"year"`
	Origin   string     `json:"origin"`
	Version  int        `json:"version"`
	Source   string     `json:"source"`
	Holidays int        `json:"holiday_count"`
	LoadedAt *time.Time `json:"loaded_at"`
	LoadedBy string     `json:"loaded_by,omitempty"`
	SHA256   string     `json:"sha256"`
	// ReplacesFile is set on a loaded year that replaces a file of the same
	// year.
	ReplacesFile bool `json:"replaces_file,omitempty"`
}

// CalendarVersion is one version of a year with its document.
type CalendarVersion struct {
	CalendarYear
	// Current is set on the version in force.
	Current bool `json:"current"`
	// ReplacedAt is when the next version was loaded; nil while in force.
	ReplacedAt *time.Time `json:"replaced_at"`
	// Document is the document as loaded: YAML, or JSON, which is YAML too.
	Document string `json:"-"`
	// Parsed is what the document says.
	Parsed auction.CalendarDocument `json:"-"`
}

// CalendarPut is the result of PutCalendar.
type CalendarPut struct {
	CalendarYear
	// Changed is false when the document was already the version in force:
	// loading it again records nothing.
	Changed bool
	// Replaced is the version it replaced, 0 for a year loaded the first time.
	Replaced int
	// Affected are the sales, not yet ended, whose announcement was checked
	// with the document this load replaces (its calendar_sha256 for the
	// year): their working-day deadlines were counted with the old dates.
	Affected []int64
}

func digestHex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// PutCalendar loads the document of a year into the database as its new
// version, in force at once in every process. The document must be for
// that year and agree with the other years in force (the files, and the
// loaded years, which replace the files of their year); otherwise nothing is
// stored and the error wraps auction.ErrInvalidCalendar with an
// *auction.CalendarError naming the line and the field, or is a
// *ValidationError for the year. by says who loads it.
func (s *Store) PutCalendar(ctx context.Context, files CalendarFiles, year int, doc []byte, by string) (CalendarPut, error) {
	out, err := s.putCalendars(ctx, files, []int{year}, [][]byte{doc}, by)
	if err != nil {
		return CalendarPut{}, err
	}
	return out[0], nil
}

// PutCalendars loads several years' documents at once, all or nothing, each
// for the year it gives.
func (s *Store) PutCalendars(ctx context.Context, files CalendarFiles, docs [][]byte, by string) ([]CalendarPut, error) {
	return s.putCalendars(ctx, files, nil, docs, by)
}

// putCalendars loads docs; years, when given, are the years they must be
// for.
func (s *Store) putCalendars(ctx context.Context, files CalendarFiles, want []int, docs [][]byte, by string) ([]CalendarPut, error) {
	parsed := make([]auction.CalendarDocument, len(docs))
	for i, doc := range docs {
		if !utf8.Valid(doc) || bytes.IndexByte(doc, 0) >= 0 {
			return nil, &ValidationError{Field: "document", Reason: "the calendar document must be UTF-8 text"}
		}
		d, err := auction.ParseCalendarDocument(doc)
		if err != nil {
			return nil, err
		}
		if want != nil && d.Year != want[i] {
			return nil, &ValidationError{Field: "year", Reason: fmt.Sprintf("the document is for %d, not %d: load it as year %d, or correct its year", d.Year, want[i], d.Year)}
		}
		parsed[i] = d
	}
	if _, err := auction.ParseCalendar(docs...); err != nil { // the new years among themselves
		return nil, err
	}
	out := make([]CalendarPut, len(docs))
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// One load at a time, so that years loaded together are checked
		// against each other; readers are not blocked.
		if _, err := tx.Exec(ctx, `LOCK TABLE calendar_year IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		loaded, err := loadedCalendars(ctx, tx)
		if err != nil {
			return err
		}
		skip := map[int]bool{}
		for _, d := range parsed {
			skip[d.Year] = true
		}
		if _, err := auction.ParseCalendar(append(effectiveDocs(files, loaded, skip), docs...)...); err != nil {
			return err
		}
		for i, doc := range docs {
			d := parsed[i]
			old := files.docs[d.Year]
			if cur, ok := loaded[d.Year]; ok {
				if cur.document == string(doc) {
					out[i].CalendarYear = cur.year(files)
					continue
				}
				out[i].Replaced = cur.version
				old = []byte(cur.document)
			}
			if old != nil {
				rows, err := tx.Query(ctx, `SELECT s.id FROM sale s JOIN sale_notice n ON n.sale_id = s.id AND n.kind = 'announcement'
					WHERE n.body->'calendar_sha256'->>$1 = $2
						AND s.state NOT IN ('contracted', 'failed', 'terminated', 'defaulted')
					ORDER BY s.id`, strconv.Itoa(d.Year), digestHex(old))
				if err != nil {
					return err
				}
				if out[i].Affected, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
					return err
				}
			}
			out[i].Changed = true
			out[i].CalendarYear = CalendarYear{Year: d.Year, Origin: CalendarFromDatabase, Source: d.Source, Holidays: len(d.Holidays),
				LoadedBy: by, SHA256: digestHex(doc), ReplacesFile: files.docs[d.Year] != nil}
			var at time.Time
			err := tx.QueryRow(ctx, `INSERT INTO calendar_year (year, version, document, source, holidays, loaded_at, loaded_by)
					VALUES ($1, 0, $2, $3, $4, clock_timestamp(), $5)
				ON CONFLICT (year) DO UPDATE SET document = EXCLUDED.document, source = EXCLUDED.source,
					holidays = EXCLUDED.holidays, loaded_at = EXCLUDED.loaded_at, loaded_by = EXCLUDED.loaded_by
				RETURNING version, loaded_at`, d.Year, string(doc), d.Source, len(d.Holidays), by).Scan(&out[i].Version, &at)
			if err != nil {
				return err
			}
			out[i].LoadedAt = &at
		}
		return nil
	})
	if err != nil {
		var ve *ValidationError
		if errors.Is(err, auction.ErrInvalidCalendar) || errors.As(err, &ve) {
			return nil, err
		}
		return nil, fmt.Errorf("registry: load calendar: %w", err)
	}
	return out, nil
}

// loadedYear is a row of calendar_year.
type loadedYear struct {
	y        int
	version  int
	document string
	source   string
	holidays int
	at       time.Time
	by       string
}

func (l loadedYear) year(files CalendarFiles) CalendarYear {
	at := l.at
	return CalendarYear{Year: l.y, Origin: CalendarFromDatabase, Version: l.version, Source: l.source, Holidays: l.holidays,
		LoadedAt: &at, LoadedBy: l.by, SHA256: digestHex([]byte(l.document)), ReplacesFile: files.docs[l.y] != nil}
}

type rowsQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func loadedCalendars(ctx context.Context, q rowsQuerier) (map[int]loadedYear, error) {
	rows, err := q.Query(ctx, `SELECT year, version, document, source, holidays, loaded_at, loaded_by FROM calendar_year`)
	if err != nil {
		return nil, err
	}
	ls, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (loadedYear, error) {
		var l loadedYear
		err := r.Scan(&l.y, &l.version, &l.document, &l.source, &l.holidays, &l.at, &l.by)
		return l, err
	})
	if err != nil {
		return nil, err
	}
	out := make(map[int]loadedYear, len(ls))
	for _, l := range ls {
		out[l.y] = l
	}
	return out, nil
}

// effectiveDocs are the documents in force, year by year: the loaded year
// where there is one, else the file; without the years in skip.
func effectiveDocs(files CalendarFiles, loaded map[int]loadedYear, skip map[int]bool) [][]byte {
	years := map[int][]byte{}
	maps.Copy(years, files.docs)
	for y, l := range loaded {
		years[y] = []byte(l.document)
	}
	var docs [][]byte
	for _, y := range slices.Sorted(maps.Keys(years)) {
		if !skip[y] {
			docs = append(docs, years[y])
		}
	}
	return docs
}

// Calendar returns the working-day calendar in force: the files, with each
// year loaded into the database in place of its file. It reads the primary,
// so that a year loaded by any process counts at once; announcements,
// confirmation letters and publicity are rare enough to read a handful of
// small rows each time.
func (s *Store) Calendar(ctx context.Context, files CalendarFiles) (auction.Calendar, error) {
	loaded, err := loadedCalendars(ctx, s.db(ctx))
	if err != nil {
		return auction.Calendar{}, fmt.Errorf("registry: calendar: %w", mapErr(err))
	}
	cal, err := auction.ParseCalendar(effectiveDocs(files, loaded, nil)...)
	if err != nil {
		// Each load was checked against the files of the process that made
		// it; another process's --calendar-dir may disagree.
		return auction.Calendar{}, fmt.Errorf("registry: the calendars in force disagree (files of this server and years loaded into the database): %w", err)
	}
	return cal, nil
}

// CalendarYears lists the years of the calendar in force, in order.
func (s *Store) CalendarYears(ctx context.Context, files CalendarFiles) ([]CalendarYear, error) {
	loaded, err := loadedCalendars(ctx, s.db(ctx))
	if err != nil {
		return nil, fmt.Errorf("registry: calendar years: %w", mapErr(err))
	}
	var out []CalendarYear
	for _, y := range years(files, loaded) {
		if l, ok := loaded[y]; ok {
			out = append(out, l.year(files))
			continue
		}
		fy, _, err := fileYear(files, y)
		if err != nil {
			return nil, err
		}
		out = append(out, fy)
	}
	return out, nil
}

func years(files CalendarFiles, loaded map[int]loadedYear) []int {
	ys := files.Years()
	for y := range loaded {
		if !slices.Contains(ys, y) {
			ys = append(ys, y)
		}
	}
	slices.Sort(ys)
	return ys
}

func fileYear(files CalendarFiles, y int) (CalendarYear, auction.CalendarDocument, error) {
	b := files.docs[y]
	d, err := auction.ParseCalendarDocument(b)
	if err != nil {
		return CalendarYear{}, d, fmt.Errorf("registry: calendar file %d: %w", y, err)
	}
	return CalendarYear{Year: y, Origin: CalendarFromFile, Source: d.Source, Holidays: len(d.Holidays), SHA256: digestHex(b)}, d, nil
}

// CalendarVersion returns one year's calendar: the version in force when
// version is 0, else that loaded version, in force or replaced. ErrNotFound
// when there is none.
func (s *Store) CalendarVersion(ctx context.Context, files CalendarFiles, year, version int) (CalendarVersion, error) {
	vs, err := s.CalendarVersions(ctx, files, year)
	if err != nil {
		return CalendarVersion{}, err
	}
	for _, v := range vs {
		if version == 0 && v.Current || version != 0 && v.Origin == CalendarFromDatabase && v.Version == version {
			return v, nil
		}
	}
	return CalendarVersion{}, fmt.Errorf("registry: calendar %d version %d: %w", year, version, ErrNotFound)
}

// CalendarVersions returns every version of a year, oldest first: the file
// (version 0) if there is one, then each version loaded into the database.
// The last is in force. An empty list means the year is not loaded.
func (s *Store) CalendarVersions(ctx context.Context, files CalendarFiles, year int) ([]CalendarVersion, error) {
	var out []CalendarVersion
	if b, ok := files.docs[year]; ok {
		fy, d, err := fileYear(files, year)
		if err != nil {
			return nil, err
		}
		out = append(out, CalendarVersion{CalendarYear: fy, Document: string(b), Parsed: d})
	}
	rows, err := s.db(ctx).Query(ctx, `SELECT version, document, source, holidays, loaded_at, loaded_by, encode(sha256, 'hex')
		FROM calendar_year_version WHERE year = $1 ORDER BY version`, year)
	if err != nil {
		return nil, fmt.Errorf("registry: calendar %d: %w", year, mapErr(err))
	}
	loaded, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (CalendarVersion, error) {
		v := CalendarVersion{CalendarYear: CalendarYear{Year: year, Origin: CalendarFromDatabase}}
		var at time.Time
		err := r.Scan(&v.Version, &v.Document, &v.Source, &v.Holidays, &at, &v.LoadedBy, &v.SHA256)
		v.LoadedAt = &at
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("registry: calendar %d: %w", year, mapErr(err))
	}
	for i := range loaded {
		loaded[i].ReplacesFile = len(out) > 0
		if loaded[i].Parsed, err = auction.ParseCalendarDocument([]byte(loaded[i].Document)); err != nil {
			return nil, fmt.Errorf("registry: calendar %d version %d: %w", year, loaded[i].Version, err)
		}
	}
	if len(out) > 0 && len(loaded) > 0 {
		out[0].ReplacedAt = loaded[0].LoadedAt
	}
	out = append(out, loaded...)
	for i := range out {
		if i > 0 && out[i].Origin == CalendarFromDatabase && out[i-1].Origin == CalendarFromDatabase {
			out[i-1].ReplacedAt = out[i].LoadedAt
		}
	}
	if len(out) > 0 {
		out[len(out)-1].Current = true
	}
	return out, nil
}
