package auction

import (
	"slices"
	"time"
)

// Bid places a bid at now. The caller fills b.Bidder and b.Amount; the sale assigns the
// sequence, paddle, time and phase, and the accepted Bid comes back in the BidAccepted (or
// TenderBidReceived) event as the bidder's receipt.
//
// The rules, in the order they are checked: the amount is positive; bidding is open; the
// bidder applied, is qualified and has paid the deposit; in timed bidding, it has started and
// the bidder quoted during the listing; the bidder does not already hold the high bid (unless
// Rules.AllowSelfRaise); the bidder is within Rules.BidRate; and the amount is at least
// MinNextBid: the starting price first, then the high plus the increment. A tender bid only
// needs the starting price, and replaces the same bidder's earlier sealed bid.
//
// In timed bidding and a live auction an accepted bid restarts the countdown: the deadline
// becomes now + Rules.Countdown. A bid at or after the deadline is refused with ErrSaleClosed;
// the close itself happens in Tick.
func (s Sale) Bid(now time.Time, b Bid) (Sale, []Event, error) {
	return s.act(now, "bid", func(t *Sale) ([]Event, error) { return t.bid(now, b) })
}

func (t *Sale) bid(now time.Time, b Bid) ([]Event, error) {
	if b.Amount <= 0 || b.Amount > MaxAmount {
		return nil, refuse("invalid-amount", ErrInvalidAmount, "a bid must be between 1 and %d 元, not %d", MaxAmount, b.Amount)
	}
	switch {
	case t.State.Bidding():
	case t.State == StateDraft:
		return nil, wrongState("bid", t.State)
	case t.State == StateAnnounced || t.State == StateApplying:
		e := refuse("bidding-not-open", ErrTooEarly, "bidding opens at %s", stamp(t.Windows.BiddingStart))
		e.After = t.Windows.BiddingStart
		return nil, e
	case t.State == StateSuspended:
		return nil, refuse("suspended", ErrSuspended, "the sale is suspended")
	default:
		return nil, refuse("sale-closed", ErrSaleClosed, "bidding is over: the sale is %s", t.State)
	}

	p := t.participant(b.Bidder)
	switch {
	case p == nil:
		e := refuse("not-applied", ErrNotApplied, "the bidder has not applied for this sale")
		e.errs = append(e.errs, ErrNotQualified)
		return nil, e
	case !p.Qualified:
		return nil, refuse("not-qualified", ErrNotQualified, "paddle %d is not qualified to bid", p.Paddle)
	case p.Deposit < t.Terms.Deposit:
		return nil, refuse("deposit-unpaid", ErrDepositUnpaid, "paddle %d has paid %d of the %d 元 deposit", p.Paddle, p.Deposit, t.Terms.Deposit)
	}

	if t.State == StateTimedBidding {
		if !t.TimedStarted {
			e := refuse("timed-bidding-not-started", ErrNotInTimedBidding, "the listing has closed; timed bidding starts at %s", stamp(t.TimedStart))
			e.errs = append(e.errs, ErrTooEarly)
			e.After = t.TimedStart
			return nil, e
		}
		if !p.Quoted {
			return nil, refuse("no-listing-quote", ErrNoQuoteInListing, "paddle %d did not quote during the listing and cannot enter timed bidding", p.Paddle)
		}
	}
	if t.Method != MethodTender && !t.Rules.AllowSelfRaise && t.High.Seq != 0 && t.High.Bidder == b.Bidder {
		return nil, refuse("already-highest", ErrAlreadyHighest, "paddle %d already holds the high bid of %d 元", p.Paddle, t.High.Amount)
	}
	if err := t.rateLimit(now, p); err != nil {
		return nil, err
	}
	if least := t.MinNextBid(); b.Amount < least {
		e := refuse("bid-below-minimum", ErrBidTooLow, "bid %d 元 is below the minimum acceptable %d 元", b.Amount, least)
		e.Min = least
		return nil, e
	}

	t.BidCount++
	bid := Bid{Seq: uint64(t.BidCount), Bidder: b.Bidder, Paddle: p.Paddle, Amount: b.Amount, At: now, Phase: t.State}
	p.Bids++
	p.Quoted = true
	p.Recent = append(p.Recent, now)
	if n := t.Rules.BidRate.Bids; len(p.Recent) > n {
		p.Recent = slices.Clone(p.Recent[len(p.Recent)-n:])
	}

	if t.Method == MethodTender {
		var replaces uint64
		t.Sealed = slices.DeleteFunc(t.Sealed, func(old Bid) bool {
			if old.Bidder == b.Bidder {
				replaces = old.Seq
				return true
			}
			return false
		})
		t.Sealed = append(t.Sealed, bid)
		return []Event{TenderBidReceived{Bid: bid, Replaces: replaces}}, nil
	}

	prev := t.High.Amount
	t.High = bid
	if t.State == StateListing {
		return []Event{BidAccepted{Bid: bid, PreviousHigh: prev}}, nil
	}
	old := t.Deadline
	t.Deadline = now.Add(t.Rules.Countdown)
	return []Event{
		BidAccepted{Bid: bid, PreviousHigh: prev, Deadline: t.Deadline},
		CountdownRestarted{At: now, Deadline: t.Deadline, Previous: old},
	}, nil
}

// rateLimit refuses a bid when the bidder already has Rules.BidRate.Bids accepted bids within
// the last Rules.BidRate.Per. Only accepted bids are counted: refused ones leave no trace in
// the sale, so limiting raw requests belongs to the HTTP layer.
func (t *Sale) rateLimit(now time.Time, p *Participant) error {
	r := t.Rules.BidRate
	if len(p.Recent) < r.Bids {
		return nil
	}
	oldest := p.Recent[len(p.Recent)-r.Bids]
	if retry := oldest.Add(r.Per); now.Before(retry) {
		e := refuse("bid-rate", ErrRateLimited, "paddle %d may bid at most %d times per %s; next bid from %s", p.Paddle, r.Bids, r.Per, stamp(retry))
		e.After = retry
		return e
	}
	return nil
}
