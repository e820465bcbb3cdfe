package auction

import (
	"encoding/json"
	"fmt"
	"time"
)

// Event is something that happened to a sale, for the audit log and for live updates. Kind
// is a stable kebab-case name; Time is when it happened by the rules (a countdown closes at
// its deadline, however late the scheduler ticks). Events carry bidder identities where the
// audit log needs them: strip Bidder fields before sending an event to other bidders or the
// public while the sale is open.
type Event interface {
	Kind() string
	Time() time.Time
}

// Refund is a deposit to return without interest.
type Refund struct {
	// Bidder is the depositor.
	Bidder string `json:"bidder"`
	// Paddle is the depositor's paddle number.
	Paddle int `json:"paddle"`
	// Amount is the deposit paid, in 元.
	Amount int64 `json:"amount"`
}

// ReserveCommitted: a reserve was fixed and its commitment computed.
type ReserveCommitted struct {
	At         time.Time `json:"at"`         // when it happened
	Commitment string    `json:"commitment"` // CommitReserve(amount, salt), published with the announcement
}

// SaleAnnounced: the sale was announced (公告) with its terms and windows.
type SaleAnnounced struct {
	At                time.Time `json:"at"`                           // when it happened
	Method            Method    `json:"method"`                       // transfer method
	Terms             Terms     `json:"terms"`                        // starting price, increment and deposit
	Windows           Windows   `json:"windows"`                      // the announced windows
	ReserveCommitment string    `json:"reserve_commitment,omitempty"` // the reserve commitment, empty when no reserve is set
	Rules             string    `json:"rules"`                        // name of the rule set
}

// ApplicationsOpened: the application window opened.
type ApplicationsOpened struct {
	At   time.Time `json:"at"`   // when it happened
	Ends time.Time `json:"ends"` // when applications close
}

// BidderApplied: a bidder applied and received a paddle number.
type BidderApplied struct {
	At     time.Time `json:"at"`     // when it happened
	Bidder string    `json:"bidder"` // bidder identifier: confidential while the sale is open
	Paddle int       `json:"paddle"` // paddle number (号牌)
}

// DepositRecorded: a deposit payment was recorded; Paid tells whether it is now complete.
type DepositRecorded struct {
	At     time.Time `json:"at"`     // when it happened
	Bidder string    `json:"bidder"` // bidder identifier: confidential while the sale is open
	Paddle int       `json:"paddle"` // paddle number (号牌)
	Amount int64     `json:"amount"` // this payment, in 元
	Total  int64     `json:"total"`  // total paid so far, in 元
	Paid   bool      `json:"paid"`   // whether the total now covers the deposit
}

// BidderQualified: the bureau qualified a bidder (资格审核 passed).
type BidderQualified struct {
	At     time.Time `json:"at"`     // when it happened
	Bidder string    `json:"bidder"` // bidder identifier: confidential while the sale is open
	Paddle int       `json:"paddle"` // paddle number (号牌)
}

// BidderDisqualified: the bureau refused or withdrew a bidder's qualification.
type BidderDisqualified struct {
	At     time.Time `json:"at"`     // when it happened
	Bidder string    `json:"bidder"` // bidder identifier: confidential while the sale is open
	Paddle int       `json:"paddle"` // paddle number (号牌)
	Reason string    `json:"reason"` // the stated reason
}

// ListingOpened: the listing period (挂牌期) began.
type ListingOpened struct {
	At   time.Time `json:"at"`   // when it happened
	Ends time.Time `json:"ends"` // the end of the listing period
}

// AuctionStarted: a 拍卖 started with enough bidders.
type AuctionStarted struct {
	At       time.Time `json:"at"`       // when it happened
	Bidders  int       `json:"bidders"`  // qualified bidders with a paid deposit
	Deadline time.Time `json:"deadline"` // the first countdown deadline
}

// TenderStarted: sealed bids are accepted until Deadline.
type TenderStarted struct {
	At       time.Time `json:"at"`       // when it happened
	Deadline time.Time `json:"deadline"` // when the sealed bids are opened
}

// BidAccepted is the receipt of an ascending bid: sequence, amount and server time (in Bid),
// the high it beat (0 for the first bid), and the countdown deadline it set (zero during the
// listing).
type BidAccepted struct {
	Bid          Bid       `json:"bid"`               // the accepted bid: the receipt
	PreviousHigh int64     `json:"previous_high"`     // the high bid it beat, in 元; 0 for the first bid
	Deadline     time.Time `json:"deadline,omitzero"` // the countdown deadline the bid set; zero during the listing
}

