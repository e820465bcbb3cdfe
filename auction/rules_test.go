package auction

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func readRules(t testing.TB, name string) Rules {
	t.Helper()
	b, err := os.ReadFile("../data/rules/" + name)
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseRules(b)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r
}

func TestShippedRules(t *testing.T) {
	def := readRules(t, "default.yaml")
	want := Rules{
		Name:                 "default",
		ListingPeriod:        Period{WorkingDays: 10},
		AnnouncementLead:     Period{WorkingDays: 20},
		TimedBiddingDelay:    5 * time.Minute,
		Countdown:            4 * time.Minute,
		MinBidders:           MinBidders{Listing: 1, Auction: 3, Tender: 3},
		ConfirmationWithin:   Period{WorkingDays: 3},
		PublicityStartWithin: Period{WorkingDays: 5},
		PublicityLength:      Period{WorkingDays: 10},
		BidRate:              BidRate{Bids: 10, Per: time.Minute},
	}
	if def != want {
		t.Errorf("default.yaml = %+v\nwant the rule book's %+v", def, want)
	}
	drill := readRules(t, "drill.yaml")
	for _, p := range []Period{drill.ListingPeriod, drill.AnnouncementLead, drill.ConfirmationWithin, drill.PublicityStartWithin, drill.PublicityLength} {
		if p.WorkingDays != 0 || p.Duration <= 0 || p.Duration > 2*time.Minute {
			t.Errorf("drill period %v should be a short duration", p)
		}
	}
	if drill.Countdown > 10*time.Second || drill.MinBidders != want.MinBidders {
		t.Errorf("drill = %+v", drill)
	}
}

const goodRules = `name: t
listing_period: {working_days: 10}
announcement_lead: {duration: 30s}
timed_bidding_delay: 5m
countdown: 4m
min_bidders: {listing: 1, auction: 3, tender: 3}
confirmation_within: {working_days: 3}
publicity_start_within: {working_days: 5}
publicity_length: {working_days: 10}
bid_rate: {bids: 10, per: 1m}
allow_self_raise: false
`

func TestParseRulesRejects(t *testing.T) {
	if _, err := ParseRules([]byte(goodRules)); err != nil {
		t.Fatalf("control file refused: %v", err)
	}
	edit := func(old, new string) string {
		if !strings.Contains(goodRules, old) {
			t.Fatalf("fixture lacks %q", old)
		}
		return strings.Replace(goodRules, old, new, 1)
	}
	tests := map[string]struct{ doc, mention string }{
		"empty":                {"", "empty"},
		"not yaml":             {"name: [", ""},
		"unknown key":          {goodRules + "listing_days: 10\n", "listing_days"},
		"missing name":         {edit("name: t\n", ""), "name"},
		"missing period":       {edit("listing_period: {working_days: 10}\n", ""), "listing_period"},
		"empty period":         {edit("{working_days: 10}", "{}"), "listing_period"},
		"both units":           {edit("{working_days: 10}", "{working_days: 10, duration: 1h}"), "not both"},
		"zero working days":    {edit("{working_days: 10}", "{working_days: 0}"), "listing_period"},
		"negative working day": {edit("{working_days: 3}", "{working_days: -3}"), "confirmation_within"},
		"zero duration":        {edit("{duration: 30s}", "{duration: 0s}"), "announcement_lead"},
		"bad duration":         {edit("countdown: 4m", "countdown: 4 minutes"), "countdown"},
		"zero countdown":       {edit("countdown: 4m", "countdown: 0s"), "countdown"},
		"negative delay":       {edit("timed_bidding_delay: 5m", "timed_bidding_delay: -5m"), "timed_bidding_delay"},
		"missing countdown":    {edit("countdown: 4m\n", ""), "countdown"},
		"zero bidders":         {edit("auction: 3", "auction: 0"), "min_bidders.auction"},
		"missing tender count": {edit(", tender: 3", ""), "min_bidders.tender"},
		"missing min bidders":  {edit("min_bidders: {listing: 1, auction: 3, tender: 3}\n", ""), "min_bidders"},
		"zero bid rate":        {edit("bids: 10", "bids: 0"), "bid_rate.bids"},
		"bad rate window":      {edit("per: 1m", "per: -1m"), "bid_rate.per"},
		"missing flag":         {edit("allow_self_raise: false\n", ""), "allow_self_raise"},
		"text for a count":     {edit("listing: 1", "listing: one"), ""},
		"two documents":        {goodRules + "---\n" + goodRules, "more than one"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ParseRules([]byte(tc.doc))
			if !errors.Is(err, ErrInvalidRules) {
				t.Fatalf("err = %v, want ErrInvalidRules", err)
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("err %q should mention %q", err, tc.mention)
			}
		})
	}
}

func TestRulesValidate(t *testing.T) {
	r := testRules()
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	r.Countdown = 0
	r.MinBidders.Tender = 0
	r.ListingPeriod = Period{}
	err := r.Validate()
	for _, want := range []string{"countdown", "min_bidders.tender", "listing_period"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v; should report %s", err, want)
		}
	}
	if _, err := NewSale(MethodListing, testTerms, r); !errors.Is(err, ErrInvalidRules) {
		t.Errorf("NewSale with bad rules: %v", err)
	}
}

// TestDrillRulesRunASale runs a whole listing under the drill rules, in minutes of
// simulated time and without a calendar.
func TestDrillRulesRunASale(t *testing.T) {
	s, err := NewSale(MethodListing, testTerms, readRules(t, "drill.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sec := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }
	s = run(t, s,
		func(s Sale) (Sale, []Event, error) {
			return s.Announce(t0, Calendar{}, Windows{
				ApplyStart: t0, ApplyEnd: sec(40), DepositDeadline: sec(50), BiddingStart: sec(20), BiddingEnd: sec(80),
			})
		},
		apply(sec(1), "A"), pay(sec(1), "A", deposit), qualify(sec(2), "A"),
		apply(sec(3), "B"), pay(sec(3), "B", deposit), qualify(sec(4), "B"),
		bid(sec(25), "A", startPrice), bid(sec(30), "B", startPrice+increment),
		tick(sec(80)), tick(sec(85)), // listing closed; timed bidding opens 5 s later
		bid(sec(87), "A", startPrice+2*increment), // deadline 92
		bid(sec(91), "B", startPrice+3*increment), // deadline 96
		tick(sec(96)),
		func(s Sale) (Sale, []Event, error) { return s.IssueConfirmation(sec(97), Calendar{}) },
		func(s Sale) (Sale, []Event, error) { return s.StartPublicity(sec(98), Calendar{}) },
		func(s Sale) (Sale, []Event, error) { return s.SignContract(sec(108)) },
	)
	if s.State != StateContracted || s.High.Bidder != "B" || s.High.Amount != startPrice+3*increment || !s.ClosedAt.Equal(sec(96)) {
		t.Fatalf("state %s, high %+v, closed %v", s.State, s.High, s.ClosedAt)
	}
}
