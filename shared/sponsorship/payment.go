package sponsorship

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
)

// Payment is money paid out against an approved request, or (negative, with Reverses
// set) the correction of an earlier payment. Payments are never edited.
type Payment struct {
	ID          string
	RequestID   string
	Reference   string // the request's
	FiscalYear  int
	Category    Kind
	Amount      money.Money
	Date        string // when the money moved, YYYY-MM-DD
	Method      string
	ExternalRef string // the bank's or provider's reference
	Note        string
	Reverses    string // the payment this one corrects
	// Milestone is the project milestone (index from 0) a payment pays; a reversal
	// carries its payment's.
	Milestone *int
	// Advance marks money paid before the evidence, within the share an admin allows
	// for the request's kind (see Governance.AdvancePercent).
	Advance    bool
	RecordedBy Actor
	RecordedAt time.Time
}

// PaymentMethods are the ways money goes out.
var PaymentMethods = []string{"bank_transfer", "card", "paypal", "cheque", "cash", "other"}

// PaymentInput is what finance sends: a payment, or a reversal naming the payment it
// corrects (then without an amount: a reversal undoes the whole payment).
type PaymentInput struct {
	Amount    *money.Amount `json:"amount,omitempty"`
	Date      string        `json:"date"`
	Method    string        `json:"method"`
	Reference string        `json:"externalReference,omitempty"`
	Note      string        `json:"note,omitempty"`
	Reverses  string        `json:"reverses,omitempty"`
	// Milestone names the project milestone paid (from 0); a project's payment names
	// one unless it is an advance.
	Milestone *int `json:"milestone,omitempty"`
	// Advance pays before the evidence, within the share allowed for the kind.
	Advance bool `json:"advance,omitempty"`
}

// FinanceStore is what payments need from storage.
type FinanceStore interface {
	// Payments reads a request with its payments, in one read.
	Payments(ctx context.Context, id string) (*Request, []Payment, error)
	// PaymentBasis reads what a payment is checked against, in one read: the request,
	// its payments, the votes of every round and the recusals.
	PaymentBasis(ctx context.Context, id string) (*Dossier, error)
	// Directory reads the roster with the companies, in one read.
	Directory(ctx context.Context) (Directory, error)
	// Queue lists requests by status, a page at a time.
	Queue(ctx context.Context, q QueueQuery) (QueuePage, error)
	GetIdempotency(ctx context.Context, keyHash string) (*IdempotencyRecord, error)
	Apply(ctx context.Context, c Change) error
	// Attachments lists a request's files, which the evidence a payment needs is.
	Attachments(ctx context.Context, requestID string) ([]Attachment, error)
	// Governance reads the settings, which hold the advances allowed.
	Governance(ctx context.Context) (Governance, error)
}

// FinanceService records payments: the total paid never exceeds the approved amount,
// money leaves only against accepted evidence (or as an allowed advance), the
// request's status follows in the same transaction, the budget moves the amount
// from committed to paid, and an Idempotency-Key never records a payment twice.
type FinanceService struct {
	store FinanceStore
	clock Clock
	ttl   time.Duration
}

// NewFinanceService returns a FinanceService over store, reading the time from clock.
func NewFinanceService(store FinanceStore, clock Clock) *FinanceService {
	return &FinanceService{store: financeStore{store}, clock: mustClock("NewFinanceService", clock), ttl: 24 * time.Hour}
}

// Recorded is the answer to a payment: the payment and where the request stands.
type Recorded struct {
	Payment  Payment
	Request  *Request
	Replayed bool
}

// Outstanding is what remains to pay on an approved request.
func (r *Request) Outstanding() money.Money {
	if r.Approved == nil {
		return money.Money{Currency: r.Amount.Currency}
	}
	return money.Money{Currency: r.Approved.Currency, Minor: r.Approved.Minor - r.Paid.Minor}
}

