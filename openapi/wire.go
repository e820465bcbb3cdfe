package openapi

import (
	"time"

	"minerights/registry"
)

// Wire types: the bodies of the API, described by huma's tags, made from the
// store's types by the converters below. The store's own types carry no
// description of the wire. The Go names are those of the schemas in
// openapi.yaml.

// Account is a person or company who signs in in the browser.
type Account struct {
	ID         int64      `json:"id"`
	Login      string     `json:"login" doc:"E-mail address, lower case"`
	Role       string     `json:"role" enum:"bureau,bidder,planner"`
	Name       string     `json:"name" doc:"The person's name (for a bidder: the contact person)"`
	Phone      *string    `json:"phone"`
	Bidder     *Bidder    `json:"bidder,omitempty" doc:"The bidder record of a bidder account"`
	ApprovedAt *time.Time `json:"approved_at" doc:"When the bureau approved a bidder account; null while pending"`
	ApprovedBy *string    `json:"approved_by"`
	DisabledAt *time.Time `json:"disabled_at"`
	CreatedAt  time.Time  `json:"created_at"`
}

func accountOf(a registry.Account) Account {
	out := Account{ID: a.ID, Login: a.Login, Role: a.Role, Name: a.Name, Phone: a.Phone,
		ApprovedAt: a.ApprovedAt, ApprovedBy: a.ApprovedBy, DisabledAt: a.DisabledAt, CreatedAt: a.CreatedAt}
	if a.Bidder != nil {
		b := bidderRecordOf(*a.Bidder)
		out.Bidder = &b
	}
	return out
}

func accountsOf(as []registry.Account) []Account {
	out := make([]Account, 0, len(as))
	for _, a := range as {
		out = append(out, accountOf(a))
	}
	return out
}

// CalendarYear is one year of the working-day calendar in force, or one
// version of a loaded year.
type CalendarYear struct {
	Year         int        `json:"year"`
	Origin       string     `json:"origin" enum:"database,file" doc:"database: loaded by the bureau (PUT /api/v1/calendars/{year}, minerights calendar load); file: shipped with the server or from its --calendar-dir"`
	Version      int        `json:"version" doc:"Version of a loaded year, from 1; 0 for a file"`
	Source       string     `json:"source" doc:"The notice the dates come from"`
	Holidays     int        `json:"holiday_count" doc:"Number of holidays in the document"`
	LoadedAt     *time.Time `json:"loaded_at" doc:"When the bureau loaded this version; null for a file"`
	LoadedBy     string     `json:"loaded_by,omitempty" doc:"Who loaded it"`
	SHA256       string     `json:"sha256" doc:"SHA-256 of the document as loaded, hex"`
	ReplacesFile bool       `json:"replaces_file,omitempty" doc:"A loaded year that replaces the file of the same year"`
}

func calendarYearOf(y registry.CalendarYear) CalendarYear {
	return CalendarYear{Year: y.Year, Origin: y.Origin, Version: y.Version, Source: y.Source, Holidays: y.Holidays,
		LoadedAt: y.LoadedAt, LoadedBy: y.LoadedBy, SHA256: y.SHA256, ReplacesFile: y.ReplacesFile}
}

func calendarYearsOf(ys []registry.CalendarYear) []CalendarYear {
	out := make([]CalendarYear, 0, len(ys))
	for _, y := range ys {
		out = append(out, calendarYearOf(y))
	}
	return out
}

// CalendarVersion is one version of a year.
type CalendarVersion struct {
	CalendarYear
	Current    bool       `json:"current"`
	ReplacedAt *time.Time `json:"replaced_at"`
}

func calendarVersionsOf(vs []registry.CalendarVersion) []CalendarVersion {
	out := make([]CalendarVersion, 0, len(vs))
	for _, v := range vs {
		out = append(out, CalendarVersion{CalendarYear: calendarYearOf(v.CalendarYear), Current: v.Current, ReplacedAt: v.ReplacedAt})
	}
	return out
}
