package registry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"minerights/auction"
	"minerights/registry"
)

// bruteForce plays a rival who reads an entry as the public sees it and
// tries every bidder id and token id up to max in its hidden members (every
// "bidder" member and the actor's "#id"), hashing each candidate as
// registry.EntryHash does. It returns the candidate that gives the published
// hash, if any. Entries that name more than one bidder are skipped (the
// search would be combinatorial; the single-bidder ones are enough).
func bruteForce(t *testing.T, e registry.AuditEntry, max int64) (string, bool) {
	t.Helper()
	view, ok := auction.Visible(e.Kind, e.Actor, e.Data, auction.Viewer{}, auction.Phase{})
	if ok && view.Level == auction.Whole {
		return "", false // nothing hidden
	}
	var doc any
	if err := json.Unmarshal(e.Data, &doc); err != nil {
		t.Fatal(err)
	}
	places := 0
	var set func(x any, v string)
	set = func(x any, v string) {
		switch m := x.(type) {
		case map[string]any:
			for k, c := range m {
				if k == "bidder" {
					m[k] = v
					places++
				} else {
					set(c, v)
				}
			}
		case []any:
			for _, c := range m {
				set(c, v)
			}
		}
	}
	set(doc, "")
	if places > 1 && bytes.Count(e.Data, []byte(`"bidder"`)) > 1 {
		return "", false
	}
	role := auction.RoleOf(e.Actor)
	for b := int64(0); b <= max; b++ {
		if places > 0 || b == 0 {
			set(doc, registry.BidderKey(b))
		}
		data, _ := json.Marshal(doc)
		for tok := int64(-1); tok <= max; tok++ {
			actor := role
			if tok >= 0 {
				actor = fmt.Sprintf("%s#%d", role, tok)
			}
			guess := e
			guess.Data, guess.Actor, guess.Salt = data, actor, nil
			if h, err := registry.EntryHash(e.PrevHash, guess); err == nil && bytes.Equal(h, e.Hash) {
				return fmt.Sprintf("bidder %d, actor %s", b, actor), true
			}
		}
		if places == 0 {
			break
		}
	}
	return "", false
}

// roomyWindows are listingWindows with applications open for apply: the
// admissions of a few bidders fit in it on a loaded machine.
func roomyWindows(now time.Time, r auction.Rules, apply time.Duration) auction.Windows {
	start := now.Add(time.Second + apply)
	return auction.Windows{
		ApplyStart:      now.Add(time.Second),
		ApplyEnd:        start,
		DepositDeadline: start,
		BiddingStart:    start,
		BiddingEnd:      start.Add(r.ListingPeriod.Duration),
	}
}

