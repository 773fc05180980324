package sponsorship

import (
	"context"
	"errors"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
)

// Store is what the Service needs from storage. The dynamostore package implements it
// on DynamoDB; every write that changes a request also writes its audit event, in one
// transaction.
type Store interface {
	// CreateRequest stores a new request (Version 1) with its first audit event and,
	// when idem is not nil, the idempotency record, all or nothing. It returns
	// ErrDuplicate when the idempotency key (or, improbably, the id) is taken.
	CreateRequest(ctx context.Context, r *Request, ev AuditEvent, idem *IdempotencyRecord) error
	// GetRequest returns the request, or ErrNotFound.
	GetRequest(ctx context.Context, id string) (*Request, error)
	// Dossier returns the request with everything in its partition: audit events in
	// version order, votes of the current round, recusals, comments and payments; or
	// ErrNotFound.
	Dossier(ctx context.Context, id string) (*Dossier, error)
	// Public is the part of a request's dossier its applicant may see: the request, its
	// history and payments, without the committee's votes and comments.
	Public(ctx context.Context, id string) (*Dossier, error)
	// Apply writes one change to a request in one transaction (see Change). A stored
	// version other than the one the change started from gives a *ConflictError with the
	// current state; a budget that cannot take the commitment gives a
	// *BudgetExceededError; either way nothing is written.
	Apply(ctx context.Context, c Change) error
	// GetIdempotency returns the record for a key hash, or ErrNotFound.
	GetIdempotency(ctx context.Context, keyHash string) (*IdempotencyRecord, error)
	// CreateProvisional is CreateRequest for a request waiting for its applicant's
	// e-mail address to be confirmed: in the same transaction it keeps the plain
	// confirmation code for the notification function and counts the request against
	// its address's day, and it gives ErrTooManyUnconfirmed, writing nothing, when that
	// count is at its limit.
	CreateProvisional(ctx context.Context, r *Request, ev AuditEvent, idem *IdempotencyRecord, p Pending) error
}

// ErrDuplicate is returned by a Store when an item that must be new already exists.
var ErrDuplicate = errors.New("already exists")

// Change is everything that changes together when a request changes: its new state,
// the audit events that record the change (the request's Version has advanced by one per
// event), and the items that change with it. The store writes all of it in one
// transaction, conditional on the version the change started from.
type Change struct {
	Request    *Request
	Events     []AuditEvent
	PutVote    *Vote
	DeleteVote string // the reviewer whose vote is withdrawn
	PutRecusal *Recusal
	// PutDeclaration records a reviewer's declaration of no conflict.
	PutDeclaration *Declaration
	PutComment     *Comment
	PutPayment     *Payment
	Commit         *Commitment // approved money to commit to a budget
	// Settle moves money of a budget from committed to paid (negative: back again).
	Settle *Commitment
	// Idempotency remembers the key of a keyed write, new or expired only.
	Idempotency *IdempotencyRecord
	// Confirmed marks the change that confirms a provisional request (see Confirmation).
	Confirmed *Confirmation
	// PutAttachment writes an attachment's record, new or updated.
	PutAttachment *Attachment
	// PutPayout writes a new set of sealed payout details (and, for a change, its plain
	// confirmation code).
	PutPayout *SealedPayout
	// ConfirmPayout names the details whose change was confirmed: their plain code and
	// expiry go.
	ConfirmPayout int
	// Touch says the request's Version advanced by one more than its events: a change
	// recorded without an event (an upload slot) still takes the version, so writers at
	// once cannot both act on the same state.
	Touch bool
	// Register is the change's effect on the public register (see RegisterChange).
	Register *RegisterChange
}

// Base is the request's version the change started from: the stored version must
// still be this one for the change to be written.
func (c Change) Base() int {
	base := c.Request.Version - len(c.Events)
	if c.Touch {
		base--
	}
	return base
}

// Commitment is approved money taken from the budget of a fiscal year and category.
type Commitment struct {
	FiscalYear int
	Category   Kind
	Amount     money.Money
}