// CountdownRestarted: an accepted bid restarted the countdown.
type CountdownRestarted struct {
	At       time.Time `json:"at"`       // when it happened
	Deadline time.Time `json:"deadline"` // the new deadline
	Previous time.Time `json:"previous"` // the deadline before the restart
}

// TenderBidReceived is the receipt of a sealed bid; Replaces is the sequence of the same
// bidder's bid it amends (0: none). Its amount is secret until the opening.
type TenderBidReceived struct {
	Bid      Bid    `json:"bid"`                // the accepted bid: the receipt
	Replaces uint64 `json:"replaces,omitempty"` // sequence of the amended bid; 0 when none
}

// ListingClosed: the listing period ended. When it had enough quoters, timed bidding opens
// at TimedStart.
type ListingClosed struct {
	At         time.Time `json:"at"`                   // the end of the listing period
	Quoters    int       `json:"quoters"`              // bidders who quoted during the listing
	High       Bid       `json:"high"`                 // the high bid at that moment
	TimedStart time.Time `json:"timed_start,omitzero"` // when timed bidding opens; zero when the sale failed
}

// TimedBiddingStarted: timed bidding (限时竞价) opened; it closes at Deadline unless a bid
// restarts the countdown.
type TimedBiddingStarted struct {
	At       time.Time `json:"at"`       // when it happened
	Deadline time.Time `json:"deadline"` // the countdown deadline
	High     Bid       `json:"high"`     // the high bid at that moment
}

// TendersOpened: the sealed bids were opened together.
type TendersOpened struct {
	At   time.Time `json:"at"`   // when it happened
	Bids []Bid     `json:"bids"` // each tenderer's current bid, in sequence order
}

// ReserveRevealed: the reserve was published at the close; anyone can check it against the
// commitment published with the announcement.
type ReserveRevealed struct {
	At         time.Time `json:"at"`         // when it happened
	Commitment string    `json:"commitment"` // CommitReserve(amount, salt), published with the announcement
	Amount     int64     `json:"amount"`     // the reserve, in 元
	Salt       string    `json:"salt"`       // the salt, in hex
}

// SaleSold: bidding closed with a winner.
type SaleSold struct {
	At     time.Time `json:"at"`     // when it happened
	Winner Bid       `json:"winner"` // the winning bid
}

// SaleFailed: bidding closed without a winner (流拍); the parcel may be offered again.
type SaleFailed struct {
	At     time.Time  `json:"at"`     // when it happened
	Reason FailReason `json:"reason"` // the stated reason
	Best   Bid        `json:"best"`   // the highest bid, if any
}

// DepositsReleased lists deposits to refund: the losers' at a sale, everyone's at a failure
// or termination. The winner's deposit is kept and becomes part payment.
type DepositsReleased struct {
	At      time.Time `json:"at"`      // when it happened
	Refunds []Refund  `json:"refunds"` // deposits to refund
}

// SaleSuspended: the sale was suspended (暂停).
type SaleSuspended struct {
	At     time.Time `json:"at"`     // when it happened
	From   State     `json:"from"`   // the state the sale was in
	Reason string    `json:"reason"` // the stated reason
}

// SaleResumed: the sale resumed; pending times moved by Shift.
type SaleResumed struct {
	At       time.Time     `json:"at"`                // when it happened
	To       State         `json:"to"`                // the state the sale returns to
	Shift    time.Duration `json:"shift"`             // how far pending windows and deadlines moved
	Windows  Windows       `json:"windows"`           // the windows after the move
	Deadline time.Time     `json:"deadline,omitzero"` // the countdown deadline after resumption, if one is running
	Reason   string        `json:"reason"`            // the stated reason for resuming
}

// SaleTerminated: the bureau ended the sale before close.
type SaleTerminated struct {
	At     time.Time `json:"at"`     // when it happened
	From   State     `json:"from"`   // the state the sale was in
	Reason string    `json:"reason"` // the stated reason
}

// ConfirmationIssued: the confirmation letter (成交确认书) was issued; Late when after Due.
type ConfirmationIssued struct {
	At     time.Time `json:"at"`     // when it happened
	Winner Bid       `json:"winner"` // the winning bid
	Due    time.Time `json:"due"`    // the deadline set by the rules
	Late   bool      `json:"late"`   // whether it happened after Due
}

// PublicityStarted: the result publicity (公示) started and lasts until Ends; Late when it
// started after Due.
type PublicityStarted struct {
	At   time.Time `json:"at"`   // when it happened
	Ends time.Time `json:"ends"` // when the publicity ends
	Due  time.Time `json:"due"`  // the deadline set by the rules
	Late bool      `json:"late"` // whether it happened after Due
}

// ObjectionFiled: an objection was filed during publicity.
type ObjectionFiled struct {
	At        time.Time `json:"at"`        // when it happened
	Objection Objection `json:"objection"` // the objection as filed
}

