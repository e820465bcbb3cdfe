package openapi

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"minerights/auction"
	"minerights/registry"
)

// limiter is a token bucket per bidder over raw bid requests, so that a
// script hammering the endpoint is turned away before it costs a database
// transaction. The state machine's own limit (Rules.BidRate) counts accepted
// bids across every process; this one only protects this process.
type limiter struct {
	rate  float64
	burst float64
	mu    sync.Mutex
	b     map[int64]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(rate float64, burst int) *limiter {
	return &limiter{rate: rate, burst: float64(burst), b: map[int64]*bucket{}}
}

// allow takes a token for the bidder, or says how long until one is free.
func (l *limiter) allow(bidder int64, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	bk := l.b[bidder]
	if bk == nil {
		bk = &bucket{tokens: l.burst, last: now}
		l.b[bidder] = bk
		if len(l.b) > 100_000 { // forget idle bidders rather than grow without bound
			for id, o := range l.b {
				if now.Sub(o.last) > time.Minute {
					delete(l.b, id)
				}
			}
		}
	}
	bk.tokens = math.Min(l.burst, bk.tokens+now.Sub(bk.last).Seconds()*l.rate)
	bk.last = now
	if bk.tokens >= 1 {
		bk.tokens--
		return true, 0
	}
	return false, time.Duration((1 - bk.tokens) / l.rate * float64(time.Second))
}

// gate lets one bid transaction per sale at a time leave this process.
// Bids on one sale serialise on its row lock anyway; waiting here rather
// than in PostgreSQL's lock queue keeps the pool's connections free for
// every other request (a hot sale would otherwise hold them all) and keeps
// the queue short and first come, first served.
type gate struct {
	mu   sync.Mutex
	sale map[int64]*saleGate
}

type saleGate struct {
	c     chan struct{}
	users int
}

func newGate() *gate { return &gate{sale: map[int64]*saleGate{}} }

// enter waits for the sale's turn; the returned function leaves.
func (g *gate) enter(ctx context.Context, sale int64) (func(), error) {
	g.mu.Lock()
	sg := g.sale[sale]
	if sg == nil {
		sg = &saleGate{c: make(chan struct{}, 1)}
		g.sale[sale] = sg
	}
	sg.users++
	g.mu.Unlock()
	leave := func() {
		g.mu.Lock()
		if sg.users--; sg.users == 0 {
			delete(g.sale, sale)
		}
		g.mu.Unlock()
	}
	select {
	case sg.c <- struct{}{}:
		return func() { <-sg.c; leave() }, nil
	case <-ctx.Done():
		leave()
		return nil, ctx.Err()
	}
}

// BidReceipt is the receipt of an accepted bid: server time, sequence in the
// sale, amount, and the high it beat.
type BidReceipt struct {
	SaleID       int64      `json:"sale_id"`
	Seq          int64      `json:"seq" doc:"Sequence of the bid in the sale, from 1"`
	Paddle       int        `json:"paddle" doc:"Your paddle number (号牌)"`
	Amount       Price      `json:"amount"`
	PreviousHigh int64      `json:"previous_high" doc:"The high bid this bid beat, 元; 0 for the first bid (and for sealed tender bids)"`
	Phase        string     `json:"phase" enum:"listing,timed_bidding,auction_live,tender_open"`
	At           time.Time  `json:"at" doc:"Server time of acceptance: the database clock, authoritative"`
	Deadline     *time.Time `json:"deadline" doc:"The countdown deadline this bid set (timed bidding, auction)"`
	Replaces     *int64     `json:"replaces,omitempty" doc:"Tender: sequence of your earlier sealed bid this one amends"`
}

func receiptOut(rc registry.Receipt) BidReceipt {
	return BidReceipt{SaleID: rc.SaleID, Seq: rc.Seq, Paddle: rc.Paddle, Amount: *priceOf(rc.Amount), PreviousHigh: rc.PreviousHigh,
		Phase: rc.Phase, At: rc.At, Deadline: rc.Deadline, Replaces: rc.Replaces}
}

// BidOut is a bid as its reader may see it: by paddle number; the bidder's
// identity for the bureau only.
type BidOut struct {
	Seq          int64      `json:"seq"`
	Paddle       int        `json:"paddle"`
	Bidder       *BidderRef `json:"bidder,omitempty"`
	Amount       Price      `json:"amount"`
	PreviousHigh int64      `json:"previous_high"`
	Phase        string     `json:"phase"`
	At           time.Time  `json:"at"`
	Deadline     *time.Time `json:"deadline"`
}

func (s *server) registerBids(api huma.API) {
	s.registerPlaceBid(api)
	s.registerBidList(api)
}

// registerPlaceBid registers a bid.
func (s *server) registerPlaceBid(api huma.API) {
	type bidIn struct {
		ID             int64  `path:"id" minimum:"1"`
		IdempotencyKey string `header:"Idempotency-Key" maxLength:"200" doc:"Makes retries safe: a retry with the same key and body gets the first answer; the same key with another body is refused (422)"`
		Body           struct {
			Amount int64 `json:"amount,omitempty" minimum:"1" maximum:"1000000000000000" doc:"The bid, in whole 元"`
			Raise  int   `json:"raise,omitempty" minimum:"1" maximum:"100" doc:"Instead of amount: bid the least acceptable amount plus raise-1 increments, as the sale stands when the bid is processed (一键加价); the receipt states the amount. Not for sealed tenders"`
			Paddle *int  `json:"paddle,omitempty" minimum:"1" doc:"Optional: your paddle number. A bidder bids only for itself; another paddle is refused (403)"`
		}
	}
	type bidOut struct {
		Replayed string `header:"Idempotent-Replayed" doc:"true when this is the stored answer to an earlier request with the same Idempotency-Key"`
		Body     BidReceipt
	}
	register(api, huma.Operation{
		OperationID: "place-bid",
		Method:      http.MethodPost,
		Path:        "/api/v1/sales/{id}/bids",
		Summary:     "Place a bid (the calling bidder)",
		Description: "One transaction: the sale row is locked, the rules are checked against the database clock, the bid is appended and gets a receipt. " +
			"Listing (挂牌): the first quote at least the starting price, then the high plus the increment. Timed bidding (限时竞价) and auction: each bid restarts the countdown. " +
			"Tender (招标): a sealed bid of at least the starting price; a later one amends it. " +
			"Refusals name the rule: 409 wrong phase or closed, 403 not applied, qualified or paid, 422 amount (with the minimum), 429 too many bids (Retry-After).",
		Tags:          []string{"sales"},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity, http.StatusTooManyRequests},
	}, roles(registry.RoleBidder), func(ctx context.Context, in *bidIn) (*bidOut, error) {
		id, actor, err := bidderOf(ctx)
		if err != nil {
			return nil, err
		}
		if (in.Body.Amount > 0) == (in.Body.Raise > 0) {
			return nil, invalid("body.amount", "give either amount (元) or raise (a number of increments), not both")
		}
		if ok, wait := s.xfer.limiter.allow(id, time.Now()); !ok {
			s.met.bid("rate_limited")
			secs := int(math.Ceil(wait.Seconds()))
			return nil, huma.ErrorWithHeaders(huma.NewError(http.StatusTooManyRequests,
				"too many bid requests from this bidder: retry after "+strconv.Itoa(secs)+" s"),
				http.Header{"Retry-After": {strconv.Itoa(secs)}})
		}
		if in.Body.Paddle != nil {
			sl, err := s.store.GetSale(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			p, ok := sl.Machine.Participant(registry.BidderKey(id))
			if !ok || p.Paddle != *in.Body.Paddle {
				return nil, huma.Error403Forbidden("a bidder may bid only for itself: paddle "+strconv.Itoa(*in.Body.Paddle)+" is not yours",
					&huma.ErrorDetail{Location: "body.paddle", Message: "not your paddle number", Value: *in.Body.Paddle})
			}
		}
		exit, err := s.xfer.gate.enter(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		defer exit()
		rc, replayed, err := s.store.PlaceBid(ctx, registry.BidRequest{
			SaleID: in.ID, BidderID: id, Amount: in.Body.Amount, Raise: in.Body.Raise, Key: in.IdempotencyKey, Actor: actor,
			// The bid is judged at its arrival (docs/transfer.md, timely bids).
			Arrived: arrivedAt(ctx),
		})
		if err != nil {
			var re *auction.RuleError
			if errors.As(err, &re) {
				s.met.bid("refused")
			} else {
				s.met.bid("error")
			}
			return nil, err
		}
		out := &bidOut{Body: receiptOut(rc)}
		if replayed {
			out.Replayed = "true"
			s.met.bid("replayed")
		} else {
			s.met.bid("accepted")
		}
		return out, nil
	})
}

// registerBidList registers the list of a sale's bids.
func (s *server) registerBidList(api huma.API) {
	type bidListOut struct {
		Body struct {
			Items []BidOut `json:"items"`
		}
	}
	register(api, huma.Operation{
		OperationID: "list-bids",
		Method:      http.MethodGet,
		Path:        "/api/v1/sales/{id}/bids",
		Summary:     "The bids of a sale, by paddle number",
		Description: "Quotes are public as they are made, by paddle number; the bureau also sees who bid. Sealed tender bids are shown to their own bidder only until the opening.",
		Tags:        []string{"sales"},
		Errors:      []int{http.StatusNotFound},
	}, public, func(ctx context.Context, in *saleIDIn) (*bidListOut, error) {
		sl, v, err := s.visibleSale(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		bids, err := s.store.Bids(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		sealed := sl.Machine.Method == auction.MethodTender && sl.Machine.ClosedAt.IsZero()
		out := &bidListOut{}
		out.Body.Items = []BidOut{}
		for _, b := range bids {
			own := v.bidder != 0 && v.bidder == b.BidderID
			if sealed && !own {
				continue
			}
			bo := BidOut{Seq: b.Seq, Paddle: b.Paddle, Amount: *priceOf(b.Amount), PreviousHigh: b.PreviousHigh, Phase: b.Phase, At: b.At, Deadline: b.Deadline}
			if v.bureau || own {
				bo.Bidder = ref(sl, registry.BidderKey(b.BidderID))
			}
			out.Body.Items = append(out.Body.Items, bo)
		}
		return out, nil
	})
}
