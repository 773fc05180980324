package sponsorship

import (
	"context"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
)

// RegisterEntry is what the public register keeps of one listed decision: every input
// of its public record that may ever be public under the applicant's choice, and
// nothing else. The e-mail address, summary, kind details, cost lines, comments,
// payout details and reviewers' names are never in it, and under PublishAnonymous
// neither are the name and organization. Which of its fields a page shows is decided
// when the page is made, by Record with the admins' public fields of that moment.
type RegisterEntry struct {
	ID          string
	Reference   string
	FiscalYear  int
	Status      Status // approved, rejected, or where payments took it since
	Publication Publication
	Kind        Kind
	Title       string
	// ApplicantName and Organization are empty unless the applicant chose PublishNamed.
	ApplicantName string
	Organization  string
	Event         string
	Requested     money.Money
	Approved      *money.Money
	DecidedAt     time.Time
	Seats         []PublicSeat
	Recusals      []PublicRecusal
	Payments      PublicPayments
	// DecisionVersion is the version of the decision's audit event, whose leaf in the
	// verifiable log the decision's page links.
	DecisionVersion int
	// LeafIndex is that event's index in the log, once the log holds it: the ledger
	// function writes it on the stored entry after appending the event.
	LeafIndex *int64
}

// Outcome is the decision, whatever payments did to the status since.
func (e RegisterEntry) Outcome() Status {
	if e.Status == StatusRejected {
		return StatusRejected
	}
	return StatusApproved
}

// RegisterEntryOf returns what the register keeps of a request: nothing (ok false)
// until it is decided, nor when its applicant chose PublishNone.
func RegisterEntryOf(in PublicInput) (RegisterEntry, bool) {
	req := in.Request
	if req == nil || !decided(req.Status) {
		return RegisterEntry{}, false
	}
	choice := req.Publication.Or(PublishNone)
	if choice == PublishNone || !choice.Valid() {
		return RegisterEntry{}, false
	}
	e := RegisterEntry{ID: req.ID, Reference: req.Reference, FiscalYear: req.FiscalYear, Status: req.Status,
		Publication: choice, Kind: req.Kind, Title: req.Title, Event: req.EventName(), Requested: req.Amount,
		DecidedAt: req.DecidedAt.UTC(), Seats: []PublicSeat{}, Recusals: []PublicRecusal{}, Payments: *publicPayments(req, in.Payments)}
	if choice == PublishNamed {
		e.ApplicantName, e.Organization = req.Applicant.Name, req.Applicant.Organization
	}
	if req.Approved != nil {
		a := *req.Approved
		e.Approved = &a
	}
	for _, s := range in.Tally.Seats {
		e.Seats = append(e.Seats, PublicSeat{Seat: publicSeat(s.Company), Vote: s.Vote})
	}
	for _, r := range in.Tally.Recused {
		seat := UnaffiliatedSeat
		if m, ok := in.Directory.Member(r.ReviewerID); ok {
			if c, ok := in.Directory.Affiliation(m); ok {
				seat = publicSeat(c.Name)
			}
		}
		e.Recusals = append(e.Recusals, PublicRecusal{Seat: seat, Category: CategoryOf(r)})
	}
	return e, true
}

// Narrowed is the entry under a narrower choice: without the name and organization for
// PublishAnonymous; for PublishNone there is no entry (ok false).
func (e RegisterEntry) Narrowed(p Publication) (RegisterEntry, bool) {
	if !e.Publication.Narrows(p) || p == PublishNone {
		return RegisterEntry{}, false
	}
	e.Publication = p
	if p != PublishNamed {
		e.ApplicantName, e.Organization = "", ""
	}
	return e, true
}

// Record is the public record of the entry under the admins' public fields: the one
// projection every page of the register goes through.
func (e RegisterEntry) Record(fields PublicFields) PublicRecord {
	rec := PublicRecord{ID: e.ID, Reference: e.Reference, Status: e.Status, FiscalYear: e.FiscalYear, Publication: e.Publication}
	for _, f := range fields.Fields {
		spec, ok := SpecOf(f)
		if !ok || !spec.Publishable || !rec.set(f, e) {
			continue
		}
		rec.Fields = append(rec.Fields, f)
	}
	return rec
}

// RegisterKey names a listed decision: its fiscal year and id.
type RegisterKey struct {
	FiscalYear int
	ID         string
}

