package openapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"minerights/registry"
)

// registerAccounts adds the bureau's operations on browser accounts:
// bidding companies register themselves on /register and wait for approval
// here; bureau and planner accounts are made here or with
// `minerights user create`.
func (s *server) registerAccounts(api huma.API) {
	bureau := roles(registry.RoleBureau)
	type accountListIn struct {
		Role    string `query:"role" enum:"bureau,bidder,planner," doc:"Only accounts of this role"`
		Pending bool   `query:"pending" doc:"Only bidder accounts awaiting approval"`
		Limit   int    `query:"limit" minimum:"1" maximum:"1000" default:"100"`
		Offset  int    `query:"offset" minimum:"0" default:"0"`
	}
	type accountListOut struct {
		Body struct {
			Items []Account `json:"items"`
			Total int       `json:"total"`
		}
	}
	register(api, huma.Operation{
		OperationID: "list-accounts",
		Method:      http.MethodGet,
		Path:        "/api/v1/accounts",
		Summary:     "List browser accounts",
		Description: "Bidding companies (with their bidder record), clerks and planners; `pending=true` lists the bidder accounts awaiting approval.",
		Tags:        []string{"accounts"},
	}, bureau, func(ctx context.Context, in *accountListIn) (*accountListOut, error) {
		as, total, err := s.store.ListAccounts(ctx, registry.AccountFilter{Role: in.Role, Pending: in.Pending, Limit: in.Limit, Offset: in.Offset})
		if err != nil {
			return nil, err
		}
		out := &accountListOut{}
		out.Body.Items, out.Body.Total = accountsOf(as), total
		return out, nil
	})

	type accountOut struct{ Body Account }
	type accountCreateIn struct {
		Body struct {
			Role     string `json:"role" enum:"bureau,planner"`
			Login    string `json:"login" format:"email" maxLength:"254" doc:"E-mail address, used to sign in"`
			Name     string `json:"name" minLength:"1" maxLength:"100"`
			Phone    string `json:"phone,omitempty" maxLength:"40"`
			Password string `json:"password" minLength:"8" maxLength:"128" doc:"The first password, handed over to the person"`
		}
	}
	register(api, huma.Operation{
		OperationID:   "create-account",
		Method:        http.MethodPost,
		Path:          "/api/v1/accounts",
		Summary:       "Create a clerk's or planner's account",
		Tags:          []string{"accounts"},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusConflict, http.StatusUnprocessableEntity},
	}, bureau, func(ctx context.Context, in *accountCreateIn) (*accountOut, error) {
		a, err := s.store.CreateUser(ctx, registry.UserInput{Role: in.Body.Role, Login: in.Body.Login, Name: in.Body.Name,
			Phone: in.Body.Phone, Password: in.Body.Password}, viewerOf(ctx).actor)
		if err != nil {
			return nil, err
		}
		return &accountOut{Body: accountOf(a)}, nil
	})

	type accountIDIn struct {
		ID int64 `path:"id" minimum:"1" doc:"Account id"`
	}
	register(api, huma.Operation{
		OperationID: "approve-account",
		Method:      http.MethodPost,
		Path:        "/api/v1/accounts/{id}/approval",
		Summary:     "Approve a bidder account",
		Description: "After checking the company's papers the bureau approves its account: from then on it may apply for sales. Its sessions in every process see the approval at once.",
		Tags:        []string{"accounts"},
		Errors:      []int{http.StatusNotFound, http.StatusConflict},
	}, bureau, func(ctx context.Context, in *accountIDIn) (*accountOut, error) {
		a, err := s.store.ApproveBidder(ctx, in.ID, viewerOf(ctx).actor)
		if err != nil {
			return nil, err
		}
		return &accountOut{Body: accountOf(a)}, nil
	})
	register(api, huma.Operation{
		OperationID: "disable-account",
		Method:      http.MethodPost,
		Path:        "/api/v1/accounts/{id}/disablement",
		Summary:     "Disable an account",
		Description: "Ends every session of the account in every serve process at once; it can no longer sign in.",
		Tags:        []string{"accounts"},
		Errors:      []int{http.StatusNotFound},
	}, bureau, func(ctx context.Context, in *accountIDIn) (*accountOut, error) {
		a, err := s.store.DisableAccount(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return &accountOut{Body: accountOf(a)}, nil
	})
}