// RecordPayment records a payment or a reversal against a request.
func (s *FinanceService) RecordPayment(ctx context.Context, who Staff, id, idempotencyKey string, in PaymentInput) (Recorded, error) {
	if !who.In(GroupFinance) {
		return Recorded{}, &ForbiddenError{Reason: "only finance records payments"}
	}
	if !ValidID(id) {
		return Recorded{}, ErrNotFound
	}
	now := s.clock.at()
	var keyHash, fingerprint string
	if idempotencyKey != "" {
		b, _ := json.Marshal(struct {
			ID string
			In PaymentInput
		}{id, in})
		sum := sha256.Sum256(b)
		keyHash, fingerprint = HashSecret("payment\x00"+idempotencyKey), hex.EncodeToString(sum[:])
		rec, err := s.store.GetIdempotency(ctx, keyHash)
		if err == nil && rec.ExpiresAt.After(now) {
			return s.replayPayment(ctx, rec, fingerprint)
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
			return Recorded{}, err
		}
	}
	dir, err := s.store.Directory(ctx)
	if err != nil {
		return Recorded{}, fmt.Errorf("read roster: %w", err)
	}
	me, ok := dir.Member(who.ID)
	if !ok || !me.Active {
		return Recorded{}, &ForbiddenError{Reason: "only finance staff on the roster record payments (it holds the name and e-mail the record and the separation of duties use); an admin can add you"}
	}
	for attempt := 1; ; attempt++ {
		d, err := s.store.PaymentBasis(ctx, id)
		if err != nil {
			return Recorded{}, fmt.Errorf("read %s: %w", id, err)
		}
		req, payments := d.Request, d.Payments
		if err := separate(dir, me, d); err != nil {
			return Recorded{}, err
		}
		p, err := s.payment(req, payments, me, in, now)
		if err != nil {
			return Recorded{}, err
		}
		if p.Reverses == "" {
			if err := s.gate(ctx, req, payments, p); err != nil {
				return Recorded{}, err
			}
		}
		next := *req
		if next.Paid, err = (money.Money{Currency: p.Amount.Currency, Minor: req.Paid.Minor}).Add(p.Amount); err != nil {
			return Recorded{}, fmt.Errorf("record payment on %s: %w", id, err)
		}
		to := StatusPartiallyPaid
		switch {
		case next.Paid.Minor == 0:
			to = StatusApproved
		case next.Paid.Minor == req.Approved.Minor && req.AllReportsAccepted():
			to = StatusClosed
		case next.Paid.Minor == req.Approved.Minor:
			to = StatusPaid
		}
		t, err := CheckTransition(req.Status, to, RoleFinance)
		if err != nil {
			return Recorded{}, err
		}
		if p.Amount.Minor > 0 {
			next.PaidOn = p.Date
		}
		next.Status, next.Version, next.UpdatedAt = to, req.Version+1, now
		ev := AuditEvent{RequestID: id, Version: next.Version, Type: t.Event, At: now, FromStatus: req.Status, ToStatus: to,
			Actor: p.RecordedBy, Message: p.Note, Data: map[string]string{
				"paymentId": p.ID, "amount": p.Amount.Decimal(), "currency": p.Amount.Currency, "date": p.Date,
				"method": p.Method, "paidTotal": next.Paid.Decimal(), "reverses": p.Reverses,
			}}
		if p.Milestone != nil {
			ev.Data["milestone"] = fmt.Sprint(*p.Milestone)
		}
		if p.Advance {
			ev.Data["advance"] = "true"
		}
		if p.Reverses != "" {
			// Partially paid to partially paid is one move of the lifecycle, made by a
			// payment or by a reversal: the entry, not the move, says which it was.
			ev.Type = EventPaymentReversed
		}
		c := Change{Request: &next, Events: []AuditEvent{ev}, PutPayment: &p,
			Settle:   &Commitment{FiscalYear: req.FiscalYear, Category: req.Kind, Amount: p.Amount},
			Register: registerPayment(req, &next, p)}
		if keyHash != "" {
			c.Idempotency = &IdempotencyRecord{KeyHash: keyHash, Fingerprint: fingerprint, RequestID: id, Reference: p.ID,
				SubmittedAt: now, ExpiresAt: now.Add(s.ttl)}
		}
		err = s.store.Apply(ctx, c)
		var conflict *ConflictError
		switch {
		case errors.As(err, &conflict) && attempt < maxUpdateAttempts:
			continue
		case errors.Is(err, ErrDuplicate) && keyHash != "":
			rec, rerr := s.store.GetIdempotency(ctx, keyHash)
			if rerr != nil {
				return Recorded{}, rerr
			}
			return s.replayPayment(ctx, rec, fingerprint)
		case err != nil:
			return Recorded{}, fmt.Errorf("record payment on %s: %w", id, err)
		}
		return Recorded{Payment: p, Request: &next}, nil
	}
}

