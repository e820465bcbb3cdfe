package registry

import (
	"testing"
	"time"

	"minerights/auction"
)

func TestWithOverlay(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	deadline := t0.Add(4 * time.Minute)
	base := auction.Sale{
		State:      auction.StateTimedBidding,
		BidCount:   3,
		High:       auction.Bid{Seq: 3, Bidder: "7", Paddle: 1, Amount: 1000, At: t0, Phase: auction.StateListing},
		Deadline:   t0.Add(time.Minute),
		LastAction: t0,
		Participants: []auction.Participant{
			{Paddle: 1, Bidder: "7", Bids: 2, Quoted: true},
			{Paddle: 2, Bidder: "8", Bids: 1, Quoted: true},
			{Paddle: 3, Bidder: "9"},
		},
	}
	later := &lastBid{Seq: 6, BidderID: 9, Paddle: 3, Amount: 1300, At: t0.Add(time.Second), Phase: "timed_bidding", Deadline: &deadline}
	for _, tc := range []struct {
		name     string
		o        overlay
		count    int
		high     auction.Bid
		dl, last time.Time
		bids     []int
		quoted   []bool
	}{
		{name: "no bids since", o: overlay{}, count: 3, high: base.High, dl: base.Deadline, last: t0,
			bids: []int{2, 1, 0}, quoted: []bool{true, true, false}},
		{name: "a latest bid the machine holds", o: overlay{Last: &lastBid{Seq: 3, BidderID: 7, Paddle: 1, Amount: 1000, At: t0}},
			count: 3, high: base.High, dl: base.Deadline, last: t0, bids: []int{2, 1, 0}, quoted: []bool{true, true, false}},
		{name: "three bids since, counted", o: overlay{Last: later, Counts: map[string]int{"9": 2, "8": 1}}, count: 6,
			high: auction.Bid{Seq: 6, Bidder: "9", Paddle: 3, Amount: 1300, At: t0.Add(time.Second), Phase: auction.StateTimedBidding},
			dl:   deadline, last: t0.Add(time.Second), bids: []int{2, 2, 2}, quoted: []bool{true, true, true}},
		{name: "a listing bid keeps the deadline", o: overlay{Last: &lastBid{Seq: 4, BidderID: 8, Paddle: 2, Amount: 1100, At: t0.Add(time.Second), Phase: "listing"}},
			count: 4, high: auction.Bid{Seq: 4, Bidder: "8", Paddle: 2, Amount: 1100, At: t0.Add(time.Second), Phase: auction.StateListing},
			dl: base.Deadline, last: t0.Add(time.Second), bids: []int{2, 1, 0}, quoted: []bool{true, true, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := withOverlay(base, tc.o)
			if m.BidCount != tc.count || m.High != tc.high || !m.Deadline.Equal(tc.dl) || !m.LastAction.Equal(tc.last) {
				t.Errorf("count %d high %+v deadline %v last %v", m.BidCount, m.High, m.Deadline, m.LastAction)
			}
			for i, p := range m.Participants {
				if p.Bids != tc.bids[i] || p.Quoted != tc.quoted[i] {
					t.Errorf("participant %d: %+v", i, p)
				}
			}
			if base.Participants[2].Bids != 0 || base.Participants[2].Quoted || base.BidCount != 3 {
				t.Errorf("the base changed: %+v", base)
			}
		})
	}
}

func TestPlainBid(t *testing.T) {
	listing := auction.Sale{Method: auction.MethodListing, State: auction.StateTimedBidding, TimedStarted: true}
	accepted := auction.BidAccepted{}
	restarted := auction.CountdownRestarted{}
	for _, tc := range []struct {
		name         string
		before, next auction.Sale
		evs          []auction.Event
		want         bool
	}{
		{"timed bid with a restart", listing, listing, []auction.Event{accepted, restarted}, true},
		{"listing quote", auction.Sale{Method: auction.MethodListing, State: auction.StateListing},
			auction.Sale{Method: auction.MethodListing, State: auction.StateListing}, []auction.Event{accepted}, true},
		{"tender bid", auction.Sale{Method: auction.MethodTender, State: auction.StateTenderOpen},
			auction.Sale{Method: auction.MethodTender, State: auction.StateTenderOpen}, []auction.Event{auction.TenderBidReceived{}}, false},
		{"the bid that finds the listing closed", auction.Sale{Method: auction.MethodListing, State: auction.StateListing},
			listing, []auction.Event{auction.ListingClosed{}, accepted}, false},
		{"timed bidding opening with the bid", auction.Sale{Method: auction.MethodListing, State: auction.StateTimedBidding},
			listing, []auction.Event{auction.TimedBiddingStarted{}, accepted, restarted}, false},
	} {
		if got := plainBid(tc.before, tc.next, tc.evs); got != tc.want {
			t.Errorf("%s: plainBid = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestMachineCacheBounded(t *testing.T) {
	var c machineCache
	if tag, _ := c.get(1); tag != 0 {
		t.Fatalf("empty cache: tag %d", tag)
	}
	c.put(1, 11, auction.Sale{BidCount: 1}, machineCacheBytes/2)
	c.put(1, 12, auction.Sale{BidCount: 2}, machineCacheBytes/2) // replaces, same budget
	if tag, m := c.get(1); tag != 12 || m.BidCount != 2 || c.bytes != machineCacheBytes/2 {
		t.Fatalf("after replacing: tag %d, %+v, %d bytes", tag, m, c.bytes)
	}
	c.put(2, 21, auction.Sale{BidCount: 3}, machineCacheBytes/2)
	if tag, _ := c.get(1); tag != 12 || c.bytes != machineCacheBytes {
		t.Fatalf("at the budget: tag %d, %d bytes", tag, c.bytes)
	}
	c.put(3, 31, auction.Sale{}, 1) // over the budget: starts over
	if tag, _ := c.get(1); tag != 0 || c.bytes != 1 || len(c.m) != 1 {
		t.Fatalf("past the budget: tag %d, %d bytes, %d entries", tag, c.bytes, len(c.m))
	}
}
