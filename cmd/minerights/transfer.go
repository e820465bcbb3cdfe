package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"minerights/auction"
	"minerights/data"
	"minerights/openapi"
	"minerights/registry"
)

// transferFlags configure sales: which rules file, which calendars, how
// fast a bidder may send bids, and the audit checkpoint period.
type transferFlags struct {
	Rules           string        `name:"rules" env:"MINERIGHTS_RULES" default:"default" help:"Transfer rules for new sales: 'default', 'drill' (days shortened to seconds) or the path of a rules YAML file."`
	CalendarDir     string        `name:"calendar-dir" env:"MINERIGHTS_CALENDAR_DIR" help:"Directory of working-day calendar YAML files (one per year) beside the embedded ones; a year loaded into the database (minerights calendar load, PUT /api/v1/calendars/{year}) replaces the file of its year."`
	BidRate         float64       `name:"bid-rate" env:"MINERIGHTS_BID_RATE" default:"5" help:"Bid requests per second per bidder this process accepts (token bucket)."`
	BidBurst        int           `name:"bid-burst" env:"MINERIGHTS_BID_BURST" default:"10" help:"Burst of bid requests per bidder."`
	CheckpointEvery time.Duration `name:"checkpoint-every" env:"MINERIGHTS_CHECKPOINT_EVERY" default:"1m" help:"Period of the global audit checkpoint over the sales' chain heads."`
	BidGrace        time.Duration `name:"bid-grace" env:"MINERIGHTS_BID_GRACE" default:"2s" help:"How long the scheduler waits after a deadline before acting on it, so that bids which arrived before it are judged first (at their arrival)."`
}

// loadRules reads the rules named by --rules: an embedded rule set by name,
// or a file.
func loadRules(nameOrPath string) (auction.Rules, error) {
	b, ok := data.Rules(nameOrPath)
	if !ok {
		var err error
		if b, err = os.ReadFile(nameOrPath); err != nil {
			return auction.Rules{}, fmt.Errorf("MINERIGHTS_RULES: %q is neither 'default', 'drill' nor a readable file: %w", nameOrPath, err)
		}
	}
	r, err := auction.ParseRules(b)
	if err != nil {
		return r, fmt.Errorf("MINERIGHTS_RULES %s: %w", nameOrPath, err)
	}
	return r, nil
}

// calendarFiles reads the embedded calendars and those in dir (*.yaml), each
// checked on its own so that a problem names its file, then all together.
func calendarFiles(dir string) (registry.CalendarFiles, error) {
	docs := data.Calendars()
	if dir != "" {
		files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
		if err != nil {
			return registry.CalendarFiles{}, err
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return registry.CalendarFiles{}, err
			}
			if _, err := auction.ParseCalendarDocument(b); err != nil {
				return registry.CalendarFiles{}, fmt.Errorf("MINERIGHTS_CALENDAR_DIR %s: %w", f, err)
			}
			docs = append(docs, b)
		}
	}
	cf, err := registry.NewCalendarFiles(docs...)
	if err != nil {
		return cf, fmt.Errorf("working-day calendars (embedded and MINERIGHTS_CALENDAR_DIR %q): %w", dir, err)
	}
	return cf, nil
}

// transfer loads the rules and the calendar and starts what makes time move
// in this process: the notification hub and the scheduler.
func (c *transferFlags) transfer(ctx context.Context, store *registry.Store, g *globals, bg *sync.WaitGroup) (openapi.Transfer, error) {
	rules, err := loadRules(c.Rules)
	if err != nil {
		return openapi.Transfer{}, err
	}
	cal, err := calendarFiles(c.CalendarDir)
	if err != nil {
		return openapi.Transfer{}, err
	}
	hub := registry.NewHub(store, g.log)
	bg.Go(func() {
		if err := hub.Run(ctx); err != nil {
			g.log.Error("notification hub stopped", "err", err)
		}
	})
	sched := &registry.Scheduler{Store: store, Hub: hub, Log: g.log, CheckpointEvery: c.CheckpointEvery, Grace: c.BidGrace}
	bg.Go(func() {
		if err := sched.Run(ctx); err != nil {
			g.log.Error("scheduler stopped", "err", err)
		}
	})
	g.log.Info("transfer", "rules", rules.Name, "calendar_file_years", cal.Years())
	warnMissingCalendars(ctx, store, cal, g.log, time.Now())
	return openapi.Transfer{Rules: rules, Calendars: cal, Hub: hub, BidRate: c.BidRate, BidBurst: c.BidBurst}, nil
}

// warnMissingCalendars logs a warning for this year and next when the
// working-day calendar in force lacks them: an announcement whose windows
// run into such a year is refused until the bureau loads it. The server
// stays ready (the registry, the maps and running sales do not need it),
// and nothing is guessed: the holidays come only from the State Council's
// notice.
func warnMissingCalendars(ctx context.Context, store *registry.Store, cal registry.CalendarFiles, log *slog.Logger, now time.Time) {
	ys, err := store.CalendarYears(ctx, cal)
	if err != nil {
		log.Warn("working-day calendar: cannot list the years in force", "err", err)
		return
	}
	have := make([]int, len(ys))
	for i, y := range ys {
		have[i] = y.Year
	}
	for _, y := range missingCalendarYears(have, now) {
		log.Warn(fmt.Sprintf("the working-day calendar for %d is not loaded: an announcement whose windows reach %d is refused (calendar-not-loaded) until the bureau loads the State Council's notice for %d with `minerights calendar load %d.yaml` (YAML as data/calendar/2026.yaml) or PUT /api/v1/calendars/%d", y, y, y, y, y),
			"year", y, "years_in_force", have)
	}
}

// missingCalendarYears returns this year and next (in Asia/Shanghai) where
// they are not among have.
func missingCalendarYears(have []int, now time.Time) []int {
	this := now.In(shanghai).Year()
	var out []int
	for _, y := range []int{this, this + 1} {
		if !slices.Contains(have, y) {
			out = append(out, y)
		}
	}
	return out
}
