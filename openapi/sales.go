package openapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"minerights/auction"
	"minerights/data"
	"minerights/registry"
)

// Transfer configures the sales API.
type Transfer struct {
	// Rules are the transfer rules new sales are created with (a sale keeps
	// its copy). Zero means the embedded default rules.
	Rules auction.Rules
	// Calendars are the working-day calendar files (embedded and
	// --calendar-dir); years the bureau loads into the database replace them
	// year by year. Zero means the embedded years.
	Calendars registry.CalendarFiles
	// Hub wakes live event streams when a sale changes in any process; nil
	// makes the streams poll.
	Hub *registry.Hub
	// Events fans each sale's new audit entries out to its live streams;
	// nil makes the API start one whose rooms end with their subscribers.
	Events *registry.Events
	// Streams limits the live streams per client address and in all.
	Streams StreamLimits
	// BidRate and BidBurst limit raw bid requests per bidder in this process
	// (a token bucket), before any database work; zero means 5/s, burst 10.
	// The rules' own limit counts accepted bids across processes.
	BidRate  float64
	BidBurst int
}

type transfer struct {
	rules   auction.Rules
	files   registry.CalendarFiles
	hub     *registry.Hub
	events  *registry.Events
	streams *streams
	limiter *limiter
	gate    *gate
}

func newTransfer(t Transfer) transfer {
	x := transfer{rules: t.Rules, files: t.Calendars, hub: t.Hub, events: t.Events, streams: newStreams(t.Streams)}
	if x.rules.Name == "" {
		b, _ := data.Rules("default")
		r, err := auction.ParseRules(b)
		if err != nil {
			panic(err) // the embedded file is tested
		}
		x.rules = r
	}
	if len(x.files.Years()) == 0 {
		f, err := registry.NewCalendarFiles(data.Calendars()...)
		if err != nil {
			panic(err) // the embedded files are tested
		}
		x.files = f
	}
	rate, burst := t.BidRate, t.BidBurst
	if rate <= 0 {
		rate = 5
	}
	if burst <= 0 {
		burst = 10
	}
	x.limiter = newLimiter(rate, burst)
	x.gate = newGate()
	return x
}

// viewer is who is reading a sale, which decides what they may see.
type viewer struct {
	bureau bool
	bidder int64 // 0: not a linked bidder
	actor  string
}

// visibleSale reads a sale for the caller: a draft exists only for the
// bureau, anyone else is told it is not found.
func (s *server) visibleSale(ctx context.Context, id int64) (registry.Sale, viewer, error) {
	v := viewerOf(ctx)
	sl, err := s.store.GetSale(ctx, id)
	if err != nil {
		return sl, v, err
	}
	if sl.Machine.State == auction.StateDraft && !v.bureau {
		return sl, v, registry.ErrNotFound
	}
	return sl, v, nil
}

func viewerOf(ctx context.Context) viewer {
	p, ok := principalFrom(ctx)
	if !ok {
		return viewer{actor: "public"}
	}
	v := viewer{bureau: p.Role == registry.RoleBureau, actor: fmt.Sprintf("%s#%d", p.Role, p.TokenID)}
	if p.AccountID != 0 {
		v.actor = fmt.Sprintf("%s#account-%d", p.Role, p.AccountID)
	}
	if p.Role == registry.RoleBidder && p.BidderID != nil {
		v.bidder = *p.BidderID
	}
	return v
}

