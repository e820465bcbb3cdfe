package auction

import (
	"slices"
	"strings"
	"time"
)

// act runs a transition: refuse a time earlier than the last action, apply the changes due
// by now, run the action on a copy, and apply anything the action made due at once (an
// announcement whose applications open immediately). On error the receiver is returned
// unchanged and no event escapes, not even those of the preliminary Tick: the scheduler's
// own Tick will record them.
func (s Sale) act(now time.Time, action string, f func(t *Sale) ([]Event, error)) (Sale, []Event, error) {
	if now.Before(s.LastAction) {
		e := refuse("clock-skew", ErrClockSkew, "cannot %s at %s: the sale's last action was at %s",
			action, stamp(now), stamp(s.LastAction))
		e.Action, e.State = action, s.State
		return s, nil, e
	}
	t, evs := s.Tick(now)
	more, err := f(&t)
	if err != nil {
		if re, ok := err.(*RuleError); ok {
			re.Action = action
			if re.State == "" {
				re.State = t.State
			}
		}
		return s, nil, err
	}
	t.LastAction = now
	t, post := t.Tick(now)
	evs = append(evs, more...)
	return t, append(evs, post...), nil
}

// SetReserve fixes the secret reserve (底价) of a draft sale and computes its commitment. The
// salt must be at least MinSaltLen random bytes. Once the sale is announced the reserve can
// no longer change.
func (s Sale) SetReserve(now time.Time, reserve int64, salt []byte) (Sale, []Event, error) {
	return s.act(now, "set reserve", func(t *Sale) ([]Event, error) {
		if t.State != StateDraft {
			e := refuse("reserve-fixed", ErrWrongState, "the reserve is fixed once the sale is announced")
			return nil, e
		}
		if reserve < t.Terms.StartingPrice || reserve > MaxAmount {
			return nil, refuse("reserve-range", ErrInvalidReserve,
				"the reserve must be at least the starting price %d 元 and at most %d 元", t.Terms.StartingPrice, MaxAmount)
		}
		if len(salt) < MinSaltLen {
			return nil, refuse("reserve-salt", ErrInvalidReserve,
				"the reserve salt must be at least %d random bytes", MinSaltLen)
		}
		t.Reserve = Reserve{Commitment: CommitReserve(reserve, salt), Amount: reserve, Salt: slices.Clone(salt)}
		return []Event{ReserveCommitted{At: now, Commitment: t.Reserve.Commitment}}, nil
	})
}

// Announce publishes a draft sale (公告) with its windows. The rules are checked here, once:
// bidding starts at least Rules.AnnouncementLead after now; a listing lasts at least
// Rules.ListingPeriod; applications open no earlier than now and close no later than the
// deposit deadline, which falls before the listing ends (for an auction, no later than its
// start; for a tender, no later than its deadline). Working days need cal to hold every
// year involved, else ErrCalendarNotLoaded.
func (s Sale) Announce(now time.Time, cal Calendar, w Windows) (Sale, []Event, error) {
	return s.act(now, "announce", func(t *Sale) ([]Event, error) {
		if t.State != StateDraft {
			return nil, wrongState("announce", t.State)
		}
		if err := t.checkWindows(now, cal, w); err != nil {
			return nil, err
		}
		t.State = StateAnnounced
		t.AnnouncedAt = now
		t.Windows = w
		return []Event{SaleAnnounced{
			At: now, Method: t.Method, Terms: t.Terms, Windows: w,
			ReserveCommitment: t.Reserve.Commitment, Rules: t.Rules.Name,
		}}, nil
	})
}

