package auction

import (
	"slices"
	"time"
)

// MaxAmount bounds every amount, in 元 (10¹⁵ 元, far above any mining right), so that
// adding an increment can never overflow.
const MaxAmount int64 = 1_000_000_000_000_000

// Method is the transfer method (出让方式).
type Method string

// The transfer methods.
const (
	// MethodListing is 挂牌: a listing period of quotes, then timed bidding. The default.
	MethodListing Method = "listing"
	// MethodAuction is 拍卖: a live ascending auction with a countdown.
	MethodAuction Method = "auction"
	// MethodTender is 招标: sealed bids until a deadline, opened together.
	MethodTender Method = "tender"
)

// Valid reports whether m is one of the three methods.
func (m Method) Valid() bool {
	return m == MethodListing || m == MethodAuction || m == MethodTender
}

// State is where a sale is in its lifecycle.
type State string

// The states of a sale.
const (
	// StateDraft: created and priced, not yet announced.
	StateDraft State = "draft"
	// StateAnnounced: announced (公告); applications have not opened.
	StateAnnounced State = "announced"
	// StateApplying: applications open; bidding has not started.
	StateApplying State = "applying"
	// StateListing: the listing period (挂牌期) of a 挂牌 sale; quotes accepted.
	StateListing State = "listing"
	// StateTimedBidding: timed bidding (限时竞价) after the listing, including the gap
	// before it starts.
	StateTimedBidding State = "timed_bidding"
	// StateAuctionLive: a 拍卖 in progress.
	StateAuctionLive State = "auction_live"
	// StateTenderOpen: a 招标 accepting sealed bids.
	StateTenderOpen State = "tender_open"
	// StateClosedSold: bidding closed with a winner.
	StateClosedSold State = "closed_sold"
	// StateFailed: bidding closed without a winner (流拍); see Sale.Failure.
	StateFailed State = "failed"
	// StateSuspended: suspended (暂停); Sale.Suspension remembers the state to resume to.
	StateSuspended State = "suspended"
	// StateTerminated: ended by the bureau before close (终止).
	StateTerminated State = "terminated"
	// StateConfirmed: the confirmation letter (成交确认书) has been issued.
	StateConfirmed State = "confirmed"
	// StatePublicity: the result publicity (公示) has started.
	StatePublicity State = "publicity"
	// StateContracted: the transfer contract (出让合同) is signed.
	StateContracted State = "contracted"
	// StateDefaulted: the winner refused to sign or pay; the deposit is forfeited.
	StateDefaulted State = "defaulted"
)

// Bidding reports whether bids are accepted in the state (subject to the rules).
func (st State) Bidding() bool {
	switch st {
	case StateListing, StateTimedBidding, StateAuctionLive, StateTenderOpen:
		return true
	}
	return false
}

// Closed reports whether bidding is over for good: closed, failed, terminated, or later.
func (st State) Closed() bool {
	switch st {
	case StateClosedSold, StateFailed, StateTerminated, StateConfirmed, StatePublicity,
		StateContracted, StateDefaulted:
		return true
	}
	return false
}

// Sold reports whether the state follows a successful close.
func (st State) Sold() bool {
	switch st {
	case StateClosedSold, StateConfirmed, StatePublicity, StateContracted:
		return true
	}
	return false
}

// FailReason says why a sale failed (流拍).
type FailReason string

// The failure reasons.
const (
	// FailNoBids: no valid bid.
	FailNoBids FailReason = "no_bids"
	// FailTooFewBidders: fewer bidders than the method needs.
	FailTooFewBidders FailReason = "too_few_bidders"
	// FailBelowReserve: the highest bid is below the reserve.
	FailBelowReserve FailReason = "below_reserve"
)

// Err returns the sentinel for the reason (ErrNoBids, ErrTooFewBidders, ErrBelowReserve),
// or nil for the empty reason.
func (r FailReason) Err() error {
	switch r {
	case FailNoBids:
		return ErrNoBids
	case FailTooFewBidders:
		return ErrTooFewBidders
	case FailBelowReserve:
		return ErrBelowReserve
	}
	return nil
}

