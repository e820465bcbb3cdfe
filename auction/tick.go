package auction

import (
	"encoding/hex"
	"time"
)

// NextDeadline returns the next time at which Tick will change the sale, and false when no
// time-driven change is pending (draft, suspended, closed and later states). A scheduler
// calls Tick at that time, and again whenever a transition moves the deadline (every bid in
// timed bidding does).
func (s Sale) NextDeadline() (time.Time, bool) {
	switch s.State {
	case StateAnnounced:
		return s.Windows.ApplyStart, true
	case StateApplying:
		return s.Windows.BiddingStart, true
	case StateListing, StateTenderOpen:
		return s.Windows.BiddingEnd, true
	case StateTimedBidding:
		if !s.TimedStarted {
			return s.TimedStart, true
		}
		return s.Deadline, true
	case StateAuctionLive:
		return s.Deadline, true
	}
	return time.Time{}, false
}

// Tick applies every time-driven change due at or before now, in order, and returns the
// sale and what happened. Each event is stamped with the time the rules set for it, not with
// now. Tick is idempotent: ticking again at the same or an earlier time changes nothing and
// returns no events.
func (s Sale) Tick(now time.Time) (Sale, []Event) {
	s = s.clone()
	var evs []Event
	for {
		at, ok := s.NextDeadline()
		if !ok || now.Before(at) {
			return s, evs
		}
		evs = append(evs, s.fire(at)...)
		// A change made by the clock is an action too: nothing may later claim to have
		// happened before it (a bid stamped before timed bidding opened, say).
		if at.After(s.LastAction) {
			s.LastAction = at
		}
	}
}

// fire makes the change due at `at`. Every branch leaves the sale in a state whose next
// deadline is later, or has none, so that Tick terminates.
func (s *Sale) fire(at time.Time) []Event {
	switch s.State {
	case StateAnnounced:
		s.State = StateApplying
		return []Event{ApplicationsOpened{At: at, Ends: s.Windows.ApplyEnd}}

	case StateApplying:
		switch s.Method {
		case MethodListing:
			s.State = StateListing
			return []Event{ListingOpened{At: at, Ends: s.Windows.BiddingEnd}}
		case MethodTender:
			s.State = StateTenderOpen
			return []Event{TenderStarted{At: at, Deadline: s.Windows.BiddingEnd}}
		default:
			// A 拍卖 with too few bidders does not start.
			n := s.Eligible()
			if n < s.Rules.MinBidders.Auction {
				return s.fail(at, FailTooFewBidders)
			}
			s.State = StateAuctionLive
			s.Deadline = at.Add(s.Rules.Countdown)
			return []Event{AuctionStarted{At: at, Bidders: n, Deadline: s.Deadline}}
		}

	case StateListing:
		quoters := 0
		for _, p := range s.Participants {
			if p.Quoted {
				quoters++
			}
		}
		closed := ListingClosed{At: at, Quoters: quoters, High: s.High}
		switch {
		case quoters == 0:
			return append([]Event{closed}, s.fail(at, FailNoBids)...)
		case quoters < s.Rules.MinBidders.Listing:
			return append([]Event{closed}, s.fail(at, FailTooFewBidders)...)
		}
		s.State = StateTimedBidding
		s.TimedStart = at.Add(s.Rules.TimedBiddingDelay)
		s.Deadline = s.TimedStart.Add(s.Rules.Countdown)
		closed.TimedStart = s.TimedStart
		return []Event{closed}

	case StateTimedBidding:
		if !s.TimedStarted {
			s.TimedStarted = true
			return []Event{TimedBiddingStarted{At: at, Deadline: s.Deadline, High: s.High}}
		}
		return s.close(at)

	case StateAuctionLive:
		return s.close(at)

	case StateTenderOpen:
		return s.openTenders(at)
	}
	return nil
}

// close ends ascending bidding at the countdown deadline.
func (s *Sale) close(at time.Time) []Event {
	switch {
	case s.High.Seq == 0:
		return s.fail(at, FailNoBids)
	case s.High.Amount < s.Floor():
		return s.fail(at, FailBelowReserve)
	}
	return s.sold(at)
}

// openTenders opens the sealed bids together and decides the tender on price.
func (s *Sale) openTenders(at time.Time) []Event {
	opened := TendersOpened{At: at, Bids: append([]Bid{}, s.Sealed...)}
	for _, b := range s.Sealed {
		// s.Sealed is in sequence order, so keeping the first of equal amounts gives a tie
		// to the earlier bid.
		if s.High.Seq == 0 || b.Amount > s.High.Amount {
			s.High = b
		}
	}
	evs := []Event{opened}
	switch {
	case len(s.Sealed) == 0:
		return append(evs, s.fail(at, FailNoBids)...)
	case len(s.Sealed) < s.Rules.MinBidders.Tender:
		return append(evs, s.fail(at, FailTooFewBidders)...)
	case s.High.Amount < s.Floor():
		return append(evs, s.fail(at, FailBelowReserve)...)
	}
	return append(evs, s.sold(at)...)
}

func (s *Sale) sold(at time.Time) []Event {
	s.State = StateClosedSold
	s.ClosedAt = at
	s.Deadline = time.Time{}
	evs := s.reveal(at)
	evs = append(evs, SaleSold{At: at, Winner: s.High})
	return append(evs, s.release(at, s.High.Bidder)...)
}

func (s *Sale) fail(at time.Time, why FailReason) []Event {
	s.State = StateFailed
	s.Failure = why
	s.ClosedAt = at
	s.Deadline = time.Time{}
	evs := s.reveal(at)
	evs = append(evs, SaleFailed{At: at, Reason: why, Best: s.High})
	return append(evs, s.release(at, "")...)
}

// reveal publishes the reserve at the close, failed or not, so that the commitment can
// always be checked; a re-offer commits a new reserve.
func (s *Sale) reveal(at time.Time) []Event {
	if !s.Reserve.Set() {
		return nil
	}
	s.Reserve.Revealed = true
	return []Event{ReserveRevealed{
		At:         at,
		Commitment: s.Reserve.Commitment,
		Amount:     s.Reserve.Amount,
		Salt:       hex.EncodeToString(s.Reserve.Salt),
	}}
}

// release lists the deposits to refund, keeping the winner's.
func (s *Sale) release(at time.Time, keep string) []Event {
	var refunds []Refund
	for _, p := range s.Participants {
		if p.Deposit > 0 && p.Bidder != keep {
			refunds = append(refunds, Refund{Bidder: p.Bidder, Paddle: p.Paddle, Amount: p.Deposit})
		}
	}
	if len(refunds) == 0 {
		return nil
	}
	return []Event{DepositsReleased{At: at, Refunds: refunds}}
}