func (s *Sale) checkWindows(now time.Time, cal Calendar, w Windows) error {
	bad := func(format string, args ...any) error {
		return refuse("invalid-windows", ErrInvalidWindows, format, args...)
	}
	switch {
	case w.ApplyStart.IsZero() || w.ApplyEnd.IsZero() || w.DepositDeadline.IsZero() || w.BiddingStart.IsZero():
		return bad("application start and end, deposit deadline and bidding start are all required")
	case s.Method == MethodAuction && !w.BiddingEnd.IsZero():
		return bad("an auction has no bidding end: its countdown closes it")
	case s.Method != MethodAuction && w.BiddingEnd.IsZero():
		return bad("the bidding end is required")
	case w.ApplyStart.Before(now):
		return bad("applications cannot open (%s) before the announcement (%s)", stamp(w.ApplyStart), stamp(now))
	case !w.ApplyStart.Before(w.ApplyEnd):
		return bad("applications must open before they close")
	case w.DepositDeadline.Before(w.ApplyEnd):
		return bad("the deposit deadline (%s) cannot be before applications close (%s)", stamp(w.DepositDeadline), stamp(w.ApplyEnd))
	case w.BiddingStart.Before(w.ApplyStart):
		return bad("bidding cannot start before applications open")
	}
	lead, err := s.Rules.AnnouncementLead.End(cal, now)
	if err != nil {
		return err
	}
	if w.BiddingStart.Before(lead) {
		return bad("bidding must start at least %s after the announcement: not before %s", s.Rules.AnnouncementLead, stamp(lead))
	}
	switch s.Method {
	case MethodListing:
		end, err := s.Rules.ListingPeriod.End(cal, w.BiddingStart)
		if err != nil {
			return err
		}
		if w.BiddingEnd.Before(end) {
			return bad("the listing must last at least %s: until %s or later", s.Rules.ListingPeriod, stamp(end))
		}
		if !w.DepositDeadline.Before(w.BiddingEnd) {
			return bad("the deposit deadline must fall before the listing ends")
		}
	case MethodAuction:
		if w.BiddingStart.Before(w.DepositDeadline) {
			return bad("the deposit deadline must fall no later than the auction's start")
		}
	case MethodTender:
		if !w.BiddingStart.Before(w.BiddingEnd) {
			return bad("the tender must open for bids before its deadline")
		}
		if w.BiddingEnd.Before(w.DepositDeadline) {
			return bad("the deposit deadline must fall no later than the tender deadline")
		}
	}
	return nil
}

// Apply registers a bidder's application and assigns the next paddle number. Applications
// are accepted in the application window (from ApplyStart until ApplyEnd).
func (s Sale) Apply(now time.Time, bidder string) (Sale, []Event, error) {
	return s.act(now, "apply", func(t *Sale) ([]Event, error) {
		if err := t.inWindow("apply", now, t.Windows.ApplyStart, t.Windows.ApplyEnd, "applications"); err != nil {
			return nil, err
		}
		if strings.TrimSpace(bidder) == "" {
			return nil, refuse("bidder-missing", ErrRequired, "a bidder identifier is required")
		}
		if slices.Contains(t.Barred, bidder) {
			return nil, refuse("bidder-barred", ErrBarred, "the bidder defaulted on this parcel and is barred from it")
		}
		if p := t.participant(bidder); p != nil {
			return nil, refuse("already-applied", ErrAlreadyApplied, "the bidder already applied, as paddle %d", p.Paddle)
		}
		p := Participant{Paddle: len(t.Participants) + 1, Bidder: bidder, AppliedAt: now}
		t.Participants = append(t.Participants, p)
		return []Event{BidderApplied{At: now, Bidder: bidder, Paddle: p.Paddle}}, nil
	})
}

// RecordDeposit records a deposit payment from an applicant, before the deposit deadline.
// Payments add up; the deposit counts as paid once the total reaches Terms.Deposit. That
// the money came from the bidder's own account is checked by whoever reports the payment.
func (s Sale) RecordDeposit(now time.Time, bidder string, amount int64) (Sale, []Event, error) {
	return s.act(now, "record deposit", func(t *Sale) ([]Event, error) {
		if amount <= 0 || amount > MaxAmount {
			return nil, refuse("invalid-amount", ErrInvalidAmount, "a deposit must be between 1 and %d 元, not %d", MaxAmount, amount)
		}
		if err := t.inWindow("record deposit", now, t.Windows.ApplyStart, t.Windows.DepositDeadline, "deposits"); err != nil {
			return nil, err
		}
		p := t.participant(bidder)
		if p == nil {
			return nil, refuse("not-applied", ErrNotApplied, "the bidder has not applied for this sale")
		}
		wasPaid := p.Deposit >= t.Terms.Deposit
		p.Deposit += amount
		paid := p.Deposit >= t.Terms.Deposit
		if paid && !wasPaid {
			p.DepositPaidAt = now
		}
		return []Event{DepositRecorded{At: now, Bidder: bidder, Paddle: p.Paddle, Amount: amount, Total: p.Deposit, Paid: paid}}, nil
	})
}

