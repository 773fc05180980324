// Package memstore keeps the Sponsorship Tracker's data in maps, for tests about the
// domain's logic, not about storage. A Store implements every store interface the
// services of package sponsorship declare (Store, ReviewStore, AdminStore, StaffStore
// and FinanceStore), so a rule can be checked in milliseconds, with no database running.
//
// It keeps the contracts those interfaces state, as the dynamostore package keeps them
// on DynamoDB, and refuses what that store refuses:
//
//   - every write is all or nothing: a refused write changes nothing;
//   - a change to a request applies only to the version it started from, else
//     *sponsorship.ConflictError with the request's current status and version; roster
//     entries, companies, settings and budgets are versioned the same way;
//   - an approval its budget cannot take is a *sponsorship.BudgetExceededError (NoBudget
//     when no budget was allocated), and an allocation below what is committed and paid
//     a *sponsorship.AllocationError;
//   - a request id, or an idempotency key that has not expired, is taken once: again,
//     sponsorship.ErrDuplicate; an address at its day's limit of unconfirmed requests
//     gets sponsorship.ErrTooManyUnconfirmed;
//   - each name key and e-mail domain belongs to one company;
//   - whatever is absent is sponsorship.ErrNotFound.
//
// Its reads return what the real store's return, in the same order: Dossier holds only
// the current round's votes, Ballots and PaymentBasis every round's, Public none of the
// committee's items; the queue leaves out provisional requests and pages with a limit
// and an opaque cursor. Everything stored and returned is a deep copy, so a caller can
// change the store's state only through its methods. A Store is safe for concurrent
// use: one mutex guards it.
//
// It does not emulate what the services do not depend on for their rules: expiry by
// time to live (expired provisional requests, idempotency records and daily counts
// stay, as on moto, and the domain treats them as absent); throttling, unavailability
// or any other failure of storage; item sizes, transaction limits and read costs; the
// short pages a filtered DynamoDB query may give; the indexes reports and notifications
// read; and the precision of stored times, which are kept as given (the services cut
// them to the microseconds the real store keeps).
package memstore

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// Store is an in-memory store of requests, the roster, settings and budgets. The zero
// value is not ready; use New.
type Store struct {
	mu          sync.Mutex
	requests    map[string]*partition
	idempotency map[string]sponsorship.IdempotencyRecord // by key hash
	unconfirmed map[sponsorship.AddressDay]int
	reviewers   map[string]sponsorship.Reviewer
	companies   map[string]sponsorship.Company
	claims      map[string]string // "key:" or "domain:" and what is claimed → company id
	governance  *sponsorship.Governance
	public      *sponsorship.PublicFields
	budgets     map[budgetKey]sponsorship.Budget
	adminEvents []sponsorship.AuditEvent
}

var (
	_ sponsorship.Store           = (*Store)(nil)
	_ sponsorship.ReviewStore     = (*Store)(nil)
	_ sponsorship.AdminStore      = (*Store)(nil)
	_ sponsorship.StaffStore      = (*Store)(nil)
	_ sponsorship.FinanceStore    = (*Store)(nil)
	_ sponsorship.AttachmentStore = (*Store)(nil)
	_ sponsorship.PayoutStore     = (*Store)(nil)
)

