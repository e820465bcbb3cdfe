package registry_test

import (
	"context"
	"testing"
	"time"

	"minerights/auction"
	"minerights/registry"
)

// TestBidJudgedAtArrival (issue 10, finding 3): a bid that arrived before
// the listing closed but reached the sale's lock after it (it waited behind
// a load) is accepted as a listing quote stamped with its arrival; one that
// arrived after the close is judged after it. A scheduler with a grace leaves the
// deadline alone for the grace, then acts on it.
func TestBidJudgedAtArrival(t *testing.T) {
	ctx := context.Background()
	store, pool := newStore(t, true)
	rules := fastRules(t)
	rules.Countdown = 5 * time.Second // still counting down when the grace ends
	parcel := offerable(t, store, 2)
	const dep = 100_000
	sl, err := store.CreateSale(ctx, registry.SaleInput{ParcelID: parcel, Method: auction.MethodListing, Increment: 1000, Deposit: dep}, rules, "bureau#1")
	if err != nil {
		t.Fatal(err)
	}
	w := listingWindows(dbNow(t, pool), rules)
	if _, err := store.Announce(ctx, sl.ID, auction.Calendar{}, w, "bureau#1"); err != nil {
		t.Fatal(err)
	}
	sleepUntil(t, pool, w.ApplyStart)
	// A scheduler of its own, with a grace: it opens the applications
	// and the listing (a grace later) and must not close the listing
	// before the grace has passed.
	const grace = 1500 * time.Millisecond
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	sc := &registry.Scheduler{Store: store, MaxSleep: 50 * time.Millisecond, CheckpointEvery: -1, Grace: grace}
	go func() { _ = sc.Run(sctx); close(done) }()
	defer func() { cancel(); <-done }()
	var bidders []int64
	for _, name := range []string{"甲公司", "乙公司"} {
		b, err := store.CreateBidder(ctx, registry.BidderInput{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		admit(t, store, sl.ID, b.ID, dep)
		bidders = append(bidders, b.ID)
	}
	sleepUntil(t, pool, w.BiddingStart)
	if _, _, err := store.PlaceBid(ctx, registry.BidRequest{SaleID: sl.ID, BidderID: bidders[0], Raise: 1, Actor: "bidder"}); err != nil {
		t.Fatal(err)
	}

	sleepUntil(t, pool, w.BiddingEnd.Add(-300*time.Millisecond))
	arrived, arrivedDB := time.Now(), dbNow(t, pool)
	sleepUntil(t, pool, w.BiddingEnd.Add(400*time.Millisecond)) // the wait behind the load
	rc, _, err := store.PlaceBid(ctx, registry.BidRequest{SaleID: sl.ID, BidderID: bidders[1], Raise: 1, Actor: "bidder", Arrived: arrived})
	if err != nil {
		t.Fatalf("a bid that arrived %v before the close was refused: %v", w.BiddingEnd.Sub(arrivedDB), err)
	}
	if d := rc.At.Sub(arrivedDB); !rc.At.Before(w.BiddingEnd) || d < -50*time.Millisecond || d > 50*time.Millisecond || rc.Phase != string(auction.StateListing) {
		t.Fatalf("receipt at %v in %s, want at its arrival %v in the listing", rc.At, rc.Phase, arrivedDB)
	}
	if st := readState(t, store, sl.ID); st != auction.StateListing {
		t.Fatalf("the listing was closed within the grace: %s", st)
	}
	waitState(t, store, sl.ID, auction.StateTimedBidding, 5*time.Second)
	if got := dbNow(t, pool).Sub(w.BiddingEnd); got < grace {
		t.Fatalf("the scheduler closed the listing %v after its end, within the grace %v", got, grace)
	}
	// A bid that arrives now is judged now: in timed bidding, not as a
	// listing quote.
	rc, _, err = store.PlaceBid(ctx, registry.BidRequest{SaleID: sl.ID, BidderID: bidders[0], Raise: 1, Actor: "bidder", Arrived: time.Now()})
	if err != nil || rc.Phase != string(auction.StateTimedBidding) {
		t.Fatalf("a bid arriving after the close: %+v %v, want a timed bid", rc, err)
	}
}

func readState(t *testing.T, store *registry.Store, id int64) auction.State {
	t.Helper()
	sl, err := store.GetSale(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return sl.Machine.State
}
