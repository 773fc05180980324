package sponsorship

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
)

// Anyone may submit a request, naming any e-mail address; without a check, the system
// would mail a receipt with a stranger's chosen words to that address, and tell the
// committee about it. So a new request is provisional: the first message to its
// address carries nothing but the reference and a confirmation link, and the request
// reaches the committee, and the applicant gets a receipt, only once someone opens the
// link. Until then it is outside the committee's indexes and reads, and it expires.

// Defaults of the confirmation step.
const (
	// DefaultConfirmWithin is how long a request waits for its address to be confirmed.
	DefaultConfirmWithin = 7 * 24 * time.Hour
	// DefaultUnconfirmedPerDay is how many requests one address may have waiting for
	// confirmation per UTC day: enough for a person who sends two or three requests,
	// too few for anyone to use the form to fill a stranger's mailbox.
	DefaultUnconfirmedPerDay = 3
)

// maxConfirmCode bounds the confirmation codes worth looking up; ours are 43 characters.
const maxConfirmCode = 128

// Provisional reports whether the request still waits for its applicant's e-mail
// address to be confirmed, or was withdrawn while it waited.
func (r *Request) Provisional() bool { return !r.ExpiresAt.IsZero() }

// Expired reports whether a provisional request's time ran out at now: from then on it
// counts as absent, even before DynamoDB's TTL deletes it (and moto never does).
func (r *Request) Expired(now time.Time) bool {
	return r.Provisional() && !now.Before(r.ExpiresAt)
}

// AddressDay names one address's count of unconfirmed requests on one UTC day.
type AddressDay struct {
	Email string // lower-cased
	Day   string // YYYY-MM-DD, UTC
}

func addressDay(email string, t time.Time) AddressDay {
	return AddressDay{Email: strings.ToLower(email), Day: t.UTC().Format(dateLayout)}
}

// nextDay is the start of the UTC day after t's.
func nextDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}

// Pending is what creating a provisional request writes besides the request and its
// first event.
type Pending struct {
	// Code is the confirmation code in plain text, for the notification function to put
	// in the link. It is deleted on confirmation, expires with the request, and is
	// never part of an audit event (staff read those in reports).
	Code string
	// Count is the address's count of the day: the write adds one to it, and may not
	// take it past Limit.
	Count AddressDay
	Limit int
	// CountExpiresAt is when the count may go: a day after its own day ended.
	CountExpiresAt time.Time
}

// PendingFor is what a provisional request of email's made at now writes besides
// itself: its confirmation code, and one more on the address's count of the day, within
// limit.
func PendingFor(code, email string, now time.Time, limit int) Pending {
	return Pending{Code: code, Count: addressDay(email, now), Limit: limit, CountExpiresAt: nextDay(now).Add(24 * time.Hour)}
}

// Confirmation, in a Change, marks the change that confirms a provisional request: the
// store also keeps for good what the request wrote while provisional (its expiry
// goes), deletes the plain confirmation code, and gives the address its slot back when
// Free is set.
type Confirmation struct {
	// Free is the count the request was made against, while its day lasts: an address
	// whose owner confirms is no relay, and may go on submitting.
	Free *AddressDay
}

// ErrTooManyUnconfirmed is the store's answer when an address's count of the day is
// at its limit.
var ErrTooManyUnconfirmed = errors.New("too many unconfirmed requests for this address today")

// TooManyUnconfirmedError refuses a submission for an address that already has Limit
// requests waiting for confirmation today. RetryAfter is the time to the next UTC day;
// confirming one of them frees a slot sooner.
type TooManyUnconfirmedError struct {
	Limit      int
	RetryAfter time.Duration
}

func (e *TooManyUnconfirmedError) Error() string {
	return fmt.Sprintf("this address already has %d requests waiting for confirmation today", e.Limit)
}

// Is makes the error match ErrTooManyUnconfirmed.
func (e *TooManyUnconfirmedError) Is(target error) bool { return target == ErrTooManyUnconfirmed }

// Confirmed is the answer to a confirmation: the request and where it stands now.
// Nothing the applicant typed is in it: whoever opens the link sees only the reference.
type Confirmed struct {
	ID        string
	Reference string
	Status    Status
	// Already is true when the address had been confirmed before: opening the link
	// again changes nothing.
	Already bool
}

