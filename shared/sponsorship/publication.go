package sponsorship

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
)

// Publication is what the applicant agreed may be published of their request once it
// is decided. The choice can be narrowed later, never widened: named, then anonymous,
// then none.
type Publication string

// The applicant's choices, widest first.
const (
	// PublishNamed publishes the request with the applicant's name and organization.
	PublishNamed Publication = "named"
	// PublishAnonymous publishes the request without the applicant's name, and
	// without their organization, which would often name them as surely: the register
	// shows "an individual speaker" (travel) or "an individual" (other kinds).
	PublishAnonymous Publication = "anonymous"
	// PublishNone keeps the request out of the register: it counts only in the
	// aggregate totals.
	PublishNone Publication = "none"
)

// Publications lists the choices, widest first, as the form shows them.
var Publications = []Publication{PublishNamed, PublishAnonymous, PublishNone}

// Valid reports whether p is one of Publications.
func (p Publication) Valid() bool { return slices.Contains(Publications, p) }

// Or is p, or fallback when p is empty: requests stored before the choice existed, and
// API submissions that leave it out, publish nothing beyond the totals.
func (p Publication) Or(fallback Publication) Publication {
	if p == "" {
		return fallback
	}
	return p
}

// breadth orders the choices: the wider, the larger.
func (p Publication) breadth() int { return len(Publications) - slices.Index(Publications, p) }

// Narrows reports whether moving from p to next publishes no more than p does (the
// same choice included).
func (p Publication) Narrows(next Publication) bool {
	return next.Valid() && p.Or(PublishNone).Valid() && next.breadth() <= p.Or(PublishNone).breadth()
}

// PublicationWideningError refuses a change of the publication choice that would
// publish more than the applicant agreed to before.
type PublicationWideningError struct {
	Current, Asked Publication
}

func (e *PublicationWideningError) Error() string {
	return fmt.Sprintf("the publication choice can only be narrowed: it is %s, %s would publish more", e.Current, e.Asked)
}

// Visibility is who may see a field of a request.
type Visibility string

// The audiences of a field, widest first.
const (
	VisibilityPublic    Visibility = "public"    // anyone, in the public register
	VisibilityCommittee Visibility = "committee" // reviewers, finance and admins
	VisibilityFinance   Visibility = "finance"   // finance alone
)

// Field names one piece of a request in the field catalogue.
type Field string

// The fields of a request, as the catalogue names them.
const (
	FieldKind            Field = "kind"
	FieldTitle           Field = "title"
	FieldSummary         Field = "summary"
	FieldApplicantName   Field = "applicantName"
	FieldEmail           Field = "email"
	FieldOrganization    Field = "organization"
	FieldEvent           Field = "event" // the event's or project's name
	FieldKindDetails     Field = "kindDetails"
	FieldBudgetItems     Field = "budgetItems"
	FieldRequestedAmount Field = "requestedAmount"
	FieldApprovedAmount  Field = "approvedAmount" // with its currency
	FieldDecisionDate    Field = "decisionDate"
	FieldTally           Field = "tally" // each seat and its vote
	FieldRecusals        Field = "recusals"
	FieldReviewerVotes   Field = "reviewerVotes"
	FieldComments        Field = "comments"
	FieldPayments        Field = "payments" // their number and total
	FieldPaymentLedger   Field = "paymentLedger"
	FieldPayoutDetails   Field = "payoutDetails"
	FieldAttachments     Field = "attachments"
	FieldHistory         Field = "history"
)

// FieldSpec describes one field of the catalogue: who sees it while it is not public,
// and whether admins may make it public.
type FieldSpec struct {
	Field Field `json:"field"`
	// Label is how pages name the field.
	Label string `json:"label"`
	// Audience is who sees the field inside the system (the applicant always sees
	// their own request's): the committee, or finance alone.
	Audience Visibility `json:"audience"`
	// Publishable says admins may make the field public. Fields that are not are free
	// text written for the committee, contact and bank details, and who said what.
	Publishable bool `json:"publishable"`
	// Default says the field is public unless admins change the settings.
	Default bool `json:"default"`
	// Why says, for a field that can never be public, why not.
	Why string `json:"why,omitempty"`
}