// AdmitJudge admits a member of finance to accept a request's report or send it back,
// under the rule that keeps apart who decides on money and who pays it (see separate):
// a report's acceptance releases money, so the applicant, their company's members and
// whoever voted on or stood aside from the request do not judge it.
func (s *FinanceService) AdmitJudge(ctx context.Context, who Staff, id string) (Actor, error) {
	if !who.In(GroupFinance) {
		return Actor{}, &ForbiddenError{Reason: "only finance judges reports here"}
	}
	if !ValidID(id) {
		return Actor{}, ErrNotFound
	}
	dir, err := s.store.Directory(ctx)
	if err != nil {
		return Actor{}, fmt.Errorf("read roster: %w", err)
	}
	me, ok := dir.Member(who.ID)
	if !ok || !me.Active {
		return Actor{}, &ForbiddenError{Reason: "only finance staff on the roster judge reports; an admin can add you"}
	}
	d, err := s.store.PaymentBasis(ctx, id)
	if err != nil {
		return Actor{}, err
	}
	if err := separate(dir, me, d); err != nil {
		return Actor{}, err
	}
	return Actor{Role: RoleFinance, ID: me.ID, Name: me.Name}, nil
}

// separate keeps apart who decides on money and who pays it: a reviewer who voted on a
// request (in any round), stood aside from it, or whose company is the applicant's does
// not record its payments, nor does its applicant. Their other roles elsewhere stay.
func separate(dir Directory, me Reviewer, d *Dossier) error {
	const other = "; someone else in finance records its payments and judges its reports"
	for _, v := range d.Votes {
		if v.ReviewerID == me.ID {
			return &ForbiddenError{Reason: "you voted on this request" + other}
		}
	}
	for _, r := range d.Recusals {
		if r.ReviewerID == me.ID {
			return &ForbiddenError{Reason: "you are recused from this request" + other}
		}
	}
	if c := dir.ConflictOf(me, d.Request.Applicant); c.Level == ExactConflict {
		return &ForbiddenError{Reason: "conflict of interest: " + c.Reason + other}
	}
	if sameMailbox(me.Email, d.Request.Applicant.Email) {
		return &ForbiddenError{Reason: "you are this request's applicant" + other}
	}
	return nil
}

// sameMailbox compares two addresses as one mailbox: case-insensitively, and without
// a +tag in the local part (ada+grants@example.org is ada@example.org).
func sameMailbox(a, b string) bool {
	mailbox := func(s string) string {
		local, domain, _ := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "@")
		local, _, _ = strings.Cut(local, "+")
		return local + "@" + domain
	}
	return a != "" && b != "" && mailbox(a) == mailbox(b)
}