// Terms are the public money terms of a sale, in 元.
type Terms struct {
	// StartingPrice is the 起始价 (the gazette's 出让收益起始价).
	StartingPrice int64 `json:"starting_price"`
	// Increment is the 加价幅度: each later bid must beat the high by at least this much.
	Increment int64 `json:"increment"`
	// Deposit is the per-parcel 保证金 a bidder must pay before bidding.
	Deposit int64 `json:"deposit"`
}

// Reserve is the secret reserve price (底价). Only Commitment is public until the close;
// Amount and Salt are the bureau's secret until Revealed.
type Reserve struct {
	// Commitment is CommitReserve(Amount, Salt), published with the announcement.
	Commitment string `json:"commitment,omitempty"`
	// Amount is the reserve in 元. Secret until Revealed.
	Amount int64 `json:"amount,omitempty"`
	// Salt makes the commitment impossible to brute-force. Secret until Revealed.
	Salt []byte `json:"salt,omitempty"`
	// Revealed is set when the sale closes and the reserve is published.
	Revealed bool `json:"revealed,omitempty"`
}

// Set reports whether a reserve was committed.
func (r Reserve) Set() bool { return r.Commitment != "" }

// Windows are the announced times of a sale. How they are used depends on the method:
//
//   - 挂牌: quotes from BiddingStart until BiddingEnd (the listing period), then timed bidding.
//   - 拍卖: the auction starts at BiddingStart; BiddingEnd is unused and must be zero, as the
//     countdown decides the end.
//   - 招标: sealed bids from BiddingStart until BiddingEnd, when they are opened.
//
// Applications are accepted from ApplyStart until ApplyEnd, deposits until DepositDeadline.
// Every window is half-open: the start is inside, the end is not.
type Windows struct {
	// ApplyStart opens applications.
	ApplyStart time.Time `json:"apply_start"`
	// ApplyEnd closes applications.
	ApplyEnd time.Time `json:"apply_end"`
	// DepositDeadline is the last moment (exclusive) a deposit counts.
	DepositDeadline time.Time `json:"deposit_deadline"`
	// BiddingStart opens bidding.
	BiddingStart time.Time `json:"bidding_start"`
	// BiddingEnd closes the listing or the tender; zero for an auction.
	BiddingEnd time.Time `json:"bidding_end,omitzero"`
}

// Bid is one bid. A caller fills Bidder and Amount; the sale assigns the rest when it
// accepts the bid, and the accepted Bid is the receipt.
type Bid struct {
	// Seq numbers accepted bids of the sale from 1, in order of acceptance.
	Seq uint64 `json:"seq"`
	// Bidder is the bidder's identifier: confidential until the sale closes.
	Bidder string `json:"bidder"`
	// Paddle is the bidder's paddle number (号牌), the public face of the bidder.
	Paddle int `json:"paddle"`
	// Amount is the price bid, in 元.
	Amount int64 `json:"amount"`
	// At is the authoritative server time of acceptance.
	At time.Time `json:"at"`
	// Phase is the state the bid was made in: listing, timed_bidding, auction_live or
	// tender_open.
	Phase State `json:"phase"`
}

// Participant is a bidder's standing in one sale.
type Participant struct {
	// Paddle is the paddle number (号牌), assigned in order of application from 1.
	Paddle int `json:"paddle"`
	// Bidder is the bidder's identifier: confidential until the sale closes.
	Bidder string `json:"bidder"`
	// AppliedAt is when the application was accepted.
	AppliedAt time.Time `json:"applied_at"`
	// Qualified is set by the bureau's review (资格审核).
	Qualified bool `json:"qualified"`
	// Rejection is the reason the bureau gave for disqualifying the bidder, if it did.
	Rejection string `json:"rejection,omitempty"`
	// Deposit is the deposit paid so far, in 元.
	Deposit int64 `json:"deposit"`
	// DepositPaidAt is when the deposit reached the required amount.
	DepositPaidAt time.Time `json:"deposit_paid_at,omitzero"`
	// Quoted is set by the bidder's first accepted bid; in 挂牌 it admits to timed bidding.
	Quoted bool `json:"quoted"`
	// Bids counts the bidder's accepted bids.
	Bids int `json:"bids"`
	// Recent holds the times of the latest accepted bids, at most Rules.BidRate.Bids of
	// them, for the rate limit.
	Recent []time.Time `json:"recent,omitempty"`
}

