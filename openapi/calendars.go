package openapi

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"minerights/auction"
	"minerights/registry"
)

// calendar returns the working-day calendar in force now: the files, with
// every year the bureau loaded into the database in their place. It is read
// at each use, so a year loaded through any process counts at once.
func (s *server) calendar(ctx context.Context) (auction.Calendar, error) {
	return s.store.Calendar(ctx, s.xfer.files)
}

// CalendarDocumentHoliday is one holiday of a calendar document.
type CalendarDocumentHoliday struct {
	Name string   `json:"name" minLength:"1" example:"春节"`
	From string   `json:"from" format:"date" doc:"First day off"`
	To   string   `json:"to" format:"date" doc:"Last day off"`
	Work []string `json:"work,omitempty" doc:"Adjusted working days (调休): Saturdays or Sundays declared working days for this holiday"`
}

// CalendarDocument is a year's calendar document in JSON, with the keys
// of the YAML files.
type CalendarDocument struct {
	Year     int                       `json:"year" minimum:"1992" maximum:"2200"`
	Source   string                    `json:"source" minLength:"1" doc:"The notice the dates come from, e.g. 国务院办公厅关于2027年部分节假日安排的通知"`
	Holidays []CalendarDocumentHoliday `json:"holidays,omitempty" doc:"The holidays of the year"`
}

// CalendarOut is one year's working-day calendar.
type CalendarOut struct {
	CalendarYear
	Current    bool       `json:"current" doc:"This version is in force"`
	ReplacedAt *time.Time `json:"replaced_at" doc:"When the next version replaced this one; null while in force"`
	// Holidays, days off and adjusted working days as the document gives them.
	Holidays            []auction.CalendarHoliday `json:"holidays" doc:"Each holiday: days off from, to (inclusive) and its adjusted working days"`
	DaysOff             []auction.CalendarDay     `json:"days_off" doc:"Every weekday or weekend day off for a holiday, in date order"`
	AdjustedWorkingDays []auction.CalendarDay     `json:"adjusted_working_days" doc:"Every Saturday or Sunday declared a working day (调休), in date order"`
	Document            string                    `json:"document" doc:"The document as loaded (YAML, or JSON); PUT it back to reload"`
	Versions            []CalendarVersion         `json:"versions" doc:"Every version of the year, oldest first: the file, if any, then each version loaded"`
}

// calendarTypes are the media types PUT /api/v1/calendars/{year} reads; a
// JSON object is YAML too, so one reader serves them all.
var calendarTypes = []string{"application/yaml", "text/yaml", "application/x-yaml", "text/x-yaml", "application/json", "text/plain"}

func (s *server) registerCalendars(api huma.API) {
	s.registerCalendarReads(api)
	s.registerCalendarLoad(api)
}

// registerCalendarReads registers the calendar years and one year.
func (s *server) registerCalendarReads(api huma.API) {
	type calendarListOut struct {
		Body struct {
			Items []CalendarYear `json:"items"`
		}
	}
	register(api, huma.Operation{
		OperationID: "list-calendars",
		Method:      http.MethodGet,
		Path:        "/api/v1/calendars",
		Summary:     "Years of the working-day calendar in force",
		Description: "Working days (weekdays that are not holidays, and adjusted working weekends, 调休) count the rules' periods: announcement lead, listing, confirmation letter, publicity. " +
			"A year loaded by the bureau replaces the file of the same year. A count that runs into a year not listed here is refused (`calendar-not-loaded`).",
		Tags: []string{"calendars"},
	}, public, func(ctx context.Context, _ *struct{}) (*calendarListOut, error) {
		ys, err := s.store.CalendarYears(ctx, s.xfer.files)
		if err != nil {
			return nil, err
		}
		out := &calendarListOut{}
		out.Body.Items = calendarYearsOf(ys)
		return out, nil
	})

	type calendarGetIn struct {
		Year    int `path:"year" minimum:"1992" maximum:"2200" doc:"The year"`
		Version int `query:"version" minimum:"0" doc:"A loaded version, in force or replaced; 0 or absent: the version in force"`
	}
	type calendarGetOut struct {
		Body CalendarOut
	}
	register(api, huma.Operation{
		OperationID: "get-calendar",
		Method:      http.MethodGet,
		Path:        "/api/v1/calendars/{year}",
		Summary:     "One year's working-day calendar: holidays, days off, adjusted working days, document and versions",
		Tags:        []string{"calendars"},
		Errors:      []int{http.StatusNotFound},
	}, public, func(ctx context.Context, in *calendarGetIn) (*calendarGetOut, error) {
		vs, err := s.store.CalendarVersions(ctx, s.xfer.files, in.Year)
		if err != nil {
			return nil, err
		}
		if len(vs) == 0 {
			return nil, huma.Error404NotFound(fmt.Sprintf("the working-day calendar for %d is not loaded: the bureau loads it with PUT /api/v1/calendars/%d", in.Year, in.Year))
		}
		v := vs[len(vs)-1]
		if in.Version != 0 {
			i := slices.IndexFunc(vs, func(v registry.CalendarVersion) bool {
				return v.Origin == registry.CalendarFromDatabase && v.Version == in.Version
			})
			if i < 0 {
				return nil, huma.Error404NotFound(fmt.Sprintf("%d has no loaded version %d", in.Year, in.Version))
			}
			v = vs[i]
		}
		out := &calendarGetOut{Body: CalendarOut{
			CalendarYear: calendarYearOf(v.CalendarYear), Current: v.Current, ReplacedAt: v.ReplacedAt,
			Holidays: v.Parsed.Holidays, DaysOff: v.Parsed.DaysOff(), AdjustedWorkingDays: v.Parsed.AdjustedWorkingDays(),
			Document: v.Document, Versions: calendarVersionsOf(vs),
		}}
		if out.Body.DaysOff == nil {
			out.Body.DaysOff = []auction.CalendarDay{}
		}
		if out.Body.AdjustedWorkingDays == nil {
			out.Body.AdjustedWorkingDays = []auction.CalendarDay{}
		}
		return out, nil
	})
}

