package sponsorship

import (
	"errors"
	"fmt"
)

// Errors the Service returns; the api package maps each to one HTTP status.
var (
	// ErrNotFound: no such request, or the caller may not know that it exists.
	ErrNotFound = errors.New("not found")
	// ErrUnauthenticated: the caller gave no credentials where some are needed.
	ErrUnauthenticated = errors.New("credentials required")
	// ErrIdempotencyKeyReused: an Idempotency-Key came back with a different body.
	ErrIdempotencyKeyReused = errors.New("idempotency key was used with a different request body")
	// ErrUnavailable: storage is throttled or down; the caller may retry later.
	ErrUnavailable = errors.New("storage temporarily unavailable")
)

// ConflictError refuses a write made against a stale version of a request. It carries
// the request's current status and version.
type ConflictError struct {
	ID             string
	CurrentStatus  Status
	CurrentVersion int
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("request %s changed meanwhile: now %s at version %d", e.ID, e.CurrentStatus, e.CurrentVersion)
}

// IsConflict reports whether err is a *ConflictError or a *TransitionError: something
// about the request's current state refuses the change.
func IsConflict(err error) bool {
	var c *ConflictError
	var t *TransitionError
	return errors.As(err, &c) || errors.As(err, &t)
}