// Objection is an objection filed during the result publicity.
type Objection struct {
	// Seq numbers the sale's objections from 1.
	Seq int `json:"seq"`
	// At is when it was filed.
	At time.Time `json:"at"`
	// By identifies who filed it.
	By string `json:"by"`
	// Text is the objection.
	Text string `json:"text"`
	// Resolved is set when the bureau has dealt with it.
	Resolved bool `json:"resolved"`
	// Outcome is the bureau's answer.
	Outcome string `json:"outcome,omitempty"`
}

// Suspension records a suspension in progress.
type Suspension struct {
	// From is the state to resume to.
	From State `json:"from"`
	// At is when the sale was suspended.
	At time.Time `json:"at"`
	// Reason is the bureau's stated reason.
	Reason string `json:"reason"`
}

// Outcome is the result of a sale's close, or of Winner.
type Outcome struct {
	// Sold is true when Best won.
	Sold bool `json:"sold"`
	// Best is the highest valid bid (for a tender, each bidder's last bid counts; a tie goes
	// to the earlier bid); zero when there was none.
	Best Bid `json:"best"`
	// Reason says why the sale failed; empty when sold.
	Reason FailReason `json:"reason,omitempty"`
}

// Sale is one sale of one parcel's mining right: a value, changed only by its transitions.
// The fields are exported so that the registry can store and reload a sale; set them only
// through NewSale and the transitions.
type Sale struct {
	// Method is the transfer method.
	Method Method `json:"method"`
	// State is the lifecycle state.
	State State `json:"state"`
	// Rules is the copy of the rules the sale was created with.
	Rules Rules `json:"rules"`
	// Terms are the public money terms.
	Terms Terms `json:"terms"`
	// Reserve is the reserve price and its commitment.
	Reserve Reserve `json:"reserve"`
	// Windows are the announced times.
	Windows Windows `json:"windows"`
	// AnnouncedAt is when the sale was announced.
	AnnouncedAt time.Time `json:"announced_at,omitzero"`
	// TimedStart is when timed bidding opens (挂牌 only), set when the listing closes.
	TimedStart time.Time `json:"timed_start,omitzero"`
	// TimedStarted is set once timed bidding has opened.
	TimedStarted bool `json:"timed_started,omitempty"`
	// Deadline is the countdown deadline in timed bidding and a live auction: bidding closes
	// at this time unless a higher bid restarts the countdown.
	Deadline time.Time `json:"deadline,omitzero"`
	// High is the current high bid (Seq 0: none). In a tender it stays empty until the bids
	// are opened.
	High Bid `json:"high"`
	// BidCount counts accepted bids, including amended tender bids.
	BidCount int `json:"bid_count"`
	// Participants are the applicants, in order of paddle number.
	Participants []Participant `json:"participants,omitempty"`
	// Sealed holds each tenderer's current sealed bid, in order of sequence.
	Sealed []Bid `json:"sealed,omitempty"`
	// LastAction is the time of the last accepted transition; earlier times are refused.
	LastAction time.Time `json:"last_action,omitzero"`
	// ClosedAt is when bidding closed (sold or failed).
	ClosedAt time.Time `json:"closed_at,omitzero"`
	// Failure is why the sale failed.
	Failure FailReason `json:"failure,omitempty"`
	// Suspension is set while the sale is suspended.
	Suspension Suspension `json:"suspension,omitzero"`
	// EndReason is the bureau's reason for terminating the sale, or the reason for the
	// winner's default.
	EndReason string `json:"end_reason,omitempty"`
	// ConfirmedAt is when the confirmation letter was issued.
	ConfirmedAt time.Time `json:"confirmed_at,omitzero"`
	// PublicityStart is when the result publicity started.
	PublicityStart time.Time `json:"publicity_start,omitzero"`
	// PublicityEnd is when the result publicity ends.
	PublicityEnd time.Time `json:"publicity_end,omitzero"`
	// Objections are those filed during publicity.
	Objections []Objection `json:"objections,omitempty"`
	// ContractedAt is when the contract was signed.
	ContractedAt time.Time `json:"contracted_at,omitzero"`
	// DefaultedAt is when the winner defaulted.
	DefaultedAt time.Time `json:"defaulted_at,omitzero"`
	// Barred lists bidders who defaulted on this parcel; they may not apply to it again.
	Barred []string `json:"barred,omitempty"`
}