// FieldCatalogue lists every field of a request, in the order pages show them.
var FieldCatalogue = []FieldSpec{
	{Field: FieldKind, Label: "Kind", Audience: VisibilityCommittee, Publishable: true, Default: true},
	{Field: FieldTitle, Label: "Title", Audience: VisibilityCommittee, Publishable: true, Default: true},
	{Field: FieldApplicantName, Label: "Applicant", Audience: VisibilityCommittee, Publishable: true, Default: true},
	{Field: FieldOrganization, Label: "Organization", Audience: VisibilityCommittee, Publishable: true, Default: true},
	{Field: FieldEvent, Label: "Event or project", Audience: VisibilityCommittee, Publishable: true},
	{Field: FieldRequestedAmount, Label: "Amount requested", Audience: VisibilityCommittee, Publishable: true},
	{Field: FieldApprovedAmount, Label: "Amount approved", Audience: VisibilityCommittee, Publishable: true, Default: true},
	{Field: FieldDecisionDate, Label: "Decided on", Audience: VisibilityCommittee, Publishable: true, Default: true},
	{Field: FieldTally, Label: "Votes by seat", Audience: VisibilityCommittee, Publishable: true, Default: true},
	{Field: FieldRecusals, Label: "Recusals by seat", Audience: VisibilityCommittee, Publishable: true, Default: true},
	{Field: FieldPayments, Label: "Payments", Audience: VisibilityCommittee, Publishable: true, Default: true},
	{Field: FieldSummary, Label: "Summary", Audience: VisibilityCommittee,
		Why: "free text written for the committee, which may hold personal details the preview cannot vouch for"},
	{Field: FieldKindDetails, Label: "Event, trip or project details", Audience: VisibilityCommittee,
		Why: "travellers, origins, dates and repositories identify people"},
	{Field: FieldBudgetItems, Label: "Cost lines", Audience: VisibilityCommittee,
		Why: "lodging and airfare lines tell where a person stays and travels from"},
	{Field: FieldEmail, Label: "E-mail address", Audience: VisibilityCommittee, Why: "contact details are never published"},
	{Field: FieldReviewerVotes, Label: "Each reviewer's vote", Audience: VisibilityCommittee,
		Why: "a company has one voice; how its representatives voted stays with the committee"},
	{Field: FieldComments, Label: "Committee comments", Audience: VisibilityCommittee, Why: "internal deliberation"},
	{Field: FieldAttachments, Label: "Files", Audience: VisibilityCommittee, Why: "quotes, receipts and reports hold personal and commercial details"},
	{Field: FieldHistory, Label: "History", Audience: VisibilityCommittee, Why: "messages between the committee and the applicant"},
	{Field: FieldPaymentLedger, Label: "Payment dates, methods and references", Audience: VisibilityFinance,
		Why: "bank references identify accounts"},
	{Field: FieldPayoutDetails, Label: "Payout details", Audience: VisibilityFinance, Why: "bank details are never published"},
}

// SpecOf returns the catalogue's entry for f.
func SpecOf(f Field) (FieldSpec, bool) {
	i := slices.IndexFunc(FieldCatalogue, func(s FieldSpec) bool { return s.Field == f })
	if i < 0 {
		return FieldSpec{}, false
	}
	return FieldCatalogue[i], true
}

// PublicFields are the fields of a decided request that admins made public. The
// applicant's choice narrows them further for each request.
type PublicFields struct {
	Fields    []Field // in catalogue order
	Version   int     // 0 until admins first save them
	UpdatedAt time.Time
}

// DefaultPublicFields are the catalogue's defaults.
var DefaultPublicFields = PublicFields{Fields: defaultFields()}

func defaultFields() []Field {
	var out []Field
	for _, s := range FieldCatalogue {
		if s.Default {
			out = append(out, s.Field)
		}
	}
	return out
}

