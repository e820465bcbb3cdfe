package openapi

import (
	"fmt"
	"time"

	"minerights/auction"
	"minerights/registry"
)

// What each reader sees of a sale. sightOf is the one rule; saleOut applies
// it. Every sale the API shows goes through them: the sale operations, the
// list, the snapshot that opens a live event stream, and the pages (which
// read the API). The events of the stream and of the audit view follow the
// same audiences through auction.Visible. The database's sale_public view
// (the map layers) shows what sightOf shows the public, and a test holds the
// two together (TestSaleSightEveryRoleAndPhase).

// sight is what one reader may see of one sale.
type sight struct {
	// exists: a draft is the bureau's; to anyone else it does not exist.
	exists bool
	// reserve: the reserve's amount (底价), to the bureau always and to
	// everyone once revealed at the close; its salt once revealed.
	reserve, salt bool
	// participants: every applicant's standing, for the bureau.
	participants bool
	// bureau, self and winner decide whose identity the reader sees: the
	// bureau every bidder's, a bidder its own, everyone the winner's once
	// the sale is sold.
	bureau bool
	self   string
	winner string
}

// sightOf is the rule: what reader v may see of sale m in its present phase.
func sightOf(v viewer, m auction.Sale) sight {
	g := sight{
		exists:       m.State != auction.StateDraft || v.bureau,
		reserve:      v.bureau || m.Reserve.Revealed,
		salt:         m.Reserve.Revealed,
		participants: v.bureau,
		bureau:       v.bureau,
		winner:       auction.PhaseOf(m).Winner,
	}
	if v.bidder != 0 {
		g.self = registry.BidderKey(v.bidder)
	}
	return g
}

// identity reports whether the reader may see who bidder key is.
func (g sight) identity(key string) bool {
	return key != "" && (g.bureau || key == g.self || key == g.winner)
}

// BidderRef names a bidder.
type BidderRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// SaleTerms are a sale's public money terms.
type SaleTerms struct {
	StartingPrice Price `json:"starting_price" doc:"起始价"`
	Increment     Price `json:"increment" doc:"加价幅度"`
	Deposit       Price `json:"deposit" doc:"保证金, per bidder"`
}

// SaleWindows are the announced times.
type SaleWindows struct {
	ApplyStart      time.Time  `json:"apply_start"`
	ApplyEnd        time.Time  `json:"apply_end"`
	DepositDeadline time.Time  `json:"deposit_deadline"`
	BiddingStart    time.Time  `json:"bidding_start"`
	BiddingEnd      *time.Time `json:"bidding_end" doc:"End of the listing or tender; null for an auction (the countdown ends it)"`
}

// ReserveOut is the reserve commitment, and the reserve once revealed.
type ReserveOut struct {
	Commitment string `json:"commitment" doc:"sha256 of \"minerights-reserve-v1:<reserve>:<salt hex>\", published at announcement"`
	Revealed   bool   `json:"revealed"`
	Amount     *Price `json:"amount,omitempty" doc:"The reserve (底价): to the bureau always, to everyone once revealed at the close"`
	Salt       string `json:"salt,omitempty" doc:"Hex salt, once revealed"`
}

// HighBid is the current high bid, by paddle number.
type HighBid struct {
	Seq    int64     `json:"seq"`
	Paddle int       `json:"paddle"`
	Amount Price     `json:"amount"`
	At     time.Time `json:"at"`
}

// ParticipantOut is a bidder's standing in a sale. The bidder's identity is
// shown to the bureau and to the bidder itself only.
type ParticipantOut struct {
	Paddle      int        `json:"paddle"`
	Bidder      *BidderRef `json:"bidder,omitempty"`
	Qualified   bool       `json:"qualified"`
	Rejection   string     `json:"rejection,omitempty"`
	Deposit     int64      `json:"deposit" doc:"Deposit paid, 元"`
	DepositPaid bool       `json:"deposit_paid"`
	Quoted      bool       `json:"quoted"`
	Bids        int        `json:"bids"`
}

// SaleResult is the outcome of the close.
type SaleResult struct {
	Sold         bool       `json:"sold"`
	Reason       string     `json:"reason,omitempty" enum:"no_bids,too_few_bidders,below_reserve"`
	ClosedAt     time.Time  `json:"closed_at"`
	Price        *Price     `json:"price,omitempty"`
	WinnerPaddle int        `json:"winner_paddle,omitempty"`
	Winner       *BidderRef `json:"winner,omitempty"`
	WinningSeq   int64      `json:"winning_seq,omitempty"`
}

// ObjectionOut is an objection filed during the publicity.
type ObjectionOut struct {
	No       int       `json:"no"`
	At       time.Time `json:"at"`
	Text     string    `json:"text"`
	Resolved bool      `json:"resolved"`
	Outcome  string    `json:"outcome,omitempty"`
}

