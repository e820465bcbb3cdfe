package auction

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Period is a span set by the rules: either a number of working days (the rule book's unit)
// or a plain duration (drills and tests, where waiting days is not an option). Exactly one
// of the two is set.
type Period struct {
	// WorkingDays counts working days on a Calendar.
	WorkingDays int `json:"working_days,omitempty"`
	// Duration is elapsed time, used when WorkingDays is zero.
	Duration time.Duration `json:"duration,omitempty"`
}

// End returns the end of the period starting at start. For working days it fails with
// ErrCalendarNotLoaded when the calendar lacks a year the count passes through, because
// counting weekends only would silently put a deadline on a public holiday.
func (p Period) End(cal Calendar, start time.Time) (time.Time, error) {
	if p.WorkingDays == 0 {
		return start.Add(p.Duration), nil
	}
	end := cal.AddWorkingDays(start, p.WorkingDays)
	if missing := cal.Missing(start, end); len(missing) > 0 {
		e := refuse("calendar-not-loaded", ErrCalendarNotLoaded,
			"counting %s from %s reaches %s, and the working-day calendar for %s is not loaded",
			p, stamp(start), end.In(cst).Format(time.DateOnly), yearList(missing))
		e.Years = missing
		return end, e
	}
	return end, nil
}

// yearList writes years as "2027" or "2027 and 2028" or "2027, 2028 and 2029".
func yearList(ys []int) string {
	s := make([]string, len(ys))
	for i, y := range ys {
		s[i] = strconv.Itoa(y)
	}
	if len(s) == 1 {
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// String describes the period, e.g. "10 working days" or "30s".
func (p Period) String() string {
	if p.WorkingDays != 0 {
		return fmt.Sprintf("%d working days", p.WorkingDays)
	}
	return p.Duration.String()
}

func (p Period) problem() string {
	switch {
	case p.WorkingDays != 0 && p.Duration != 0:
		return "set working_days or duration, not both"
	case p.WorkingDays < 0 || p.Duration < 0:
		return "must be positive"
	case p.WorkingDays == 0 && p.Duration == 0:
		return "must be positive"
	}
	return ""
}

// MinBidders is the least number of bidders each method needs for a valid sale.
type MinBidders struct {
	// Listing counts bidders who quoted during the listing (挂牌), checked when it closes.
	Listing int `json:"listing"`
	// Auction counts qualified bidders with a paid deposit, checked when the auction (拍卖)
	// is due to start; with fewer it does not start.
	Auction int `json:"auction"`
	// Tender counts bidders who submitted a sealed bid (招标), checked at the opening.
	Tender int `json:"tender"`
}

// For returns the minimum for a method.
func (m MinBidders) For(method Method) int {
	switch method {
	case MethodAuction:
		return m.Auction
	case MethodTender:
		return m.Tender
	}
	return m.Listing
}

// BidRate limits how often one bidder's bids are accepted: at most Bids within any Per.
type BidRate struct {
	// Bids is the number of accepted bids allowed per window.
	Bids int `json:"bids"`
	// Per is the length of the sliding window.
	Per time.Duration `json:"per"`
}

// Rules holds every duration and count of the transfer rules. Provinces differ, so none of
// them is a literal in code: they come from a rules file (ParseRules), and a Sale keeps the
// copy it was created with, so a later change of configuration never alters a running sale.
type Rules struct {
	// Name identifies the rule set in the audit log, e.g. "default" or "drill".
	Name string `json:"name"`
	// ListingPeriod is the least length of the listing (挂牌期), default 10 working days.
	ListingPeriod Period `json:"listing_period"`
	// AnnouncementLead is the least time from announcement (公告) to the start of bidding,
	// default 20 working days.
	AnnouncementLead Period `json:"announcement_lead"`
	// TimedBiddingDelay is the gap between the listing closing and timed bidding (限时竞价)
	// starting, default 5 minutes. Zero starts timed bidding as the listing closes.
	TimedBiddingDelay time.Duration `json:"timed_bidding_delay"`
	// Countdown is how long timed bidding and a live auction wait for a higher bid before
	// closing, default 4 minutes. Every accepted bid restarts it.
	Countdown time.Duration `json:"countdown"`
	// MinBidders is the least number of bidders per method (挂牌 1, 拍卖 3, 招标 3).
	MinBidders MinBidders `json:"min_bidders"`
	// ConfirmationWithin is the deadline, from the close, for the confirmation letter
	// (成交确认书), default 3 working days.
	ConfirmationWithin Period `json:"confirmation_within"`
	// PublicityStartWithin is the deadline, from the close, for starting the result
	// publicity (公示), default 5 working days.
	PublicityStartWithin Period `json:"publicity_start_within"`
	// PublicityLength is how long the publicity lasts, default 10 working days.
	PublicityLength Period `json:"publicity_length"`
	// BidRate limits each bidder's accepted bids.
	BidRate BidRate `json:"bid_rate"`
	// AllowSelfRaise lets the holder of the high bid raise it again. Off by default: raising
	// your own bid only costs you money and, in timed bidding, restarts the countdown.
	AllowSelfRaise bool `json:"allow_self_raise"`
}

// Validate reports every problem with the rules at once, wrapped in ErrInvalidRules.
func (r Rules) Validate() error {
	var probs []string
	add := func(field, msg string) { probs = append(probs, field+": "+msg) }
	if strings.TrimSpace(r.Name) == "" {
		add("name", "missing")
	}
	for _, p := range []struct {
		field string
		p     Period
	}{
		{"listing_period", r.ListingPeriod},
		{"announcement_lead", r.AnnouncementLead},
		{"confirmation_within", r.ConfirmationWithin},
		{"publicity_start_within", r.PublicityStartWithin},
		{"publicity_length", r.PublicityLength},
	} {
		if msg := p.p.problem(); msg != "" {
			add(p.field, msg)
		}
	}
	if r.TimedBiddingDelay < 0 {
		add("timed_bidding_delay", "must not be negative")
	}
	if r.Countdown <= 0 {
		add("countdown", "must be positive")
	}
	for _, m := range []struct {
		field string
		n     int
	}{
		{"min_bidders.listing", r.MinBidders.Listing},
		{"min_bidders.auction", r.MinBidders.Auction},
		{"min_bidders.tender", r.MinBidders.Tender},
	} {
		if m.n < 1 {
			add(m.field, "must be at least 1")
		}
	}
	if r.BidRate.Bids < 1 {
		add("bid_rate.bids", "must be at least 1")
	}
	if r.BidRate.Per <= 0 {
		add("bid_rate.per", "must be positive")
	}
	if len(probs) > 0 {
		return fmt.Errorf("auction: %w: %s", ErrInvalidRules, strings.Join(probs, "; "))
	}
	return nil
}

// The file form: pointers so that a missing key is an error rather than a silent zero, and
// strings for durations so that "4m" and "30s" read naturally.
type periodFile struct {
	WorkingDays *int    `yaml:"working_days"`
	Duration    *string `yaml:"duration"`
}

type rulesFile struct {
	Name              string      `yaml:"name"`
	ListingPeriod     *periodFile `yaml:"listing_period"`
	AnnouncementLead  *periodFile `yaml:"announcement_lead"`
	TimedBiddingDelay *string     `yaml:"timed_bidding_delay"`
	Countdown         *string     `yaml:"countdown"`
	MinBidders        *struct {
		Listing *int `yaml:"listing"`
		Auction *int `yaml:"auction"`
		Tender  *int `yaml:"tender"`
	} `yaml:"min_bidders"`
	ConfirmationWithin   *periodFile `yaml:"confirmation_within"`
	PublicityStartWithin *periodFile `yaml:"publicity_start_within"`
	PublicityLength      *periodFile `yaml:"publicity_length"`
	BidRate              *struct {
		Bids *int    `yaml:"bids"`
		Per  *string `yaml:"per"`
	} `yaml:"bid_rate"`
	AllowSelfRaise *bool `yaml:"allow_self_raise"`
}

// ParseRules reads a rules file (YAML) and validates it. Every key is required and unknown
// keys are refused: a misspelt key in a province's file must not fall back to a default.
func ParseRules(b []byte) (Rules, error) {
	var f rulesFile
	if err := decodeStrict(b, &f); err != nil {
		return Rules{}, fmt.Errorf("auction: %w: %v", ErrInvalidRules, err)
	}
	var probs []string
	add := func(field, msg string) { probs = append(probs, field+": "+msg) }
	period := func(field string, p *periodFile) Period {
		switch {
		case p == nil:
			add(field, "missing")
		case p.WorkingDays != nil && p.Duration != nil:
			add(field, "set working_days or duration, not both")
		case p.WorkingDays != nil:
			if *p.WorkingDays < 1 {
				add(field, "working_days must be at least 1")
			}
			return Period{WorkingDays: *p.WorkingDays}
		case p.Duration != nil:
			return Period{Duration: duration(field+".duration", p.Duration, add)}
		default:
			add(field, "set working_days or duration")
		}
		return Period{}
	}
	count := func(field string, n *int) int {
		if n == nil {
			add(field, "missing")
			return 0
		}
		return *n
	}
	r := Rules{
		Name:                 f.Name,
		ListingPeriod:        period("listing_period", f.ListingPeriod),
		AnnouncementLead:     period("announcement_lead", f.AnnouncementLead),
		TimedBiddingDelay:    duration("timed_bidding_delay", f.TimedBiddingDelay, add),
		Countdown:            duration("countdown", f.Countdown, add),
		ConfirmationWithin:   period("confirmation_within", f.ConfirmationWithin),
		PublicityStartWithin: period("publicity_start_within", f.PublicityStartWithin),
		PublicityLength:      period("publicity_length", f.PublicityLength),
	}
	if f.MinBidders == nil {
		add("min_bidders", "missing")
	} else {
		r.MinBidders = MinBidders{
			Listing: count("min_bidders.listing", f.MinBidders.Listing),
			Auction: count("min_bidders.auction", f.MinBidders.Auction),
			Tender:  count("min_bidders.tender", f.MinBidders.Tender),
		}
	}
	if f.BidRate == nil {
		add("bid_rate", "missing")
	} else {
		r.BidRate = BidRate{
			Bids: count("bid_rate.bids", f.BidRate.Bids),
			Per:  duration("bid_rate.per", f.BidRate.Per, add),
		}
	}
	if f.AllowSelfRaise == nil {
		add("allow_self_raise", "missing")
	} else {
		r.AllowSelfRaise = *f.AllowSelfRaise
	}
	if len(probs) > 0 {
		return Rules{}, fmt.Errorf("auction: %w: %s", ErrInvalidRules, strings.Join(probs, "; "))
	}
	if err := r.Validate(); err != nil {
		return Rules{}, err
	}
	return r, nil
}

func duration(field string, s *string, add func(field, msg string)) time.Duration {
	if s == nil {
		add(field, "missing")
		return 0
	}
	d, err := time.ParseDuration(*s)
	if err != nil {
		add(field, fmt.Sprintf("not a duration (%q; write e.g. 4m or 30s)", *s))
	}
	return d
}

// decodeStrict decodes exactly one YAML document, refusing unknown keys.
func decodeStrict(b []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("empty document")
		}
		return err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return errors.New("more than one YAML document")
	}
	return nil
}
