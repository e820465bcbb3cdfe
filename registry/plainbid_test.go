package registry_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"minerights/auction"
	"minerights/registry"
)

type storedMachine struct {
	tag, baseCount, bidCount int64
	nextDeadline             *time.Time
}

func readStored(t *testing.T, pool *pgxpool.Pool, id int64) storedMachine {
	t.Helper()
	var st storedMachine
	if err := pool.QueryRow(context.Background(), `SELECT machine_tag, machine_bid_count, bid_count, next_deadline FROM sale WHERE id = $1`, id).
		Scan(&st.tag, &st.baseCount, &st.bidCount, &st.nextDeadline); err != nil {
		t.Fatal(err)
	}
	return st
}

// sameBidState compares what plain bids change in a sale.
func sameBidState(t *testing.T, what string, got, want auction.Sale) {
	t.Helper()
	if got.BidCount != want.BidCount || got.High.Seq != want.High.Seq || got.High.Bidder != want.High.Bidder ||
		got.High.Paddle != want.High.Paddle || got.High.Amount != want.High.Amount || !got.High.At.Equal(want.High.At) ||
		got.High.Phase != want.High.Phase || !got.Deadline.Equal(want.Deadline) || !got.LastAction.Equal(want.LastAction) ||
		got.State != want.State {
		t.Errorf("%s: bid state differs:\n got  count %d high %+v deadline %v last %v %s\n want count %d high %+v deadline %v last %v %s", what,
			got.BidCount, got.High, got.Deadline, got.LastAction, got.State, want.BidCount, want.High, want.Deadline, want.LastAction, want.State)
	}
	if len(got.Participants) != len(want.Participants) {
		t.Fatalf("%s: %d participants, want %d", what, len(got.Participants), len(want.Participants))
	}
	for i, p := range got.Participants {
		w := want.Participants[i]
		if p.Bidder != w.Bidder || p.Bids != w.Bids || p.Quoted != w.Quoted {
			t.Errorf("%s: participant %d: %+v, want %+v", what, i, p, w)
		}
	}
}