// NewSale returns a draft sale. The rules are validated and copied into the sale.
func NewSale(method Method, terms Terms, rules Rules) (Sale, error) {
	if !method.Valid() {
		return Sale{}, refuse("unknown-method", ErrInvalidTerms, "unknown transfer method %q", method)
	}
	if err := terms.validate(); err != nil {
		return Sale{}, err
	}
	if err := rules.Validate(); err != nil {
		return Sale{}, err
	}
	return Sale{Method: method, State: StateDraft, Rules: rules, Terms: terms}, nil
}

func (t Terms) validate() error {
	for _, f := range []struct {
		name string
		v    int64
	}{{"starting price", t.StartingPrice}, {"increment", t.Increment}, {"deposit", t.Deposit}} {
		if f.v <= 0 || f.v > MaxAmount {
			return refuse("invalid-terms", ErrInvalidTerms, "the %s must be between 1 and %d 元, not %d", f.name, MaxAmount, f.v)
		}
	}
	return nil
}

// Participant returns the bidder's standing, and whether the bidder has applied.
func (s Sale) Participant(bidder string) (Participant, bool) {
	if p := s.participant(bidder); p != nil {
		return *p, true
	}
	return Participant{}, false
}

func (s *Sale) participant(bidder string) *Participant {
	for i := range s.Participants {
		if s.Participants[i].Bidder == bidder {
			return &s.Participants[i]
		}
	}
	return nil
}

// eligible reports whether the participant may bid at all: qualified, deposit paid.
func (s *Sale) eligible(p *Participant) bool {
	return p.Qualified && p.Deposit >= s.Terms.Deposit
}

// Eligible counts qualified bidders with a paid deposit.
func (s Sale) Eligible() int {
	n := 0
	for i := range s.Participants {
		if s.eligible(&s.Participants[i]) {
			n++
		}
	}
	return n
}

// MinNextBid returns the least acceptable next bid: the starting price for the first bid (and
// for every sealed tender bid), else the high plus the increment.
func (s Sale) MinNextBid() int64 {
	if s.Method == MethodTender || s.High.Seq == 0 {
		return s.Terms.StartingPrice
	}
	return s.High.Amount + s.Terms.Increment
}

// Floor returns the least price that can win: the reserve where one is committed, else the
// starting price. It reads the secret reserve: do not show it before the close.
func (s Sale) Floor() int64 {
	if s.Reserve.Set() {
		return s.Reserve.Amount
	}
	return s.Terms.StartingPrice
}

// Result returns the outcome of the close, and false while bidding has not closed (or the
// sale was terminated before it did).
func (s Sale) Result() (Outcome, bool) {
	if s.ClosedAt.IsZero() {
		return Outcome{}, false
	}
	return Outcome{Sold: s.Failure == "", Best: s.High, Reason: s.Failure}, true
}

// clone returns a deep copy, so that a transition never writes into its receiver's slices.
func (s Sale) clone() Sale {
	s.Participants = slices.Clone(s.Participants)
	for i := range s.Participants {
		s.Participants[i].Recent = slices.Clone(s.Participants[i].Recent)
	}
	s.Sealed = slices.Clone(s.Sealed)
	s.Objections = slices.Clone(s.Objections)
	s.Barred = slices.Clone(s.Barred)
	s.Reserve.Salt = slices.Clone(s.Reserve.Salt)
	return s
}
