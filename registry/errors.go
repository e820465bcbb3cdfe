package registry

import "fmt"

// ConflictError is a write that collides with the current state: a second
// record with the same key, a version that moved on, a sale in the wrong
// state. Reason names the clash in words a clerk can act on, without SQL;
// the HTTP layer shows it as the detail of its 409. It is an ErrConflict.
type ConflictError struct {
	Reason string
}

// Conflict returns a ConflictError whose reason is formatted like fmt.Sprintf.
func Conflict(format string, args ...any) error {
	return &ConflictError{Reason: fmt.Sprintf(format, args...)}
}

func (e *ConflictError) Error() string { return ErrConflict.Error() + ": " + e.Reason }

// Is makes a ConflictError an ErrConflict.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// NotCompliantError refuses to offer a parcel that has not passed the
// compliance check; Reason is the compliance engine's own statement of why
// (parcel_compliance_problem). It is an ErrNotCompliant.
type NotCompliantError struct {
	Reason string
}

func (e *NotCompliantError) Error() string { return ErrNotCompliant.Error() + ": " + e.Reason }

// Is makes a NotCompliantError an ErrNotCompliant.
func (e *NotCompliantError) Is(target error) bool { return target == ErrNotCompliant }
