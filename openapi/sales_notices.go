package openapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"minerights/registry"
)

// The announcement and its supplementary notices (补充公告).

// registerNotices registers the notices of a sale.
func (s *server) registerNotices(api huma.API) {
	bureau := roles(registry.RoleBureau)

	type noticesOut struct {
		Body struct {
			Items []Notice `json:"items"`
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
		out.Body.Items = each(ns, noticeOf)
		if out.Body.Items == nil {
			out.Body.Items = []Notice{}
		}
		return out, nil
	})

	type noticeIn struct {
		ID   int64 `path:"id" minimum:"1"`
		Body struct {
			Text string `json:"text" minLength:"1" maxLength:"20000" doc:"The supplementary notice (补充公告)"`
		}
	}
	type noticeOut struct{ Body Notice }
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
		return &noticeOut{Body: noticeOf(n)}, nil
	})
}