// Attachments lists a request's attachments, oldest first (by id: ULIDs sort by time).
func (s *Store) Attachments(_ context.Context, requestID string) ([]sponsorship.Attachment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.requests[requestID]
	if p == nil {
		return nil, nil
	}
	out := make([]sponsorship.Attachment, 0, len(p.attachments))
	for _, a := range p.attachments {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b sponsorship.Attachment) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// partition is everything stored about one request.
type partition struct {
	request      *sponsorship.Request
	events       []sponsorship.AuditEvent // in version order
	code         string                   // the plain confirmation code, while provisional
	votes        map[string]sponsorship.Vote
	recusals     map[string]sponsorship.Recusal
	declarations map[string]sponsorship.Declaration
	comments     map[string]sponsorship.Comment
	payments     map[string]sponsorship.Payment
	attachments  map[string]sponsorship.Attachment
	payouts      map[int]sponsorship.SealedPayout // sealed payout details by number
}

type budgetKey struct {
	year     int
	category sponsorship.Kind
	currency string
}

// New returns an empty Store: no requests, an empty roster, default settings and no
// budgets.
func New() *Store {
	return &Store{
		requests:    map[string]*partition{},
		idempotency: map[string]sponsorship.IdempotencyRecord{},
		unconfirmed: map[sponsorship.AddressDay]int{},
		reviewers:   map[string]sponsorship.Reviewer{},
		companies:   map[string]sponsorship.Company{},
		claims:      map[string]string{},
		budgets:     map[budgetKey]sponsorship.Budget{},
	}
}

// CreateRequest stores a new request with its first event and, when idem is not nil,
// the idempotency record; a taken key or id gives sponsorship.ErrDuplicate.
func (s *Store) CreateRequest(_ context.Context, r *sponsorship.Request, ev sponsorship.AuditEvent, idem *sponsorship.IdempotencyRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keyTaken(idem, r.SubmittedAt) || s.requests[r.ID] != nil {
		return fmt.Errorf("create %s: %w", r.ID, sponsorship.ErrDuplicate)
	}
	s.create(r, ev, idem)
	return nil
}

// CreateProvisional stores a request waiting for its address to be confirmed, as
// CreateRequest does, with its plain confirmation code, and counts it against the
// address's day: at the limit it gives sponsorship.ErrTooManyUnconfirmed and stores
// nothing. A taken idempotency key is reported before a full count, as the real store
// does.
func (s *Store) CreateProvisional(_ context.Context, r *sponsorship.Request, ev sponsorship.AuditEvent,
	idem *sponsorship.IdempotencyRecord, p sponsorship.Pending) error {
	if !r.Provisional() {
		return fmt.Errorf("create %s: a provisional request needs an expiry", r.ID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.keyTaken(idem, r.SubmittedAt):
		return fmt.Errorf("create %s: %w", r.ID, sponsorship.ErrDuplicate)
	case s.unconfirmed[p.Count] >= p.Limit:
		return fmt.Errorf("create %s: %w", r.ID, sponsorship.ErrTooManyUnconfirmed)
	case s.requests[r.ID] != nil:
		return fmt.Errorf("create %s: %w", r.ID, sponsorship.ErrDuplicate)
	}
	s.create(r, ev, idem).code = p.Code
	s.unconfirmed[p.Count]++
	return nil
}

// create writes a new request's partition and idempotency record; the caller holds the
// lock and has checked that both are free.
func (s *Store) create(r *sponsorship.Request, ev sponsorship.AuditEvent, idem *sponsorship.IdempotencyRecord) *partition {
	p := &partition{
		request: cloneRequest(r), events: []sponsorship.AuditEvent{cloneEvent(ev)},
		votes: map[string]sponsorship.Vote{}, recusals: map[string]sponsorship.Recusal{},
		declarations: map[string]sponsorship.Declaration{}, comments: map[string]sponsorship.Comment{},
		payments: map[string]sponsorship.Payment{},
	}
	s.requests[r.ID] = p
	s.remember(idem)
	return p
}

// keyTaken reports whether an idempotency key is held by a record that had not expired
// at the time of the write. Expiry is judged in whole seconds, as the table's
// time-to-live attribute holds it.
func (s *Store) keyTaken(idem *sponsorship.IdempotencyRecord, at time.Time) bool {
	if idem == nil {
		return false
	}
	old, ok := s.idempotency[idem.KeyHash]
	return ok && !old.ExpiresAt.Before(at.Truncate(time.Second))
}

func (s *Store) remember(idem *sponsorship.IdempotencyRecord) {
	if idem == nil {
		return
	}
	rec := *idem
	rec.Salt = slices.Clone(idem.Salt)
	rec.ExpiresAt = idem.ExpiresAt.Truncate(time.Second)
	s.idempotency[idem.KeyHash] = rec
}

// GetRequest returns a copy of the request, or sponsorship.ErrNotFound.
func (s *Store) GetRequest(_ context.Context, id string) (*sponsorship.Request, error) {
	d, err := s.read(id, "get", 0)
	if err != nil {
		return nil, err
	}
	return d.Request, nil
}

// GetIdempotency returns the record of a key hash, expired or not, or
// sponsorship.ErrNotFound.
func (s *Store) GetIdempotency(_ context.Context, keyHash string) (*sponsorship.IdempotencyRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.idempotency[keyHash]
	if !ok {
		return nil, fmt.Errorf("idempotency record: %w", sponsorship.ErrNotFound)
	}
	rec.Salt = slices.Clone(rec.Salt)
	return &rec, nil
}

// ConfirmationCode returns the plain confirmation code of a provisional request, as the
// notification function reads it to mail the link; sponsorship.ErrNotFound once the
// address is confirmed, which deletes the code.
func (s *Store) ConfirmationCode(_ context.Context, id string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.requests[id]; p != nil && p.code != "" {
		return p.code, nil
	}
	return "", fmt.Errorf("confirmation code of %s: %w", id, sponsorship.ErrNotFound)
}

// Apply writes a change to a request, all of it or nothing. It is refused, in the real
// store's order of precedence, with sponsorship.ErrDuplicate when the change remembers
// an idempotency key that is taken; with *sponsorship.BudgetExceededError when the
// request is at the version the change started from but the budget cannot take the
// commitment; with sponsorship.ErrNotFound for an unknown request; and with
// *sponsorship.ConflictError when the request is at another version, or the change would
// overwrite an event, comment or payment, or settle money of a budget that does not
// exist.
func (s *Store) Apply(_ context.Context, c sponsorship.Change) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := c.Request
	p := s.requests[r.ID]
	current := p != nil && p.request.Version == c.Base()
	if c.Idempotency != nil && s.keyTaken(c.Idempotency, r.UpdatedAt) {
		return fmt.Errorf("update %s: %w", r.ID, sponsorship.ErrDuplicate)
	}
	if c.Commit != nil && current {
		if err := s.refuseCommitment(*c.Commit); err != nil {
			return err
		}
	}
	if p == nil {
		return fmt.Errorf("update %s: %w", r.ID, sponsorship.ErrNotFound)
	}
	if !current || p.overwrites(c) || (c.Settle != nil && !s.hasBudget(*c.Settle)) {
		return &sponsorship.ConflictError{ID: r.ID, CurrentStatus: p.request.Status, CurrentVersion: p.request.Version}
	}
	p.request = cloneRequest(r)
	for _, ev := range c.Events {
		p.events = append(p.events, cloneEvent(ev))
	}
	slices.SortStableFunc(p.events, func(a, b sponsorship.AuditEvent) int { return cmp.Compare(a.Version, b.Version) })
	if v := c.PutVote; v != nil {
		p.votes[v.ReviewerID] = cloneVote(*v)
	}
	if c.DeleteVote != "" {
		delete(p.votes, c.DeleteVote)
	}
	if x := c.PutRecusal; x != nil {
		p.recusals[x.ReviewerID] = *x
	}
	if x := c.PutDeclaration; x != nil {
		p.declarations[x.ReviewerID] = *x
	}
	if x := c.PutComment; x != nil {
		p.comments[x.ID] = *x
	}
	if x := c.PutPayment; x != nil {
		p.payments[x.ID] = *x
	}
	if x := c.PutAttachment; x != nil {
		if p.attachments == nil {
			p.attachments = map[string]sponsorship.Attachment{}
		}
		p.attachments[x.ID] = *x
	}
	if x := c.PutPayout; x != nil {
		if p.payouts == nil {
			p.payouts = map[int]sponsorship.SealedPayout{}
		}
		p.payouts[x.Number] = cloneSealed(*x)
	}
	if n := c.ConfirmPayout; n != 0 {
		x := p.payouts[n]
		x.Code, x.ExpiresAt = "", time.Time{}
		p.payouts[n] = x
	}
	if cm := c.Commit; cm != nil {
		s.moveBudget(*cm, r.UpdatedAt, func(b *sponsorship.Budget, minor int64) { b.Committed += minor })
	}
	if st := c.Settle; st != nil {
		s.moveBudget(*st, r.UpdatedAt, func(b *sponsorship.Budget, minor int64) { b.Committed -= minor; b.Paid += minor })
	}
	s.remember(c.Idempotency)
	if cf := c.Confirmed; cf != nil {
		p.code = ""
		if cf.Free != nil {
			s.unconfirmed[*cf.Free]--
		}
	}
	return nil
}

// overwrites reports whether a change would replace an event, comment, payment or set
// of payout details, which are written once.
func (p *partition) overwrites(c sponsorship.Change) bool {
	for _, ev := range c.Events {
		if slices.ContainsFunc(p.events, func(e sponsorship.AuditEvent) bool { return e.Version == ev.Version }) {
			return true
		}
	}
	if c.PutComment != nil {
		if _, ok := p.comments[c.PutComment.ID]; ok {
			return true
		}
	}
	if c.PutPayment != nil {
		if _, ok := p.payments[c.PutPayment.ID]; ok {
			return true
		}
	}
	if c.PutPayout != nil {
		if _, ok := p.payouts[c.PutPayout.Number]; ok {
			return true
		}
	}
	return false
}

func keyOf(cm sponsorship.Commitment) budgetKey {
	return budgetKey{cm.FiscalYear, cm.Category, cm.Amount.Currency}
}

func (s *Store) hasBudget(cm sponsorship.Commitment) bool {
	_, ok := s.budgets[keyOf(cm)]
	return ok
}

// refuseCommitment is the refusal of a commitment its budget cannot take, or nil.
func (s *Store) refuseCommitment(cm sponsorship.Commitment) error {
	b, ok := s.budgets[keyOf(cm)]
	left := b.Remaining().Minor // zero without a budget
	if ok && left >= cm.Amount.Minor {
		return nil
	}
	return &sponsorship.BudgetExceededError{FiscalYear: cm.FiscalYear, Category: cm.Category, Requested: cm.Amount,
		Remaining: money.Money{Currency: cm.Amount.Currency, Minor: left}, NoBudget: !ok}
}

// moveBudget changes the figures of the budget a commitment names.
func (s *Store) moveBudget(cm sponsorship.Commitment, at time.Time, move func(b *sponsorship.Budget, minor int64)) {
	k := keyOf(cm)
	b := s.budgets[k]
	move(&b, cm.Amount.Minor)
	b.UpdatedAt = at
	s.budgets[k] = b
}

// Which parts of a request's partition a read returns besides the request.
type parts uint8

const (
	history parts = 1 << iota
	allVotes
	currentVotes
	recusals
	declarations
	comments
	payments
)

// read copies a request and the parts of its partition asked for, each in the real
// store's order: events by version, votes, recusals and declarations by reviewer,
// comments and payments by id (so by time).
func (s *Store) read(id, what string, want parts) (*sponsorship.Dossier, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.requests[id]
	if p == nil {
		return nil, fmt.Errorf("%s %s: %w", what, id, sponsorship.ErrNotFound)
	}
	d := &sponsorship.Dossier{Request: cloneRequest(p.request)}
	if want&history != 0 {
		for _, ev := range p.events {
			d.History = append(d.History, cloneEvent(ev))
		}
	}
	if want&(allVotes|currentVotes) != 0 {
		for _, v := range inOrder(p.votes) {
			if want&allVotes != 0 || v.Round == p.request.Round {
				d.Votes = append(d.Votes, cloneVote(v))
			}
		}
	}
	if want&recusals != 0 {
		d.Recusals = inOrder(p.recusals)
	}
	if want&declarations != 0 {
		d.Declarations = inOrder(p.declarations)
	}
	if want&comments != 0 {
		d.Comments = inOrder(p.comments)
	}
	if want&payments != 0 {
		d.Payments = inOrder(p.payments)
	}
	return d, nil
}

// inOrder lists a map's values by key; nil when there are none.
func inOrder[V any](m map[string]V) []V {
	var out []V
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[k])
	}
	return out
}

