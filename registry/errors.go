package registry

import (
	"errors"
	"fmt"
)

// ErrNotFound is returned when the requested record does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a write collides with existing data, such as a
// second parcel with the same gazette number. The error carries the reason
// as a *ConflictError.
var ErrConflict = errors.New("conflict")

// ErrNotCompliant refuses to announce a parcel that has not passed the
// compliance check; the error is a *NotCompliantError that says which check
// failed.
var ErrNotCompliant = errors.New("parcel not compliant")

// ErrUnauthenticated is returned for an unknown, revoked or expired token.
var ErrUnauthenticated = errors.New("unauthenticated")

// ErrBusy is returned when a public read was stopped by its statement
// timeout: the query costs more than the public pool grants one request
// (a filter or bbox too wide for the load of the moment). Callers answer
// 503 with Retry-After and say how to narrow the request.
var ErrBusy = errors.New("public read stopped by its statement timeout")

// ValidationError names the input field a clerk has to correct.
type ValidationError struct {
	Field  string
	Reason string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Reason }

// ConflictError is a write that collides with the current state; Reason
// names the clash in words a caller may show (never SQL), and Field the
// input that clashes when one does (a form marks it). It is an
// ErrConflict, so errors.Is(err, ErrConflict) holds for it.
type ConflictError struct {
	Field  string
	Reason string
}

// conflict returns a *ConflictError with the reason formatted.
func conflict(format string, args ...any) error {
	return &ConflictError{Reason: fmt.Sprintf(format, args...)}
}

func (e *ConflictError) Error() string { return ErrConflict.Error() + ": " + e.Reason }

// Is makes a ConflictError an ErrConflict.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// NotCompliantError refuses a sale of a parcel that has not passed the
// compliance check; Reason says which check failed. It is an
// ErrNotCompliant.
type NotCompliantError struct {
	Reason string
}

func (e *NotCompliantError) Error() string { return ErrNotCompliant.Error() + ": " + e.Reason }

// Is makes a NotCompliantError an ErrNotCompliant.
func (e *NotCompliantError) Is(target error) bool { return target == ErrNotCompliant }