// payment validates the input against the request and its payments, every field error
// at once, and builds the payment.
func (s *FinanceService) payment(req *Request, payments []Payment, me Reviewer, in PaymentInput, now time.Time) (Payment, error) {
	var v validator
	p := Payment{
		ID: ulid.Make().String(), RequestID: req.ID, Reference: req.Reference, FiscalYear: req.FiscalYear, Category: req.Kind,
		Date: v.date("date", in.Date, true), Method: strings.TrimSpace(in.Method),
		ExternalRef: v.text("externalReference", in.Reference, 0, maxShortText, oneLine), Note: v.free("note", in.Note, maxMessage),
		Reverses: strings.TrimSpace(in.Reverses), RecordedBy: Actor{Role: RoleFinance, ID: me.ID, Name: me.Name}, RecordedAt: now,
	}
	switch approved := req.DecidedAt.UTC().Format(dateLayout); {
	case p.Date != "" && p.Date > now.Format(dateLayout):
		v.add("date", CodeInvalidDate, "A payment cannot be dated in the future.")
	case p.Date != "" && req.Approved != nil && p.Date < approved:
		v.add("date", CodeDateOrder, "A payment cannot be dated before the request was approved, on %s.", approved)
	}
	if !slices.Contains(PaymentMethods, p.Method) {
		v.add("method", CodeUnknownValue, "Use one of %s.", strings.Join(PaymentMethods, ", "))
	}
	if req.Approved == nil {
		return Payment{}, &TransitionError{From: req.Status, By: RoleFinance, Action: "record a payment"}
	}
	if p.Reverses != "" {
		i := slices.IndexFunc(payments, func(x Payment) bool { return x.ID == p.Reverses })
		switch {
		case in.Amount != nil:
			v.add("amount", CodeNotAllowed, "A reversal undoes the whole payment it names; leave the amount out.")
		case i < 0 || payments[i].Amount.Minor < 0:
			v.add("reverses", CodeUnknownValue, "Name a payment of this request.")
		case slices.ContainsFunc(payments, func(x Payment) bool { return x.Reverses == p.Reverses }):
			v.add("reverses", CodeNotAllowed, "That payment was reversed already.")
		case in.Milestone != nil || in.Advance:
			v.add("reverses", CodeNotAllowed, "A reversal carries the milestone and advance of the payment it names; leave them out.")
		default:
			p.Amount = money.Money{Currency: payments[i].Amount.Currency, Minor: -payments[i].Amount.Minor}
			p.Milestone, p.Advance = payments[i].Milestone, payments[i].Advance
		}
		return p, v.err()
	}
	p.Milestone, p.Advance = in.Milestone, in.Advance
	switch {
	case in.Milestone == nil:
	case req.Project == nil:
		v.add("milestone", CodeNotAllowed, "Only a project's payments name a milestone.")
	case in.Advance:
		v.add("milestone", CodeNotAllowed, "An advance is paid on the whole grant, not on a milestone.")
	case *in.Milestone < 0 || *in.Milestone >= len(req.Project.Milestones):
		v.add("milestone", CodeUnknownValue, "The project has no such milestone.")
	}
	if req.Project != nil && in.Milestone == nil && !in.Advance {
		v.add("milestone", CodeRequired, "Name the milestone this payment pays (from 0), or mark it an advance.")
	}
	if in.Amount == nil {
		v.add("amount", CodeRequired, "Enter the amount paid.")
		return p, v.err()
	}
	amount, ok := v.amount("amount", *in.Amount)
	switch {
	case !ok:
	case amount.Minor <= 0:
		v.add("amount.value", CodeNotPositive, "A payment is more than zero; correct one with a reversal.")
	case amount.Currency != req.Approved.Currency:
		v.add("amount.currency", CodeCurrencyMismatch, "Pay in the approved currency, %s.", req.Approved.Currency)
	case amount.Minor > req.Approved.Minor-req.Paid.Minor:
		v.add("amount.value", CodeAboveCeiling, "Only %s of the approved %s remains to pay.", req.Outstanding(), req.Approved)
	default:
		p.Amount = amount
	}
	return p, v.err()
}

func (s *FinanceService) replayPayment(ctx context.Context, rec *IdempotencyRecord, fingerprint string) (Recorded, error) {
	if rec.Fingerprint != fingerprint {
		return Recorded{}, ErrIdempotencyKeyReused
	}
	req, payments, err := s.store.Payments(ctx, rec.RequestID)
	if err != nil {
		return Recorded{}, err
	}
	for _, p := range payments {
		if p.ID == rec.Reference {
			return Recorded{Payment: p, Request: req, Replayed: true}, nil
		}
	}
	return Recorded{}, fmt.Errorf("replay payment %s: %w", rec.Reference, ErrNotFound)
}

// PayableStatuses are the statuses whose requests finance lists: approved and not yet
// paid in full, and paid or closed (for the record).
var PayableStatuses = []Status{StatusApproved, StatusPartiallyPaid, StatusPaid, StatusClosed}

// ToPay lists the requests of one payable status, oldest first, a page at a time, for
// finance (and admins, who may read): what is approved and what remains owed.
func (s *FinanceService) ToPay(ctx context.Context, who Staff, status Status, limit int, cursor string) (QueuePage, error) {
	if !who.In(GroupFinance) && !who.In(GroupAdmins) {
		return QueuePage{}, &ForbiddenError{Reason: "only finance and admins see the requests to pay"}
	}
	return s.store.Queue(ctx, QueueQuery{Status: status, Limit: limit, Cursor: cursor})
}

