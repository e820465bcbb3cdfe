package auction

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. Transitions return them wrapped in a *RuleError, so test with errors.Is
// and read the RuleError for the details a clerk or bidder needs.
var (
	// ErrRequired: a bidder identifier or a required reason is empty.
	ErrRequired = errors.New("required value missing")
	// ErrInvalidAmount: an amount is zero, negative or above MaxAmount.
	ErrInvalidAmount = errors.New("invalid amount")
	// ErrBidTooLow: the bid is below the minimum acceptable amount (RuleError.Min).
	ErrBidTooLow = errors.New("bid too low")
	// ErrAlreadyHighest: the bidder already holds the high bid and may not raise it.
	ErrAlreadyHighest = errors.New("bidder already holds the high bid")
	// ErrNotApplied: the bidder has not applied for this sale.
	ErrNotApplied = errors.New("bidder has not applied")
	// ErrNotQualified: the bidder has not been qualified (资格审核) by the bureau.
	ErrNotQualified = errors.New("bidder not qualified")
	// ErrDepositUnpaid: the bidder has not paid the full deposit (保证金).
	ErrDepositUnpaid = errors.New("deposit unpaid")
	// ErrNoQuoteInListing: only bidders who quoted during the listing may enter timed bidding.
	ErrNoQuoteInListing = errors.New("no quote during the listing")
	// ErrNotInTimedBidding: the listing has closed and timed bidding has not started yet.
	ErrNotInTimedBidding = errors.New("timed bidding not in progress")
	// ErrTooEarly: the window for the action has not opened (RuleError.After says when).
	ErrTooEarly = errors.New("too early")
	// ErrTooLate: the window for the action has closed.
	ErrTooLate = errors.New("too late")
	// ErrSaleClosed: bidding is over (closed, failed, terminated or later).
	ErrSaleClosed = errors.New("sale closed")
	// ErrSuspended: the sale is suspended (暂停).
	ErrSuspended = errors.New("sale suspended")
	// ErrWrongState: the action is not possible in the sale's state (RuleError.State).
	ErrWrongState = errors.New("wrong state")
	// ErrRateLimited: the bidder has bid too often (RuleError.After says when to retry).
	ErrRateLimited = errors.New("too many bids")
	// ErrAlreadyApplied: the bidder has already applied for this sale.
	ErrAlreadyApplied = errors.New("already applied")
	// ErrBarred: the bidder defaulted on this parcel and may not apply again.
	ErrBarred = errors.New("bidder barred")
	// ErrClockSkew: the time passed is earlier than the sale's last action.
	ErrClockSkew = errors.New("time went backwards")
	// ErrCalendarNotLoaded: a working-day count needs a year the calendar does not hold.
	ErrCalendarNotLoaded = errors.New("calendar year not loaded")
	// ErrInvalidTerms: starting price, increment or deposit is missing or out of range.
	ErrInvalidTerms = errors.New("invalid terms")
	// ErrInvalidWindows: the announced windows break the rules.
	ErrInvalidWindows = errors.New("invalid windows")
	// ErrInvalidReserve: the reserve or its salt is unacceptable.
	ErrInvalidReserve = errors.New("invalid reserve")
	// ErrObjectionsOpen: an objection filed during publicity is not resolved yet.
	ErrObjectionsOpen = errors.New("objections open")
	// ErrUnknownObjection: no objection has that number.
	ErrUnknownObjection = errors.New("unknown objection")
	// ErrObjectionLimit: the filer has filed MaxObjectionsPerFiler objections to
	// the sale already.
	ErrObjectionLimit = errors.New("objection limit reached")
	// ErrTooFewBidders: a failure reason: fewer bidders than the method needs.
	ErrTooFewBidders = errors.New("too few bidders")
	// ErrNoBids: a failure reason: no valid bid.
	ErrNoBids = errors.New("no bids")
	// ErrBelowReserve: a failure reason: the highest bid is below the reserve.
	ErrBelowReserve = errors.New("highest bid below reserve")
	// ErrInvalidRules: a rules file or Rules value is unusable.
	ErrInvalidRules = errors.New("invalid rules")
	// ErrInvalidCalendar: a calendar file is unusable.
	ErrInvalidCalendar = errors.New("invalid calendar")
)

// RuleError is the error every transition returns: which rule refused the action, a message
// fit to show a clerk or bidder, and the details needed to act on it. It wraps one or more
// sentinels, so errors.Is(err, ErrBidTooLow) works.
type RuleError struct {
	// Rule is a stable kebab-case identifier of the rule, e.g. "bid-below-minimum".
	Rule string
	// Msg explains the refusal, with amounts and times where they help.
	Msg string
	// Action is the refused transition, e.g. "bid", "announce".
	Action string
	// State is the sale's state when the action was refused.
	State State
	// Min is the minimum acceptable amount, for ErrBidTooLow.
	Min int64
	// After is when the action may succeed, for ErrTooEarly and ErrRateLimited.
	After time.Time
	// Years are the years whose working-day calendar is missing, for ErrCalendarNotLoaded.
	Years []int
	errs  []error
}

// Error returns the message prefixed with the package name.
func (e *RuleError) Error() string { return "auction: " + e.Msg }

// Unwrap returns the sentinels the error stands for.
func (e *RuleError) Unwrap() []error { return e.errs }

func refuse(rule string, sentinel error, format string, args ...any) *RuleError {
	return &RuleError{Rule: rule, Msg: fmt.Sprintf(format, args...), errs: []error{sentinel}}
}

func wrongState(action string, st State) *RuleError {
	e := refuse("wrong-state", ErrWrongState, "cannot %s: the sale is %s", action, st)
	switch {
	case st == StateSuspended:
		e.errs = append(e.errs, ErrSuspended)
	case st.Closed():
		e.errs = append(e.errs, ErrSaleClosed)
	}
	return e
}

// cst is China Standard Time. A fixed zone rather than Asia/Shanghai from tzdata: China has
// not observed daylight saving since 1991, and a fixed zone needs no tzdata on the host.
var cst = time.FixedZone("CST", 8*3600)

// stamp formats a time for messages, in China Standard Time.
func stamp(t time.Time) string { return t.In(cst).Format("2006-01-02 15:04:05 CST") }
