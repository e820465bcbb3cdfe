package registry_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"minerights/auction"
	"minerights/registry"
)

// TestBidRateFromBidTable: the stored state keeps no rate-limit windows;
// PlaceBid reads a bidder's latest bids back from the bid table, so the
// rules' bid_rate still holds across transactions (and processes), and the
// stored machine stays small.
func TestBidRateFromBidTable(t *testing.T) {
	ctx := context.Background()
	store, pool := newStore(t, true)
	rules := fastRules(t)
	rules.AllowSelfRaise = true
	rules.BidRate = auction.BidRate{Bids: 2, Per: time.Hour}
	parcel := offerable(t, store, 1)
	b, err := store.CreateBidder(ctx, registry.BidderInput{Name: "甲公司"})
	if err != nil {
		t.Fatal(err)
	}
	p := parcelByNo(t, store, 1)
	start := *p.StartingPriceYuan
	const inc, dep = 1000, 100_000
	sl, err := store.CreateSale(ctx, registry.SaleInput{ParcelID: parcel, Method: auction.MethodListing, Increment: inc, Deposit: dep}, rules, "bureau#1")
	if err != nil {
		t.Fatal(err)
	}
	w := listingWindows(dbNow(t, pool), rules)
	if _, err := store.Announce(ctx, sl.ID, auction.Calendar{}, w, "bureau#1"); err != nil {
		t.Fatal(err)
	}
	runScheduler(t, store)
	sleepUntil(t, pool, w.ApplyStart)
	admit(t, store, sl.ID, b.ID, dep)
	sleepUntil(t, pool, w.BiddingStart)
	for i, raise := range []int{1, 1} {
		if _, _, err := store.PlaceBid(ctx, registry.BidRequest{SaleID: sl.ID, BidderID: b.ID, Raise: raise, Actor: "bidder"}); err != nil {
			t.Fatalf("bid %d: %v", i+1, err)
		}
	}
	_, _, err = store.PlaceBid(ctx, registry.BidRequest{SaleID: sl.ID, BidderID: b.ID, Amount: start + 10*inc, Actor: "bidder"})
	if !errors.Is(err, auction.ErrRateLimited) {
		t.Fatalf("third bid within the hour: %v, want ErrRateLimited", err)
	}
	var machine string
	if err := pool.QueryRow(ctx, `SELECT machine::text FROM sale WHERE id = $1`, sl.ID).Scan(&machine); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(machine, `"recent"`) {
		t.Errorf("the stored machine keeps rate-limit windows: %s", machine)
	}
	got, err := store.GetSale(ctx, sl.ID)
	if err != nil {
		t.Fatal(err)
	}
	if pt, _ := got.Machine.Participant(registry.BidderKey(b.ID)); pt.Bids != 2 {
		t.Errorf("participant after two bids: %+v", pt)
	}
}
