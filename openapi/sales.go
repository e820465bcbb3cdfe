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
	// Halls, when set, serve each HTTP/1.1 stream from its sale's hall, on
	// the connection taken over from the HTTP server (see Halls); nil keeps
	// every stream in its own handler. The server then no longer tracks
	// those connections: they end when the process drains or the halls'
	// Run returns, not when the http.Server closes. The caller runs them.
	Halls *Halls
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
	halls   *Halls
	limiter *limiter
	gate    *gate
}

func newTransfer(t Transfer) transfer {
	x := transfer{rules: t.Rules, files: t.Calendars, hub: t.Hub, events: t.Events, streams: newStreams(t.Streams), halls: t.Halls}
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
	if !sightOf(v, sl.Machine).exists {
		return sl, v, registry.ErrNotFound
	}
	return sl, v, nil
}

func (v viewer) isBidder(key string) bool {
	return v.bidder != 0 && registry.BidderKey(v.bidder) == key
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

// registerSales registers the sale operations, one group of concerns to a
// file: the sale and its announcement (sales_offer.go), notices
// (sales_notices.go), applications, deposits and qualification
// (sales_applications.go), suspension and termination (sales_control.go),
// the close's letters, publicity and objections (sales_close.go), the
// contract and its payments (sales_contract.go), and the audit log (audit.go).
func (s *server) registerSales(api huma.API) {
	s.registerBidders(api)
	s.registerSaleRecords(api)
	s.registerAnnouncement(api)
	s.registerNotices(api)
	s.registerApplications(api)
	s.registerDeposits(api)
	s.registerSaleControl(api)
	s.registerCloseLetters(api)
	s.registerObjections(api)
	s.registerContract(api)
	s.registerReoffer(api)
	s.registerAudit(api)
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