// Dossier reads a request with its history, the votes of its current round, its
// recusals, declarations, comments and payments.
func (s *Store) Dossier(_ context.Context, id string) (*sponsorship.Dossier, error) {
	return s.read(id, "dossier of", history|currentVotes|recusals|declarations|comments|payments)
}

// Public reads what a request's applicant may see: the request, its history and its
// payments.
func (s *Store) Public(_ context.Context, id string) (*sponsorship.Dossier, error) {
	return s.read(id, "public dossier of", history|payments)
}

// Ballots reads a request with the votes of every round, its recusals and declarations.
func (s *Store) Ballots(_ context.Context, id string) (*sponsorship.Dossier, error) {
	return s.read(id, "ballots of", allVotes|recusals|declarations)
}

// Payments reads a request with its payments.
func (s *Store) Payments(_ context.Context, id string) (*sponsorship.Request, []sponsorship.Payment, error) {
	d, err := s.read(id, "payments of", payments)
	if err != nil {
		return nil, nil, err
	}
	return d.Request, d.Payments, nil
}

// PaymentBasis reads a request with its payments, the votes of every round, its
// recusals and declarations.
func (s *Store) PaymentBasis(_ context.Context, id string) (*sponsorship.Dossier, error) {
	return s.read(id, "payment basis of", payments|allVotes|recusals|declarations)
}

// SealedPayout reads one set of a request's sealed payout details.
func (s *Store) SealedPayout(_ context.Context, id string, n int) (*sponsorship.SealedPayout, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.requests[id]
	if p == nil {
		return nil, fmt.Errorf("payout details of %s: %w", id, sponsorship.ErrNotFound)
	}
	x, ok := p.payouts[n]
	if !ok {
		return nil, fmt.Errorf("payout details %d of %s: %w", n, id, sponsorship.ErrNotFound)
	}
	c := cloneSealed(x)
	return &c, nil
}
