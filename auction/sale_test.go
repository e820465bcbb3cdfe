package auction

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestTransitions(t *testing.T) {
	type fixture func(testing.TB) Sale
	draft := func(m Method) fixture { return func(t testing.TB) Sale { return draftSale(t, m) } }
	announced := func(m Method) fixture { return func(t testing.TB) Sale { return announcedSale(t, m) } }
	applying := func(m Method, who ...string) fixture {
		return func(t testing.TB) Sale { return applyingSale(t, m, who...) }
	}
	withRules := func(m Method, edit func(*Rules)) fixture {
		return func(t testing.TB) Sale {
			r := testRules()
			edit(&r)
			s, err := NewSale(m, testTerms, r)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	}
	then := func(f fixture, steps ...step) fixture {
		return func(t testing.TB) Sale { return run(t, f(t), steps...) }
	}
	announce := func(now time.Time, w Windows) step {
		return func(s Sale) (Sale, []Event, error) { return s.Announce(now, Calendar{}, w) }
	}
	windows := func(m Method, edit func(*Windows)) Windows {
		w := testWindows(m)
		edit(&w)
		return w
	}
	setReserve := func(reserve int64, salt []byte) step {
		return func(s Sale) (Sale, []Event, error) { return s.SetReserve(at(time.Minute), reserve, salt) }
	}
	disqualify := func(now time.Time, who, why string) step {
		return func(s Sale) (Sale, []Event, error) { return s.Disqualify(now, who, why) }
	}
	suspend := func(now time.Time) step {
		return func(s Sale) (Sale, []Event, error) { return s.Suspend(now, "inspection") }
	}
	resume := func(now time.Time) step {
		return func(s Sale) (Sale, []Event, error) { return s.Resume(now, "inspection done") }
	}
	terminate := func(now time.Time) step {
		return func(s Sale) (Sale, []Event, error) { return s.Terminate(now, "withdrawn") }
	}
	confirm := func(now time.Time, cal Calendar) step {
		return func(s Sale) (Sale, []Event, error) { return s.IssueConfirmation(now, cal) }
	}
	publicize := func(now time.Time) step {
		return func(s Sale) (Sale, []Event, error) { return s.StartPublicity(now, Calendar{}) }
	}
	object := func(now time.Time) step {
		return func(s Sale) (Sale, []Event, error) { return s.FileObjection(now, "X", "objection") }
	}
	resolve := func(now time.Time, seq int) step {
		return func(s Sale) (Sale, []Event, error) { return s.ResolveObjection(now, seq, "dismissed") }
	}
	sign := func(now time.Time) step {
		return func(s Sale) (Sale, []Event, error) { return s.SignContract(now) }
	}
	dflt := func(now time.Time) step {
		return func(s Sale) (Sale, []Event, error) { return s.Default(now, "did not pay") }
	}
	h := func(h, m int) time.Time { return at(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	listing, quoted, gap, timed := fixture(listingSale), fixture(quotedSale), fixture(gapSale), fixture(timedSale)
	sold, failed, auction, tender := fixture(soldSale), fixture(failedSale), fixture(auctionSale), fixture(tenderSale)
	suspended, terminated, confirmed := fixture(suspendedSale), fixture(terminatedSale), fixture(confirmedSale)
	publicity, objected, contracted, defaulted := fixture(publicitySale), fixture(objectedSale), fixture(contractedSale), fixture(defaultedSale)

	tests := []struct {
		name  string
		from  fixture
		do    step
		want  State    // on success
		err   error    // expected sentinel
		kinds []string // expected event kinds, when given
	}{
		// Draft and announcement.
		{"draft: commit reserve", draft(MethodListing), setReserve(1_500_000, testSalt), StateDraft, nil, []string{"reserve-committed"}},
		{"draft: reserve below starting price", draft(MethodListing), setReserve(startPrice-1, testSalt), "", ErrInvalidReserve, nil},
		{"draft: reserve salt too short", draft(MethodListing), setReserve(startPrice, []byte("short")), "", ErrInvalidReserve, nil},
		{"announced: reserve is fixed", announced(MethodListing), setReserve(startPrice, testSalt), "", ErrWrongState, nil},
		{"draft: announce listing", draft(MethodListing), announce(t0, testWindows(MethodListing)), StateAnnounced, nil, []string{"sale-announced"}},
		{"draft: announce auction", draft(MethodAuction), announce(t0, testWindows(MethodAuction)), StateAnnounced, nil, nil},
		{"draft: announce tender", draft(MethodTender), announce(t0, testWindows(MethodTender)), StateAnnounced, nil, nil},
		{"draft: announce with applications open at once", draft(MethodListing),
			announce(t0, windows(MethodListing, func(w *Windows) { w.ApplyStart = t0 })), StateApplying, nil,
			[]string{"sale-announced", "applications-opened"}},
		{"announced: announce again", announced(MethodListing), announce(at(time.Minute), testWindows(MethodListing)), "", ErrWrongState, nil},
		{"draft: bidding too soon after announcement", draft(MethodListing),
			announce(t0, windows(MethodListing, func(w *Windows) { w.BiddingStart = at(59 * time.Minute) })), "", ErrInvalidWindows, nil},
		{"draft: listing too short", draft(MethodListing),
			announce(t0, windows(MethodListing, func(w *Windows) { w.BiddingEnd = h(1, 59) })), "", ErrInvalidWindows, nil},
		{"draft: deposit deadline after listing", draft(MethodListing),
			announce(t0, windows(MethodListing, func(w *Windows) { w.DepositDeadline = h(3, 0) })), "", ErrInvalidWindows, nil},
		{"draft: deposit deadline before applications close", draft(MethodListing),
			announce(t0, windows(MethodListing, func(w *Windows) { w.DepositDeadline = h(1, 59) })), "", ErrInvalidWindows, nil},
		{"draft: applications open before announcement", draft(MethodListing),
			announce(t0, windows(MethodListing, func(w *Windows) { w.ApplyStart = at(-time.Minute) })), "", ErrInvalidWindows, nil},
		{"draft: applications close before they open", draft(MethodListing),
			announce(t0, windows(MethodListing, func(w *Windows) { w.ApplyEnd = w.ApplyStart })), "", ErrInvalidWindows, nil},
		{"draft: bidding before applications", draft(MethodListing),
			announce(t0, windows(MethodListing, func(w *Windows) { w.ApplyStart = h(1, 1) })), "", ErrInvalidWindows, nil},
		{"draft: missing window", draft(MethodListing),
			announce(t0, windows(MethodListing, func(w *Windows) { w.DepositDeadline = time.Time{} })), "", ErrInvalidWindows, nil},
		{"draft: listing without end", draft(MethodListing),
			announce(t0, windows(MethodListing, func(w *Windows) { w.BiddingEnd = time.Time{} })), "", ErrInvalidWindows, nil},
		{"draft: auction with an end", draft(MethodAuction),
			announce(t0, windows(MethodAuction, func(w *Windows) { w.BiddingEnd = h(4, 0) })), "", ErrInvalidWindows, nil},
		{"draft: auction deposits after start", draft(MethodAuction),
			announce(t0, windows(MethodAuction, func(w *Windows) { w.DepositDeadline = h(3, 1) })), "", ErrInvalidWindows, nil},
		{"draft: tender deadline before start", draft(MethodTender),
			announce(t0, windows(MethodTender, func(w *Windows) { w.BiddingEnd = w.BiddingStart })), "", ErrInvalidWindows, nil},
		{"draft: tender deposits after deadline", draft(MethodTender),
			announce(t0, windows(MethodTender, func(w *Windows) { w.BiddingEnd = h(2, 15) })), "", ErrInvalidWindows, nil},
		{"draft: working days need the calendar", withRules(MethodListing, func(r *Rules) { r.AnnouncementLead = Period{WorkingDays: 20} }),
			announce(t0, testWindows(MethodListing)), "", ErrCalendarNotLoaded, nil},

		// Time-driven changes.
		{"announced: applications open", announced(MethodListing), tick(at(10 * time.Minute)), StateApplying, nil, []string{"applications-opened"}},
		{"announced: not yet", announced(MethodListing), tick(at(9 * time.Minute)), StateAnnounced, nil, nil},
		{"applying: listing opens", applying(MethodListing), tick(h(1, 0)), StateListing, nil, []string{"listing-opened"}},
		{"applying: auction starts with 3 bidders", applying(MethodAuction, "A", "B", "C"), tick(h(3, 0)), StateAuctionLive, nil, []string{"auction-started"}},
		{"applying: auction with 2 bidders does not start", applying(MethodAuction, "A", "B"), tick(h(3, 0)), StateFailed, nil,
			[]string{"sale-failed", "deposits-released"}},
		{"applying: tender opens for bids", applying(MethodTender), tick(h(1, 0)), StateTenderOpen, nil, []string{"tender-started"}},
		{"listing: closes into timed bidding", quoted, tick(h(3, 0)), StateTimedBidding, nil, []string{"listing-closed"}},
		{"listing: no quotes fails", listing, tick(h(3, 0)), StateFailed, nil, []string{"listing-closed", "sale-failed", "deposits-released"}},
		{"listing: too few quoters fails", then(func(t testing.TB) Sale {
			r := testRules()
			r.MinBidders.Listing = 2
			s, _ := NewSale(MethodListing, testTerms, r)
			s = run(t, s, announce(t0, testWindows(MethodListing)), tick(at(20*time.Minute)), apply(at(20*time.Minute), "A"),
				pay(at(20*time.Minute), "A", deposit), qualify(at(20*time.Minute), "A"))
			return s
		}, tick(h(1, 0)), bid(h(1, 10), "A", startPrice)), tick(h(3, 0)), StateFailed, nil, []string{"listing-closed", "sale-failed", "deposits-released"}},
		{"timed: starts after the delay", gap, tick(h(3, 5)), StateTimedBidding, nil, []string{"timed-bidding-started"}},
		{"timed: countdown expiry sells", timed, tick(h(3, 9)), StateClosedSold, nil, []string{"sale-sold", "deposits-released"}},
		{"timed: late scheduler sells at once", quoted, tick(h(9, 0)), StateClosedSold, nil,
			[]string{"listing-closed", "timed-bidding-started", "sale-sold", "deposits-released"}},
		{"timed: below reserve fails", then(func(t testing.TB) Sale {
			s := run(t, draftSale(t, MethodListing), func(s Sale) (Sale, []Event, error) {
				return s.SetReserve(t0, startPrice+5*increment, testSalt)
			}, announce(t0, testWindows(MethodListing)))
			s = run(t, s, tick(at(20*time.Minute)))
			for _, b := range []string{"A", "B"} {
				s = run(t, s, apply(at(20*time.Minute), b), pay(at(20*time.Minute), b, deposit), qualify(at(20*time.Minute), b))
			}
			return s
		}, tick(h(1, 0)), bid(h(1, 10), "A", startPrice), bid(h(1, 20), "B", startPrice+increment),
			bid(h(3, 6), "A", startPrice+2*increment)), tick(h(3, 10)), StateFailed, nil,
			[]string{"reserve-revealed", "sale-failed", "deposits-released"}},
		{"auction: countdown expiry sells", then(auction, bid(h(3, 1), "A", startPrice)), tick(h(3, 5)), StateClosedSold, nil, nil},
		{"auction: no bids fails", auction, tick(h(3, 4)), StateFailed, nil, nil},
		{"tender: opening sells", then(tender, bid(h(1, 5), "A", startPrice), bid(h(1, 6), "B", startPrice), bid(h(1, 7), "C", startPrice+1)),
			tick(h(3, 0)), StateClosedSold, nil, []string{"tenders-opened", "sale-sold", "deposits-released"}},
		{"tender: too few tenderers fails", then(tender, bid(h(1, 5), "A", startPrice), bid(h(1, 6), "B", startPrice)),
			tick(h(3, 0)), StateFailed, nil, []string{"tenders-opened", "sale-failed", "deposits-released"}},
		{"tender: no bids fails", tender, tick(h(3, 0)), StateFailed, nil, nil},
		{"suspended: time stops", suspended, tick(h(9, 0)), StateSuspended, nil, nil},
		{"closed: nothing more happens", sold, tick(h(99, 0)), StateClosedSold, nil, nil},

		// Applications, deposits, qualification.
		{"applying: apply", applying(MethodListing), apply(at(30*time.Minute), "E"), StateApplying, nil, []string{"bidder-applied"}},
		{"listing: apply during the listing", listing, apply(h(1, 30), "E"), StateListing, nil, nil},
		{"announced: apply too early", announced(MethodListing), apply(at(5*time.Minute), "E"), "", ErrTooEarly, nil},
		{"listing: apply too late", listing, apply(h(2, 0), "E"), "", ErrTooLate, nil},
		{"timed: apply too late", timed, apply(h(3, 6), "E"), "", ErrTooLate, nil},
		{"sold: apply to a closed sale", sold, apply(h(4, 0), "E"), "", ErrSaleClosed, nil},
		{"draft: apply", draft(MethodListing), apply(t0, "E"), "", ErrWrongState, nil},
		{"suspended: apply", suspended, apply(h(1, 40), "E"), "", ErrSuspended, nil},
		{"applying: apply twice", applying(MethodListing, "A"), apply(at(30*time.Minute), "A"), "", ErrAlreadyApplied, nil},
		{"applying: apply without identity", applying(MethodListing), apply(at(30*time.Minute), " "), "", ErrRequired, nil},
		{"applying: deposit", then(applying(MethodListing), apply(at(30*time.Minute), "E")), pay(at(31*time.Minute), "E", deposit),
			StateApplying, nil, []string{"deposit-recorded"}},
		{"applying: partial deposit", then(applying(MethodListing), apply(at(30*time.Minute), "E")), pay(at(31*time.Minute), "E", 1), StateApplying, nil, nil},
		{"applying: deposit from a stranger", applying(MethodListing), pay(at(30*time.Minute), "E", deposit), "", ErrNotApplied, nil},
		{"applying: zero deposit", applying(MethodListing, "A"), pay(at(30*time.Minute), "A", 0), "", ErrInvalidAmount, nil},
		{"listing: deposit after the deadline", then(listing, apply(h(1, 30), "E")), pay(h(2, 30), "E", deposit), "", ErrTooLate, nil},
		{"applying: qualify", then(applying(MethodListing), apply(at(30*time.Minute), "E")), qualify(at(31*time.Minute), "E"),
			StateApplying, nil, []string{"bidder-qualified"}},
		{"applying: qualify again changes nothing", applying(MethodListing, "A"), qualify(at(31*time.Minute), "A"), StateApplying, nil, []string{}},
		{"applying: qualify a stranger", applying(MethodListing), qualify(at(31*time.Minute), "E"), "", ErrNotApplied, nil},
		{"auction: qualify after the start", auction, qualify(h(3, 1), "A"), "", ErrWrongState, nil},
		{"tender: qualify during the tender", then(tender, apply(h(1, 30), "E")), qualify(h(1, 31), "E"), StateTenderOpen, nil, nil},
		{"applying: disqualify", applying(MethodListing, "A"), disqualify(at(31*time.Minute), "A", "no licence"),
			StateApplying, nil, []string{"bidder-disqualified"}},
		{"applying: disqualify without reason", applying(MethodListing, "A"), disqualify(at(31*time.Minute), "A", ""), "", ErrRequired, nil},
		{"listing: disqualify a bidder who bid", quoted, disqualify(h(1, 30), "A", "late finding"), "", ErrWrongState, nil},

		// Bids.
		{"listing: first quote at the starting price", listing, bid(h(1, 10), "A", startPrice), StateListing, nil, []string{"bid-accepted"}},
		{"listing: quote beats high by the increment", quoted, bid(h(1, 30), "A", startPrice+2*increment), StateListing, nil, nil},
		{"listing: first quote below the starting price", listing, bid(h(1, 10), "A", startPrice-1), "", ErrBidTooLow, nil},
		{"listing: quote below high + increment", quoted, bid(h(1, 30), "C", startPrice+2*increment-1), "", ErrBidTooLow, nil},
		{"listing: high bidder raises own bid", quoted, bid(h(1, 30), "B", startPrice+5*increment), "", ErrAlreadyHighest, nil},
		{"listing: self raise when the rules allow it", then(func(t testing.TB) Sale {
			r := testRules()
			r.AllowSelfRaise = true
			s, _ := NewSale(MethodListing, testTerms, r)
			return run(t, s, announce(t0, testWindows(MethodListing)), tick(at(20*time.Minute)),
				apply(at(20*time.Minute), "A"), pay(at(20*time.Minute), "A", deposit), qualify(at(20*time.Minute), "A"),
				tick(h(1, 0)), bid(h(1, 1), "A", startPrice))
		}), bid(h(1, 2), "A", startPrice+increment), StateListing, nil, nil},
		{"listing: zero amount", listing, bid(h(1, 10), "A", 0), "", ErrInvalidAmount, nil},
		{"listing: negative amount", listing, bid(h(1, 10), "A", -5), "", ErrInvalidAmount, nil},
		{"listing: absurd amount", listing, bid(h(1, 10), "A", MaxAmount+1), "", ErrInvalidAmount, nil},
		{"listing: stranger bids", listing, bid(h(1, 10), "Z", startPrice), "", ErrNotQualified, nil},
		{"listing: unqualified bidder", then(listing, apply(h(1, 5), "E"), pay(h(1, 5), "E", deposit)), bid(h(1, 10), "E", startPrice), "", ErrNotQualified, nil},
		{"listing: unpaid deposit", then(listing, apply(h(1, 5), "E"), pay(h(1, 5), "E", deposit-1), qualify(h(1, 5), "E")),
			bid(h(1, 10), "E", startPrice), "", ErrDepositUnpaid, nil},
		{"listing: rate limit", then(listing, bid(h(1, 10), "A", startPrice), bid(h(1, 10), "B", startPrice+increment),
			bid(h(1, 10), "A", startPrice+2*increment), bid(h(1, 10), "B", startPrice+3*increment), bid(h(1, 10), "A", startPrice+4*increment),
			bid(h(1, 10), "B", startPrice+5*increment)), bid(h(1, 10), "A", startPrice+6*increment), "", ErrRateLimited, nil},
		{"listing: rate window passed", then(listing, bid(h(1, 10), "A", startPrice), bid(h(1, 10), "B", startPrice+increment),
			bid(h(1, 10), "A", startPrice+2*increment), bid(h(1, 10), "B", startPrice+3*increment), bid(h(1, 10), "A", startPrice+4*increment),
			bid(h(1, 10), "B", startPrice+5*increment)), bid(h(1, 11), "A", startPrice+6*increment), StateListing, nil, nil},
		{"listing: bid at the listing's end", quoted, bid(h(3, 0), "A", startPrice+2*increment), "", ErrNotInTimedBidding, nil},
		{"draft: bid", draft(MethodListing), bid(t0, "A", startPrice), "", ErrWrongState, nil},
		{"announced: bid too early", announced(MethodListing), bid(at(time.Minute), "A", startPrice), "", ErrTooEarly, nil},
		{"applying: bid too early", applying(MethodListing, "A"), bid(at(30*time.Minute), "A", startPrice), "", ErrTooEarly, nil},
		{"timed: bid in the gap", gap, bid(h(3, 1), "A", startPrice+2*increment), "", ErrNotInTimedBidding, nil},
		{"timed: bid in the gap is too early", gap, bid(h(3, 1), "A", startPrice+2*increment), "", ErrTooEarly, nil},
		{"timed: bid restarts the countdown", timed, bid(h(3, 7), "A", startPrice+2*increment), StateTimedBidding, nil,
			[]string{"bid-accepted", "countdown-restarted"}},
		{"timed: bidder without a listing quote", timed, bid(h(3, 7), "C", startPrice+2*increment), "", ErrNoQuoteInListing, nil},
		{"timed: bid below high + increment", timed, bid(h(3, 7), "A", startPrice+2*increment-1), "", ErrBidTooLow, nil},
		{"timed: high bidder raises own bid", timed, bid(h(3, 7), "B", startPrice+2*increment), "", ErrAlreadyHighest, nil},
		{"timed: bid at the deadline", timed, bid(h(3, 9), "A", startPrice+2*increment), "", ErrSaleClosed, nil},
		{"timed: bid one nanosecond before the deadline", timed, bid(h(3, 9).Add(-1), "A", startPrice+2*increment), StateTimedBidding, nil, nil},
		{"timed: earlier than the last action", timed, bid(h(3, 4), "A", startPrice+2*increment), "", ErrClockSkew, nil},
		{"auction: first bid", auction, bid(h(3, 1), "C", startPrice), StateAuctionLive, nil, []string{"bid-accepted", "countdown-restarted"}},
		{"auction: bid too low", then(auction, bid(h(3, 1), "C", startPrice)), bid(h(3, 2), "A", startPrice+increment-1), "", ErrBidTooLow, nil},
		{"auction: bid after the countdown", auction, bid(h(3, 4), "C", startPrice), "", ErrSaleClosed, nil},
		{"tender: sealed bid", tender, bid(h(1, 5), "A", startPrice), StateTenderOpen, nil, []string{"tender-bid-received"}},
		{"tender: amendment, even lower", then(tender, bid(h(1, 5), "A", startPrice+9)), bid(h(1, 6), "A", startPrice), StateTenderOpen, nil, nil},
		{"tender: below the starting price", tender, bid(h(1, 5), "A", startPrice-1), "", ErrBidTooLow, nil},
		{"tender: late bid", tender, bid(h(3, 0), "A", startPrice), "", ErrSaleClosed, nil},
		{"suspended: bid", suspended, bid(h(1, 40), "A", startPrice), "", ErrSuspended, nil},
		{"sold: bid", sold, bid(h(4, 0), "A", startPrice*2), "", ErrSaleClosed, nil},
		{"failed: bid", failed, bid(h(4, 0), "A", startPrice*2), "", ErrSaleClosed, nil},
		{"terminated: bid", terminated, bid(h(4, 0), "A", startPrice*2), "", ErrSaleClosed, nil},

		// Suspension and termination.
		{"announced: suspend", announced(MethodListing), suspend(at(time.Minute)), StateSuspended, nil, []string{"sale-suspended"}},
		{"applying: suspend", applying(MethodListing), suspend(at(30 * time.Minute)), StateSuspended, nil, nil},
		{"listing: suspend", listing, suspend(h(1, 30)), StateSuspended, nil, nil},
		{"timed: suspend", timed, suspend(h(3, 6)), StateSuspended, nil, nil},
		{"auction: suspend", auction, suspend(h(3, 1)), StateSuspended, nil, nil},
		{"tender: suspend", tender, suspend(h(1, 30)), StateSuspended, nil, nil},
		{"draft: suspend", draft(MethodListing), suspend(t0), "", ErrWrongState, nil},
		{"timed: suspend after the countdown expired", timed, suspend(h(3, 10)), "", ErrSaleClosed, nil},
		{"suspended: suspend again", suspended, suspend(h(1, 40)), "", ErrSuspended, nil},
		{"suspended: resume", suspended, resume(h(2, 0)), StateListing, nil, []string{"sale-resumed"}},
		{"listing: resume", listing, resume(h(2, 0)), "", ErrWrongState, nil},
		{"draft: terminate", draft(MethodListing), terminate(t0), StateTerminated, nil, []string{"sale-terminated"}},
		{"quoted: terminate refunds deposits", quoted, terminate(h(2, 0)), StateTerminated, nil, []string{"sale-terminated", "deposits-released"}},
		{"suspended: terminate", suspended, terminate(h(2, 0)), StateTerminated, nil, nil},
		{"timed: terminate", timed, terminate(h(3, 6)), StateTerminated, nil, nil},
		{"sold: terminate", sold, terminate(h(4, 0)), "", ErrWrongState, nil},
		{"terminated: terminate", terminated, terminate(h(4, 0)), "", ErrSaleClosed, nil},

		// After the close.
		{"sold: confirmation letter", sold, confirm(h(4, 0), Calendar{}), StateConfirmed, nil, []string{"confirmation-issued"}},
		{"sold: confirmation needs the calendar", then(func(t testing.TB) Sale {
			r := testRules()
			r.ConfirmationWithin = Period{WorkingDays: 3}
			s, _ := NewSale(MethodListing, testTerms, r)
			return run(t, s, announce(t0, testWindows(MethodListing)), tick(at(20*time.Minute)),
				apply(at(20*time.Minute), "A"), pay(at(20*time.Minute), "A", deposit), qualify(at(20*time.Minute), "A"),
				tick(h(1, 0)), bid(h(1, 1), "A", startPrice), tick(h(3, 9)))
		}), confirm(h(4, 0), Calendar{}), "", ErrCalendarNotLoaded, nil},
		{"failed: confirmation letter", failed, confirm(h(4, 0), Calendar{}), "", ErrWrongState, nil},
		{"confirmed: confirmation letter again", confirmed, confirm(h(4, 1), Calendar{}), "", ErrWrongState, nil},
		{"confirmed: publicity", confirmed, publicize(h(4, 10)), StatePublicity, nil, []string{"publicity-started"}},
		{"sold: publicity before the letter", sold, publicize(h(4, 10)), "", ErrWrongState, nil},
		{"publicity: objection", publicity, object(h(4, 20)), StatePublicity, nil, []string{"objection-filed"}},
		{"publicity: objection after the end", publicity, object(h(5, 10)), "", ErrTooLate, nil},
		{"confirmed: objection", confirmed, object(h(4, 5)), "", ErrWrongState, nil},
		{"objected: resolve", objected, resolve(h(4, 30), 1), StatePublicity, nil, []string{"objection-resolved"}},
		{"objected: resolve unknown", objected, resolve(h(4, 30), 2), "", ErrUnknownObjection, nil},
		{"objected: resolve twice", then(objected, resolve(h(4, 30), 1)), resolve(h(4, 31), 1), "", ErrWrongState, nil},
		{"sold: resolve", sold, resolve(h(4, 30), 1), "", ErrWrongState, nil},
		{"publicity: contract", publicity, sign(h(5, 10)), StateContracted, nil, []string{"contract-signed"}},
		{"publicity: contract during publicity", publicity, sign(h(5, 9)), "", ErrTooEarly, nil},
		{"objected: contract with an open objection", objected, sign(h(5, 10)), "", ErrObjectionsOpen, nil},
		{"objected: contract after resolution", then(objected, resolve(h(4, 30), 1)), sign(h(5, 10)), StateContracted, nil, nil},
		{"confirmed: contract", confirmed, sign(h(5, 10)), "", ErrWrongState, nil},
		{"sold: default", sold, dflt(h(4, 0)), StateDefaulted, nil, []string{"winner-defaulted"}},
		{"confirmed: default", confirmed, dflt(h(4, 5)), StateDefaulted, nil, nil},
		{"publicity: default", publicity, dflt(h(5, 0)), StateDefaulted, nil, nil},
		{"contracted: default", contracted, dflt(h(6, 0)), StateDefaulted, nil, nil},
		{"failed: default", failed, dflt(h(4, 0)), "", ErrWrongState, nil},
		{"defaulted: default again", defaulted, dflt(h(5, 0)), "", ErrWrongState, nil},
		{"defaulted: barred bidder cannot bid", defaulted, bid(h(5, 0), "B", startPrice*2), "", ErrSaleClosed, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			from := tc.from(t)
			before := snapshot(t, from)
			got, evs, err := tc.do(from)
			if snapshot(t, from) != before {
				t.Fatal("the transition changed its receiver")
			}
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				var re *RuleError
				if !errors.As(err, &re) {
					t.Fatalf("err %T is not a *RuleError", err)
				}
				if re.Rule == "" || re.Action == "" || re.State == "" || !strings.HasPrefix(err.Error(), "auction: ") {
					t.Errorf("RuleError lacks detail: %+v", re)
				}
				if evs != nil || snapshot(t, got) != before {
					t.Error("a refused transition must return the sale unchanged and no events")
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got.State != tc.want {
				t.Errorf("state = %s, want %s (events %v)", got.State, tc.want, kinds(evs))
			}
			if tc.kinds != nil && !slices.Equal(kinds(evs), tc.kinds) && !(len(tc.kinds) == 0 && len(evs) == 0) {
				t.Errorf("events = %v, want %v", kinds(evs), tc.kinds)
			}
		})
	}
}

func TestBidTooLowNamesTheMinimum(t *testing.T) {
	s := quotedSale(t)
	_, _, err := s.Bid(at(90*time.Minute), Bid{Bidder: "C", Amount: startPrice})
	var re *RuleError
	if !errors.As(err, &re) || !errors.Is(err, ErrBidTooLow) {
		t.Fatalf("err = %v", err)
	}
	want := int64(startPrice + 2*increment)
	if re.Min != want || !strings.Contains(re.Msg, "1020000") || re.Rule != "bid-below-minimum" {
		t.Errorf("RuleError = %+v, want Min %d named in the message", re, want)
	}
	if s.MinNextBid() != want {
		t.Errorf("MinNextBid = %d", s.MinNextBid())
	}
}

func TestWrongStateNamesStateAndAction(t *testing.T) {
	_, _, err := soldSale(t).StartPublicity(at(5*time.Hour), Calendar{})
	var re *RuleError
	if !errors.As(err, &re) || re.State != StateClosedSold || re.Action != "start publicity" || !errors.Is(err, ErrWrongState) {
		t.Fatalf("err = %#v", err)
	}
}

func TestBidReceipt(t *testing.T) {
	s := timedSale(t)
	now := at(3*time.Hour + 7*time.Minute)
	s, evs, err := s.Bid(now, Bid{Bidder: "A", Amount: startPrice + 3*increment, Seq: 99, Paddle: 7})
	if err != nil {
		t.Fatal(err)
	}
	r, ok := evs[0].(BidAccepted)
	if !ok {
		t.Fatalf("first event %T", evs[0])
	}
	want := Bid{Seq: 3, Bidder: "A", Paddle: 1, Amount: startPrice + 3*increment, At: now, Phase: StateTimedBidding}
	if r.Bid != want || r.PreviousHigh != startPrice+increment || !r.Deadline.Equal(now.Add(4*time.Minute)) {
		t.Errorf("receipt = %+v", r)
	}
	if s.High != want || !s.Deadline.Equal(r.Deadline) || s.BidCount != 3 {
		t.Errorf("sale high %+v deadline %v", s.High, s.Deadline)
	}
	if d, ok := s.NextDeadline(); !ok || !d.Equal(r.Deadline) {
		t.Errorf("NextDeadline = %v, %v", d, ok)
	}
}

func TestNextDeadline(t *testing.T) {
	tests := []struct {
		name string
		s    Sale
		want time.Time // zero: none
	}{
		{"draft", draftSale(t, MethodListing), time.Time{}},
		{"announced", announcedSale(t, MethodListing), at(10 * time.Minute)},
		{"applying", applyingSale(t, MethodListing), at(time.Hour)},
		{"applying auction", applyingSale(t, MethodAuction), at(3 * time.Hour)},
		{"listing", listingSale(t), at(3 * time.Hour)},
		{"gap", gapSale(t), at(3*time.Hour + 5*time.Minute)},
		{"timed", timedSale(t), at(3*time.Hour + 9*time.Minute)},
		{"auction", auctionSale(t), at(3*time.Hour + 4*time.Minute)},
		{"tender", tenderSale(t), at(3 * time.Hour)},
		{"suspended", suspendedSale(t), time.Time{}},
		{"sold", soldSale(t), time.Time{}},
		{"failed", failedSale(t), time.Time{}},
		{"publicity", publicitySale(t), time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.s.NextDeadline()
			if ok != !tc.want.IsZero() || !got.Equal(tc.want) {
				t.Errorf("NextDeadline = %v, %v; want %v", got, ok, tc.want)
			}
			// Tick just before changes nothing; Tick at the deadline changes the state.
			if ok {
				if s, evs := tc.s.Tick(got.Add(-1)); len(evs) != 0 || snapshot(t, s) != snapshot(t, tc.s) {
					t.Error("Tick before the deadline changed the sale")
				}
				if _, evs := tc.s.Tick(got); len(evs) == 0 {
					t.Error("Tick at the deadline did nothing")
				}
			}
		})
	}
}

func TestTickIsIdempotent(t *testing.T) {
	fixtures := map[string]Sale{
		"announced": announcedSale(t, MethodTender), "listing": listingSale(t), "quoted": quotedSale(t),
		"gap": gapSale(t), "timed": timedSale(t), "auction": auctionSale(t), "tender": tenderSale(t),
		"suspended": suspendedSale(t), "sold": soldSale(t),
	}
	for name, s := range fixtures {
		t.Run(name, func(t *testing.T) {
			for _, d := range []time.Duration{0, time.Hour, 3*time.Hour + 5*time.Minute, 3*time.Hour + 9*time.Minute, 48 * time.Hour} {
				now := at(d)
				once, _ := s.Tick(now)
				twice, evs := once.Tick(now)
				if len(evs) != 0 || snapshot(t, twice) != snapshot(t, once) {
					t.Errorf("second Tick(%v) changed the sale: %v", d, kinds(evs))
				}
				earlier, evs := once.Tick(at(d - time.Minute))
				if len(evs) != 0 || snapshot(t, earlier) != snapshot(t, once) {
					t.Errorf("Tick at an earlier time changed the sale: %v", kinds(evs))
				}
			}
		})
	}
}

func TestCloseEvents(t *testing.T) {
	s := run(t, draftSale(t, MethodListing), func(s Sale) (Sale, []Event, error) { return s.SetReserve(t0, startPrice, testSalt) },
		func(s Sale) (Sale, []Event, error) { return s.Announce(t0, Calendar{}, testWindows(MethodListing)) })
	if s.Reserve.Revealed {
		t.Fatal("revealed before close")
	}
	s = run(t, s, tick(at(20*time.Minute)))
	for _, b := range []string{"A", "B", "C"} {
		s = run(t, s, apply(at(20*time.Minute), b), pay(at(20*time.Minute), b, deposit), qualify(at(20*time.Minute), b))
	}
	s = run(t, s, tick(at(time.Hour)), bid(at(70*time.Minute), "A", startPrice), bid(at(80*time.Minute), "B", startPrice+increment))
	closeAt := at(3*time.Hour + 9*time.Minute)
	s, evs := s.Tick(closeAt)
	want := []string{"listing-closed", "timed-bidding-started", "reserve-revealed", "sale-sold", "deposits-released"}
	if !slices.Equal(kinds(evs), want) {
		t.Fatalf("events = %v, want %v", kinds(evs), want)
	}
	rev := evs[2].(ReserveRevealed)
	salt := []byte(testSalt)
	if !VerifyReserve(rev.Commitment, rev.Amount, salt) || rev.Salt != "303132333435363738396162636465662d73616c74" || !s.Reserve.Revealed {
		t.Errorf("reveal = %+v", rev)
	}
	sold := evs[3].(SaleSold)
	if sold.Winner.Bidder != "B" || sold.Winner.Amount != startPrice+increment || !sold.At.Equal(closeAt) || !s.ClosedAt.Equal(closeAt) {
		t.Errorf("sold = %+v", sold)
	}
	refunds := evs[4].(DepositsReleased).Refunds
	if len(refunds) != 2 || refunds[0].Bidder != "A" || refunds[1].Bidder != "C" || refunds[0].Amount != deposit {
		t.Errorf("refunds = %+v; the winner's deposit is kept", refunds)
	}
	if out, ok := s.Result(); !ok || !out.Sold || out.Best != sold.Winner {
		t.Errorf("Result = %+v, %v", out, ok)
	}
	// Contract credits the deposit; default forfeits it and bars the winner.
	c := run(t, s, func(s Sale) (Sale, []Event, error) { return s.IssueConfirmation(at(4*time.Hour), Calendar{}) },
		func(s Sale) (Sale, []Event, error) { return s.StartPublicity(at(4*time.Hour), Calendar{}) })
	_, evs, err := c.SignContract(at(5 * time.Hour))
	if err != nil || evs[0].(ContractSigned).DepositCredited != deposit {
		t.Errorf("contract: %v %+v", err, evs)
	}
	d, evs, err := s.Default(at(4*time.Hour), "refused")
	if err != nil || evs[0].(WinnerDefaulted).Forfeited != deposit || !slices.Equal(d.Barred, []string{"B"}) {
		t.Fatalf("default: %v %+v", err, evs)
	}
	again, err := d.Reoffer(MethodListing, testTerms)
	if err != nil || again.State != StateDraft || !slices.Equal(again.Barred, []string{"B"}) || again.Reserve.Set() {
		t.Fatalf("reoffer: %v %+v", err, again)
	}
	again = run(t, again, func(s Sale) (Sale, []Event, error) {
		return s.Announce(at(5*time.Hour), Calendar{}, Windows{
			ApplyStart: at(5 * time.Hour), ApplyEnd: at(7 * time.Hour), DepositDeadline: at(7 * time.Hour),
			BiddingStart: at(6 * time.Hour), BiddingEnd: at(8 * time.Hour),
		})
	})
	if _, _, err := again.Apply(at(5*time.Hour), "B"); !errors.Is(err, ErrBarred) {
		t.Errorf("barred bidder applied: %v", err)
	}
}

func TestReofferOnlyAfterFailureOrDefault(t *testing.T) {
	if _, err := soldSale(t).Reoffer(MethodListing, testTerms); !errors.Is(err, ErrWrongState) {
		t.Errorf("reoffer of a sold sale: %v", err)
	}
	n, err := failedSale(t).Reoffer(MethodAuction, Terms{StartingPrice: 900_000, Increment: 5_000, Deposit: 100_000})
	if err != nil || n.Method != MethodAuction || n.Terms.StartingPrice != 900_000 {
		t.Errorf("reoffer: %v %+v", err, n)
	}
	if _, err := failedSale(t).Reoffer(MethodListing, Terms{}); !errors.Is(err, ErrInvalidTerms) {
		t.Errorf("reoffer with no terms: %v", err)
	}
}

func TestNewSaleValidates(t *testing.T) {
	for name, tc := range map[string]struct {
		m     Method
		terms Terms
	}{
		"method":    {"sealed", testTerms},
		"price":     {MethodListing, Terms{0, 1, 1}},
		"increment": {MethodListing, Terms{1, -1, 1}},
		"deposit":   {MethodListing, Terms{1, 1, 0}},
		"huge":      {MethodListing, Terms{MaxAmount + 1, 1, 1}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := NewSale(tc.m, tc.terms, testRules()); !errors.Is(err, ErrInvalidTerms) {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestResumeShiftsTime(t *testing.T) {
	t.Run("listing", func(t *testing.T) {
		s := suspendedSale(t) // suspended at +1h30m
		s, evs, err := s.Resume(at(2*time.Hour+30*time.Minute), "ok")
		if err != nil {
			t.Fatal(err)
		}
		// Applications (+2h), deposits (+2h30m) and the listing end (+3h) move an hour later;
		// the listing start (+1h) had passed and stays.
		w := s.Windows
		if !w.ApplyEnd.Equal(at(3*time.Hour)) || !w.DepositDeadline.Equal(at(210*time.Minute)) ||
			!w.BiddingEnd.Equal(at(4*time.Hour)) || !w.BiddingStart.Equal(at(time.Hour)) {
			t.Errorf("windows = %+v", w)
		}
		if r := evs[0].(SaleResumed); r.Shift != time.Hour || r.To != StateListing {
			t.Errorf("resumed = %+v", r)
		}
	})
	t.Run("countdown gets at least a full countdown", func(t *testing.T) {
		s := run(t, timedSale(t), func(s Sale) (Sale, []Event, error) { return s.Suspend(at(3*time.Hour+8*time.Minute), "network") })
		s, _, err := s.Resume(at(3*time.Hour+8*time.Minute+10*time.Second), "ok")
		if err != nil {
			t.Fatal(err)
		}
		want := at(3*time.Hour + 12*time.Minute + 10*time.Second)
		if !s.Deadline.Equal(want) || s.State != StateTimedBidding {
			t.Errorf("deadline = %v, want %v", s.Deadline, want)
		}
	})
	t.Run("gap keeps the delay", func(t *testing.T) {
		s := run(t, gapSale(t), func(s Sale) (Sale, []Event, error) { return s.Suspend(at(3*time.Hour+time.Minute), "network") })
		s, _, err := s.Resume(at(3*time.Hour+11*time.Minute), "ok")
		if err != nil {
			t.Fatal(err)
		}
		if !s.TimedStart.Equal(at(3*time.Hour+15*time.Minute)) || !s.Deadline.Equal(at(3*time.Hour+19*time.Minute)) {
			t.Errorf("timed start %v deadline %v", s.TimedStart, s.Deadline)
		}
	})
}

func TestAnnounceCountsWorkingDays(t *testing.T) {
	cal := loadCalendar(t)
	rules := readRules(t, "default.yaml")
	s, err := NewSale(MethodListing, testTerms, rules)
	if err != nil {
		t.Fatal(err)
	}
	// Announced Monday 2 Feb 2026, 10:30; 20 working days, counting the adjusted Saturdays
	// 14 and 28 Feb and skipping the Spring Festival, end on Friday 6 March.
	ann := date(2026, 2, 2)
	w := Windows{
		ApplyStart: ann, ApplyEnd: date(2026, 3, 13), DepositDeadline: date(2026, 3, 16),
		BiddingStart: date(2026, 3, 6), BiddingEnd: date(2026, 3, 20),
	}
	if _, _, err := s.Announce(ann, cal, w); err != nil {
		t.Fatalf("announce: %v", err)
	}
	early := w
	early.BiddingStart = date(2026, 3, 5)
	_, _, err = s.Announce(ann, cal, early)
	var re *RuleError
	if !errors.As(err, &re) || !errors.Is(err, ErrInvalidWindows) || !strings.Contains(re.Msg, "2026-03-06 10:30") {
		t.Errorf("bidding one working day early: %v", err)
	}
	// A 10-working-day listing from 6 March ends 20 March at the earliest.
	short := w
	short.BiddingEnd = date(2026, 3, 19)
	if _, _, err := s.Announce(ann, cal, short); !errors.Is(err, ErrInvalidWindows) {
		t.Errorf("short listing: %v", err)
	}
	if _, _, err := s.Announce(ann, Calendar{}, w); !errors.Is(err, ErrCalendarNotLoaded) {
		t.Errorf("no calendar: %v", err)
	}
}

func TestConfirmationAndPublicityDeadlines(t *testing.T) {
	cal := loadCalendar(t)
	r := readRules(t, "default.yaml")
	s, _ := NewSale(MethodListing, testTerms, r)
	ann := date(2026, 8, 3)
	w := Windows{
		ApplyStart: ann, ApplyEnd: date(2026, 9, 7), DepositDeadline: date(2026, 9, 8),
		BiddingStart: date(2026, 8, 31), BiddingEnd: date(2026, 9, 24),
	}
	s = run(t, s, func(s Sale) (Sale, []Event, error) { return s.Announce(ann, cal, w) },
		apply(date(2026, 8, 4), "A"), pay(date(2026, 8, 4), "A", deposit), qualify(date(2026, 8, 4), "A"),
		bid(date(2026, 9, 1), "A", startPrice), tick(date(2026, 9, 24).Add(10*time.Minute)))
	if s.State != StateClosedSold {
		t.Fatalf("state %s", s.State)
	}
	closed := s.ClosedAt // Thursday 24 Sep, 10:39; 中秋 and 国庆 follow.
	s2, evs, err := s.IssueConfirmation(date(2026, 9, 30).Add(time.Hour), cal)
	if err != nil {
		t.Fatal(err)
	}
	c := evs[0].(ConfirmationIssued)
	wantDue := time.Date(2026, 9, 30, closed.In(cst).Hour(), closed.In(cst).Minute(), 0, 0, cst)
	if !c.Due.Equal(wantDue) || !c.Late {
		t.Errorf("confirmation = %+v, want due %v and late", c, wantDue)
	}
	_, evs, err = s2.StartPublicity(date(2026, 10, 9), cal)
	if err != nil {
		t.Fatal(err)
	}
	p := evs[0].(PublicityStarted)
	// Due 5 WD after 24 Sep: 28, 29, 30 Sep, 8, 9 Oct. Ends 10 WD after 9 Oct:
	// 10 (Sat), 12, 13, 14, 15, 16, 19, 20, 21, 22 Oct.
	if p.Late || !dayOf(p.Due).equal(day{2026, 10, 9}) || !dayOf(p.Ends).equal(day{2026, 10, 22}) {
		t.Errorf("publicity = %+v", p)
	}
}

func (d day) equal(e day) bool { return d == e }
