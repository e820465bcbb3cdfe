package openapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"minerights/registry"
)

// Bidders, their applications, deposits (保证金) and qualification (资格审核).

// registerBidders registers the bureau's registration of a bidder.
func (s *server) registerBidders(api huma.API) {
	bureau := roles(registry.RoleBureau)

	type bidderIn struct {
		Body struct {
			Name       string  `json:"name" minLength:"1" maxLength:"200" example:"泌阳县某石材有限公司" doc:"Registered name of the legal person"`
			CreditCode *string `json:"credit_code,omitempty" pattern:"^[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$" example:"91411726MA9FXXXX1X" doc:"统一社会信用代码"`
			Contact    *string `json:"contact,omitempty" maxLength:"200"`
		}
	}
	type bidderOut struct {
		Body struct {
			Bidder Bidder `json:"bidder"`
			Token  string `json:"token" doc:"The bidder's bearer token, shown this once"`
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
		out.Body.Bidder, out.Body.Token = bidderRecordOf(b), tok
		return out, nil
	})
}

// registerApplications registers a bidder's application for a sale.
func (s *server) registerApplications(api huma.API) {
	bidder := roles(registry.RoleBidder)

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
}

// registerDeposits registers the deposit payments, their ledger and the qualification review.
func (s *server) registerDeposits(api huma.API) {
	bureau := roles(registry.RoleBureau)

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
			Items []DepositEntry `json:"items"`
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
		out.Body.Items = each(es, depositEntryOf)
		if es == nil {
			out.Body.Items = []DepositEntry{}
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
}
