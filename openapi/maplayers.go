package openapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"minerights/maps"
	"minerights/registry"
)

// The store is what the map layers read.
var _ maps.Store = (*registry.Store)(nil)

// registerMaps mounts the map layers (package maps) beside the API: they
// take the API's base URL for their links, its caller for the verdicts the
// web map colours parcels by, and its access rule and error mapping for
// that one operation.
func (s *server) registerMaps(mux *http.ServeMux, api huma.API, m *maps.Server) {
	maps.Register(mux, api, maps.Deps{
		Server:  m,
		Store:   s.store,
		Log:     s.log,
		BaseURL: baseURL,
		Role: func(ctx context.Context) (string, bool) {
			p, ok := principalFrom(ctx)
			return p.Role, ok
		},
		RegisterPublic: func(api huma.API, op huma.Operation, h func(context.Context, *maps.VerdictsInput) (*maps.VerdictsOutput, error)) {
			register(api, op, public, h)
		},
	})
}
