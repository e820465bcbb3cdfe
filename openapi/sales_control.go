package openapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"minerights/registry"
)

// The bureau's control of a running sale: suspension, resumption,
// termination, and the winner's default.

// registerSaleControl registers the bureau's actions on a sale that take a stated reason.
func (s *server) registerSaleControl(api huma.API) {
	bureau := roles(registry.RoleBureau)

	for _, a := range []struct {
		id, path, summary string
		fn                func(Sales, context.Context, int64, string, string) (registry.Sale, error)
	}{
		{"suspend-sale", "suspension", "Suspend a sale (暂停)", Sales.Suspend},
		{"resume-sale", "resumption", "Resume a suspended sale; pending windows move by the suspension's length", Sales.Resume},
		{"terminate-sale", "termination", "Terminate a sale before its close (终止); every deposit becomes refundable", Sales.Terminate},
		{"record-default", "default", "Record the winner's default: deposit forfeited, bidder barred, the parcel may be re-offered", Sales.Default},
	} {
		register(api, huma.Operation{
			OperationID: a.id,
			Method:      http.MethodPost,
			Path:        "/api/v1/sales/{id}/" + a.path,
			Summary:     a.summary,
			Tags:        []string{"sales"},
			Errors:      []int{http.StatusNotFound, http.StatusConflict},
		}, bureau, func(ctx context.Context, in *reasonIn) (*saleResp, error) {
			sl, err := a.fn(s.store, ctx, in.ID, in.Body.Reason, viewerOf(ctx).actor)
			return s.respondSale(ctx, sl, err)
		})
	}
}