// Has reports whether f is public.
func (p PublicFields) Has(f Field) bool { return slices.Contains(p.Fields, f) }

// VisibilityOf is who may see f under these settings: the public when admins made it
// public, else its audience in the catalogue.
func (p PublicFields) VisibilityOf(f Field) Visibility {
	if p.Has(f) {
		return VisibilityPublic
	}
	spec, _ := SpecOf(f)
	return spec.Audience
}

// PublicFieldsInput is what an admin sends to choose the public fields.
type PublicFieldsInput struct {
	Fields []Field `json:"fields"`
}

// maxPublicFields bounds the list an admin sends, as the OpenAPI document does.
const maxPublicFields = 50

// validPublicFields checks an admin's choice of public fields: each must be in the
// catalogue and publishable. It returns them in catalogue order, without repeats.
func validPublicFields(in PublicFieldsInput) ([]Field, error) {
	var v validator
	switch {
	case in.Fields == nil:
		v.add("fields", CodeRequired, "List the fields to publish; an empty list publishes only the totals.")
	case len(in.Fields) > maxPublicFields:
		v.add("fields", CodeTooMany, "List each field once: at most %d.", maxPublicFields)
		return nil, v.err()
	}
	for i, f := range in.Fields {
		field := fmt.Sprintf("fields[%d]", i)
		spec, ok := SpecOf(f)
		switch {
		case !ok:
			v.add(field, CodeUnknownValue, "%q is not a field of the catalogue.", f)
		case !spec.Publishable:
			v.add(field, CodeNotAllowed, "%s can never be public: %s.", spec.Label, spec.Why)
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	out := []Field{}
	for _, s := range FieldCatalogue {
		if slices.Contains(in.Fields, s.Field) {
			out = append(out, s.Field)
		}
	}
	return out, nil
}

// RecusalCategory is why a reviewer stood aside, as the public may know it: the
// reviewer's own words stay with the committee.
type RecusalCategory string

// The recusal categories.
const (
	// RecusalCompanyMatch: the reviewer's company matched the applicant's organization
	// or e-mail domain, and the system recused them.
	RecusalCompanyMatch RecusalCategory = "company_match"
	// RecusalDeclared: the reviewer recused themselves, with a reason on the record
	// (a possible conflict they chose not to settle, a personal tie, anything else).
	RecusalDeclared RecusalCategory = "declared"
)

// CategoryOf tells how a recusal came about.
func CategoryOf(r Recusal) RecusalCategory {
	if r.Automatic {
		return RecusalCompanyMatch
	}
	return RecusalDeclared
}

// UnaffiliatedSeat names the seat of a reviewer without a company in public: the
// register names companies, never members of the committee.
const UnaffiliatedSeat = "Unaffiliated member"

// PublicInput is what the public record of a request is made from.
type PublicInput struct {
	Request *Request
	// Tally is the decision rule as it stood at the decision: its seats with their
	// votes, and its recusals.
	Tally Tally
	// Directory names the seat (company) of each recused reviewer.
	Directory Directory
	Payments  []Payment
	Fields    PublicFields
}

// PublicRecord is what may be published of one decided request: the fields admins made
// public, narrowed by the applicant's choice. Fields lists those it holds, so that a
// reader can tell a withheld field from an empty one. ID, Reference, Status and
// FiscalYear are always there, as the register lists, links and counts by them; they
// say nothing of the applicant.
type PublicRecord struct {
	ID         string
	Reference  string
	Status     Status // the decision: approved (or paid since), or rejected
	FiscalYear int
	// Publication is the applicant's choice the record was made under.
	Publication     Publication
	Fields          []Field
	Kind            Kind
	Title           string
	Applicant       string // the name, or "an individual speaker" / "an individual"
	Organization    string
	Event           string
	RequestedAmount *money.Money
	ApprovedAmount  *money.Money
	DecidedOn       string // YYYY-MM-DD, UTC
	Seats           []PublicSeat
	Recusals        []PublicRecusal
	Payments        *PublicPayments
}

// Has reports whether the record holds field f.
func (rec PublicRecord) Has(f Field) bool { return slices.Contains(rec.Fields, f) }

// PublicSeat is one seat's vote on the request.
type PublicSeat struct {
	Seat string `json:"seat"`           // the company's name, or UnaffiliatedSeat
	Vote Choice `json:"vote,omitempty"` // "" when the seat had not voted
}

// PublicRecusal is one reviewer's recusal, by their seat.
type PublicRecusal struct {
	Seat     string          `json:"seat"`
	Category RecusalCategory `json:"category"`
}

// PublicPayments is how much was paid on the request, in how many payments (reversed
// payments and their reversals left out).
type PublicPayments struct {
	Count int
	Total money.Money
}

// AnonymousApplicant is how the register names an applicant who chose to be published
// without their name.
func AnonymousApplicant(k Kind) string {
	if k == KindTravel {
		return "an individual speaker"
	}
	return "an individual"
}

// decided reports whether a request's status is a decision the register shows.
func decided(s Status) bool {
	switch s {
	case StatusApproved, StatusRejected, StatusPartiallyPaid, StatusPaid, StatusClosed:
		return true
	}
	return false
}

// PublicRecordOf returns what may be published of a request: nothing (ok false) until
// it is decided, nor when its applicant chose PublishNone; otherwise the public fields,
// without the applicant's name and organization when they chose PublishAnonymous. It
// is pure: it reads nothing but its input. The register stores RegisterEntryOf's part
// and applies the public fields of the moment with RegisterEntry.Record.
func PublicRecordOf(in PublicInput) (PublicRecord, bool) {
	e, ok := RegisterEntryOf(in)
	if !ok {
		return PublicRecord{}, false
	}
	return e.Record(in.Fields), true
}

// set fills field f of the record from the register's entry, and reports whether the
// record holds it.
func (rec *PublicRecord) set(f Field, e RegisterEntry) bool {
	named := rec.Publication == PublishNamed
	switch f {
	case FieldKind:
		rec.Kind = e.Kind
	case FieldTitle:
		rec.Title = e.Title
	case FieldApplicantName:
		rec.Applicant = AnonymousApplicant(e.Kind)
		if named {
			rec.Applicant = e.ApplicantName
		}
	case FieldOrganization:
		if !named {
			return false
		}
		rec.Organization = e.Organization
	case FieldEvent:
		rec.Event = e.Event
	case FieldRequestedAmount:
		a := e.Requested
		rec.RequestedAmount = &a
	case FieldApprovedAmount:
		if e.Approved == nil {
			return false
		}
		a := *e.Approved
		rec.ApprovedAmount = &a
	case FieldDecisionDate:
		if e.DecidedAt.IsZero() {
			return false
		}
		rec.DecidedOn = e.DecidedAt.UTC().Format(dateLayout)
	case FieldTally:
		rec.Seats = append([]PublicSeat{}, e.Seats...)
	case FieldRecusals:
		rec.Recusals = append([]PublicRecusal{}, e.Recusals...)
	case FieldPayments:
		p := e.Payments
		rec.Payments = &p
	default:
		return false
	}
	return true
}

func publicSeat(company string) string {
	if strings.TrimSpace(company) == "" {
		return UnaffiliatedSeat
	}
	return company
}

// publicPayments counts the payments that stand (neither reversed nor a reversal) and
// adds up every movement, reversals included, as the request's Paid does.
func publicPayments(req *Request, payments []Payment) *PublicPayments {
	currency := req.Amount.Currency
	if req.Approved != nil {
		currency = req.Approved.Currency
	}
	p := &PublicPayments{Total: money.Money{Currency: currency}}
	reversed := map[string]bool{}
	for _, pay := range payments {
		if pay.Reverses != "" {
			reversed[pay.Reverses] = true
		}
	}
	for _, pay := range payments {
		p.Total.Minor += pay.Amount.Minor
		if pay.Reverses == "" && !reversed[pay.ID] {
			p.Count++
		}
	}
	return p
}