// SaleOut is a sale as its reader may see it: bidders appear by paddle
// number; the reserve and identities only where the rule book allows.
type SaleOut struct {
	ID             int64            `json:"id"`
	ParcelID       int64            `json:"parcel_id"`
	ParcelName     string           `json:"parcel_name"`
	Round          int              `json:"round" doc:"1 for the first offer, 2 for the first re-offer, ..."`
	PreviousSaleID *int64           `json:"previous_sale_id"`
	Method         string           `json:"method" enum:"listing,auction,tender" doc:"挂牌, 拍卖, 招标"`
	State          string           `json:"state"`
	Rules          string           `json:"rules" doc:"Name of the rule set the sale runs under"`
	Terms          SaleTerms        `json:"terms"`
	Reserve        *ReserveOut      `json:"reserve" doc:"Null when no reserve was set (the starting price is the floor)"`
	Windows        *SaleWindows     `json:"windows" doc:"Null until announced"`
	AnnouncedAt    *time.Time       `json:"announced_at"`
	TimedStart     *time.Time       `json:"timed_bidding_start" doc:"When timed bidding (限时竞价) opens, once the listing has closed"`
	Deadline       *time.Time       `json:"deadline" doc:"Countdown deadline: bidding closes then unless a higher bid restarts it"`
	NextChange     *time.Time       `json:"next_change" doc:"When the clock next changes the sale"`
	ServerTime     time.Time        `json:"server_time" doc:"The server's time, for countdown displays"`
	High           *HighBid         `json:"high"`
	MinNextBid     *int64           `json:"min_next_bid" doc:"Least acceptable next bid, 元, while bidding"`
	BidCount       int              `json:"bid_count"`
	Applicants     int              `json:"applicants"`
	You            *ParticipantOut  `json:"you,omitempty" doc:"The calling bidder's own standing"`
	Participants   []ParticipantOut `json:"participants,omitempty" doc:"Every applicant (bureau only)"`
	Result         *SaleResult      `json:"result"`
	Suspended      string           `json:"suspension_reason,omitempty"`
	EndReason      string           `json:"end_reason,omitempty"`
	ConfirmedAt    *time.Time       `json:"confirmed_at"`
	PublicityStart *time.Time       `json:"publicity_start"`
	PublicityEnd   *time.Time       `json:"publicity_end"`
	Objections     []ObjectionOut   `json:"objections"`
	ContractedAt   *time.Time       `json:"contracted_at"`
	DefaultedAt    *time.Time       `json:"defaulted_at"`
	AuditSeq       int64            `json:"audit_seq" doc:"Last audit entry of the sale: the Last-Event-ID to resume its event stream from"`
}

func tp(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func ref(sl registry.Sale, key string) *BidderRef {
	b, ok := sl.Bidders[key]
	if !ok {
		return nil
	}
	return &BidderRef{ID: b.ID, Name: b.Name}
}

func saleOut(sl registry.Sale, v viewer, now time.Time) SaleOut {
	m := sl.Machine
	g := sightOf(v, m)
	out := SaleOut{
		ID: sl.ID, ParcelID: sl.ParcelID, ParcelName: sl.ParcelName, Round: sl.Round, PreviousSaleID: sl.PreviousSaleID,
		Method: string(m.Method), State: string(m.State), Rules: m.Rules.Name,
		Terms: SaleTerms{
			StartingPrice: *priceOf(m.Terms.StartingPrice), Increment: *priceOf(m.Terms.Increment), Deposit: *priceOf(m.Terms.Deposit),
		},
		AnnouncedAt: tp(m.AnnouncedAt), TimedStart: tp(m.TimedStart), Deadline: tp(m.Deadline), ServerTime: now,
		BidCount: m.BidCount, Applicants: len(m.Participants), Suspended: m.Suspension.Reason, EndReason: m.EndReason,
		ConfirmedAt: tp(m.ConfirmedAt), PublicityStart: tp(m.PublicityStart), PublicityEnd: tp(m.PublicityEnd),
		ContractedAt: tp(m.ContractedAt), DefaultedAt: tp(m.DefaultedAt), AuditSeq: sl.AuditSeq,
		Objections: []ObjectionOut{},
	}
	if !m.AnnouncedAt.IsZero() {
		out.Windows = &SaleWindows{
			ApplyStart: m.Windows.ApplyStart, ApplyEnd: m.Windows.ApplyEnd, DepositDeadline: m.Windows.DepositDeadline,
			BiddingStart: m.Windows.BiddingStart, BiddingEnd: tp(m.Windows.BiddingEnd),
		}
	}
	if t, ok := m.NextDeadline(); ok {
		out.NextChange = &t
	}
	if m.Reserve.Set() {
		r := &ReserveOut{Commitment: m.Reserve.Commitment, Revealed: m.Reserve.Revealed}
		if g.reserve {
			r.Amount = priceOf(m.Reserve.Amount)
		}
		if g.salt {
			r.Salt = fmt.Sprintf("%x", m.Reserve.Salt)
		}
		out.Reserve = r
	}
	if m.High.Seq != 0 {
		out.High = &HighBid{Seq: int64(m.High.Seq), Paddle: m.High.Paddle, Amount: *priceOf(m.High.Amount), At: m.High.At}
	}
	if m.State.Bidding() {
		n := m.MinNextBid()
		out.MinNextBid = &n
	}
	for _, p := range m.Participants {
		po := ParticipantOut{Paddle: p.Paddle, Qualified: p.Qualified, Rejection: p.Rejection, Deposit: p.Deposit,
			DepositPaid: p.Deposit >= m.Terms.Deposit, Quoted: p.Quoted, Bids: p.Bids}
		if g.identity(p.Bidder) {
			po.Bidder = ref(sl, p.Bidder)
		}
		if p.Bidder == g.self {
			you := po
			out.You = &you
		}
		if g.participants {
			out.Participants = append(out.Participants, po)
		}
	}
	if o, ok := m.Result(); ok {
		r := &SaleResult{Sold: o.Sold, Reason: string(o.Reason), ClosedAt: m.ClosedAt}
		if o.Sold {
			r.Price = priceOf(o.Best.Amount)
			r.WinnerPaddle = o.Best.Paddle
			if g.identity(o.Best.Bidder) {
				r.Winner = ref(sl, o.Best.Bidder)
			}
			r.WinningSeq = int64(o.Best.Seq)
		}
		out.Result = r
	}
	for _, o := range m.Objections {
		out.Objections = append(out.Objections, ObjectionOut{No: o.Seq, At: o.At, Text: o.Text, Resolved: o.Resolved, Outcome: o.Outcome})
	}
	return out
}
