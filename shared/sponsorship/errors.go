package sponsorship

import (
	"errors"
	"fmt"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
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

// ForbiddenError refuses an action the caller may not take, and says why: a reviewer
// recused from the request, a member of staff without the role.
type ForbiddenError struct {
	Reason string
}

func (e *ForbiddenError) Error() string { return "forbidden: " + e.Reason }

// BudgetExceededError refuses an approval whose amount the budget of the request's
// fiscal year and category cannot take. Remaining is what is left (zero when no budget
// was allocated at all).
type BudgetExceededError struct {
	FiscalYear int
	Category   Kind
	Requested  money.Money
	Remaining  money.Money
	NoBudget   bool
}

func (e *BudgetExceededError) Error() string {
	if e.NoBudget {
		return fmt.Sprintf("no %s budget in %s for fiscal year %d", e.Category, e.Requested.Currency, e.FiscalYear)
	}
	return fmt.Sprintf("the %s budget of fiscal year %d has %s left, less than %s", e.Category, e.FiscalYear, e.Remaining, e.Requested)
}

// PossibleConflictError refuses a vote, a comment or a request for changes from a
// reviewer whose company may be the applicant's, until they declare "no conflict" or
// recuse.
type PossibleConflictError struct {
	Conflict Conflict
}

func (e *PossibleConflictError) Error() string {
	return "possible conflict of interest: " + e.Conflict.Reason
}

// ErrNothingToDeclare refuses a declaration of no conflict where no possible conflict
// is waiting for one.
var ErrNothingToDeclare = errors.New("no possible conflict of interest to declare")

// ErrBadCursor: a pagination cursor that this API did not hand out for this query.
var ErrBadCursor = errors.New("invalid cursor")