// Confirm confirms a provisional request's e-mail address with the code mailed to it:
// the request becomes submitted, reaches the committee's queue and reports, keeps its
// data for good, and the notification function now tells the committee and sends the
// applicant their receipt. Confirming again is a success that changes nothing. A wrong
// code, an unknown id and an expired request all give ErrNotFound, so that the answer
// says nothing about which it was; a request withdrawn before its confirmation gives a
// *TransitionError.
func (s *Service) Confirm(ctx context.Context, id, code string) (Confirmed, error) {
	if !ValidID(id) || code == "" || len(code) > maxConfirmCode {
		return Confirmed{}, ErrNotFound
	}
	for attempt := 1; ; attempt++ {
		req, err := s.store.GetRequest(ctx, id)
		if err != nil {
			return Confirmed{}, fmt.Errorf("load request %s: %w", id, err)
		}
		now := s.now()
		if req.ConfirmHash == "" || !tokenMatches(code, req.ConfirmHash) || req.Expired(now) {
			return Confirmed{}, ErrNotFound
		}
		answer := Confirmed{ID: req.ID, Reference: req.Reference, Status: req.Status}
		if !req.Provisional() {
			answer.Already = true
			return answer, nil
		}
		t, err := CheckTransition(req.Status, StatusSubmitted, RoleApplicant)
		if err != nil {
			return Confirmed{}, err
		}
		next := *req
		next.Status, next.Version, next.UpdatedAt, next.ExpiresAt = t.To, req.Version+1, now, time.Time{}
		// The committee has it from now: its waiting time and a project's fiscal year
		// count from here.
		next.SubmittedAt, next.FiscalYear = now, s.cfg.Calendar.YearOf(req.Content, now)
		ev := AuditEvent{
			RequestID: id, Version: next.Version, Type: t.Event, At: now, FromStatus: req.Status, ToStatus: t.To,
			Actor: Actor{Role: RoleApplicant, Name: req.Applicant.Name},
		}
		c := Change{Request: &next, Events: []AuditEvent{ev}, Confirmed: &Confirmation{}}
		// The id holds the time of the submission, and so the day counted.
		if created := ulid.Time(ulid.MustParse(id).Time()); nextDay(created).Equal(nextDay(now)) {
			day := addressDay(req.Applicant.Email, now)
			c.Confirmed.Free = &day
		}
		err = s.store.Apply(ctx, c)
		var conflict *ConflictError
		if errors.As(err, &conflict) && attempt < maxUpdateAttempts {
			continue // a withdrawal or another confirmation got in first: read again
		}
		if err != nil {
			return Confirmed{}, fmt.Errorf("confirm %s: %w", id, err)
		}
		answer.Status = next.Status
		return answer, nil
	}
}

// keepConfirmedAddress adds to a resubmission's validation error (or makes one) when
// the edit changes the e-mail address its owner confirmed.
func keepConfirmedAddress(err error, confirmed, edited string) error {
	if edited == "" || strings.EqualFold(confirmed, edited) {
		return err
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		for _, fe := range ve.Errors {
			if fe.Field == "applicant.email" {
				return err // already flagged as malformed
			}
		}
	}
	fe := FieldError{Field: "applicant.email", Code: CodeNotAllowed,
		Message: "The e-mail address was confirmed and cannot change: it is where the committee's messages go."}
	if ve != nil {
		ve.Errors = append(ve.Errors, fe)
		return ve
	}
	if err != nil {
		return err
	}
	return &ValidationError{Errors: []FieldError{fe}}
}

// committeeStore hides provisional requests from the committee's reads: until its
// applicant's address is confirmed a request is not the committee's business, and to
// staff it is as absent as an unknown id. (It is outside the queue's and the reports'
// indexes too.)
type committeeStore struct{ ReviewStore }

// Ballots reads a request for a ballot or an action, unless it is provisional.
func (s committeeStore) Ballots(ctx context.Context, id string) (*Dossier, error) {
	return unlessProvisional(s.ReviewStore.Ballots(ctx, id))
}

// Dossier reads a request's dossier, unless it is provisional.
func (s committeeStore) Dossier(ctx context.Context, id string) (*Dossier, error) {
	return unlessProvisional(s.ReviewStore.Dossier(ctx, id))
}

// unlessProvisional passes a read on, or ErrNotFound for a provisional request.
func unlessProvisional(d *Dossier, err error) (*Dossier, error) {
	if err == nil && d.Request.Provisional() {
		return nil, fmt.Errorf("request %s: %w", d.Request.ID, ErrNotFound)
	}
	return d, err
}

// financeStore hides provisional requests from finance, as committeeStore does from
// reviewers.
type financeStore struct{ FinanceStore }

// Payments reads a request's ledger, unless it is provisional.
func (s financeStore) Payments(ctx context.Context, id string) (*Request, []Payment, error) {
	req, payments, err := s.FinanceStore.Payments(ctx, id)
	if err == nil && req.Provisional() {
		return nil, nil, fmt.Errorf("payments of %s: %w", id, ErrNotFound)
	}
	return req, payments, err
}

// PaymentBasis reads what a payment is checked against, unless the request is
// provisional.
func (s financeStore) PaymentBasis(ctx context.Context, id string) (*Dossier, error) {
	return unlessProvisional(s.FinanceStore.PaymentBasis(ctx, id))
}
