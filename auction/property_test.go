package auction

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// newRandomSale builds a sale of the given method with bidders A–D qualified and paid up, E
// applied but unqualified, and a reserve half of the time, ticked to the start of bidding.
func newRandomSale(t testing.TB, rng *rand.Rand, m Method) Sale {
	t.Helper()
	s := draftSale(t, m)
	if rng.IntN(2) == 0 {
		s = run(t, s, func(s Sale) (Sale, []Event, error) {
			return s.SetReserve(t0, startPrice+rng.Int64N(20*increment), testSalt)
		})
	}
	s = run(t, s, func(s Sale) (Sale, []Event, error) { return s.Announce(t0, Calendar{}, testWindows(m)) })
	now := at(20 * time.Minute)
	for _, b := range []string{"A", "B", "C", "D"} {
		s = run(t, s, apply(now, b), pay(now, b, deposit), qualify(now, b))
	}
	s = run(t, s, apply(now, "E"), pay(now, "E", deposit))
	s, _ = s.Tick(s.Windows.BiddingStart)
	return s
}

// randomStep advances time by a few seconds mostly, sometimes by minutes, rarely by a lot.
func randomStep(rng *rand.Rand) time.Duration {
	switch n := rng.IntN(20); {
	case n < 13:
		return time.Duration(rng.Int64N(int64(time.Minute)))
	case n < 19:
		return time.Duration(rng.Int64N(int64(5 * time.Minute)))
	default:
		return time.Duration(rng.Int64N(int64(40 * time.Minute)))
	}
}

// TestPropertyAscending replays random bid streams from several bidders against listings
// (with timed bidding) and auctions, and checks the rules on every step and the outcome
// against Winner.
func TestPropertyAscending(t *testing.T) {
	bidders := []string{"A", "B", "C", "D", "E"}
	refusals := []error{ErrBidTooLow, ErrAlreadyHighest, ErrRateLimited, ErrNoQuoteInListing, ErrNotInTimedBidding,
		ErrSaleClosed, ErrInvalidAmount, ErrNotQualified}
	for _, m := range []Method{MethodListing, MethodAuction} {
		for seed := range uint64(400) {
			rng := rand.New(rand.NewPCG(seed, uint64(len(m))))
			s := newRandomSale(t, rng, m)
			r := s.Rules
			now := s.Windows.BiddingStart
			var accepted []Bid
			var lastTimed time.Time // last accepted bid that restarted the countdown
			for steps := 0; !s.State.Closed(); steps++ {
				if steps > 5000 {
					t.Fatalf("%s seed %d: sale never closed", m, seed)
				}
				now = now.Add(randomStep(rng))
				// A late scheduler changes nothing: ticking at some earlier moment first
				// leads to the same sale.
				mid := s.LastAction.Add(time.Duration(rng.Int64N(int64(now.Sub(s.LastAction)) + 1)))
				direct, _ := s.Tick(now)
				viaMid, _ := s.Tick(mid)
				viaMid, _ = viaMid.Tick(now)
				if snapshot(t, direct) != snapshot(t, viaMid) {
					t.Fatalf("%s seed %d: Tick(%v) differs from Tick(%v) then Tick(%v)", m, seed, now, mid, now)
				}
				if rng.IntN(4) == 0 {
					s, _ = s.Tick(now)
					continue
				}
				who := bidders[rng.IntN(len(bidders))]
				least := direct.MinNextBid()
				var amount int64
				switch n := rng.IntN(10); {
				case n == 0:
					amount = -rng.Int64N(2)
				case n < 3:
					amount = least - 1 - rng.Int64N(increment)
				case n < 6:
					amount = least
				default:
					amount = least + rng.Int64N(3*increment)
				}
				before := snapshot(t, s)
				next, evs, err := s.Bid(now, Bid{Bidder: who, Amount: amount})
				if err != nil {
					if snapshot(t, next) != before || evs != nil {
						t.Fatalf("%s seed %d: refused bid changed the sale", m, seed)
					}
					if !slices.ContainsFunc(refusals, func(e error) bool { return errors.Is(err, e) }) {
						t.Fatalf("%s seed %d: unexpected refusal %v", m, seed, err)
					}
					if errors.Is(err, ErrBidTooLow) && amount >= least {
						t.Fatalf("%s seed %d: %d refused as too low, minimum %d", m, seed, amount, least)
					}
					if who == "E" && !errors.Is(err, ErrNotQualified) && amount > 0 && direct.State.Bidding() {
						t.Fatalf("%s seed %d: unqualified bidder refused for %v", m, seed, err)
					}
					continue
				}
				s = next
				if who == "E" {
					t.Fatalf("%s seed %d: unqualified bidder's bid accepted", m, seed)
				}
				for _, e := range evs {
					ba, ok := e.(BidAccepted)
					if !ok {
						continue
					}
					b := ba.Bid
					if n := len(accepted); n == 0 {
						if b.Amount < startPrice || ba.PreviousHigh != 0 {
							t.Fatalf("%s seed %d: first bid %d below the starting price", m, seed, b.Amount)
						}
					} else {
						prev := accepted[n-1]
						if b.Amount < prev.Amount+increment || ba.PreviousHigh != prev.Amount || b.Seq != prev.Seq+1 || b.At.Before(prev.At) {
							t.Fatalf("%s seed %d: bid %+v after %+v", m, seed, b, prev)
						}
					}
					if b.Phase == StateTimedBidding {
						p, _ := s.Participant(b.Bidder)
						if !slices.ContainsFunc(accepted, func(x Bid) bool { return x.Bidder == b.Bidder && x.Phase == StateListing }) || !p.Quoted {
							t.Fatalf("%s seed %d: %s entered timed bidding without a listing quote", m, seed, b.Bidder)
						}
					}
					if b.Phase == StateTimedBidding || b.Phase == StateAuctionLive {
						lastTimed = b.At
						if !ba.Deadline.Equal(b.At.Add(r.Countdown)) {
							t.Fatalf("%s seed %d: receipt deadline %v for a bid at %v", m, seed, ba.Deadline, b.At)
						}
					}
					accepted = append(accepted, b)
				}
				// The countdown deadline is always the last accepted bid's time plus the
				// countdown, or the countdown from the opening before any bid.
				running := s.State == StateAuctionLive || (s.State == StateTimedBidding && s.TimedStarted)
				if running {
					opened := s.TimedStart
					if m == MethodAuction {
						opened = s.Windows.BiddingStart
					}
					want := opened.Add(r.Countdown)
					if !lastTimed.IsZero() {
						want = lastTimed.Add(r.Countdown)
					}
					if !s.Deadline.Equal(want) {
						t.Fatalf("%s seed %d: deadline %v, want %v", m, seed, s.Deadline, want)
					}
				}
			}
			got, ok := s.Result()
			if !ok {
				t.Fatalf("%s seed %d: closed without a result", m, seed)
			}
			if want := Winner(accepted, m, s.Floor(), s.Rules); got != want && !(m == MethodAuction && len(accepted) == 0) {
				t.Fatalf("%s seed %d: sale says %+v, Winner says %+v", m, seed, got, want)
			}
			if got.Sold != (s.State == StateClosedSold) || (got.Sold && got.Best != accepted[len(accepted)-1]) {
				t.Fatalf("%s seed %d: result %+v in state %s", m, seed, got, s.State)
			}
			if s.Reserve.Set() != s.Reserve.Revealed {
				t.Fatalf("%s seed %d: reserve not revealed at close", m, seed)
			}
		}
	}
}

