package sponsorship

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
)

// Config is what the Service needs besides its Store.
type Config struct {
	Rules    Rules
	Calendar FiscalCalendar
	// IdempotencyTTL is how long a submission's Idempotency-Key is remembered.
	IdempotencyTTL time.Duration
	// ConfirmWithin is how long a new request waits for its applicant's e-mail address
	// to be confirmed before it counts as absent (DefaultConfirmWithin when zero).
	ConfirmWithin time.Duration
	// UnconfirmedPerDay bounds the requests one address may have waiting for
	// confirmation per UTC day (DefaultUnconfirmedPerDay when zero).
	UnconfirmedPerDay int
}

// Clock tells a service the time. Every service takes one, explicitly: production
// passes time.Now, tests a clock they move.
type Clock func() time.Time

// at reads the clock as the services record time: UTC, to the microsecond (what the
// store keeps).
func (c Clock) at() time.Time { return c().UTC().Truncate(time.Microsecond) }

// mustClock refuses a nil clock at construction, where the wiring mistake is, rather
// than at the first request.
func mustClock(service string, c Clock) Clock {
	if c == nil {
		panic("sponsorship: " + service + " needs a clock (time.Now in production)")
	}
	return c
}

// Service applies the domain's rules to requests held in a Store.
type Service struct {
	store Store
	cfg   Config
	clock Clock
}

// NewService returns a Service over store, with cfg's rules (defaults where zero).
func NewService(store Store, cfg Config, clock Clock) *Service {
	if cfg.Rules.CeilingMajor <= 0 {
		cfg.Rules = DefaultRules
	}
	if cfg.IdempotencyTTL <= 0 {
		cfg.IdempotencyTTL = 24 * time.Hour
	}
	if cfg.Calendar.StartMonth == 0 {
		cfg.Calendar.StartMonth = time.January
	}
	if cfg.ConfirmWithin <= 0 {
		cfg.ConfirmWithin = DefaultConfirmWithin
	}
	if cfg.UnconfirmedPerDay <= 0 {
		cfg.UnconfirmedPerDay = DefaultUnconfirmedPerDay
	}
	return &Service{store: store, cfg: cfg, clock: mustClock("NewService", clock)}
}

// now is the current time at the precision the store keeps (microseconds), so that a
// time returned now equals the same time read back later.
func (s *Service) now() time.Time {
	return s.clock.at()
}

// Receipt is what a submission returns to the applicant: the new request's identity and
// the secret token that later reads and changes it. Replayed is true when the receipt
// repeats the first response to the same Idempotency-Key.
type Receipt struct {
	ID          string
	Reference   string
	Status      Status
	SubmittedAt time.Time
	Token       string
	Replayed    bool
	// ExpiresAt is when an unconfirmed request counts as absent unless its applicant's
	// e-mail address is confirmed first.
	ExpiresAt time.Time
}

// maxUpdateAttempts bounds the retries of an applicant's change that lost a race with
// another writer; each retry re-reads the request and re-checks the lifecycle.
const maxUpdateAttempts = 3

// maxMessage bounds free-text reasons and messages.
const maxMessage = 2000

