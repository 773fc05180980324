package sponsorship

import (
	"context"
	"errors"
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
	// GetRequestWithHistory returns the request and its audit events in version order,
	// or ErrNotFound.
	GetRequestWithHistory(ctx context.Context, id string) (*Request, []AuditEvent, error)
	// UpdateRequest replaces the request with r, whose Version is one more than the
	// stored one, and writes ev, all or nothing. A stored version other than
	// r.Version-1 gives a *ConflictError with the current state.
	UpdateRequest(ctx context.Context, r *Request, ev AuditEvent) error
	// GetIdempotency returns the record for a key hash, or ErrNotFound.
	GetIdempotency(ctx context.Context, keyHash string) (*IdempotencyRecord, error)
}

// ErrDuplicate is returned by a Store when an item that must be new already exists.
var ErrDuplicate = errors.New("already exists")
