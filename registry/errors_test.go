package registry

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// The error model is typed: callers match with errors.Is and errors.As,
// never on the message.
func TestTypedErrors(t *testing.T) {
	tests := []struct {
		name         string
		err          error
		conflict     bool
		reason       string
		notCompliant bool
		unavailable  bool
	}{
		{name: "conflict wrapped", err: fmt.Errorf("registry: create sale: %w", conflict("parcel %d is already in sale %d", 3, 9)),
			conflict: true, reason: "parcel 3 is already in sale 9"},
		{name: "unique violation", err: mapErr(&pgconn.PgError{Code: "23505", ConstraintName: "parcel_gazette_no_key"}),
			conflict: true, reason: "violates rule parcel_gazette_no_key"},
		{name: "conflict on a field", err: fmt.Errorf("registry: register bidder: %w", &ConflictError{Field: "email", Reason: "taken"}),
			conflict: true, reason: "taken"},
		{name: "not compliant", err: fmt.Errorf("registry: announce: %w", &NotCompliantError{Reason: "no report"}),
			notCompliant: true},
		{name: "connection closed by the driver", err: fmt.Errorf("registry: bid: %w", pgconn.ErrConnClosed),
			unavailable: true},
		// Words in a message decide nothing: a clerk's text that happens to
		// read "conn closed" is not an outage.
		{name: "text that reads like an outage", err: &ValidationError{Field: "reason", Reason: "conn closed"}},
		{name: "text that reads like a conflict", err: errors.New("conflict: made up")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := errors.Is(tc.err, ErrConflict); got != tc.conflict {
				t.Errorf("errors.Is(ErrConflict) = %v, want %v", got, tc.conflict)
			}
			var ce *ConflictError
			if got := errors.As(tc.err, &ce); got != tc.conflict {
				t.Errorf("errors.As(*ConflictError) = %v, want %v", got, tc.conflict)
			} else if got && ce.Reason != tc.reason {
				t.Errorf("reason %q, want %q", ce.Reason, tc.reason)
			}
			if got := errors.Is(tc.err, ErrNotCompliant); got != tc.notCompliant {
				t.Errorf("errors.Is(ErrNotCompliant) = %v, want %v", got, tc.notCompliant)
			}
			if got := unavailable(tc.err); got != tc.unavailable {
				t.Errorf("unavailable = %v, want %v", got, tc.unavailable)
			}
			if got := errors.Is(asUnavailable(tc.err), ErrUnavailable); got != tc.unavailable {
				t.Errorf("errors.Is(asUnavailable, ErrUnavailable) = %v, want %v", got, tc.unavailable)
			}
		})
	}
}