// Qualify records the bureau's approval of an applicant (资格审核). It is possible until
// bidding closes for a listing or a tender, and until the start for an auction. Qualifying
// a qualified bidder changes nothing.
func (s Sale) Qualify(now time.Time, bidder string) (Sale, []Event, error) {
	return s.act(now, "qualify", func(t *Sale) ([]Event, error) {
		p, err := t.reviewable("qualify", bidder)
		if err != nil {
			return nil, err
		}
		if p.Qualified {
			return nil, nil
		}
		p.Qualified, p.Rejection = true, ""
		return []Event{BidderQualified{At: now, Bidder: bidder, Paddle: p.Paddle}}, nil
	})
}

// Disqualify records the bureau's refusal, or withdrawal, of an applicant's qualification,
// with a reason. A bidder who has bid cannot be disqualified: bids are irrevocable.
func (s Sale) Disqualify(now time.Time, bidder, reason string) (Sale, []Event, error) {
	return s.act(now, "disqualify", func(t *Sale) ([]Event, error) {
		p, err := t.reviewable("disqualify", bidder)
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(reason) == "" {
			return nil, refuse("reason-missing", ErrRequired, "a reason is required to disqualify a bidder")
		}
		if p.Bids > 0 {
			return nil, refuse("bids-irrevocable", ErrWrongState, "paddle %d has bid; bids are irrevocable", p.Paddle)
		}
		p.Qualified, p.Rejection = false, reason
		return []Event{BidderDisqualified{At: now, Bidder: bidder, Paddle: p.Paddle, Reason: reason}}, nil
	})
}

func (t *Sale) reviewable(action, bidder string) (*Participant, error) {
	switch {
	case t.State == StateApplying,
		t.State == StateListing && t.Method == MethodListing,
		t.State == StateTenderOpen:
	default:
		return nil, wrongState(action, t.State)
	}
	p := t.participant(bidder)
	if p == nil {
		return nil, refuse("not-applied", ErrNotApplied, "the bidder has not applied for this sale")
	}
	return p, nil
}

// inWindow checks that now is in [from, to) and that the sale is in a state that takes
// applications or deposits.
func (t *Sale) inWindow(action string, now, from, to time.Time, what string) error {
	switch t.State {
	case StateDraft:
		return wrongState(action, t.State)
	case StateAnnounced:
		e := refuse("window-not-open", ErrTooEarly, "%s open at %s", what, stamp(from))
		e.After = from
		return e
	case StateApplying, StateListing, StateTenderOpen:
	case StateSuspended:
		return wrongState(action, t.State)
	default:
		e := refuse("window-closed", ErrTooLate, "%s closed at %s", what, stamp(to))
		if t.State.Closed() {
			e.errs = append(e.errs, ErrSaleClosed)
		}
		return e
	}
	if now.Before(from) {
		e := refuse("window-not-open", ErrTooEarly, "%s open at %s", what, stamp(from))
		e.After = from
		return e
	}
	if !now.Before(to) {
		return refuse("window-closed", ErrTooLate, "%s closed at %s", what, stamp(to))
	}
	return nil
}

// Suspend suspends (暂停) a sale that is announced and not yet closed. Time stops for it:
// Tick does nothing until Resume.
func (s Sale) Suspend(now time.Time, reason string) (Sale, []Event, error) {
	return s.act(now, "suspend", func(t *Sale) ([]Event, error) {
		switch t.State {
		case StateAnnounced, StateApplying, StateListing, StateTimedBidding, StateAuctionLive, StateTenderOpen:
		default:
			return nil, wrongState("suspend", t.State)
		}
		t.Suspension = Suspension{From: t.State, At: now, Reason: reason}
		ev := SaleSuspended{At: now, From: t.State, Reason: reason}
		t.State = StateSuspended
		return []Event{ev}, nil
	})
}