// registerCalendarLoad registers the bureau's load of a year.
func (s *server) registerCalendarLoad(api huma.API) {
	type calendarPutIn struct {
		Year        int    `path:"year" minimum:"1992" maximum:"2200" doc:"The year the document is for"`
		ContentType string `header:"Content-Type"`
		RawBody     []byte `contentType:"application/yaml"`
	}
	type calendarPutOut struct {
		Body struct {
			CalendarYear
			Changed  bool    `json:"changed" doc:"false when the document was already in force: nothing new is recorded"`
			Replaced int     `json:"replaced_version" doc:"The loaded version this one replaces; 0 for a year loaded the first time"`
			Affected []int64 `json:"affected_sales" doc:"Sales not yet ended whose announcement was checked with the document this load replaces (the announcement's calendar_sha256): their working-day deadlines were counted with the old dates; review them, and correct windows with a supplementary notice"`
		}
	}
	register(api, huma.Operation{
		OperationID: "put-calendar",
		Method:      http.MethodPut,
		Path:        "/api/v1/calendars/{year}",
		Summary:     "Load a year's working-day calendar",
		Description: "The body is the year's calendar document: YAML as in `data/calendar/2026.yaml` (`application/yaml` or `text/yaml`), or JSON with the same keys (`application/json`): " +
			"`year`, `source` (the notice the dates come from) and `holidays`, each with `name`, `from`, `to` (days off, inclusive) and `work` (adjusted working days, 调休, each a Saturday or Sunday). " +
			"The year becomes the next version in force at once, in every server process, replacing the file of the same year; every earlier version stays readable (`GET /api/v1/calendars/{year}?version=N`). " +
			"A document that is not for the year of the path, that does not read, or that disagrees with a neighbouring year in force is refused with a 422 naming the line and the field, and nothing is stored.",
		Tags:         []string{"calendars"},
		MaxBodyBytes: 256 << 10,
		Errors:       []int{http.StatusUnprocessableEntity, http.StatusUnsupportedMediaType},
	}, roles(registry.RoleBureau), func(ctx context.Context, in *calendarPutIn) (*calendarPutOut, error) {
		if in.ContentType != "" {
			mt, _, err := mime.ParseMediaType(in.ContentType)
			if err != nil || !slices.Contains(calendarTypes, mt) {
				return nil, huma.NewError(http.StatusUnsupportedMediaType,
					fmt.Sprintf("send the calendar document as application/yaml (or text/yaml) or application/json, not %q", in.ContentType))
			}
		}
		if len(strings.TrimSpace(string(in.RawBody))) == 0 {
			return nil, invalid("body", "the body is empty: send the year's calendar document (year, source, holidays)")
		}
		p, _ := principalFrom(ctx)
		by := fmt.Sprintf("%s (%s)", p.Name, viewerOf(ctx).actor)
		r, err := s.store.PutCalendar(ctx, s.xfer.files, in.Year, in.RawBody, by)
		if err != nil {
			return nil, calendarProblem(err, "body")
		}
		out := &calendarPutOut{}
		out.Body.CalendarYear, out.Body.Changed, out.Body.Replaced, out.Body.Affected = calendarYearOf(r.CalendarYear), r.Changed, r.Replaced, r.Affected
		if out.Body.Affected == nil {
			out.Body.Affected = []int64{}
		}
		return out, nil
	})
	// The body is read as text in every media type it may come in; the JSON
	// form has a schema.
	if op := api.OpenAPI().Paths["/api/v1/calendars/{year}"]; op != nil && op.Put != nil && op.Put.RequestBody != nil {
		text := &huma.Schema{Type: "string", Description: "The calendar document, YAML"}
		schema := api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[CalendarDocument](), true, "")
		op.Put.RequestBody.Description = "The year's calendar document"
		op.Put.RequestBody.Content = map[string]*huma.MediaType{
			"application/yaml": {Schema: text, Example: calendarExample},
			"text/yaml":        {Schema: text},
			"application/json": {Schema: schema},
		}
	}
}

const calendarExample = `year: 2026
source: 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04)
holidays:
  - name: 元旦
    from: 2026-01-01
    to: 2026-01-03
    work: [2026-01-04]
  - name: 清明节
    from: 2026-04-04
    to: 2026-04-06
`

// calendarProblem turns a refused calendar document into a 422 naming the
// line and the field at loc; other errors go to toProblem.
func calendarProblem(err error, loc string) error {
	var ce *auction.CalendarError
	if !errors.As(err, &ce) {
		return err
	}
	field := loc
	if ce.Field != "" {
		field += "." + ce.Field
	}
	return huma.Error422UnprocessableEntity("the calendar document is not acceptable, nothing was stored: "+ce.Error(),
		&huma.ErrorDetail{Location: field, Message: ce.Error()})
}

// calendarHint tells the clerk how to load the missing years.
func calendarHint(years []int) string {
	if len(years) == 0 {
		return ""
	}
	paths := make([]string, len(years))
	for i, y := range years {
		paths[i] = fmt.Sprintf("PUT /api/v1/calendars/%d", y)
	}
	return fmt.Sprintf("; the bureau loads a year's calendar (the holidays and adjusted working days of the State Council's notice) with %s, or with `minerights calendar load FILE`",
		strings.Join(paths, " and "))
}