// TestPlainBidsLeaveTheMachine: a plain bid appends its row and moves the
// sale row's high, leaving the stored machine (and its tag) as it was; the
// sale as loaded is the machine with those bids laid over, the same state a
// full write stores. In timed bidding the stored next deadline stays put as
// bids push the countdown later; the scheduler looks again at it, stores
// the later one, and closes the sale at the last bid's deadline.
func TestPlainBidsLeaveTheMachine(t *testing.T) {
	ctx := context.Background()
	store, pool := newStore(t, true)
	rules := fastRules(t)
	rules.Countdown = 1500 * time.Millisecond
	parcel := offerable(t, store, 2)
	const inc, dep = 1000, 100_000
	sl, err := store.CreateSale(ctx, registry.SaleInput{ParcelID: parcel, Method: auction.MethodListing, Increment: inc, Deposit: dep}, rules, "bureau#1")
	if err != nil {
		t.Fatal(err)
	}
	w := listingWindows(dbNow(t, pool), rules)
	w.BiddingEnd = w.BiddingStart.Add(2 * time.Second)
	if _, err := store.Announce(ctx, sl.ID, auction.Calendar{}, w, "bureau#1"); err != nil {
		t.Fatal(err)
	}
	runScheduler(t, store)
	sleepUntil(t, pool, w.ApplyStart)
	var bidders []int64
	for _, name := range []string{"甲公司", "乙公司", "丙公司"} {
		b, err := store.CreateBidder(ctx, registry.BidderInput{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		admit(t, store, sl.ID, b.ID, dep)
		bidders = append(bidders, b.ID)
	}
	sleepUntil(t, pool, w.BiddingStart)
	bid := func(bidder int64) registry.Receipt {
		t.Helper()
		rc, _, err := store.PlaceBid(ctx, registry.BidRequest{SaleID: sl.ID, BidderID: bidder, Raise: 1, Actor: "bidder"})
		if err != nil {
			t.Fatal(err)
		}
		return rc
	}

	// Quotes in the listing are plain bids.
	waitState(t, store, sl.ID, auction.StateListing, 5*time.Second)
	before := readStored(t, pool, sl.ID)
	bid(bidders[0])
	bid(bidders[1])
	after := readStored(t, pool, sl.ID)
	if after.tag != before.tag || after.baseCount != before.baseCount || after.bidCount != before.bidCount+2 {
		t.Fatalf("listing quotes rewrote the machine: before %+v, after %+v", before, after)
	}
	overlaid, err := store.GetSale(ctx, sl.ID)
	if err != nil {
		t.Fatal(err)
	}
	if overlaid.Machine.BidCount != 2 || overlaid.Machine.High.Bidder != registry.BidderKey(bidders[1]) {
		t.Fatalf("loaded sale after two quotes: count %d, high %+v", overlaid.Machine.BidCount, overlaid.Machine.High)
	}
	// A full write of the same state (the scheduler looking early: nothing
	// is due) stores what the overlay showed.
	// The database's time is read first: Citus ships no volatile function
	// in an UPDATE of a distributed table.
	if _, err := pool.Exec(ctx, `UPDATE sale SET next_deadline = $2 WHERE id = $1`, sl.ID, dbNow(t, pool)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for readStored(t, pool, sl.ID).tag == after.tag {
		if time.Now().After(deadline) {
			t.Fatal("the scheduler did not store the sale it looked at")
		}
		time.Sleep(20 * time.Millisecond)
	}
	full := readStored(t, pool, sl.ID)
	if full.baseCount != 2 || full.bidCount != 2 {
		t.Fatalf("after the full write: %+v", full)
	}
	stored, err := store.GetSale(ctx, sl.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameBidState(t, "overlay against the stored state", overlaid.Machine, stored.Machine)

	// Timed bidding: bids restart the countdown; next_deadline stays.
	waitState(t, store, sl.ID, auction.StateTimedBidding, 10*time.Second)
	for !waitTimedStarted(t, store, sl.ID) {
		time.Sleep(20 * time.Millisecond)
	}
	opened := readStored(t, pool, sl.ID)
	var last registry.Receipt
	for i := range 4 { // within the first countdown, before the scheduler looks again
		last = bid(bidders[i%2])
		time.Sleep(100 * time.Millisecond)
	}
	during := readStored(t, pool, sl.ID)
	if during.tag != opened.tag || during.nextDeadline == nil || !during.nextDeadline.Equal(*opened.nextDeadline) {
		t.Fatalf("timed bids rewrote the machine or moved next_deadline: opened %+v, during %+v", opened, during)
	}
	if !last.Deadline.After(*during.nextDeadline) {
		t.Fatalf("the last bid's deadline %v is not after the stored lower bound %v", last.Deadline, during.nextDeadline)
	}
	got, err := store.GetSale(ctx, sl.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Machine.Deadline.Equal(*last.Deadline) || got.Machine.High.Seq != uint64(last.Seq) {
		t.Fatalf("loaded sale: deadline %v high %+v, want the last bid's %v, seq %d", got.Machine.Deadline, got.Machine.High, last.Deadline, last.Seq)
	}
	closed := waitState(t, store, sl.ID, auction.StateClosedSold, 10*time.Second)
	if closed.Machine.ClosedAt.Before(*last.Deadline) {
		t.Fatalf("closed at %v, before the last bid's deadline %v", closed.Machine.ClosedAt, last.Deadline)
	}
	if closed.Machine.High.Seq != uint64(last.Seq) || closed.Machine.High.Bidder != registry.BidderKey(bidders[1]) {
		t.Fatalf("winner %+v, want the last bid %d", closed.Machine.High, last.Seq)
	}
	counts := map[string]int{}
	bids, err := store.Bids(ctx, sl.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bids {
		counts[registry.BidderKey(b.BidderID)]++
	}
	for _, p := range closed.Machine.Participants {
		if p.Bids != counts[p.Bidder] {
			t.Errorf("paddle %d: %d bids in the state, %d in the bid table", p.Paddle, p.Bids, counts[p.Bidder])
		}
	}
	if rep, err := store.VerifyAudit(ctx, sl.ID); err != nil || !rep.OK {
		t.Fatalf("audit: %+v, %v", rep, err)
	}
}

func waitTimedStarted(t *testing.T, store *registry.Store, id int64) bool {
	t.Helper()
	sl, err := store.GetSale(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return sl.Machine.TimedStarted
}
