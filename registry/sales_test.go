package registry_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"minerights/auction"
	"minerights/internal/apitest"
	"minerights/internal/pgtest"
	"minerights/registry"
)

// fastRules are the drill rules shortened further, so that a whole sale
// runs in a few seconds of a test.
func fastRules(t *testing.T) auction.Rules {
	t.Helper()
	return apitest.DrillRules(t, func(r *auction.Rules) {
		r.AnnouncementLead = auction.Period{Duration: 300 * time.Millisecond}
		r.ListingPeriod = auction.Period{Duration: 1200 * time.Millisecond}
		r.TimedBiddingDelay = 300 * time.Millisecond
		r.Countdown = 900 * time.Millisecond
	})
}

func dbNow(t *testing.T, pool *pgxpool.Pool) time.Time {
	t.Helper()
	var now time.Time
	if err := pool.QueryRow(context.Background(), `SELECT clock_timestamp()`).Scan(&now); err != nil {
		t.Fatal(err)
	}
	return now
}

// sleepUntil waits until the database clock reaches at.
func sleepUntil(t *testing.T, pool *pgxpool.Pool, at time.Time) {
	t.Helper()
	if d := at.Sub(dbNow(t, pool)); d > 0 {
		time.Sleep(d + 20*time.Millisecond)
	}
}