// Resume returns a suspended sale to the state it was suspended in. Every window and
// deadline still ahead at the suspension moves later by the length of the suspension, so no
// one loses time to it; a running countdown is moreover given at least a full Countdown from
// the resumption, since bidders need the time to come back.
func (s Sale) Resume(now time.Time, reason string) (Sale, []Event, error) {
	return s.act(now, "resume", func(t *Sale) ([]Event, error) {
		if t.State != StateSuspended {
			return nil, wrongState("resume", t.State)
		}
		at := t.Suspension.At
		shift := now.Sub(at)
		move := func(x *time.Time) {
			if !x.IsZero() && !x.Before(at) {
				*x = x.Add(shift)
			}
		}
		w := &t.Windows
		for _, x := range []*time.Time{&w.ApplyStart, &w.ApplyEnd, &w.DepositDeadline, &w.BiddingStart, &w.BiddingEnd, &t.TimedStart, &t.Deadline} {
			move(x)
		}
		t.State = t.Suspension.From
		running := t.State == StateAuctionLive || (t.State == StateTimedBidding && t.TimedStarted)
		if floor := now.Add(t.Rules.Countdown); running && t.Deadline.Before(floor) {
			t.Deadline = floor
		}
		t.Suspension = Suspension{}
		return []Event{SaleResumed{At: now, To: t.State, Shift: shift, Windows: t.Windows, Deadline: t.Deadline, Reason: reason}}, nil
	})
}

// Terminate ends a sale before it closes (终止), from draft, any open state or suspension.
// All deposits become refundable.
func (s Sale) Terminate(now time.Time, reason string) (Sale, []Event, error) {
	return s.act(now, "terminate", func(t *Sale) ([]Event, error) {
		from := t.State
		switch from {
		case StateDraft, StateAnnounced, StateApplying, StateListing, StateTimedBidding,
			StateAuctionLive, StateTenderOpen, StateSuspended:
		default:
			return nil, wrongState("terminate", from)
		}
		if from == StateSuspended {
			from = t.Suspension.From
			t.Suspension = Suspension{}
		}
		t.State = StateTerminated
		t.EndReason = reason
		t.Deadline = time.Time{}
		evs := []Event{SaleTerminated{At: now, From: from, Reason: reason}}
		return append(evs, t.release(now, "")...), nil
	})
}

// IssueConfirmation records the confirmation letter (成交确认书) of a sold sale. The letter
// is due within Rules.ConfirmationWithin of the close; a late letter is still recorded,
// flagged Late, because refusing it would leave the sale stuck.
func (s Sale) IssueConfirmation(now time.Time, cal Calendar) (Sale, []Event, error) {
	return s.act(now, "issue confirmation", func(t *Sale) ([]Event, error) {
		if t.State != StateClosedSold {
			return nil, wrongState("issue a confirmation letter", t.State)
		}
		due, err := t.Rules.ConfirmationWithin.End(cal, t.ClosedAt)
		if err != nil {
			return nil, err
		}
		t.State = StateConfirmed
		t.ConfirmedAt = now
		return []Event{ConfirmationIssued{At: now, Winner: t.High, Due: due, Late: now.After(due)}}, nil
	})
}

// StartPublicity starts the result publicity (公示) after the confirmation letter. It lasts
// Rules.PublicityLength and is due to start within Rules.PublicityStartWithin of the close;
// a late start is flagged Late.
func (s Sale) StartPublicity(now time.Time, cal Calendar) (Sale, []Event, error) {
	return s.act(now, "start publicity", func(t *Sale) ([]Event, error) {
		if t.State != StateConfirmed {
			return nil, wrongState("start publicity", t.State)
		}
		due, err := t.Rules.PublicityStartWithin.End(cal, t.ClosedAt)
		if err != nil {
			return nil, err
		}
		end, err := t.Rules.PublicityLength.End(cal, now)
		if err != nil {
			return nil, err
		}
		t.State = StatePublicity
		t.PublicityStart, t.PublicityEnd = now, end
		return []Event{PublicityStarted{At: now, Ends: end, Due: due, Late: now.After(due)}}, nil
	})
}

// MaxObjectionsPerFiler caps the objections one filer (one token) may file
// to one sale during its publicity: objections go into the append-only
// audit log and are published, so one filer must not be able to file
// without limit. Each is at most 20,000 characters (the API's limit).
const MaxObjectionsPerFiler = 5

