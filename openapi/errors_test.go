package openapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"

	"minerights/registry"
)

// TestToProblemTypedErrors: the problem's words come from the typed error's
// fields, however deeply wrapped, and never from an error's text: a plain
// error that merely reads like a conflict is a 500 that shows nothing of it.
func TestToProblemTypedErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		status int
		detail string // the problem's detail must contain it
		hidden string // and must not contain it
	}{
		{"conflict wrapped twice", fmt.Errorf("registry: create bidder: %w", fmt.Errorf("tx: %w", &registry.ConflictError{Reason: fmt.Sprintf("parcel %d is already in sale %d", 3, 9)})),
			http.StatusConflict, "parcel 3 is already in sale 9", "registry:"},
		{"conflict without a reason", fmt.Errorf("registry: x: %w", registry.ErrConflict),
			http.StatusConflict, "the request conflicts with the current state", "registry:"},
		{"not compliant", fmt.Errorf("registry: create sale: %w", &registry.NotCompliantError{Reason: "与生态保护红线重叠 12.5 m²"}),
			http.StatusConflict, "passes the compliance check: 与生态保护红线重叠 12.5 m²", "registry:"},
		{"text that only reads like a conflict", errors.New(`ERROR: conflict: duplicate key value violates unique constraint "parcel_pkey"`),
			http.StatusInternalServerError, "internal error", "parcel_pkey"},
		{"text that only reads like a compliance refusal", errors.New("parcel not compliant: SELECT secret"),
			http.StatusInternalServerError, "internal error", "SELECT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var se huma.StatusError
			if !errors.As(toProblem(context.Background(), tc.err), &se) {
				t.Fatalf("not a status error")
			}
			if se.GetStatus() != tc.status {
				t.Errorf("status %d, want %d", se.GetStatus(), tc.status)
			}
			em, ok := se.(*huma.ErrorModel)
			if !ok {
				t.Fatalf("%T is not a huma.ErrorModel", se)
			}
			if !strings.Contains(em.Detail, tc.detail) {
				t.Errorf("detail %q lacks %q", em.Detail, tc.detail)
			}
			if strings.Contains(em.Detail, tc.hidden) {
				t.Errorf("detail %q shows %q", em.Detail, tc.hidden)
			}
		})
	}
}