// TestAuditSaltsHideIdentities runs a listing with bidders acting through
// tokens: during the sale a brute force over every bidder and token id finds
// nothing in the published hashes (and finds the identity at once in the
// same entries hashed without their salt, as they were before migration
// 010); after the close the chain verifies and re-derives the winner.
// Then the first entries are made what an older database holds (no salt,
// the old hash) and the chain still verifies; altering such an entry, or
// dropping the salt of a later one, is reported.
func TestAuditSaltsHideIdentities(t *testing.T) {
	ctx := context.Background()
	store, pool := newStore(t, true)
	rules := fastRules(t)
	parcel := offerable(t, store, 1)
	var bidders []int64
	for _, name := range []string{"甲公司", "乙公司"} {
		b, err := store.CreateBidder(ctx, registry.BidderInput{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		bidders = append(bidders, b.ID)
	}
	start := *parcelByNo(t, store, 1).StartingPriceYuan
	const inc, dep = 1000, 100_000
	sl, err := store.CreateSale(ctx, registry.SaleInput{ParcelID: parcel, Method: auction.MethodListing, Increment: inc, Deposit: dep}, rules, "bureau#3")
	if err != nil {
		t.Fatal(err)
	}
	w := roomyWindows(dbNow(t, pool), rules, 3*time.Second)
	if _, err := store.Announce(ctx, sl.ID, auction.Calendar{}, w, "bureau#3"); err != nil {
		t.Fatal(err)
	}
	runScheduler(t, store)
	sleepUntil(t, pool, w.ApplyStart)
	for i, id := range bidders {
		actor := fmt.Sprintf("bidder#%d", 20+i)
		if _, err := store.Apply(ctx, sl.ID, id, actor); err != nil {
			t.Fatal(err)
		}
		if _, err := store.RecordDeposit(ctx, sl.ID, id, dep, "bureau#3"); err != nil {
			t.Fatal(err)
		}
		if _, err := store.Qualify(ctx, sl.ID, id, true, "", "bureau#3"); err != nil {
			t.Fatal(err)
		}
	}
	sleepUntil(t, pool, w.BiddingStart)
	for i, amount := range []int64{start, start + inc, start + 2*inc} {
		if _, _, err := store.PlaceBid(ctx, registry.BidRequest{SaleID: sl.ID, BidderID: bidders[i%2], Amount: amount, Actor: fmt.Sprintf("bidder#%d", 20+i%2)}); err != nil {
			t.Fatal(err)
		}
	}

	entries, err := store.AuditEntries(ctx, sl.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	const max = 64 // every bidder id and token id this database has, and more
	hidden, salts := 0, map[string]bool{}
	for _, e := range entries {
		if len(e.Salt) < 16 || salts[string(e.Salt)] {
			t.Fatalf("entry %d: salt %x", e.Seq, e.Salt)
		}
		salts[string(e.Salt)] = true
		if got, ok := bruteForce(t, e, max); ok {
			t.Errorf("entry %d (%s): the published hash gives away %s", e.Seq, e.Kind, got)
		}
		legacy := e
		legacy.Salt = nil
		if legacy.Hash, err = registry.EntryHash(e.PrevHash, legacy); err != nil {
			t.Fatal(err)
		}
		if view, _ := auction.Visible(e.Kind, e.Actor, e.Data, auction.Viewer{}, auction.Phase{}); view.Level != auction.Whole {
			hidden++
			if _, ok := bruteForce(t, legacy, max); !ok && bytes.Count(e.Data, []byte(`"bidder"`)) <= 1 {
				t.Errorf("entry %d (%s): the brute force does not find the identity in an unsalted hash either", e.Seq, e.Kind)
			}
		}
	}
	if hidden < 6 {
		t.Fatalf("only %d entries with hidden members", hidden)
	}

	sl = waitState(t, store, sl.ID, auction.StateClosedSold, 10*time.Second)
	rep, err := store.VerifyAudit(ctx, sl.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Sales[0].Derived != "sold" || rep.Sales[0].Price != start+2*inc {
		t.Fatalf("after the close: %+v", rep)
	}

	// An older database: the first entries have no salt and the old hash.
	entries, err = store.AuditEntries(ctx, sl.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	rewrite := func(unsalted func(seq int64) bool, alter func(*registry.AuditEntry)) {
		t.Helper()
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		// One statement at a time: Citus forwards a DDL statement's text
		// to the workers and takes no several commands in one.
		for _, ddl := range []string{`ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only`,
			`ALTER TABLE audit_event DROP CONSTRAINT audit_event_salted`} {
			if _, err := tx.Exec(ctx, ddl); err != nil {
				t.Fatal(err)
			}
		}
		prev := []byte{}
		for _, e := range entries {
			if unsalted(e.Seq) {
				e.Salt = nil
			}
			e.PrevHash = prev
			if e.Hash, err = registry.EntryHash(prev, e); err != nil {
				t.Fatal(err)
			}
			if alter != nil {
				alter(&e)
			}
			if _, err := tx.Exec(ctx, `UPDATE audit_event SET salt = $3, prev_hash = $4, hash = $5, data = $6::jsonb WHERE sale_id = $1 AND seq = $2`,
				e.SaleID, e.Seq, e.Salt, e.PrevHash, e.Hash, string(e.Data)); err != nil {
				t.Fatal(err)
			}
			prev = e.Hash
		}
		if _, err := tx.Exec(ctx, `UPDATE sale SET audit_head = $2 WHERE id = $1;`, sl.ID, prev); err != nil {
			t.Fatal(err)
		}
		for _, ddl := range []string{`ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only`,
			`ALTER TABLE audit_event ADD CONSTRAINT audit_event_salted CHECK (salt IS NOT NULL) NOT VALID`} {
			if _, err := tx.Exec(ctx, ddl); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	verify := func() registry.AuditReport {
		t.Helper()
		rep, err := store.VerifyAudit(ctx, sl.ID)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	k := int64(len(entries) / 2)
	rewrite(func(seq int64) bool { return seq <= k }, nil)
	if rep := verify(); !rep.OK || rep.Sales[0].Derived != "sold" {
		t.Fatalf("a chain begun before migration 010 does not verify: %+v", rep)
	}
	rewrite(func(seq int64) bool { return seq <= k }, func(e *registry.AuditEntry) {
		if e.Seq == 2 {
			e.Data = json.RawMessage(bytes.Replace(e.Data, []byte(`"at"`), []byte(`"at_"`), 1))
		}
	})
	if rep := verify(); rep.OK {
		t.Fatal("an altered unsalted entry went unnoticed")
	}
	rewrite(func(seq int64) bool { return seq <= k || seq == k+2 }, nil)
	if rep := verify(); rep.OK {
		t.Fatal("an entry stripped of its salt after salted ones went unnoticed")
	} else {
		t.Logf("found: %+v", rep.Problems)
	}
}

// TestVerifyDuringBids verifies a sale over and over while bidders bid on
// it through another pool: the log, the sale row and the bids are read in
// one snapshot, so a bid landing between the reads never makes the live sale
// look tampered.
func TestVerifyDuringBids(t *testing.T) {
	ctx := context.Background()
	store, pool := newStore(t, true)
	rules := fastRules(t)
	rules.ListingPeriod = auction.Period{Duration: time.Minute}
	rules.BidRate = auction.BidRate{Bids: 10000, Per: time.Second}
	parcel := offerable(t, store, 1)
	sl, err := store.CreateSale(ctx, registry.SaleInput{ParcelID: parcel, Method: auction.MethodListing, Increment: 1000, Deposit: 1000}, rules, "bureau#1")
	if err != nil {
		t.Fatal(err)
	}
	w := roomyWindows(dbNow(t, pool), rules, 4*time.Second)
	if _, err := store.Announce(ctx, sl.ID, auction.Calendar{}, w, "bureau#1"); err != nil {
		t.Fatal(err)
	}
	sleepUntil(t, pool, w.ApplyStart)
	var bidders []int64
	for i := range 4 {
		b, err := store.CreateBidder(ctx, registry.BidderInput{Name: fmt.Sprintf("竞买人%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		admit(t, store, sl.ID, b.ID, 1000)
		bidders = append(bidders, b.ID)
	}
	sleepUntil(t, pool, w.BiddingStart)

	bpool, err := pgxpool.New(ctx, pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer bpool.Close()
	bstore := registry.New(bpool)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var accepted atomic.Int64
	for _, b := range bidders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, _, err := bstore.PlaceBid(ctx, registry.BidRequest{SaleID: sl.ID, BidderID: b, Raise: 1, Actor: "bidder"}); err == nil {
					accepted.Add(1)
				}
			}
		}()
	}
	verified := 0
	end := time.Now().Add(3 * time.Second)
	for time.Now().Before(end) {
		for _, check := range []func(context.Context, int64) (registry.AuditReport, error){store.VerifyAudit, store.CheckAudit} {
			rep, err := check(ctx, sl.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK {
				close(stop)
				wg.Wait()
				t.Fatalf("a live sale looks tampered while bids land (%d accepted): %+v", accepted.Load(), rep.Problems)
			}
			verified++
		}
	}
	close(stop)
	wg.Wait()
	if accepted.Load() < 20 {
		t.Fatalf("only %d bids accepted", accepted.Load())
	}
	t.Logf("%d verifications during %d accepted bids", verified, accepted.Load())
}

// TestCheckAuditIncremental checks the public verification's cost: the
// first call reads every entry, later ones only what is new plus a bounded
// slice of the history in rotation; an entry altered in place is reported
// within one rotation, a new entry at the next call, and the answers agree
// with the full verification.
func TestCheckAuditIncremental(t *testing.T) {
	ctx := context.Background()
	store, pool := newStore(t, true)
	rules := fastRules(t)
	rules.ListingPeriod = auction.Period{Duration: time.Minute}
	var bidders []int64
	for i := range 3 {
		b, err := store.CreateBidder(ctx, registry.BidderInput{Name: fmt.Sprintf("竞买人%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		bidders = append(bidders, b.ID)
	}
	var sales []int64
	var w auction.Windows
	for no := 1; no <= 5; no++ {
		sl, err := store.CreateSale(ctx, registry.SaleInput{ParcelID: offerable(t, store, no), Method: auction.MethodListing, Increment: 1000, Deposit: 1000}, rules, "bureau#1")
		if err != nil {
			t.Fatal(err)
		}
		w = roomyWindows(dbNow(t, pool), rules, time.Minute)
		if _, err := store.Announce(ctx, sl.ID, auction.Calendar{}, w, "bureau#1"); err != nil {
			t.Fatal(err)
		}
		sales = append(sales, sl.ID)
	}
	sleepUntil(t, pool, w.ApplyStart)
	for _, s := range sales {
		for _, b := range bidders[:2] {
			admit(t, store, s, b, 1000)
		}
	}
	full, err := store.VerifyAudit(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !full.OK {
		t.Fatalf("full verification: %+v", full)
	}
	var longest int64
	for _, sa := range full.Sales {
		longest = max(longest, sa.Entries)
	}

	store.SetAuditRecheck(1) // one whole chain per call beside what is new
	check := func() registry.AuditReport {
		t.Helper()
		rep, err := store.CheckAudit(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	first := check()
	if !first.OK || first.Read < full.Read || len(first.Sales) != len(full.Sales) {
		t.Fatalf("first call: %+v, full: %+v", first, full)
	}
	for i := range 3 {
		rep := check()
		if !rep.OK || rep.Read > longest {
			t.Fatalf("call %d with nothing new read %d entries (longest chain %d): %+v", i, rep.Read, longest, rep)
		}
	}
	// A new entry is verified at the next call, from where its chain stopped.
	admit(t, store, sales[2], bidders[2], 1000)
	rep := check()
	if !rep.OK || rep.Read > longest+3 {
		t.Fatalf("after 3 new entries the call read %d: %+v", rep.Read, rep)
	}
	// An old entry altered in place (its chain's head unchanged) is found
	// within one rotation.
	for _, q := range []string{`ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only`,
		fmt.Sprintf(`UPDATE audit_event SET data = jsonb_set(data, '{paddle}', '9') WHERE sale_id = %d AND kind = 'bidder-applied'`, sales[0]),
		`ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only`} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	found := false
	for range len(sales) + 1 {
		if rep := check(); !rep.OK {
			found = true
			if rep.Problems[0].SaleID != sales[0] {
				t.Errorf("problems %+v, want sale %d", rep.Problems, sales[0])
			}
			break
		}
	}
	if !found {
		t.Fatal("an altered entry went unnoticed through a whole rotation")
	}
	// Once found, it stays reported.
	if rep := check(); rep.OK {
		t.Fatal("the alteration was forgotten")
	}
	if full, err := store.VerifyAudit(ctx, 0); err != nil || full.OK {
		t.Fatalf("full verification: %+v %v", full, err)
	}
}
