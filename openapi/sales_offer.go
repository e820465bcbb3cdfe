package openapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"minerights/auction"
	"minerights/registry"
)

// The sale itself: creating, listing and reading it, its announcement, and
// the next round after a failed sale.

// registerSaleRecords registers the sale list, the draft sale and the sale.
func (s *server) registerSaleRecords(api huma.API) {
	bureau := roles(registry.RoleBureau)

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
			if !sightOf(v, sl.Machine).exists {
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
		sl, _, err := s.visibleSale(ctx, in.ID)
		return s.respondSale(ctx, sl, err)
	})
}

// registerAnnouncement registers the announcement (公告).
func (s *server) registerAnnouncement(api huma.API) {
	bureau := roles(registry.RoleBureau)

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
}

// registerReoffer registers the re-offer of a parcel after a failed sale or a default.
func (s *server) registerReoffer(api huma.API) {
	bureau := roles(registry.RoleBureau)

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
}
