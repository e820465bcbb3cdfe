package openapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"minerights/registry"
)

// The transfer contract (出让合同) and the payments of the price.

// registerContract registers the contract, its schedule and its payments.
func (s *server) registerContract(api huma.API) {
	bureau := roles(registry.RoleBureau)

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
	type contractOut struct{ Body Contract }
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
		return &contractOut{Body: contractOf(c)}, nil
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
		return &contractOut{Body: contractOf(c)}, nil
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
		return &contractOut{Body: contractOf(c)}, nil
	})
}