// bidderOf returns the caller's bidder id, or a 403 for a bidder token that
// is not linked to a registered bidder.
func bidderOf(ctx context.Context) (int64, string, error) {
	v := viewerOf(ctx)
	if p, _ := principalFrom(ctx); p.Pending {
		return 0, "", huma.NewError(http.StatusForbidden, "this bidder account awaits the bureau's approval (竞买人账户尚待自然资源和规划局审核通过)",
			&huma.ErrorDetail{Location: "account", Message: "account-pending"})
	}
	if v.bidder == 0 {
		return 0, "", huma.Error403Forbidden("this bidder token is not linked to a registered bidder: the bureau registers bidders (POST /api/v1/bidders) and issues their tokens")
	}
	return v.bidder, v.actor, nil
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

func (v viewer) isBidder(key string) bool {
	return v.bidder != 0 && registry.BidderKey(v.bidder) == key
}

func saleOut(sl registry.Sale, v viewer, now time.Time) SaleOut {
	m := sl.Machine
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
		if m.Reserve.Revealed || v.bureau {
			r.Amount = priceOf(m.Reserve.Amount)
		}
		if m.Reserve.Revealed {
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
		if v.bureau || v.isBidder(p.Bidder) {
			po.Bidder = ref(sl, p.Bidder)
		}
		if v.isBidder(p.Bidder) {
			you := po
			out.You = &you
		}
		if v.bureau {
			out.Participants = append(out.Participants, po)
		}
	}
	if o, ok := m.Result(); ok {
		r := &SaleResult{Sold: o.Sold, Reason: string(o.Reason), ClosedAt: m.ClosedAt}
		if o.Sold {
			r.Price = priceOf(o.Best.Amount)
			r.WinnerPaddle = o.Best.Paddle
			r.Winner = ref(sl, o.Best.Bidder)
			r.WinningSeq = int64(o.Best.Seq)
		}
		out.Result = r
	}
	for _, o := range m.Objections {
		out.Objections = append(out.Objections, ObjectionOut{No: o.Seq, At: o.At, Text: o.Text, Resolved: o.Resolved, Outcome: o.Outcome})
	}
	return out
}

type saleIDIn struct {
	ID int64 `path:"id" minimum:"1" doc:"Sale id"`
}

type saleResp struct {
	Body SaleOut
}

type reasonIn struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Reason string `json:"reason" minLength:"1" maxLength:"2000" doc:"The stated reason, published with the change"`
	}
}

// respondSale reads the sale back for the caller.
func (s *server) respondSale(ctx context.Context, sl registry.Sale, err error) (*saleResp, error) {
	if err != nil {
		return nil, err
	}
	return &saleResp{Body: saleOut(sl, viewerOf(ctx), time.Now())}, nil
}

