package openapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"minerights/auction"
	"minerights/registry"
)

// After the close: the confirmation letter (成交确认书), the publicity (公示)
// and its objections.

// registerCloseLetters registers the actions after the close that count working days.
func (s *server) registerCloseLetters(api huma.API) {
	bureau := roles(registry.RoleBureau)

	// Actions that count working days read the calendar in force first.
	for _, a := range []struct {
		id, path, summary, description string
		fn                             func(Sales, context.Context, int64, auction.Calendar, string) (registry.Sale, error)
	}{
		{"issue-confirmation", "confirmation", "Issue the confirmation letter (成交确认书)",
			"Due within the rules' confirmation period of the close (default 3 working days); a late letter is recorded as late.", Sales.IssueConfirmation},
		{"start-publicity", "publicity", "Start the result publicity (公示)", "", Sales.StartPublicity},
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
			sl, err := a.fn(s.store, ctx, in.ID, cal, viewerOf(ctx).actor)
			return s.respondSale(ctx, sl, err)
		})
	}
}

// registerObjections registers the objections to the result and their answers.
func (s *server) registerObjections(api huma.API) {
	bureau := roles(registry.RoleBureau)

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
}