// offerable makes the gazette parcel no announceable through the compliance
// engine, and returns its id.
func offerable(t *testing.T, store *registry.Store, no int) int64 {
	t.Helper()
	p := parcelByNo(t, store, no)
	if p.StartingPriceYuan == nil {
		price := int64(10_000_000)
		if _, err := store.UpdateParcel(context.Background(), p.ID, registry.ParcelPatch{StartingPriceYuan: &price}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := store.RunCompliance(context.Background(), p.ID); err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// applyWindow is how long the tests' sales take applications: admitting a
// few bidders must fit in it. On Citus each new bidder and each admission
// is a commit across the nodes (the bidder is a reference table), several
// times slower on a shared machine than on one PostgreSQL.
func applyWindow() time.Duration {
	if pgtest.Citus() != nil {
		return 4 * time.Second
	}
	return 500 * time.Millisecond
}

func listingWindows(now time.Time, r auction.Rules) auction.Windows {
	start := now.Add(time.Second + applyWindow())
	return auction.Windows{
		ApplyStart:      now.Add(time.Second),
		ApplyEnd:        start,
		DepositDeadline: start,
		BiddingStart:    start,
		BiddingEnd:      start.Add(r.ListingPeriod.Duration),
	}
}

// admit applies for the bidder, records its deposit and qualifies it.
func admit(t *testing.T, store *registry.Store, sale, bidder, deposit int64) {
	t.Helper()
	ctx := context.Background()
	if _, err := store.Apply(ctx, sale, bidder, "bidder"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.RecordDeposit(ctx, sale, bidder, deposit, "bureau#1"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Qualify(ctx, sale, bidder, true, "", "bureau#1"); err != nil {
		t.Fatal(err)
	}
}

func runScheduler(t *testing.T, store *registry.Store) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	sc := &registry.Scheduler{Store: store, MaxSleep: 50 * time.Millisecond, CheckpointEvery: -1}
	go func() { _ = sc.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func waitState(t *testing.T, store *registry.Store, id int64, want auction.State, within time.Duration) registry.Sale {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		sl, err := store.GetSale(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if sl.Machine.State == want {
			return sl
		}
		if time.Now().After(deadline) {
			t.Fatalf("sale %d is %s after %s, want %s", id, sl.Machine.State, within, want)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// TestSaleFlowAndAudit runs a listing to its close against the database
// clock: applications, deposits, qualification, quotes, timed bidding, the
// close on the reserve; then the audit log verifies, and stops verifying
// when a row is altered behind the trigger's back.
func TestSaleFlowAndAudit(t *testing.T) {
	ctx := context.Background()
	store, pool := newStore(t, true)
	rules := fastRules(t)
	parcel := offerable(t, store, 1)
	var bidders []int64
	for _, name := range []string{"甲公司", "乙公司", "丙公司"} {
		b, err := store.CreateBidder(ctx, registry.BidderInput{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		bidders = append(bidders, b.ID)
	}
	a, b, c := bidders[0], bidders[1], bidders[2]

	p := parcelByNo(t, store, 1)
	start := *p.StartingPriceYuan
	const inc, dep = 1000, 100_000
	sl, err := store.CreateSale(ctx, registry.SaleInput{ParcelID: parcel, Method: auction.MethodListing, Increment: inc, Deposit: dep, Reserve: start + 3*inc}, rules, "bureau#1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateSale(ctx, registry.SaleInput{ParcelID: parcel, Method: auction.MethodListing, Increment: inc, Deposit: dep}, rules, "bureau#1"); !errors.Is(err, registry.ErrConflict) {
		t.Fatalf("a second live sale of the parcel: %v, want ErrConflict", err)
	}
	w := listingWindows(dbNow(t, pool), rules)
	if _, err := store.Announce(ctx, sl.ID, auction.Calendar{}, w, "bureau#1"); err != nil {
		t.Fatal(err)
	}
	runScheduler(t, store)
	sleepUntil(t, pool, w.ApplyStart)
	for _, id := range bidders {
		if _, err := store.Apply(ctx, sl.ID, id, "bidder"); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []int64{a, b} {
		if _, err := store.RecordDeposit(ctx, sl.ID, id, dep, "bureau#1"); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range bidders {
		if _, err := store.Qualify(ctx, sl.ID, id, true, "", "bureau#1"); err != nil {
			t.Fatal(err)
		}
	}
	sleepUntil(t, pool, w.BiddingStart)
	bid := func(who, amount int64, key string) (registry.Receipt, bool, error) {
		return store.PlaceBid(ctx, registry.BidRequest{SaleID: sl.ID, BidderID: who, Amount: amount, Key: key, Actor: "bidder"})
	}
	rc, _, err := bid(a, start, "a1")
	if err != nil {
		t.Fatal(err)
	}
	if rc.Seq != 1 || rc.PreviousHigh != 0 || rc.Phase != "listing" {
		t.Errorf("first receipt %+v", rc)
	}
	again, replayed, err := bid(a, start, "a1")
	if err != nil || !replayed || again != rc {
		t.Errorf("retry with the same key: %+v %v %v, want the first receipt", again, replayed, err)
	}
	if _, _, err := bid(a, start+5*inc, "a1"); !errors.Is(err, registry.ErrIdempotencyMismatch) {
		t.Errorf("same key, other amount: %v", err)
	}
	if _, _, err := bid(c, start+inc, ""); !errors.Is(err, auction.ErrDepositUnpaid) {
		t.Errorf("unpaid bidder: %v", err)
	}
	if _, _, err := bid(b, start+inc-1, ""); !errors.Is(err, auction.ErrBidTooLow) {
		t.Errorf("below the increment: %v", err)
	}
	if _, err := pool.Exec(ctx, `UPDATE bid SET amount_yuan = 1`); err == nil {
		t.Error("UPDATE of bid accepted; bids must be append-only")
	}
	if _, _, err := bid(b, start+inc, ""); err != nil {
		t.Fatal(err)
	}
	sl = waitState(t, store, sl.ID, auction.StateTimedBidding, 3*time.Second)
	sleepUntil(t, pool, sl.Machine.TimedStart)
	if _, _, err := bid(a, start+2*inc, ""); err != nil {
		t.Fatal(err)
	}
	rc, _, err = bid(b, start+3*inc, "b-final")
	if err != nil {
		t.Fatal(err)
	}
	if rc.Deadline == nil || rc.Deadline.Sub(rc.At) != rules.Countdown {
		t.Errorf("timed bid did not restart the countdown: %+v", rc)
	}
	sl = waitState(t, store, sl.ID, auction.StateClosedSold, 3*time.Second)
	if sl.Machine.High.Bidder != registry.BidderKey(b) || sl.Machine.High.Amount != start+3*inc {
		t.Fatalf("winner %+v", sl.Machine.High)
	}
	if got := parcelByNo(t, store, 1).Status; got != registry.StatusSold {
		t.Errorf("parcel status %s, want sold", got)
	}
	ledger, err := store.Deposits(ctx, sl.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	refunds := map[int64]int64{}
	for _, e := range ledger {
		if e.Kind == "refund" {
			refunds[e.BidderID] += e.Amount
		}
	}
	if len(refunds) != 1 || refunds[a] != dep {
		t.Errorf("refunds %v, want the loser's deposit only", refunds)
	}

	if _, err := store.WriteCheckpoint(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := store.VerifyAudit(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || len(rep.Sales) != 1 || rep.Sales[0].Derived != "sold" || rep.Sales[0].Price != start+3*inc || rep.Checkpoints != 1 {
		t.Fatalf("audit: %+v", rep)
	}
	if _, err := pool.Exec(ctx, `DELETE FROM audit_event`); err == nil {
		t.Fatal("DELETE of audit entries accepted")
	}
	if _, err := pool.Exec(ctx, `TRUNCATE audit_event CASCADE`); err == nil {
		t.Fatal("TRUNCATE of audit entries accepted")
	}

	// A superuser can get past the trigger; the chain shows it.
	// One statement at a time (Citus forwards a DDL statement's text to
	// the workers, and takes no several commands in one), and no STABLE
	// function of a column in the UPDATE (Citus refuses to ship one).
	for _, tamper := range []string{`ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only`,
		`UPDATE audit_event SET data = jsonb_set(data, '{bid,amount}', ((data->'bid'->>'amount')::bigint + 1000000)::text::jsonb)
			WHERE kind = 'bid-accepted' AND (data->'bid'->>'seq')::int = 2`,
		`ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only`} {
		if _, err := pool.Exec(ctx, tamper); err != nil {
			t.Fatal(err)
		}
	}
	rep, err = store.VerifyAudit(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || len(rep.Problems) == 0 {
		t.Fatalf("a tampered entry went unnoticed: %+v", rep)
	}
	t.Logf("tampering found: %+v", rep.Problems)
}

// TestFailedSales covers the failures of the close: a listing without bids,
// a highest bid below the reserve, and an auction short of bidders; and a
// re-offer after one.
func TestFailedSales(t *testing.T) {
	ctx := context.Background()
	store, pool := newStore(t, true)
	rules := fastRules(t)
	runScheduler(t, store)
	bidder, err := store.CreateBidder(ctx, registry.BidderInput{Name: "甲公司"})
	if err != nil {
		t.Fatal(err)
	}
	type tc struct {
		name   string
		no     int
		method auction.Method
		bid    bool
		want   auction.FailReason
	}
	cases := []tc{
		{"no bids", 1, auction.MethodListing, false, auction.FailNoBids},
		{"below reserve", 2, auction.MethodListing, true, auction.FailBelowReserve},
		{"auction short of bidders", 3, auction.MethodAuction, false, auction.FailTooFewBidders},
	}
	var wg sync.WaitGroup
	for _, c := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			parcel := offerable(t, store, c.no)
			start := *parcelByNo(t, store, c.no).StartingPriceYuan
			sl, err := store.CreateSale(ctx, registry.SaleInput{ParcelID: parcel, Method: c.method, Increment: 1000, Deposit: 1000, Reserve: start + 10_000}, rules, "bureau")
			if err != nil {
				t.Error(err)
				return
			}
			w := listingWindows(dbNow(t, pool), rules)
			if c.method == auction.MethodAuction {
				w.BiddingEnd = time.Time{}
			}
			if _, err := store.Announce(ctx, sl.ID, auction.Calendar{}, w, "bureau"); err != nil {
				t.Error(err)
				return
			}
			sleepUntil(t, pool, w.ApplyStart)
			for _, step := range []func() (registry.Sale, error){
				func() (registry.Sale, error) { return store.Apply(ctx, sl.ID, bidder.ID, "bidder") },
				func() (registry.Sale, error) { return store.RecordDeposit(ctx, sl.ID, bidder.ID, 1000, "bureau") },
				func() (registry.Sale, error) { return store.Qualify(ctx, sl.ID, bidder.ID, true, "", "bureau") },
			} {
				if _, err := step(); err != nil {
					t.Error(c.name, err)
					return
				}
			}
			if c.bid {
				sleepUntil(t, pool, w.BiddingStart)
				if _, _, err := store.PlaceBid(ctx, registry.BidRequest{SaleID: sl.ID, BidderID: bidder.ID, Amount: start}); err != nil {
					t.Error(c.name, err)
					return
				}
			}
			got := waitState(t, store, sl.ID, auction.StateFailed, 5*time.Second+applyWindow())
			if got.Machine.Failure != c.want {
				t.Errorf("%s: failure %s, want %s", c.name, got.Machine.Failure, c.want)
			}
			if st := parcelByNo(t, store, c.no).Status; st != registry.StatusFailed {
				t.Errorf("%s: parcel status %s", c.name, st)
			}
			ledger, _ := store.Deposits(ctx, sl.ID, bidder.ID)
			if n := len(ledger); n != 2 || ledger[1].Kind != "refund" {
				t.Errorf("%s: ledger %+v, want the deposit refunded", c.name, ledger)
			}
			re, err := store.Reoffer(ctx, sl.ID, registry.SaleInput{Method: auction.MethodListing, Increment: 500, Deposit: 1000}, "bureau")
			if err != nil {
				t.Error(c.name, err)
				return
			}
			if re.Round != 2 || re.PreviousSaleID == nil || *re.PreviousSaleID != sl.ID || re.Machine.State != auction.StateDraft {
				t.Errorf("%s: re-offer %+v", c.name, re)
			}
			if st := parcelByNo(t, store, c.no).Status; st != registry.StatusRegistered {
				t.Errorf("%s: parcel status after re-offer %s", c.name, st)
			}
		}()
	}
	wg.Wait()
	rep, err := store.VerifyAudit(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Fatalf("audit: %+v", rep)
	}
}

// TestSchedulersExactlyOnce runs two schedulers, each on its own pool as two
// processes would, over sales whose deadlines fall together: every
// time-driven change is recorded exactly once.
func TestSchedulersExactlyOnce(t *testing.T) {
	ctx := context.Background()
	store, pool := newStore(t, true)
	rules := fastRules(t)
	var ids []int64
	for no := 1; no <= 6; no++ {
		parcel := offerable(t, store, no)
		sl, err := store.CreateSale(ctx, registry.SaleInput{ParcelID: parcel, Method: auction.MethodListing, Increment: 1000, Deposit: 1000}, rules, "bureau")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, sl.ID)
	}
	w := listingWindows(dbNow(t, pool), rules)
	for _, id := range ids {
		if _, err := store.Announce(ctx, id, auction.Calendar{}, w, "bureau"); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		p2, err := pgxpool.New(ctx, pool.Config().ConnString())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p2.Close)
		runScheduler(t, registry.New(p2))
	}
	for _, id := range ids {
		waitState(t, store, id, auction.StateFailed, 5*time.Second+applyWindow())
	}
	for _, id := range ids {
		rows, err := pool.Query(ctx, `SELECT kind, count(*) FROM audit_event WHERE sale_id = $1 GROUP BY kind`, id)
		if err != nil {
			t.Fatal(err)
		}
		counts := map[string]int{}
		for rows.Next() {
			var k string
			var n int
			if err := rows.Scan(&k, &n); err != nil {
				t.Fatal(err)
			}
			counts[k] = n
		}
		for _, k := range []string{"applications-opened", "listing-opened", "listing-closed", "sale-failed"} {
			if counts[k] != 1 {
				t.Errorf("sale %d: %s recorded %d times", id, k, counts[k])
			}
		}
	}
	rep, err := store.VerifyAudit(ctx, 0)
	if err != nil || !rep.OK {
		t.Fatalf("audit: %+v %v", rep, err)
	}
}