// TestPropertyTender replays random sealed bids, amendments and late bids, with amounts drawn
// from a narrow range so that ties are common, and checks the opening against Winner and
// against a brute-force reading of the bids.
func TestPropertyTender(t *testing.T) {
	bidders := []string{"A", "B", "C", "D"}
	for seed := range uint64(1000) {
		rng := rand.New(rand.NewPCG(seed, 7))
		s := newRandomSale(t, rng, MethodTender)
		deadline := s.Windows.BiddingEnd
		now := s.Windows.BiddingStart
		var accepted []Bid
		for range rng.IntN(25) {
			now = now.Add(time.Duration(rng.Int64N(int64(25 * time.Minute))))
			who := bidders[rng.IntN(len(bidders))]
			amount := startPrice - 1 + rng.Int64N(4)
			next, evs, err := s.Bid(now, Bid{Bidder: who, Amount: amount})
			switch {
			case !now.Before(deadline):
				if !errors.Is(err, ErrSaleClosed) {
					t.Fatalf("seed %d: late bid at %v: %v", seed, now, err)
				}
			case amount < startPrice:
				if !errors.Is(err, ErrBidTooLow) {
					t.Fatalf("seed %d: low bid: %v", seed, err)
				}
			case errors.Is(err, ErrRateLimited):
			case err != nil:
				t.Fatalf("seed %d: bid refused: %v", seed, err)
			default:
				r := evs[0].(TenderBidReceived)
				var replaced uint64
				for _, b := range accepted {
					if b.Bidder == who {
						replaced = b.Seq
					}
				}
				if r.Replaces != replaced || s.High.Seq != 0 {
					t.Fatalf("seed %d: receipt %+v, want replaces %d, and no visible high", seed, r, replaced)
				}
				accepted = append(accepted, r.Bid)
				s = next
			}
		}
		s, evs := s.Tick(deadline.Add(time.Hour))
		// Brute force: each bidder's last bid; highest amount; tie to the lower sequence.
		last := map[string]Bid{}
		for _, b := range accepted {
			last[b.Bidder] = b
		}
		var best Bid
		for _, b := range accepted {
			if last[b.Bidder] == b && (best.Seq == 0 || b.Amount > best.Amount || (b.Amount == best.Amount && b.Seq < best.Seq)) {
				best = b
			}
		}
		got, ok := s.Result()
		want := Winner(accepted, MethodTender, s.Floor(), s.Rules)
		if !ok || got != want || got.Best != best {
			t.Fatalf("seed %d: sale %+v, Winner %+v, brute force best %+v", seed, got, want, best)
		}
		if got.Sold != (len(last) >= 3 && best.Amount >= s.Floor()) {
			t.Fatalf("seed %d: sold=%v with %d tenderers, best %d, floor %d", seed, got.Sold, len(last), best.Amount, s.Floor())
		}
		opened := evs[0].(TendersOpened)
		if len(opened.Bids) != len(last) {
			t.Fatalf("seed %d: opened %d bids from %d tenderers", seed, len(opened.Bids), len(last))
		}
		for _, b := range opened.Bids {
			if last[b.Bidder] != b {
				t.Fatalf("seed %d: opened a superseded bid %+v", seed, b)
			}
		}
	}
}