// FileObjection records an objection filed during the publicity.
func (s Sale) FileObjection(now time.Time, by, text string) (Sale, []Event, error) {
	return s.act(now, "file objection", func(t *Sale) ([]Event, error) {
		if t.State != StatePublicity {
			return nil, wrongState("file an objection", t.State)
		}
		if !now.Before(t.PublicityEnd) {
			return nil, refuse("publicity-over", ErrTooLate, "the publicity ended at %s", stamp(t.PublicityEnd))
		}
		filed := 0
		for _, o := range t.Objections {
			if o.By == by {
				filed++
			}
		}
		if filed >= MaxObjectionsPerFiler {
			return nil, refuse("objection-limit", ErrObjectionLimit,
				"每个提出人对同一出让最多可提出 %d 项异议，您已提出 %d 项；补充意见请联系自然资源和规划局", MaxObjectionsPerFiler, filed)
		}
		o := Objection{Seq: len(t.Objections) + 1, At: now, By: by, Text: text}
		t.Objections = append(t.Objections, o)
		return []Event{ObjectionFiled{At: now, Objection: o}}, nil
	})
}

// ResolveObjection records the bureau's answer to an objection.
func (s Sale) ResolveObjection(now time.Time, seq int, outcome string) (Sale, []Event, error) {
	return s.act(now, "resolve objection", func(t *Sale) ([]Event, error) {
		if t.State != StatePublicity {
			return nil, wrongState("resolve an objection", t.State)
		}
		if seq < 1 || seq > len(t.Objections) {
			return nil, refuse("unknown-objection", ErrUnknownObjection, "there is no objection %d", seq)
		}
		o := &t.Objections[seq-1]
		if o.Resolved {
			return nil, refuse("objection-resolved", ErrWrongState, "objection %d is already resolved", seq)
		}
		o.Resolved, o.Outcome = true, outcome
		return []Event{ObjectionResolved{At: now, Seq: seq, Outcome: outcome}}, nil
	})
}

// SignContract records the transfer contract (出让合同) once the publicity is over and every
// objection is resolved. The winner's deposit becomes part payment.
func (s Sale) SignContract(now time.Time) (Sale, []Event, error) {
	return s.act(now, "sign contract", func(t *Sale) ([]Event, error) {
		if t.State != StatePublicity {
			return nil, wrongState("sign the contract", t.State)
		}
		if now.Before(t.PublicityEnd) {
			e := refuse("publicity-running", ErrTooEarly, "the publicity runs until %s", stamp(t.PublicityEnd))
			e.After = t.PublicityEnd
			return nil, e
		}
		for _, o := range t.Objections {
			if !o.Resolved {
				return nil, refuse("objections-open", ErrObjectionsOpen, "objection %d is not resolved", o.Seq)
			}
		}
		t.State = StateContracted
		t.ContractedAt = now
		var credited int64
		if p := t.participant(t.High.Bidder); p != nil {
			credited = p.Deposit
		}
		return []Event{ContractSigned{At: now, Winner: t.High, DepositCredited: credited}}, nil
	})
}

// Default records that the winner refused to sign or to pay: the deposit is forfeited, the
// bidder is barred from this parcel, and the parcel may be offered again (Reoffer).
func (s Sale) Default(now time.Time, reason string) (Sale, []Event, error) {
	return s.act(now, "default", func(t *Sale) ([]Event, error) {
		if !t.State.Sold() {
			return nil, wrongState("record a default", t.State)
		}
		var forfeited int64
		if p := t.participant(t.High.Bidder); p != nil {
			forfeited = p.Deposit
		}
		t.State = StateDefaulted
		t.DefaultedAt = now
		t.EndReason = reason
		if !slices.Contains(t.Barred, t.High.Bidder) {
			t.Barred = append(t.Barred, t.High.Bidder)
		}
		return []Event{WinnerDefaulted{At: now, Bidder: t.High.Bidder, Paddle: t.High.Paddle, Forfeited: forfeited, Reason: reason}}, nil
	})
}

// Reoffer returns a new draft sale of the same parcel after a failure (流拍) or a default,
// possibly by another method and on new terms. Defaulted bidders stay barred. The reserve is
// not carried over: the old one has been revealed, so a new one must be committed.
func (s Sale) Reoffer(method Method, terms Terms) (Sale, error) {
	if s.State != StateFailed && s.State != StateDefaulted {
		return s, wrongState("re-offer", s.State)
	}
	n, err := NewSale(method, terms, s.Rules)
	if err != nil {
		return s, err
	}
	n.Barred = slices.Clone(s.Barred)
	return n, nil
}
