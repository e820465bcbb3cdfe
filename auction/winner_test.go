package auction

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestCommitReserve(t *testing.T) {
	// printf 'minerights-reserve-v1:1500000:<hex salt>' | sha256sum
	const want = "47b12be93db6579f3b00b560caa815ee03399b75a6589370dd1fb30d02b511d1"
	if got := CommitReserve(1_500_000, testSalt); got != want {
		t.Fatalf("CommitReserve = %s, want %s", got, want)
	}
	tests := []struct {
		name       string
		commitment string
		reserve    int64
		salt       []byte
		ok         bool
	}{
		{"opens", want, 1_500_000, testSalt, true},
		{"upper case and spaces", " " + strings.ToUpper(want) + "\n", 1_500_000, testSalt, true},
		{"other amount", want, 1_500_001, testSalt, false},
		{"other salt", want, 1_500_000, []byte("0123456789abcdef-salT"), false},
		{"no salt", want, 1_500_000, nil, false},
		{"truncated", want[:63], 1_500_000, testSalt, false},
		{"empty", "", 1_500_000, testSalt, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := VerifyReserve(tc.commitment, tc.reserve, tc.salt); got != tc.ok {
				t.Errorf("VerifyReserve = %v, want %v", got, tc.ok)
			}
		})
	}
}