// Submit validates an applicant's input and stores a new request in status
// unconfirmed, with its audit event and a confirmation code that the notification
// function mails to the applicant's address: the request reaches the committee only
// when someone opens that link (Confirm). An address may have UnconfirmedPerDay
// requests waiting per UTC day; beyond that Submit gives a *TooManyUnconfirmedError.
// With an idempotencyKey, a repeat of the same body returns the first receipt and
// stores (and counts) nothing; a different body under the same key gets
// ErrIdempotencyKeyReused.
func (s *Service) Submit(ctx context.Context, in RequestInput, idempotencyKey string) (Receipt, error) {
	now := s.now()
	content, err := Validate(in, s.cfg.Rules, now.Format(dateLayout))
	if err != nil {
		return Receipt{}, err
	}
	id := NewID(now)
	req := &Request{
		ID:          id,
		Reference:   ReferenceFor(id),
		Status:      StatusUnconfirmed,
		Version:     1,
		Round:       1,
		FiscalYear:  s.cfg.Calendar.YearOf(content, now),
		Content:     content,
		Paid:        money.Money{Currency: content.Amount.Currency},
		SubmittedAt: now,
		UpdatedAt:   now,
		ExpiresAt:   now.Add(s.cfg.ConfirmWithin).Truncate(time.Second), // as the TTL attribute holds it
		Publication: in.Publication.Or(PublishNone),
	}
	code := newToken()
	req.ConfirmHash = HashSecret(code)
	var idem *IdempotencyRecord
	token := newToken()
	if idempotencyKey != "" {
		keyHash, fingerprint := HashSecret(idempotencyKey), fingerprintOf(content, req.Publication)
		rec, err := s.store.GetIdempotency(ctx, keyHash)
		switch {
		case err == nil && rec.ExpiresAt.After(now):
			return s.replay(rec, idempotencyKey, fingerprint)
		case err != nil && !errors.Is(err, ErrNotFound):
			return Receipt{}, fmt.Errorf("submit: read idempotency record: %w", err)
		}
		salt := make([]byte, 32)
		_, _ = rand.Read(salt)
		token = deriveToken(idempotencyKey, salt)
		idem = &IdempotencyRecord{
			KeyHash: keyHash, Fingerprint: fingerprint, RequestID: id, Reference: req.Reference,
			SubmittedAt: now, Salt: salt, ExpiresAt: now.Add(s.cfg.IdempotencyTTL), Status: req.Status,
		}
	}
	req.TokenHash = HashSecret(token)
	t, _ := CheckTransition("", req.Status, RoleApplicant)
	ev := AuditEvent{
		RequestID: id, Version: 1, Type: t.Event, At: now, ToStatus: req.Status,
		Actor: Actor{Role: RoleApplicant, Name: content.Applicant.Name},
	}
	err = s.store.CreateProvisional(ctx, req, ev, idem, PendingFor(code, content.Applicant.Email, now, s.cfg.UnconfirmedPerDay))
	if errors.Is(err, ErrDuplicate) && idem != nil {
		// A concurrent retry with the same key won the race: answer as it was answered.
		rec, rerr := s.store.GetIdempotency(ctx, idem.KeyHash)
		if rerr != nil {
			return Receipt{}, fmt.Errorf("submit: read idempotency record after race: %w", rerr)
		}
		return s.replay(rec, idempotencyKey, idem.Fingerprint)
	}
	if errors.Is(err, ErrTooManyUnconfirmed) {
		return Receipt{}, &TooManyUnconfirmedError{Limit: s.cfg.UnconfirmedPerDay, RetryAfter: nextDay(now).Sub(now)}
	}
	if err != nil {
		return Receipt{}, fmt.Errorf("submit %s: %w", id, err)
	}
	return Receipt{ID: id, Reference: req.Reference, Status: req.Status, SubmittedAt: now, Token: token, ExpiresAt: req.ExpiresAt}, nil
}

// replay answers a retried submission with its first receipt.
func (s *Service) replay(rec *IdempotencyRecord, key, fingerprint string) (Receipt, error) {
	if rec.Fingerprint != fingerprint {
		return Receipt{}, ErrIdempotencyKeyReused
	}
	r := Receipt{
		ID: rec.RequestID, Reference: rec.Reference, Status: rec.Status,
		SubmittedAt: rec.SubmittedAt, Token: deriveToken(key, rec.Salt), Replayed: true,
	}
	switch r.Status {
	case "":
		r.Status = StatusSubmitted
	case StatusUnconfirmed:
		r.ExpiresAt = rec.SubmittedAt.Add(s.cfg.ConfirmWithin).Truncate(time.Second)
	}
	return r, nil
}