// RegisterChange is what a change to a request does to the public register, written in
// the same transaction: a decision puts its entry (when listed) and counts in its
// year's totals; a payment updates the listed entry and the totals; a narrowed choice
// strips the name and organization from the entry or deletes it.
type RegisterChange struct {
	Key RegisterKey
	// Put writes the entry of a new decision.
	Put *RegisterEntry
	// Narrow applies a narrower choice to a listed entry: PublishAnonymous takes the
	// name and organization out, PublishNone deletes the entry.
	Narrow Publication
	// Paid adds a payment (or its reversal) to a listed entry, and sets its status.
	Paid *RegisterPayment
	// Totals is what to add to the year's totals.
	Totals TotalsDelta
}

// RegisterPayment is a payment's effect on a listed entry.
type RegisterPayment struct {
	Count  int // +1 for a payment, -1 for a reversal (the reversed payment no longer stands)
	Amount money.Money
	Status Status
}

// TotalsDelta is what one change adds to its fiscal year's totals.
type TotalsDelta struct {
	Kind     Kind
	Outcome  Status      // approved or rejected: the decision to count; "" for none
	Approved money.Money // the approved amount to add (zero Minor for none)
	Paid     money.Money // the payment to add (negative for a reversal)
}

// RegisterTotals are a fiscal year's totals: every decided request counts, listed or
// not.
type RegisterTotals struct {
	FiscalYear int
	Counts     []OutcomeCount // by kind, in Kinds order
	Amounts    []KindAmounts  // by kind and currency
}

// OutcomeCount is how many requests of a kind were approved and rejected.
type OutcomeCount struct {
	Kind     Kind
	Approved int
	Rejected int
}

// KindAmounts is how much was approved and paid for a kind in one currency.
type KindAmounts struct {
	Kind     Kind
	Approved money.Money
	Paid     money.Money
}

// RegisterYear is one fiscal year of the register: its listed decisions, newest first,
// and its totals.
type RegisterYear struct {
	FiscalYear int
	Entries    []RegisterEntry
	Totals     RegisterTotals
}

// RegisterStore reads the public register. Its reads are what the anonymous public
// function may make: register items and the public fields, nothing else.
type RegisterStore interface {
	// RegisterYear reads a fiscal year's entries and totals, with the public fields
	// and the fiscal years that have decisions.
	RegisterYear(ctx context.Context, year int) (RegisterYear, RegisterContext, error)
	// RegisterTotals reads a fiscal year's totals alone.
	RegisterTotals(ctx context.Context, year int) (RegisterTotals, error)
	// RegisterLatest reads the newest listed decisions of every fiscal year, newest
	// first (by the time of the decision), at most limit, with the public fields and
	// the years.
	RegisterLatest(ctx context.Context, limit int) ([]RegisterEntry, RegisterContext, error)
	// RegisterEntry reads one listed decision with the public fields; ErrNotFound when
	// it is not listed.
	RegisterEntry(ctx context.Context, k RegisterKey) (RegisterEntry, PublicFields, error)
}

// RegisterContext is what every page of the register needs besides its decisions.
type RegisterContext struct {
	Fields PublicFields
	Years  []int // the fiscal years with decisions, newest first
}

// RegisterDecision is the register's side of a decision: the entry, when the
// applicant chose to be listed, and the count in the totals either way. next is the
// decided request; tally and dir name the seats and recusals.
func RegisterDecision(next *Request, tally Tally, dir Directory, payments []Payment) *RegisterChange {
	rc := &RegisterChange{Key: RegisterKey{FiscalYear: next.FiscalYear, ID: next.ID},
		Totals: TotalsDelta{Kind: next.Kind, Outcome: next.Status}}
	if next.Approved != nil {
		rc.Totals.Approved = *next.Approved
	}
	if e, ok := RegisterEntryOf(PublicInput{Request: next, Tally: tally, Directory: dir, Payments: payments}); ok {
		e.DecisionVersion = next.Version // the decision's event is the change's last
		rc.Put = &e
	}
	return rc
}

// registerPayment is the register's side of a payment or reversal.
func registerPayment(req, next *Request, p Payment) *RegisterChange {
	rc := &RegisterChange{Key: RegisterKey{FiscalYear: req.FiscalYear, ID: req.ID},
		Totals: TotalsDelta{Kind: req.Kind, Paid: p.Amount}}
	if listed(req) {
		count := 1
		if p.Reverses != "" {
			count = -1
		}
		rc.Paid = &RegisterPayment{Count: count, Amount: p.Amount, Status: next.Status}
	}
	return rc
}

// listed reports whether a request has an entry in the register.
func listed(req *Request) bool {
	p := req.Publication.Or(PublishNone)
	return decided(req.Status) && p != PublishNone && p.Valid()
}