func (s *server) registerSales(api huma.API) {
	bureau := roles(registry.RoleBureau)
	bidder := roles(registry.RoleBidder)

	type bidderIn struct {
		Body struct {
			Name       string  `json:"name" minLength:"1" maxLength:"200" example:"泌阳县某石材有限公司" doc:"Registered name of the legal person"`
			CreditCode *string `json:"credit_code,omitempty" pattern:"^[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$" example:"91411726MA9FXXXX1X" doc:"统一社会信用代码"`
			Contact    *string `json:"contact,omitempty" maxLength:"200"`
		}
	}
	type bidderOut struct {
		Body struct {
			Bidder registry.Bidder `json:"bidder"`
			Token  string          `json:"token" doc:"The bidder's bearer token, shown this once"`
		}
	}
	register(api, huma.Operation{
		OperationID:   "create-bidder",
		Method:        http.MethodPost,
		Path:          "/api/v1/bidders",
		Summary:       "Register a bidder and issue its token",
		Description:   "The bureau registers a bidder (竞买人) after checking its papers, and hands over the token shown once here. A bidder's identity stays confidential until the close: other bidders and the public see paddle numbers only.",
		Tags:          []string{"sales"},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusConflict, http.StatusUnprocessableEntity},
	}, bureau, func(ctx context.Context, in *bidderIn) (*bidderOut, error) {
		b, tok, err := s.store.CreateBidderWithToken(ctx, registry.BidderInput{Name: in.Body.Name, CreditCode: in.Body.CreditCode, Contact: in.Body.Contact})
		if err != nil {
			return nil, err
		}
		out := &bidderOut{}
		out.Body.Bidder, out.Body.Token = b, tok
		return out, nil
	})

	type saleListIn struct {
		ParcelID int64  `query:"parcel_id" minimum:"0"`
		State    string `query:"state" maxLength:"30"`
		Mine     bool   `query:"mine" doc:"Bidders: only the sales you applied for"`
		Limit    int    `query:"limit" minimum:"1" maximum:"1000" default:"100"`
		Offset   int    `query:"offset" minimum:"0" default:"0"`
	}
	type saleListOut struct {
		Body struct {
			Items []SaleOut `json:"items"`
			Total int       `json:"total"`
		}
	}
	register(api, huma.Operation{
		OperationID: "list-sales",
		Method:      http.MethodGet,
		Path:        "/api/v1/sales",
		Summary:     "List sales",
		Description: "Announced sales, newest first (the bureau also sees drafts).",
		Tags:        []string{"sales"},
	}, public, func(ctx context.Context, in *saleListIn) (*saleListOut, error) {
		v := viewerOf(ctx)
		f := registry.SaleFilter{ParcelID: in.ParcelID, State: in.State, Limit: in.Limit, Offset: in.Offset}
		if in.Mine {
			if v.bidder == 0 {
				return nil, invalid("query.mine", "mine=true needs a bidder token")
			}
			f.BidderID = v.bidder
		}
		sales, total, err := s.store.ListSales(ctx, f)
		if err != nil {
			return nil, err
		}
		out := &saleListOut{}
		out.Body.Items = []SaleOut{}
		now := time.Now()
		for _, sl := range sales {
			if sl.Machine.State == auction.StateDraft && !v.bureau {
				total--
				continue
			}
			out.Body.Items = append(out.Body.Items, saleOut(sl, v, now))
		}
		out.Body.Total = total
		return out, nil
	})

	type saleCreateIn struct {
		Body struct {
			ParcelID  int64  `json:"parcel_id" minimum:"1"`
			Method    string `json:"method" enum:"listing,auction,tender" default:"listing" doc:"挂牌 (listing, with timed bidding), 拍卖 (auction), 招标 (tender)"`
			Increment int64  `json:"increment" minimum:"1" maximum:"1000000000000000" doc:"加价幅度, 元 (at most 10¹⁵)"`
			Deposit   int64  `json:"deposit" minimum:"1" maximum:"1000000000000000" doc:"保证金 per bidder, 元 (at most 10¹⁵)"`
			Reserve   int64  `json:"reserve,omitempty" minimum:"0" maximum:"1000000000000000" doc:"Secret reserve (底价), 元; committed by hash now, revealed at the close, never changeable. 0 or absent: none"`
		}
	}
	register(api, huma.Operation{
		OperationID:   "create-sale",
		Method:        http.MethodPost,
		Path:          "/api/v1/sales",
		Summary:       "Create a draft sale of a parcel",
		Description:   "The parcel must have a starting price and pass the compliance check. The sale runs under the server's configured rules (MINERIGHTS_RULES), which it keeps for its whole life.",
		Tags:          []string{"sales"},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusConflict, http.StatusUnprocessableEntity},
	}, bureau, func(ctx context.Context, in *saleCreateIn) (*saleResp, error) {
		sl, err := s.store.CreateSale(ctx, registry.SaleInput{
			ParcelID: in.Body.ParcelID, Method: auction.Method(in.Body.Method), Increment: in.Body.Increment,
			Deposit: in.Body.Deposit, Reserve: in.Body.Reserve,
		}, s.xfer.rules, viewerOf(ctx).actor)
		return s.respondSale(ctx, sl, err)
	})

	register(api, huma.Operation{
		OperationID: "get-sale",
		Method:      http.MethodGet,
		Path:        "/api/v1/sales/{id}",
		Summary:     "Get a sale",
		Description: "The sale as the caller may see it: live high bid and paddle numbers for everyone; identities and the reserve for the bureau; the caller's own standing for a bidder; the result, the winner and the revealed reserve after the close.",
		Tags:        []string{"sales"},
		Errors:      []int{http.StatusNotFound},
	}, public, func(ctx context.Context, in *saleIDIn) (*saleResp, error) {
		sl, err := s.store.GetSale(ctx, in.ID)
		if err == nil && sl.Machine.State == auction.StateDraft && !viewerOf(ctx).bureau {
			err = registry.ErrNotFound
		}
		return s.respondSale(ctx, sl, err)
	})

	type announceIn struct {
		ID   int64 `path:"id" minimum:"1"`
		Body struct {
			ApplyStart      time.Time  `json:"apply_start" doc:"Applications open"`
			ApplyEnd        time.Time  `json:"apply_end" doc:"Applications close"`
			DepositDeadline time.Time  `json:"deposit_deadline" doc:"Deposits must arrive before this time"`
			BiddingStart    time.Time  `json:"bidding_start" doc:"Listing, auction or tender opens"`
			BiddingEnd      *time.Time `json:"bidding_end,omitempty" doc:"Listing or tender ends; omit for an auction"`
		}
	}
	register(api, huma.Operation{
		OperationID: "announce-sale",
		Method:      http.MethodPost,
		Path:        "/api/v1/sales/{id}/announcement",
		Summary:     "Announce a sale (公告)",
		Description: "Publishes the announcement with its windows, checked against the rules in working days on the calendar in force (`GET /api/v1/calendars`); a count that runs into a year not loaded is refused (`calendar-not-loaded`, 422) until the bureau loads it. The announcement is never edited: changes are supplementary notices.",
		Tags:        []string{"sales"},
		Errors:      []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, bureau, func(ctx context.Context, in *announceIn) (*saleResp, error) {
		w := auction.Windows{
			ApplyStart: in.Body.ApplyStart, ApplyEnd: in.Body.ApplyEnd, DepositDeadline: in.Body.DepositDeadline,
			BiddingStart: in.Body.BiddingStart,
		}
		if in.Body.BiddingEnd != nil {
			w.BiddingEnd = *in.Body.BiddingEnd
		}
		// The database keeps microseconds; a finer time would not survive
		// storage and the audit hash.
		for _, t := range []*time.Time{&w.ApplyStart, &w.ApplyEnd, &w.DepositDeadline, &w.BiddingStart, &w.BiddingEnd} {
			*t = t.Truncate(time.Microsecond)
		}
		cal, err := s.calendar(ctx)
		if err != nil {
			return nil, err
		}
		sl, err := s.store.Announce(ctx, in.ID, cal, w, viewerOf(ctx).actor)
		return s.respondSale(ctx, sl, err)
	})

	type noticesOut struct {
		Body struct {
			Items []registry.Notice `json:"items"`
		}
	}
	register(api, huma.Operation{
		OperationID: "list-sale-notices",
		Method:      http.MethodGet,
		Path:        "/api/v1/sales/{id}/notices",
		Summary:     "The announcement and its supplementary notices",
		Tags:        []string{"sales"},
		Errors:      []int{http.StatusNotFound},
	}, public, func(ctx context.Context, in *saleIDIn) (*noticesOut, error) {
		if _, _, err := s.visibleSale(ctx, in.ID); err != nil {
			return nil, err
		}
		ns, err := s.store.Notices(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		out := &noticesOut{}
		out.Body.Items = ns
		if out.Body.Items == nil {
			out.Body.Items = []registry.Notice{}
		}
		return out, nil
	})

	type noticeIn struct {
		ID   int64 `path:"id" minimum:"1"`
		Body struct {
			Text string `json:"text" minLength:"1" maxLength:"20000" doc:"The supplementary notice (补充公告)"`
		}
	}
	type noticeOut struct{ Body registry.Notice }
	register(api, huma.Operation{
		OperationID:   "add-sale-notice",
		Method:        http.MethodPost,
		Path:          "/api/v1/sales/{id}/notices",
		Summary:       "Publish a supplementary notice (补充公告)",
		Tags:          []string{"sales"},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusNotFound, http.StatusConflict},
	}, bureau, func(ctx context.Context, in *noticeIn) (*noticeOut, error) {
		n, err := s.store.AddNotice(ctx, in.ID, in.Body.Text, viewerOf(ctx).actor)
		if err != nil {
			return nil, err
		}
		return &noticeOut{Body: n}, nil
	})

	register(api, huma.Operation{
		OperationID:   "apply-for-sale",
		Method:        http.MethodPost,
		Path:          "/api/v1/sales/{id}/applications",
		Summary:       "Apply for a sale (the calling bidder)",
		Description:   "Registers the calling bidder's application in the application window and assigns its paddle number (号牌), shown in `you`.",
		Tags:          []string{"sales"},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusNotFound, http.StatusConflict},
	}, bidder, func(ctx context.Context, in *saleIDIn) (*saleResp, error) {
		id, actor, err := bidderOf(ctx)
		if err != nil {
			return nil, err
		}
		if _, _, err := s.visibleSale(ctx, in.ID); err != nil {
			return nil, err
		}
		sl, err := s.store.Apply(ctx, in.ID, id, actor)
		return s.respondSale(ctx, sl, err)
	})

	type depositIn struct {
		ID   int64 `path:"id" minimum:"1"`
		Body struct {
			BidderID int64 `json:"bidder_id" minimum:"1"`
			Amount   int64 `json:"amount" minimum:"1" maximum:"1000000000000000" doc:"Payment received from the bidder's own account, 元 (at most 10¹⁵)"`
		}
	}
	register(api, huma.Operation{
		OperationID: "record-deposit",
		Method:      http.MethodPost,
		Path:        "/api/v1/sales/{id}/deposits",
		Summary:     "Record a deposit payment (保证金)",
		Description: "The bureau records a payment seen on the deposit account, from the bidder's own account, before the deposit deadline. Payments add up.",
		Tags:        []string{"sales"},
		Errors:      []int{http.StatusNotFound, http.StatusConflict, http.StatusForbidden, http.StatusUnprocessableEntity},
	}, bureau, func(ctx context.Context, in *depositIn) (*saleResp, error) {
		sl, err := s.store.RecordDeposit(ctx, in.ID, in.Body.BidderID, in.Body.Amount, viewerOf(ctx).actor)
		return s.respondSale(ctx, sl, err)
	})

	type ledgerOut struct {
		Body struct {
			Items []registry.DepositEntry `json:"items"`
		}
	}
	register(api, huma.Operation{
		OperationID: "list-deposits",
		Method:      http.MethodGet,
		Path:        "/api/v1/sales/{id}/deposits",
		Summary:     "The deposit ledger: payments, refunds, credit to the price, forfeits",
		Description: "The bureau sees every bidder's entries; a bidder its own.",
		Tags:        []string{"sales"},
		Errors:      []int{http.StatusNotFound},
	}, roles(registry.RoleBureau, registry.RoleBidder), func(ctx context.Context, in *saleIDIn) (*ledgerOut, error) {
		v := viewerOf(ctx)
		var only int64
		if !v.bureau {
			id, _, err := bidderOf(ctx)
			if err != nil {
				return nil, err
			}
			only = id
		}
		if _, _, err := s.visibleSale(ctx, in.ID); err != nil {
			return nil, err
		}
		es, err := s.store.Deposits(ctx, in.ID, only)
		if err != nil {
			return nil, err
		}
		out := &ledgerOut{}
		out.Body.Items = es
		if es == nil {
			out.Body.Items = []registry.DepositEntry{}
		}
		return out, nil
	})

	type qualifyIn struct {
		ID   int64 `path:"id" minimum:"1"`
		Body struct {
			BidderID int64  `json:"bidder_id" minimum:"1"`
			Approve  bool   `json:"approve" doc:"true qualifies the bidder; false refuses (or withdraws) qualification"`
			Reason   string `json:"reason,omitempty" maxLength:"2000" doc:"Required when refusing"`
		}
	}
	register(api, huma.Operation{
		OperationID: "qualify-bidder",
		Method:      http.MethodPost,
		Path:        "/api/v1/sales/{id}/qualifications",
		Summary:     "Record the qualification review (资格审核) of an applicant",
		Tags:        []string{"sales"},
		Errors:      []int{http.StatusNotFound, http.StatusConflict, http.StatusForbidden, http.StatusUnprocessableEntity},
	}, bureau, func(ctx context.Context, in *qualifyIn) (*saleResp, error) {
		sl, err := s.store.Qualify(ctx, in.ID, in.Body.BidderID, in.Body.Approve, in.Body.Reason, viewerOf(ctx).actor)
		return s.respondSale(ctx, sl, err)
	})

	for _, a := range []struct {
		id, path, summary string
		fn                func(context.Context, int64, string, string) (registry.Sale, error)
	}{
		{"suspend-sale", "suspension", "Suspend a sale (暂停)", s.store.Suspend},
		{"resume-sale", "resumption", "Resume a suspended sale; pending windows move by the suspension's length", s.store.Resume},
		{"terminate-sale", "termination", "Terminate a sale before its close (终止); every deposit becomes refundable", s.store.Terminate},
		{"record-default", "default", "Record the winner's default: deposit forfeited, bidder barred, the parcel may be re-offered", s.store.Default},
	} {
		register(api, huma.Operation{
			OperationID: a.id,
			Method:      http.MethodPost,
			Path:        "/api/v1/sales/{id}/" + a.path,
			Summary:     a.summary,
			Tags:        []string{"sales"},
			Errors:      []int{http.StatusNotFound, http.StatusConflict},
		}, bureau, func(ctx context.Context, in *reasonIn) (*saleResp, error) {
			sl, err := a.fn(ctx, in.ID, in.Body.Reason, viewerOf(ctx).actor)
			return s.respondSale(ctx, sl, err)
		})
	}

	// Actions that count working days read the calendar in force first.
	for _, a := range []struct {
		id, path, summary, description string
		fn                             func(context.Context, int64, auction.Calendar, string) (registry.Sale, error)
	}{
		{"issue-confirmation", "confirmation", "Issue the confirmation letter (成交确认书)",
			"Due within the rules' confirmation period of the close (default 3 working days); a late letter is recorded as late.", s.store.IssueConfirmation},
		{"start-publicity", "publicity", "Start the result publicity (公示)", "", s.store.StartPublicity},
	} {
		register(api, huma.Operation{
			OperationID: a.id,
			Method:      http.MethodPost,
			Path:        "/api/v1/sales/{id}/" + a.path,
			Summary:     a.summary,
			Description: a.description,
			Tags:        []string{"sales"},
			Errors:      []int{http.StatusNotFound, http.StatusConflict},
		}, bureau, func(ctx context.Context, in *saleIDIn) (*saleResp, error) {
			cal, err := s.calendar(ctx)
			if err != nil {
				return nil, err
			}
			sl, err := a.fn(ctx, in.ID, cal, viewerOf(ctx).actor)
			return s.respondSale(ctx, sl, err)
		})
	}

	type objectionIn struct {
		ID   int64 `path:"id" minimum:"1"`
		Body struct {
			Text string `json:"text" minLength:"1" maxLength:"20000"`
		}
	}
	register(api, huma.Operation{
		OperationID:   "file-objection",
		Method:        http.MethodPost,
		Path:          "/api/v1/sales/{id}/objections",
		Summary:       "File an objection during the publicity",
		Tags:          []string{"sales"},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusNotFound, http.StatusConflict},
	}, roles(registry.RoleBureau, registry.RoleBidder, registry.RolePlanner), func(ctx context.Context, in *objectionIn) (*saleResp, error) {
		_, v, err := s.visibleSale(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		sl, err := s.store.FileObjection(ctx, in.ID, v.actor, in.Body.Text, v.actor)
		return s.respondSale(ctx, sl, err)
	})

	type resolveIn struct {
		ID   int64 `path:"id" minimum:"1"`
		No   int   `path:"no" minimum:"1"`
		Body struct {
			Outcome string `json:"outcome" minLength:"1" maxLength:"20000"`
		}
	}
	register(api, huma.Operation{
		OperationID: "resolve-objection",
		Method:      http.MethodPost,
		Path:        "/api/v1/sales/{id}/objections/{no}/resolution",
		Summary:     "Answer an objection",
		Tags:        []string{"sales"},
		Errors:      []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, bureau, func(ctx context.Context, in *resolveIn) (*saleResp, error) {
		sl, err := s.store.ResolveObjection(ctx, in.ID, in.No, in.Body.Outcome, viewerOf(ctx).actor)
		return s.respondSale(ctx, sl, err)
	})

	type instalmentIn struct {
		Due    string `json:"due" format:"date" example:"2026-09-30" doc:"Due date (China Standard Time)"`
		Amount int64  `json:"amount" minimum:"1" maximum:"1000000000000000" doc:"元 (at most 10¹⁵)"`
	}
	type contractIn struct {
		ID   int64 `path:"id" minimum:"1"`
		Body struct {
			Schedule    string         `json:"schedule" enum:"lump_sum,instalments" doc:"出让收益 paid at once or in instalments"`
			Instalments []instalmentIn `json:"instalments" minItems:"1" maxItems:"120" doc:"Due payments adding up to the price; the winner's deposit is credited as the first payment"`
			Reference   string         `json:"reference,omitempty" maxLength:"200" doc:"Contract number"`
		}
	}
	type contractOut struct{ Body registry.Contract }
	register(api, huma.Operation{
		OperationID:   "sign-contract",
		Method:        http.MethodPost,
		Path:          "/api/v1/sales/{id}/contract",
		Summary:       "Record the signed transfer contract (出让合同) and its payment schedule",
		Tags:          []string{"sales"},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, bureau, func(ctx context.Context, in *contractIn) (*contractOut, error) {
		ci := registry.ContractInput{Schedule: in.Body.Schedule, Reference: in.Body.Reference}
		for _, it := range in.Body.Instalments {
			ci.Instalments = append(ci.Instalments, registry.InstalmentInput{Due: it.Due, Amount: it.Amount})
		}
		c, err := s.store.SignContract(ctx, in.ID, ci, viewerOf(ctx).actor)
		if err != nil {
			return nil, err
		}
		return &contractOut{Body: c}, nil
	})

	register(api, huma.Operation{
		OperationID: "get-contract",
		Method:      http.MethodGet,
		Path:        "/api/v1/sales/{id}/contract",
		Summary:     "The contract, its instalments and their status (paid, due, overdue)",
		Tags:        []string{"sales"},
		Errors:      []int{http.StatusNotFound},
	}, roles(registry.RoleBureau, registry.RoleBidder), func(ctx context.Context, in *saleIDIn) (*contractOut, error) {
		if err := s.winnerOrBureau(ctx, in.ID); err != nil {
			return nil, err
		}
		c, err := s.store.GetContract(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return &contractOut{Body: c}, nil
	})

	type paymentIn struct {
		ID   int64 `path:"id" minimum:"1"`
		Body struct {
			Amount    int64  `json:"amount" minimum:"1" maximum:"1000000000000000" doc:"元 (at most 10¹⁵)"`
			Reference string `json:"reference,omitempty" maxLength:"200" doc:"Bank reference"`
		}
	}
	register(api, huma.Operation{
		OperationID:   "record-payment",
		Method:        http.MethodPost,
		Path:          "/api/v1/sales/{id}/payments",
		Summary:       "Record a payment of 出让收益 against the contract",
		Tags:          []string{"sales"},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, bureau, func(ctx context.Context, in *paymentIn) (*contractOut, error) {
		c, err := s.store.RecordPayment(ctx, in.ID, in.Body.Amount, in.Body.Reference, viewerOf(ctx).actor)
		if err != nil {
			return nil, err
		}
		return &contractOut{Body: c}, nil
	})

	type reofferIn struct {
		ID   int64 `path:"id" minimum:"1"`
		Body struct {
			Method    string `json:"method" enum:"listing,auction,tender" default:"listing"`
			Increment int64  `json:"increment" minimum:"1" maximum:"1000000000000000"`
			Deposit   int64  `json:"deposit" minimum:"1" maximum:"1000000000000000"`
			Reserve   int64  `json:"reserve,omitempty" minimum:"0" maximum:"1000000000000000" doc:"A new secret reserve; the old one was revealed"`
		}
	}
	register(api, huma.Operation{
		OperationID:   "reoffer-sale",
		Method:        http.MethodPost,
		Path:          "/api/v1/sales/{id}/reoffer",
		Summary:       "Offer the parcel again after a failed sale (流拍) or a default",
		Description:   "Creates the next round's draft sale of the same parcel, possibly by another method; bidders who defaulted stay barred.",
		Tags:          []string{"sales"},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, bureau, func(ctx context.Context, in *reofferIn) (*saleResp, error) {
		sl, err := s.store.Reoffer(ctx, in.ID, registry.SaleInput{
			Method: auction.Method(in.Body.Method), Increment: in.Body.Increment, Deposit: in.Body.Deposit, Reserve: in.Body.Reserve,
		}, viewerOf(ctx).actor)
		return s.respondSale(ctx, sl, err)
	})
	s.registerAudit(api)
}

func (s *server) registerAudit(api huma.API) {
	type auditIn struct {
		SaleID int64 `query:"sale_id" minimum:"0" doc:"Verify one sale only"`
	}
	type auditOut struct {
		Body struct {
			registry.AuditReport
			Latest []registry.Checkpoint `json:"latest_checkpoints" doc:"The newest global checkpoints over the chain heads"`
		}
	}
	register(api, huma.Operation{
		OperationID: "verify-audit",
		Method:      http.MethodGet,
		Path:        "/api/v1/audit",
		Summary:     "Verify the audit log",
		Description: "Re-checks every sale's hash chain and the global checkpoints over the chain heads, and re-derives each closed sale's winner from its bids alone. `ok` is false with the problems listed when anything was altered. Each call verifies what was appended since the last one and re-reads a bounded slice of the older history in rotation (`entries_read`); `minerights audit verify` reads everything.",
		Tags:        []string{"audit"},
		Errors:      []int{http.StatusNotFound},
	}, public, func(ctx context.Context, in *auditIn) (*auditOut, error) {
		if in.SaleID != 0 {
			if _, _, err := s.visibleSale(ctx, in.SaleID); err != nil {
				return nil, err
			}
		}
		rep, err := s.store.CheckAudit(ctx, in.SaleID)
		if err != nil {
			return nil, err
		}
		cps, err := s.store.Checkpoints(ctx, 5)
		if err != nil {
			return nil, err
		}
		out := &auditOut{}
		out.Body.AuditReport = rep
		out.Body.Latest = cps
		if cps == nil {
			out.Body.Latest = []registry.Checkpoint{}
		}
		return out, nil
	})

	type entriesIn struct {
		ID    int64 `path:"id" minimum:"1"`
		After int64 `query:"after" minimum:"0"`
		Limit int   `query:"limit" minimum:"1" maximum:"5000" default:"1000"`
	}
	type entryOut struct {
		SaleEvent
		RecordedAt time.Time `json:"recorded_at" doc:"When the entry was written (hashed)"`
		PrevHash   string    `json:"prev_hash"`
		Hash       string    `json:"hash"`
		View       string    `json:"view" enum:"whole,redacted,received,nothing" doc:"How much of the entry the caller sees (docs/transfer.md, who sees what): whole, without identities, only that a sealed bid was received, or nothing but its sequence, kind, time and hashes"`
		Redacted   bool      `json:"redacted" doc:"Something of the entry is withheld: the hash covers the whole entry, which the bureau can read"`
		Salt       string    `json:"salt,omitempty" doc:"The entry's salt in hex, shown with a whole entry only: with it the caller can recompute the hash (registry.EntryHash)"`
	}
	type entriesOut struct {
		Body struct {
			Items []entryOut `json:"items"`
		}
	}
	register(api, huma.Operation{
		OperationID: "list-sale-audit",
		Method:      http.MethodGet,
		Path:        "/api/v1/sales/{id}/audit",
		Summary:     "A sale's audit chain",
		Description: "Every entry of the sale's hash chain, each as the caller may see it (the same rule as the event stream). An entry seen whole comes with its salt, so its hash can be recomputed; `GET /api/v1/audit` verifies the whole chain for anyone.",
		Tags:        []string{"audit"},
		Errors:      []int{http.StatusNotFound},
	}, public, func(ctx context.Context, in *entriesIn) (*entriesOut, error) {
		sl, v, err := s.visibleSale(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		es, err := s.store.AuditEntries(ctx, in.ID, in.After, in.Limit)
		if err != nil {
			return nil, err
		}
		r, phase := v.reader(), auction.PhaseOf(sl.Machine)
		out := &entriesOut{}
		out.Body.Items = []entryOut{}
		for _, e := range es {
			ev, level, ok := eventOut(e, r, phase)
			if !ok {
				ev = SaleEvent{Seq: e.Seq, Kind: e.Kind, At: e.At}
			}
			o := entryOut{SaleEvent: ev, RecordedAt: e.RecordedAt, PrevHash: fmt.Sprintf("%x", e.PrevHash), Hash: fmt.Sprintf("%x", e.Hash),
				View: level.String(), Redacted: level != auction.Whole}
			if level == auction.Whole && e.Salt != nil {
				o.Salt = fmt.Sprintf("%x", e.Salt)
			}
			out.Body.Items = append(out.Body.Items, o)
		}
		return out, nil
	})
}

// winnerOrBureau admits the bureau and the sale's winning bidder.
func (s *server) winnerOrBureau(ctx context.Context, id int64) error {
	sl, v, err := s.visibleSale(ctx, id)
	if err != nil || v.bureau {
		return err
	}
	if o, ok := sl.Machine.Result(); ok && o.Sold && v.isBidder(o.Best.Bidder) {
		return nil
	}
	return huma.Error403Forbidden("only the bureau and the winning bidder may read this")
}
