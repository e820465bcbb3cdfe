package auction

import (
	"encoding/json"
	"testing"
	"time"
)

// t0 is Monday 2 March 2026, 09:00 in China: every fixture counts from it.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, cst)

func at(d time.Duration) time.Time { return t0.Add(d) }

const (
	startPrice = 1_000_000
	increment  = 10_000
	deposit    = 200_000
)

var testTerms = Terms{StartingPrice: startPrice, Increment: increment, Deposit: deposit}

var testSalt = []byte("0123456789abcdef-salt")

// testRules are the rule book's counts with short plain durations, so that fixtures need no
// calendar.
func testRules() Rules {
	return Rules{
		Name:                 "test",
		ListingPeriod:        Period{Duration: time.Hour},
		AnnouncementLead:     Period{Duration: time.Hour},
		TimedBiddingDelay:    5 * time.Minute,
		Countdown:            4 * time.Minute,
		MinBidders:           MinBidders{Listing: 1, Auction: 3, Tender: 3},
		ConfirmationWithin:   Period{Duration: 24 * time.Hour},
		PublicityStartWithin: Period{Duration: 48 * time.Hour},
		PublicityLength:      Period{Duration: time.Hour},
		BidRate:              BidRate{Bids: 3, Per: time.Minute},
	}
}

// Fixture times, as offsets from t0:
//
//	announce 0, applications +10m..+2h, deposits until +2h30m,
//	listing/tender +1h..+3h (auction starts at +3h),
//	timed bidding from +3h05m, countdown deadline +3h09m without bids.
func testWindows(m Method) Windows {
	w := Windows{
		ApplyStart:      at(10 * time.Minute),
		ApplyEnd:        at(2 * time.Hour),
		DepositDeadline: at(150 * time.Minute),
		BiddingStart:    at(time.Hour),
		BiddingEnd:      at(3 * time.Hour),
	}
	if m == MethodAuction {
		w.BiddingStart, w.BiddingEnd = at(3*time.Hour), time.Time{}
	}
	return w
}

type step func(Sale) (Sale, []Event, error)

func run(t testing.TB, s Sale, steps ...step) Sale {
	t.Helper()
	for i, f := range steps {
		var err error
		if s, _, err = f(s); err != nil {
			t.Fatalf("fixture step %d: %v", i, err)
		}
	}
	return s
}

func tick(now time.Time) step {
	return func(s Sale) (Sale, []Event, error) { s, evs := s.Tick(now); return s, evs, nil }
}

func bid(now time.Time, who string, amount int64) step {
	return func(s Sale) (Sale, []Event, error) { return s.Bid(now, Bid{Bidder: who, Amount: amount}) }
}

func apply(now time.Time, who string) step {
	return func(s Sale) (Sale, []Event, error) { return s.Apply(now, who) }
}

func pay(now time.Time, who string, amount int64) step {
	return func(s Sale) (Sale, []Event, error) { return s.RecordDeposit(now, who, amount) }
}

func qualify(now time.Time, who string) step {
	return func(s Sale) (Sale, []Event, error) { return s.Qualify(now, who) }
}

func draftSale(t testing.TB, m Method) Sale {
	t.Helper()
	s, err := NewSale(m, testTerms, testRules())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func announcedSale(t testing.TB, m Method) Sale {
	t.Helper()
	return run(t, draftSale(t, m), func(s Sale) (Sale, []Event, error) {
		return s.Announce(t0, Calendar{}, testWindows(m))
	})
}

// applyingSale has each bidder applied, paid up and qualified at +20m.
func applyingSale(t testing.TB, m Method, bidders ...string) Sale {
	t.Helper()
	s := run(t, announcedSale(t, m), tick(at(10*time.Minute)))
	now := at(20 * time.Minute)
	for _, b := range bidders {
		s = run(t, s, apply(now, b), pay(now, b, deposit), qualify(now, b))
	}
	return s
}

func listingSale(t testing.TB) Sale {
	return run(t, applyingSale(t, MethodListing, "A", "B", "C"), tick(at(time.Hour)))
}

// quotedSale: A quoted the starting price, B beat it; C never quoted.
func quotedSale(t testing.TB) Sale {
	return run(t, listingSale(t),
		bid(at(70*time.Minute), "A", startPrice),
		bid(at(80*time.Minute), "B", startPrice+increment))
}

// gapSale: the listing has closed, timed bidding starts at +3h05m.
func gapSale(t testing.TB) Sale { return run(t, quotedSale(t), tick(at(3*time.Hour))) }

// timedSale: timed bidding running, deadline +3h09m.
func timedSale(t testing.TB) Sale {
	return run(t, quotedSale(t), tick(at(3*time.Hour+5*time.Minute)))
}

// soldSale: B won at the starting price plus one increment, closed at +3h09m.
func soldSale(t testing.TB) Sale {
	return run(t, timedSale(t), tick(at(3*time.Hour+9*time.Minute)))
}

func failedSale(t testing.TB) Sale { return run(t, listingSale(t), tick(at(3*time.Hour))) }

func auctionSale(t testing.TB) Sale {
	return run(t, applyingSale(t, MethodAuction, "A", "B", "C"), tick(at(3*time.Hour)))
}

func tenderSale(t testing.TB) Sale {
	return run(t, applyingSale(t, MethodTender, "A", "B", "C"), tick(at(time.Hour)))
}

func suspendedSale(t testing.TB) Sale {
	return run(t, listingSale(t), func(s Sale) (Sale, []Event, error) { return s.Suspend(at(90*time.Minute), "court order") })
}

func terminatedSale(t testing.TB) Sale {
	return run(t, listingSale(t), func(s Sale) (Sale, []Event, error) { return s.Terminate(at(90*time.Minute), "parcel withdrawn") })
}

func confirmedSale(t testing.TB) Sale {
	return run(t, soldSale(t), func(s Sale) (Sale, []Event, error) { return s.IssueConfirmation(at(4*time.Hour), Calendar{}) })
}

// publicitySale: publicity from +4h10m to +5h10m.
func publicitySale(t testing.TB) Sale {
	return run(t, confirmedSale(t), func(s Sale) (Sale, []Event, error) { return s.StartPublicity(at(250*time.Minute), Calendar{}) })
}

func objectedSale(t testing.TB) Sale {
	return run(t, publicitySale(t), func(s Sale) (Sale, []Event, error) {
		return s.FileObjection(at(260*time.Minute), "C", "the winner is not qualified")
	})
}

func contractedSale(t testing.TB) Sale {
	return run(t, publicitySale(t), func(s Sale) (Sale, []Event, error) { return s.SignContract(at(310 * time.Minute)) })
}

func defaultedSale(t testing.TB) Sale {
	return run(t, soldSale(t), func(s Sale) (Sale, []Event, error) { return s.Default(at(4*time.Hour), "refused to sign") })
}

func kinds(evs []Event) []string {
	var k []string
	for _, e := range evs {
		k = append(k, e.Kind())
	}
	return k
}

func snapshot(t testing.TB, s Sale) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
