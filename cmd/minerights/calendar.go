package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"text/tabwriter"

	"minerights/auction"
	"minerights/registry"
)

// calendarCmd manages the working-day calendar years in the database.
type calendarCmd struct {
	Load calendarLoadCmd `cmd:"" help:"Load working-day calendar documents (one YAML per year) into the database, all or nothing; each becomes its year's version in force in every server at once."`
	List calendarListCmd `cmd:"" help:"List the years of the working-day calendar in force."`
}

type calendarLoadCmd struct {
	Files       []string `arg:"" type:"existingfile" help:"Calendar YAML files, one per year, like data/calendar/2026.yaml."`
	CalendarDir string   `name:"calendar-dir" env:"MINERIGHTS_CALENDAR_DIR" help:"The servers' calendar directory, so that the years are checked against the same files."`
	By          string   `name:"by" help:"Who loads them, recorded with each version (default: the login name)."`
}

func (c *calendarLoadCmd) Run(ctx context.Context, g *globals) error {
	files, err := calendarFiles(c.CalendarDir)
	if err != nil {
		return err
	}
	var docs [][]byte
	fileOf := map[int]string{}
	for _, f := range c.Files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		d, err := auction.ParseCalendarDocument(b)
		if err != nil {
			return fmt.Errorf("%s: refused, nothing loaded: %w", f, err)
		}
		if other, ok := fileOf[d.Year]; ok {
			return fmt.Errorf("%s and %s are both for %d: nothing loaded", other, f, d.Year)
		}
		fileOf[d.Year] = f
		docs = append(docs, b)
	}
	by := c.By
	if by == "" {
		by = "minerights calendar load"
		if u, err := user.Current(); err == nil {
			by += " (" + u.Username + ")"
		}
	}
	pool, err := g.openPool(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	puts, err := registry.New(pool).PutCalendars(ctx, files, docs, by)
	if err != nil {
		var ce *auction.CalendarError
		if errors.As(err, &ce) && fileOf[ce.Year] != "" {
			return fmt.Errorf("%s: refused, nothing loaded: %w", fileOf[ce.Year], err)
		}
		return fmt.Errorf("refused, nothing loaded: %w", err)
	}
	for _, p := range puts {
		if !p.Changed {
			fmt.Fprintf(g.stdout, "%d: unchanged, version %d is already in force (%s)\n", p.Year, p.Version, fileOf[p.Year])
			continue
		}
		what := "new year"
		if p.Replaced > 0 {
			what = fmt.Sprintf("replaces version %d", p.Replaced)
		} else if p.ReplacesFile {
			what = "replaces the file of the same year"
		}
		fmt.Fprintf(g.stdout, "%d: version %d in force (%s): holidays %d, source %s, sha256 %s, from %s\n",
			p.Year, p.Version, what, p.Holidays, p.Source, p.SHA256, fileOf[p.Year])
		if len(p.Affected) > 0 {
			fmt.Fprintf(g.stdout, "%d: sales announced with the replaced dates, to review: %v\n", p.Year, p.Affected)
		}
	}
	return nil
}

type calendarListCmd struct {
	CalendarDir string `name:"calendar-dir" env:"MINERIGHTS_CALENDAR_DIR" help:"The servers' calendar directory."`
}

func (c *calendarListCmd) Run(ctx context.Context, g *globals) error {
	files, err := calendarFiles(c.CalendarDir)
	if err != nil {
		return err
	}
	pool, err := g.openPool(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	ys, err := registry.New(pool).CalendarYears(ctx, files)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "year\torigin\tversion\tholidays\tloaded at\tloaded by\tsource")
	for _, y := range ys {
		at := "-"
		if y.LoadedAt != nil {
			at = y.LoadedAt.Format("2006-01-02 15:04:05 MST")
		}
		fmt.Fprintf(w, "%d\t%s\t%d\t%d\t%s\t%s\t%s\n", y.Year, y.Origin, y.Version, y.Holidays, at, y.LoadedBy, y.Source)
	}
	return w.Flush()
}