func TestWinner(t *testing.T) {
	b := func(seq uint64, who string, amount int64) Bid { return Bid{Seq: seq, Bidder: who, Amount: amount} }
	r := testRules()
	tests := []struct {
		name   string
		bids   []Bid
		method Method
		floor  int64
		want   Outcome
	}{
		{"no bids", nil, MethodListing, 100, Outcome{Reason: FailNoBids}},
		{"single quoter wins a listing", []Bid{b(1, "A", 100)}, MethodListing, 100, Outcome{Sold: true, Best: b(1, "A", 100)}},
		{"ascending: highest wins", []Bid{b(1, "A", 100), b(2, "B", 110), b(3, "A", 120)}, MethodListing, 100,
			Outcome{Sold: true, Best: b(3, "A", 120)}},
		{"below reserve", []Bid{b(1, "A", 100), b(2, "B", 110)}, MethodListing, 111, Outcome{Best: b(2, "B", 110), Reason: FailBelowReserve}},
		{"at reserve", []Bid{b(1, "A", 100), b(2, "B", 111)}, MethodListing, 111, Outcome{Sold: true, Best: b(2, "B", 111)}},
		{"auction does not count bidders", []Bid{b(1, "A", 100)}, MethodAuction, 100, Outcome{Sold: true, Best: b(1, "A", 100)}},
		{"tender needs three", []Bid{b(1, "A", 100), b(2, "B", 120)}, MethodTender, 100, Outcome{Best: b(2, "B", 120), Reason: FailTooFewBidders}},
		{"tender: amendments do not add bidders", []Bid{b(1, "A", 100), b(2, "B", 120), b(3, "A", 130)}, MethodTender, 100,
			Outcome{Best: b(3, "A", 130), Reason: FailTooFewBidders}},
		{"tender: tie goes to the earlier bid", []Bid{b(1, "A", 100), b(2, "B", 120), b(3, "C", 120)}, MethodTender, 100,
			Outcome{Sold: true, Best: b(2, "B", 120)}},
		{"tender: an amendment replaces, even downwards", []Bid{b(1, "A", 150), b(2, "B", 120), b(3, "C", 110), b(4, "A", 100)}, MethodTender, 100,
			Outcome{Sold: true, Best: b(2, "B", 120)}},
		{"tender: an amended bid's place is its new sequence", []Bid{b(1, "A", 120), b(2, "B", 120), b(3, "C", 110), b(4, "A", 120)}, MethodTender, 100,
			Outcome{Sold: true, Best: b(2, "B", 120)}},
		{"order of the input does not matter", []Bid{b(4, "A", 100), b(3, "C", 110), b(2, "B", 120), b(1, "A", 150)}, MethodTender, 100,
			Outcome{Sold: true, Best: b(2, "B", 120)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Winner(tc.bids, tc.method, tc.floor, r); got != tc.want {
				t.Errorf("Winner = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestFailReasonErr(t *testing.T) {
	for r, want := range map[FailReason]error{FailNoBids: ErrNoBids, FailTooFewBidders: ErrTooFewBidders, FailBelowReserve: ErrBelowReserve, "": nil} {
		if got := r.Err(); got != want {
			t.Errorf("%q.Err() = %v", r, got)
		}
	}
}

func TestEventsRoundTrip(t *testing.T) {
	for kind, dec := range eventDecoders {
		e, err := dec([]byte("{}"))
		if err != nil || e.Kind() != kind {
			t.Errorf("decoder for %q gives %T (%v)", kind, e, err)
		}
	}
	// Every event a full set of scenarios produces survives the audit log's encoding.
	var all []Event
	collectTick := func(s Sale, evs []Event) Sale { all = append(all, evs...); return s }
	collect := func(s Sale, evs []Event, err error) Sale {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, evs...)
		return s
	}
	s := collect(draftSale(t, MethodListing).SetReserve(t0, startPrice, testSalt))
	s = collect(s.Announce(t0, Calendar{}, testWindows(MethodListing)))
	s = collect(s.Apply(at(20*time.Minute), "A"))
	s = collect(s.RecordDeposit(at(20*time.Minute), "A", deposit))
	s = collect(s.Qualify(at(20*time.Minute), "A"))
	s = collect(s.Apply(at(20*time.Minute), "B"))
	s = collect(s.Disqualify(at(20*time.Minute), "B", "no licence"))
	s = collect(s.Suspend(at(30*time.Minute), "check"))
	s = collect(s.Resume(at(30*time.Minute), "done"))
	s = collect(s.Bid(at(70*time.Minute), Bid{Bidder: "A", Amount: startPrice}))
	s = collectTick(s.Tick(at(3 * time.Hour)))
	s = collectTick(s.Tick(at(3*time.Hour + 5*time.Minute)))
	s = collectTick(s.Tick(at(3*time.Hour + 9*time.Minute)))
	s = collect(s.IssueConfirmation(at(4*time.Hour), Calendar{}))
	s = collect(s.StartPublicity(at(4*time.Hour), Calendar{}))
	s = collect(s.FileObjection(at(4*time.Hour), "C", "?"))
	s = collect(s.ResolveObjection(at(4*time.Hour), 1, "dismissed"))
	s = collect(s.SignContract(at(5 * time.Hour)))
	collect(s.Default(at(6*time.Hour), "did not pay"))
	collect(auctionSale(t).Bid(at(3*time.Hour+time.Minute), Bid{Bidder: "A", Amount: startPrice}))
	collectTick(applyingSale(t, MethodAuction).Tick(at(3 * time.Hour)))
	collectTick(applyingSale(t, MethodAuction, "A", "B", "C").Tick(at(3 * time.Hour)))
	collectTick(applyingSale(t, MethodTender).Tick(at(time.Hour)))
	collect(tenderSale(t).Bid(at(time.Hour), Bid{Bidder: "A", Amount: startPrice}))
	collectTick(tenderSale(t).Tick(at(3 * time.Hour)))
	collect(terminatedSale(t), nil, nil)
	collect(listingSale(t).Terminate(at(2*time.Hour), "withdrawn"))

	seen := map[string]bool{}
	for _, e := range all {
		seen[e.Kind()] = true
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeEvent(e.Kind(), b)
		if err != nil {
			t.Fatalf("%s: %v", e.Kind(), err)
		}
		b2, _ := json.Marshal(back)
		if string(b) != string(b2) || !back.Time().Equal(e.Time()) {
			t.Errorf("%s: %s became %s", e.Kind(), b, b2)
		}
	}
	for kind := range eventDecoders {
		if !seen[kind] {
			t.Errorf("no scenario produced %q", kind)
		}
	}
	if _, err := DecodeEvent("bid-withdrawn", []byte("{}")); err == nil {
		t.Error("unknown kind decoded")
	}
	if _, err := DecodeEvent("bid-accepted", []byte("[")); err == nil {
		t.Error("bad JSON decoded")
	}
}

func TestSaleSurvivesJSON(t *testing.T) {
	s := timedSale(t)
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Sale
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if snapshot(t, back) != string(b) {
		t.Fatal("a stored sale does not reload as it was")
	}
	now := at(3*time.Hour + 7*time.Minute)
	a, _, errA := s.Bid(now, Bid{Bidder: "A", Amount: startPrice + 2*increment})
	c, _, errB := back.Bid(now, Bid{Bidder: "A", Amount: startPrice + 2*increment})
	if errA != nil || errB != nil || snapshot(t, a) != snapshot(t, c) {
		t.Errorf("reloaded sale behaves differently: %v %v", errA, errB)
	}
}