// ObjectionResolved: the bureau answered an objection.
type ObjectionResolved struct {
	At      time.Time `json:"at"`      // when it happened
	Seq     int       `json:"seq"`     // the objection's number
	Outcome string    `json:"outcome"` // the bureau's answer
}

// ContractSigned: the contract (出让合同) was signed; the winner's deposit becomes part
// payment of the price.
type ContractSigned struct {
	At              time.Time `json:"at"`               // when it happened
	Winner          Bid       `json:"winner"`           // the winning bid
	DepositCredited int64     `json:"deposit_credited"` // the winner's deposit, now part payment, in 元
}

// WinnerDefaulted: the winner refused to sign or pay. The deposit is forfeited, the bidder
// barred from this parcel, and the parcel may be offered again.
type WinnerDefaulted struct {
	At        time.Time `json:"at"`        // when it happened
	Bidder    string    `json:"bidder"`    // bidder identifier: confidential while the sale is open
	Paddle    int       `json:"paddle"`    // paddle number (号牌)
	Forfeited int64     `json:"forfeited"` // the forfeited deposit, in 元
	Reason    string    `json:"reason"`    // the stated reason
}

// Kind returns "reserve-committed".
func (ReserveCommitted) Kind() string { return "reserve-committed" }

// Kind returns "sale-announced".
func (SaleAnnounced) Kind() string { return "sale-announced" }

// Kind returns "applications-opened".
func (ApplicationsOpened) Kind() string { return "applications-opened" }

// Kind returns "bidder-applied".
func (BidderApplied) Kind() string { return "bidder-applied" }

// Kind returns "deposit-recorded".
func (DepositRecorded) Kind() string { return "deposit-recorded" }

// Kind returns "bidder-qualified".
func (BidderQualified) Kind() string { return "bidder-qualified" }

// Kind returns "bidder-disqualified".
func (BidderDisqualified) Kind() string { return "bidder-disqualified" }

// Kind returns "listing-opened".
func (ListingOpened) Kind() string { return "listing-opened" }

// Kind returns "auction-started".
func (AuctionStarted) Kind() string { return "auction-started" }

// Kind returns "tender-started".
func (TenderStarted) Kind() string { return "tender-started" }

// Kind returns "bid-accepted".
func (BidAccepted) Kind() string { return "bid-accepted" }

// Kind returns "countdown-restarted".
func (CountdownRestarted) Kind() string { return "countdown-restarted" }

// Kind returns "tender-bid-received".
func (TenderBidReceived) Kind() string { return "tender-bid-received" }

// Kind returns "listing-closed".
func (ListingClosed) Kind() string { return "listing-closed" }

// Kind returns "timed-bidding-started".
func (TimedBiddingStarted) Kind() string { return "timed-bidding-started" }

// Kind returns "tenders-opened".
func (TendersOpened) Kind() string { return "tenders-opened" }

// Kind returns "reserve-revealed".
func (ReserveRevealed) Kind() string { return "reserve-revealed" }

// Kind returns "sale-sold".
func (SaleSold) Kind() string { return "sale-sold" }

// Kind returns "sale-failed".
func (SaleFailed) Kind() string { return "sale-failed" }

// Kind returns "deposits-released".
func (DepositsReleased) Kind() string { return "deposits-released" }

// Kind returns "sale-suspended".
func (SaleSuspended) Kind() string { return "sale-suspended" }

// Kind returns "sale-resumed".
func (SaleResumed) Kind() string { return "sale-resumed" }

// Kind returns "sale-terminated".
func (SaleTerminated) Kind() string { return "sale-terminated" }

// Kind returns "confirmation-issued".
func (ConfirmationIssued) Kind() string { return "confirmation-issued" }

// Kind returns "publicity-started".
func (PublicityStarted) Kind() string { return "publicity-started" }

// Kind returns "objection-filed".
func (ObjectionFiled) Kind() string { return "objection-filed" }

// Kind returns "objection-resolved".
func (ObjectionResolved) Kind() string { return "objection-resolved" }

// Kind returns "contract-signed".
func (ContractSigned) Kind() string { return "contract-signed" }

// Kind returns "winner-defaulted".
func (WinnerDefaulted) Kind() string { return "winner-defaulted" }

// Time returns At.
func (e ReserveCommitted) Time() time.Time { return e.At }

// Time returns At.
func (e SaleAnnounced) Time() time.Time { return e.At }

// Time returns At.
func (e ApplicationsOpened) Time() time.Time { return e.At }

// Time returns At.
func (e BidderApplied) Time() time.Time { return e.At }