// fingerprintOf hashes the canonical form of validated content and the publication
// choice, so that a retry that differs only in spacing or key order is recognised as
// the same submission. PublishNone is left out, as the default it is: leaving the
// choice out and sending "none" is the same submission.
func fingerprintOf(c Content, p Publication) string {
	in := c.Input()
	if p != PublishNone {
		in.Publication = p
	}
	b, _ := json.Marshal(in) // plain structs of strings and numbers always marshal
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ApplicantView is what the applicant may see of their request: everything they sent,
// where it stands, the history minus internal events, and the payments made.
type ApplicantView struct {
	Request  *Request
	History  []AuditEvent
	Payments []Payment
}

// authorize loads a request for the holder of an applicant token.
func (s *Service) authorize(ctx context.Context, id, token string) (*Request, error) {
	return applicantRequest(ctx, s.store, id, token, s.now())
}

// requestGetter reads one request.
type requestGetter interface {
	GetRequest(ctx context.Context, id string) (*Request, error)
}

// applicantRequest loads a request for the holder of an applicant token. A wrong token
// and an unknown id look the same (ErrNotFound), so a token never reveals other
// requests; a provisional request whose time ran out is absent.
func applicantRequest(ctx context.Context, store requestGetter, id, token string, now time.Time) (*Request, error) {
	if token == "" {
		return nil, ErrUnauthenticated
	}
	if !ValidID(id) {
		return nil, ErrNotFound
	}
	req, err := store.GetRequest(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load request %s: %w", id, err)
	}
	if !tokenMatches(token, req.TokenHash) || req.Expired(now) {
		return nil, ErrNotFound
	}
	return req, nil
}

// ForApplicant returns the applicant's view of a request, read in one go; a wrong
// token and an unknown id look the same.
func (s *Service) ForApplicant(ctx context.Context, id, token string) (ApplicantView, error) {
	if token == "" {
		return ApplicantView{}, ErrUnauthenticated
	}
	if !ValidID(id) {
		return ApplicantView{}, ErrNotFound
	}
	d, err := s.store.Public(ctx, id)
	if err != nil {
		return ApplicantView{}, fmt.Errorf("load request %s: %w", id, err)
	}
	if !tokenMatches(token, d.Request.TokenHash) || d.Request.Expired(s.now()) {
		return ApplicantView{}, ErrNotFound
	}
	var visible []AuditEvent
	for _, ev := range d.History {
		if !ev.Internal {
			visible = append(visible, ev)
		}
	}
	return ApplicantView{Request: d.Request, History: visible, Payments: d.Payments}, nil
}

// Resubmit replaces the content of a request the reviewers sent back for changes and
// returns it to the queue. The kind cannot change, nor the e-mail address, which was
// confirmed: the committee's messages go to the address its owner vouched for.
func (s *Service) Resubmit(ctx context.Context, id, token string, in RequestInput) (*Request, error) {
	return s.applicantChange(ctx, id, token, StatusSubmitted, func(req *Request, now time.Time, ev *AuditEvent) error {
		if req.Status != StatusChangesRequested {
			// Only confirming the address, never an edit, submits an unconfirmed request.
			return &TransitionError{From: req.Status, To: StatusSubmitted, By: RoleApplicant}
		}
		content, err := Validate(in, s.cfg.Rules, now.Format(dateLayout))
		if in.Kind != req.Kind && in.Kind.Valid() {
			fe := FieldError{Field: "kind", Code: CodeNotAllowed, Message: fmt.Sprintf("The kind of a request cannot change; this one is a %s request.", req.Kind)}
			var ve *ValidationError
			if errors.As(err, &ve) {
				ve.Errors = append([]FieldError{fe}, ve.Errors...)
			} else {
				err = &ValidationError{Errors: []FieldError{fe}}
			}
		}
		err = keepConfirmedAddress(err, req.Applicant.Email, content.Applicant.Email)
		if err != nil {
			return err
		}
		if err := narrowOnEdit(req, in.Publication, ev); err != nil {
			return err
		}
		ev.Changed = changedFields(req.Content, content)
		req.Content = content
		req.Paid = money.Money{Currency: content.Amount.Currency} // nothing is paid before approval
		req.FiscalYear = s.cfg.Calendar.YearOf(content, req.SubmittedAt)
		// A new round: the votes cast on the old content no longer count.
		req.Round++
		req.Voters = nil
		return nil
	})
}

// Withdraw ends a request at the applicant's wish, before any decision. reason is
// optional.
func (s *Service) Withdraw(ctx context.Context, id, token, reason string) (*Request, error) {
	var v validator
	reason = v.free("reason", reason, maxMessage)
	if err := v.err(); err != nil {
		return nil, err
	}
	return s.applicantChange(ctx, id, token, StatusWithdrawn, func(req *Request, now time.Time, ev *AuditEvent) error {
		ev.Message = reason
		req.DecidedAt = now
		return nil
	})
}

// applicantChange moves a request to status `to` on the applicant's behalf: it checks
// the token and the lifecycle, lets change edit the request and its event, and writes
// both conditionally on the version it read. Losing a race to another writer re-reads
// and tries again, a few times.
func (s *Service) applicantChange(ctx context.Context, id, token string, to Status,
	change func(req *Request, now time.Time, ev *AuditEvent) error) (*Request, error) {
	for attempt := 1; ; attempt++ {
		req, err := s.authorize(ctx, id, token)
		if err != nil {
			return nil, err
		}
		t, err := CheckTransition(req.Status, to, RoleApplicant)
		if err != nil {
			return nil, err
		}
		now := s.now()
		ev := AuditEvent{
			RequestID: id, Version: req.Version + 1, Type: t.Event, At: now,
			FromStatus: req.Status, ToStatus: to,
			Actor: Actor{Role: RoleApplicant, Name: req.Applicant.Name},
		}
		next := *req
		if err := change(&next, now, &ev); err != nil {
			return nil, err
		}
		next.Status, next.Version, next.UpdatedAt = to, req.Version+1, now
		err = s.store.Apply(ctx, Change{Request: &next, Events: []AuditEvent{ev}})
		var conflict *ConflictError
		if errors.As(err, &conflict) && attempt < maxUpdateAttempts {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", t.Event, id, err)
		}
		return &next, nil
	}
}

// changedFields names the top-level fields whose content differs, for the audit trail
// of a resubmission.
func changedFields(old, updated Content) []string {
	o, n := old.Input(), updated.Input()
	ov, nv := reflect.ValueOf(o), reflect.ValueOf(n)
	var changed []string
	for i := range ov.NumField() {
		if !reflect.DeepEqual(ov.Field(i).Interface(), nv.Field(i).Interface()) {
			name, _, _ := strings.Cut(ov.Type().Field(i).Tag.Get("json"), ",")
			changed = append(changed, name)
		}
	}
	return changed
}
