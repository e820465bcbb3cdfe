package openapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"minerights/openapi"
	"minerights/registry"
)

// The registry's store is what the API runs on in production.
var _ openapi.Store = (*registry.Store)(nil)

// pingStore is a store whose only working operation is the readiness probe.
type pingStore struct {
	openapi.Store
	err error
}

func (p pingStore) Ping(context.Context) error { return p.err }

// TestReadyOnTheStoreInterface: the API takes any store through the
// interfaces it declares; readiness asks the store, not a pool.
func TestReadyOnTheStoreInterface(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"database answers", nil, http.StatusOK},
		{"database down", errors.New("dial tcp: connection refused"), http.StatusServiceUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mux := http.NewServeMux()
			openapi.New(mux, openapi.Deps{Store: pingStore{err: tc.err}})
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			if rec.Code != tc.want {
				t.Fatalf("GET /readyz: %d %s, want %d", rec.Code, rec.Body, tc.want)
			}
			if tc.err != nil && rec.Header().Get("Retry-After") == "" {
				t.Errorf("503 without Retry-After")
			}
		})
	}
}