// Time returns At.
func (e DepositRecorded) Time() time.Time { return e.At }

// Time returns At.
func (e BidderQualified) Time() time.Time { return e.At }

// Time returns At.
func (e BidderDisqualified) Time() time.Time { return e.At }

// Time returns At.
func (e ListingOpened) Time() time.Time { return e.At }

// Time returns At.
func (e AuctionStarted) Time() time.Time { return e.At }

// Time returns At.
func (e TenderStarted) Time() time.Time { return e.At }

// Time returns the bid's server time.
func (e BidAccepted) Time() time.Time { return e.Bid.At }

// Time returns At.
func (e CountdownRestarted) Time() time.Time { return e.At }

// Time returns the bid's server time.
func (e TenderBidReceived) Time() time.Time { return e.Bid.At }

// Time returns At.
func (e ListingClosed) Time() time.Time { return e.At }

// Time returns At.
func (e TimedBiddingStarted) Time() time.Time { return e.At }

// Time returns At.
func (e TendersOpened) Time() time.Time { return e.At }

// Time returns At.
func (e ReserveRevealed) Time() time.Time { return e.At }

// Time returns At.
func (e SaleSold) Time() time.Time { return e.At }

// Time returns At.
func (e SaleFailed) Time() time.Time { return e.At }

// Time returns At.
func (e DepositsReleased) Time() time.Time { return e.At }

// Time returns At.
func (e SaleSuspended) Time() time.Time { return e.At }

// Time returns At.
func (e SaleResumed) Time() time.Time { return e.At }

// Time returns At.
func (e SaleTerminated) Time() time.Time { return e.At }

// Time returns At.
func (e ConfirmationIssued) Time() time.Time { return e.At }

// Time returns At.
func (e PublicityStarted) Time() time.Time { return e.At }

// Time returns At.
func (e ObjectionFiled) Time() time.Time { return e.At }

// Time returns At.
func (e ObjectionResolved) Time() time.Time { return e.At }

// Time returns At.
func (e ContractSigned) Time() time.Time { return e.At }

// Time returns At.
func (e WinnerDefaulted) Time() time.Time { return e.At }

var eventDecoders = map[string]func([]byte) (Event, error){
	"reserve-committed":     decodeAs[ReserveCommitted],
	"sale-announced":        decodeAs[SaleAnnounced],
	"applications-opened":   decodeAs[ApplicationsOpened],
	"bidder-applied":        decodeAs[BidderApplied],
	"deposit-recorded":      decodeAs[DepositRecorded],
	"bidder-qualified":      decodeAs[BidderQualified],
	"bidder-disqualified":   decodeAs[BidderDisqualified],
	"listing-opened":        decodeAs[ListingOpened],
	"auction-started":       decodeAs[AuctionStarted],
	"tender-started":        decodeAs[TenderStarted],
	"bid-accepted":          decodeAs[BidAccepted],
	"countdown-restarted":   decodeAs[CountdownRestarted],
	"tender-bid-received":   decodeAs[TenderBidReceived],
	"listing-closed":        decodeAs[ListingClosed],
	"timed-bidding-started": decodeAs[TimedBiddingStarted],
	"tenders-opened":        decodeAs[TendersOpened],
	"reserve-revealed":      decodeAs[ReserveRevealed],
	"sale-sold":             decodeAs[SaleSold],
	"sale-failed":           decodeAs[SaleFailed],
	"deposits-released":     decodeAs[DepositsReleased],
	"sale-suspended":        decodeAs[SaleSuspended],
	"sale-resumed":          decodeAs[SaleResumed],
	"sale-terminated":       decodeAs[SaleTerminated],
	"confirmation-issued":   decodeAs[ConfirmationIssued],
	"publicity-started":     decodeAs[PublicityStarted],
	"objection-filed":       decodeAs[ObjectionFiled],
	"objection-resolved":    decodeAs[ObjectionResolved],
	"contract-signed":       decodeAs[ContractSigned],
	"winner-defaulted":      decodeAs[WinnerDefaulted],
}

func decodeAs[E Event](b []byte) (Event, error) {
	var e E
	err := json.Unmarshal(b, &e)
	return e, err
}

// DecodeEvent rebuilds an event from its Kind and its JSON encoding, as stored in the audit
// log, so that a verifier can replay the log (and re-derive the winner with Winner).
func DecodeEvent(kind string, data []byte) (Event, error) {
	dec, ok := eventDecoders[kind]
	if !ok {
		return nil, fmt.Errorf("auction: unknown event kind %q", kind)
	}
	e, err := dec(data)
	if err != nil {
		return nil, fmt.Errorf("auction: decode %s event: %w", kind, err)
	}
	return e, nil
}