// PaymentsOf lists a request's payments for finance (and admins, who may read).
func (s *FinanceService) PaymentsOf(ctx context.Context, who Staff, id string) (*Request, []Payment, error) {
	if !who.In(GroupFinance) && !who.In(GroupAdmins) {
		return nil, nil, &ForbiddenError{Reason: "only finance and admins see payments"}
	}
	if !ValidID(id) {
		return nil, nil, ErrNotFound
	}
	return s.store.Payments(ctx, id)
}

// gate lets money leave only against accepted evidence, or as an advance within the
// share an admin allows for the request's kind:
//
//   - a project's milestone once its report is accepted, at most the milestone's
//     amount less what was paid on it;
//   - a travel reimbursement once the receipts and the trip report are accepted;
//   - a conference's sponsorship once the organiser's invoice is on file (the request
//     closes when its post-event report is accepted);
//
// and, whatever the kind, never while payout details wait for the applicant's
// confirmation of a change or for finance's verification.
func (s *FinanceService) gate(ctx context.Context, req *Request, payments []Payment, p Payment) error {
	// Money never leaves to payout details that are being changed or that finance has
	// not verified, advances included.
	if miss := payoutMissing(req, p.RecordedAt); len(miss) > 0 {
		return &EvidenceMissingError{Action: "record this payment", Missing: miss}
	}
	if p.Advance {
		return s.advance(ctx, req, payments, p)
	}
	files, err := s.store.Attachments(ctx, req.ID)
	if err != nil {
		return fmt.Errorf("read evidence of %s: %w", req.ID, err)
	}
	items := Checklist(req, files)
	var miss []string
	switch req.Kind {
	case KindProject:
		n := *p.Milestone
		// The milestone's report was accepted with its deliverable and invoice on file;
		// all three are checked again here.
		miss = missing(items, func(it ChecklistItem) bool { return it.Milestone != nil && *it.Milestone == n })
		if len(miss) == 0 {
			m := req.Project.Milestones[n]
			paid := int64(0)
			for _, x := range payments {
				if !x.Advance && x.Milestone != nil && *x.Milestone == n {
					paid += x.Amount.Minor
				}
			}
			if p.Amount.Minor > m.Amount.Minor-paid {
				left := money.Money{Currency: m.Amount.Currency, Minor: m.Amount.Minor - paid}
				return &ValidationError{Errors: []FieldError{{Field: "amount.value", Code: CodeAboveCeiling,
					Message: fmt.Sprintf("Milestone %d is %s, of which %s remains to pay.", n+1, m.Amount, left)}}}
			}
		}
	case KindTravel:
		miss = missing(items, func(ChecklistItem) bool { return true })
	case KindConference:
		miss = missing(items, func(it ChecklistItem) bool { return it.Purpose == PurposeInvoice })
	}
	if len(miss) > 0 {
		return &EvidenceMissingError{Action: "record this payment", Missing: miss}
	}
	return nil
}

// advance checks a payment made before the evidence against the share an admin allows
// for the request's kind, advances already paid included.
func (s *FinanceService) advance(ctx context.Context, req *Request, payments []Payment, p Payment) error {
	g, err := s.store.Governance(ctx)
	if err != nil {
		return fmt.Errorf("read settings: %w", err)
	}
	share := g.AdvancePercent[req.Kind]
	if share <= 0 {
		return &ValidationError{Errors: []FieldError{{Field: "advance", Code: CodeNotAllowed,
			Message: fmt.Sprintf("No advance is allowed on %s requests; an admin sets the share in the settings.", req.Kind)}}}
	}
	allowed := req.Approved.Minor * int64(share) / 100
	paid := int64(0)
	for _, x := range payments {
		if x.Advance {
			paid += x.Amount.Minor
		}
	}
	if p.Amount.Minor > allowed-paid {
		m := func(minor int64) money.Money { return money.Money{Currency: req.Approved.Currency, Minor: minor} }
		return &ValidationError{Errors: []FieldError{{Field: "amount.value", Code: CodeAboveCeiling,
			Message: fmt.Sprintf("At most %d%% of the approved amount, %s, is paid in advance; %s already was.", share, m(allowed), m(paid))}}}
	}
	return nil
}
