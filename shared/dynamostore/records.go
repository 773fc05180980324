package dynamostore

import (
	"fmt"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/orgname"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// Key and index attribute names, as template.yaml defines them.
const (
	attrPK     = "PK"
	attrSK     = "SK"
	attrGSI1PK = "GSI1PK"
	attrGSI1SK = "GSI1SK"
	attrGSI2PK = "GSI2PK"
	attrGSI2SK = "GSI2SK"
	attrGSI3PK = "GSI3PK"
	attrGSI3SK = "GSI3SK"
	// AttrExpiresAt is the table's TTL attribute (epoch seconds).
	AttrExpiresAt = "expiresAt"
)

// Index names, as template.yaml defines them.
const (
	IndexByStatus    = "GSI1"
	IndexByPeriod    = "GSI2"
	IndexByApplicant = "GSI3"
)

const (
	skRequest      = "REQUEST"
	skIdempotency  = "IDEM"
	eventPrefix    = "EVENT#"
	votePrefix     = "VOTE#"
	recusalPrefix  = "RECUSAL#"
	commentPrefix  = "COMMENT#"
	reviewerPrefix = "REVIEWER#"
	companyPrefix  = "COMPANY#"
	// declarationPrefix sorts between REQUEST and VOTE#, so the read of a request's
	// ballots (RECUSAL#… to VOTE#…) includes declarations, and the applicant's (EVENT#…
	// to REQUEST) does not.
	declarationPrefix = "SETTLED#"
	paymentPrefix     = "PAYMENT#"
	pkAdmin           = "ADMIN"
	pkRoster          = "ROSTER"
	pkSettings        = "SETTINGS"
	skGovernance      = "GOVERNANCE"
	pkBudgets         = "BUDGETS"
	timeLayout        = "2006-01-02T15:04:05.000000Z"
)

func requestPK(id string) string           { return "REQ#" + id }
func idempotencyPK(hash string) string     { return "IDEM#" + hash }
func eventSK(version int) string           { return fmt.Sprintf("%s%010d", eventPrefix, version) }
func stamp(t time.Time) string             { return t.UTC().Format(timeLayout) }
func statusPK(s sponsorship.Status) string { return "STATUS#" + string(s) }

func parseStamp(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, _ := time.Parse(timeLayout, s)
	return t
}

// requestRecord is the stored shape of a request.
type requestRecord struct {
	PK, SK string
	// A provisional request has no queue or period keys: it is in neither index.
	GSI1PK         string `json:",omitempty"`
	GSI1SK         string `json:",omitempty"`
	GSI2PK         string `json:",omitempty"`
	GSI2SK         string `json:",omitempty"`
	GSI3PK, GSI3SK string
	Entity         string `json:"entity"`

	ID          string                  `json:"id"`
	Reference   string                  `json:"reference"`
	Status      string                  `json:"status"`
	Version     int                     `json:"version"`
	FiscalYear  int                     `json:"fiscalYear"`
	Kind        string                  `json:"kind"`
	Title       string                  `json:"title"`
	Summary     string                  `json:"summary"`
	Applicant   sponsorship.Applicant   `json:"applicant"`
	Currency    string                  `json:"currency"`
	AmountMinor int64                   `json:"amountMinor"`
	BudgetItems []lineRecord            `json:"budgetItems,omitempty"`
	Conference  *sponsorship.Conference `json:"conference,omitempty"`
	Travel      *sponsorship.Travel     `json:"travel,omitempty"`
	Project     *projectRecord          `json:"project,omitempty"`

	TokenHash     string `json:"tokenHash"`
	SubmittedAt   string `json:"submittedAt"`
	UpdatedAt     string `json:"updatedAt"`
	DecidedAt     string `json:"decidedAt,omitempty"`
	ApprovedMinor *int64 `json:"approvedMinor,omitempty"`

	// Review bookkeeping the queue filters on.
	Round   int      `json:"round"`
	Voters  []string `json:"voters,omitempty,stringset"`
	Recused []string `json:"recused,omitempty,stringset"`
	// OrgKey and EmailDomains let the queue leave out, in the query itself, the
	// requests of a reviewer's company: the organization's comparison key, and the
	// applicant's e-mail domain with each parent domain (eu.acme.com, acme.com).
	OrgKey       string   `json:"orgKey,omitempty"`
	EmailDomains []string `json:"emailDomains,omitempty,stringset"`

	PaidMinor int64  `json:"paidMinor"`
	PaidOn    string `json:"paidOn,omitempty"`

	// ExpiresAt (epoch seconds, the table's TTL) is set while the request is provisional.
	ExpiresAt   int64  `json:"expiresAt,omitempty"`
	ConfirmHash string `json:"confirmHash,omitempty"`

	// Reports are the reports of an approved request, as far as any was written.
	Reports []reportRecord `json:"reports,omitempty"`
	// Payout is where the payout details stand; the details are sealed in items of
	// their own (payoutRecord).
	Payout *payoutState `json:"payout,omitempty"`
	// Publication is the applicant's choice of what may be published; absent on
	// requests stored before there was one.
	Publication string `json:"publication,omitempty"`
}

// payoutState is the stored shape of sponsorship.Payout.
type payoutState struct {
	Current       int                `json:"current,omitempty"`
	Method        string             `json:"method,omitempty"`
	Hint          string             `json:"hint,omitempty"`
	EnteredAt     string             `json:"enteredAt,omitempty"`
	Verified      bool               `json:"verified,omitempty"`
	VerifiedBy    *sponsorship.Actor `json:"verifiedBy,omitempty"`
	VerifiedAt    string             `json:"verifiedAt,omitempty"`
	Pending       int                `json:"pending,omitempty"`
	PendingMethod string             `json:"pendingMethod,omitempty"`
	PendingHint   string             `json:"pendingHint,omitempty"`
	PendingHash   string             `json:"pendingHash,omitempty"`
	PendingUntil  string             `json:"pendingUntil,omitempty"`
}

func toPayoutState(p *sponsorship.Payout) *payoutState {
	if p == nil {
		return nil
	}
	st := &payoutState{Current: p.Current, Method: string(p.Method), Hint: p.Hint, EnteredAt: optionalStamp(p.EnteredAt),
		Verified: p.Verified, VerifiedAt: optionalStamp(p.VerifiedAt), Pending: p.Pending,
		PendingMethod: string(p.PendingMethod), PendingHint: p.PendingHint, PendingHash: p.PendingHash,
		PendingUntil: optionalStamp(p.PendingUntil)}
	if p.VerifiedBy != (sponsorship.Actor{}) {
		by := p.VerifiedBy
		st.VerifiedBy = &by
	}
	return st
}

func (st *payoutState) payout() *sponsorship.Payout {
	if st == nil {
		return nil
	}
	p := &sponsorship.Payout{Current: st.Current, Method: sponsorship.PayoutMethod(st.Method), Hint: st.Hint,
		EnteredAt: parseStamp(st.EnteredAt), Verified: st.Verified, VerifiedAt: parseStamp(st.VerifiedAt),
		Pending: st.Pending, PendingMethod: sponsorship.PayoutMethod(st.PendingMethod), PendingHint: st.PendingHint,
		PendingHash: st.PendingHash, PendingUntil: parseStamp(st.PendingUntil)}
	if st.VerifiedBy != nil {
		p.VerifiedBy = *st.VerifiedBy
	}
	return p
}

// reportRecord is the stored shape of a report.
type reportRecord struct {
	Number         int                `json:"number"`
	State          string             `json:"state"`
	DueDate        string             `json:"dueDate,omitempty"`
	Text           string             `json:"text,omitempty"`
	Attendance     int                `json:"attendance,omitempty"`
	DeliverableURL string             `json:"deliverableUrl,omitempty"`
	Message        string             `json:"message,omitempty"`
	SubmittedAt    string             `json:"submittedAt,omitempty"`
	DecidedAt      string             `json:"decidedAt,omitempty"`
	DecidedBy      *sponsorship.Actor `json:"decidedBy,omitempty"`
}

func optionalStamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return stamp(t)
}

// lineRecord is a budget item or milestone: amounts are in the request's currency.
type lineRecord struct {
	Description string `json:"description,omitempty"`
	Title       string `json:"title,omitempty"`
	DueDate     string `json:"dueDate,omitempty"`
	AmountMinor int64  `json:"amountMinor"`
}

type projectRecord struct {
	Name          string       `json:"name"`
	RepositoryURL string       `json:"repositoryUrl"`
	Licence       string       `json:"licence"`
	Milestones    []lineRecord `json:"milestones"`
}

func toRequestRecord(r *sponsorship.Request) requestRecord {
	submitted := stamp(r.SubmittedAt)
	rec := requestRecord{
		PK: requestPK(r.ID), SK: skRequest,
		GSI1PK: statusPK(r.Status), GSI1SK: submitted + "#" + r.ID,
		GSI2PK: fmt.Sprintf("FY#%d", r.FiscalYear), GSI2SK: submitted + "#" + r.ID,
		GSI3PK: "EMAIL#" + strings.ToLower(r.Applicant.Email), GSI3SK: submitted + "#" + r.ID,
		Entity: "request",

		ID: r.ID, Reference: r.Reference, Status: string(r.Status), Version: r.Version,
		FiscalYear: r.FiscalYear, Kind: string(r.Kind), Title: r.Title, Summary: r.Summary,
		Applicant: r.Applicant, Currency: r.Amount.Currency, AmountMinor: r.Amount.Minor,
		Conference: r.Conference, Travel: r.Travel,
		TokenHash: r.TokenHash, SubmittedAt: submitted, UpdatedAt: stamp(r.UpdatedAt),
		Round: r.Round, Voters: r.Voters, Recused: r.Recused, OrgKey: orgname.Key(r.Applicant.Organization), EmailDomains: domainAndParents(orgname.EmailDomain(r.Applicant.Email)),
		PaidMinor: r.Paid.Minor, PaidOn: r.PaidOn,
	}
	for _, b := range r.BudgetItems {
		rec.BudgetItems = append(rec.BudgetItems, lineRecord{Description: b.Description, AmountMinor: b.Amount.Minor})
	}
	if p := r.Project; p != nil {
		pr := &projectRecord{Name: p.Name, RepositoryURL: p.RepositoryURL, Licence: p.Licence}
		for _, m := range p.Milestones {
			pr.Milestones = append(pr.Milestones, lineRecord{Title: m.Title, DueDate: m.DueDate, AmountMinor: m.Amount.Minor})
		}
		rec.Project = pr
	}
	if !r.DecidedAt.IsZero() {
		rec.DecidedAt = stamp(r.DecidedAt)
	}
	if r.Approved != nil {
		v := r.Approved.Minor
		rec.ApprovedMinor = &v
	}
	rec.ConfirmHash, rec.Payout = r.ConfirmHash, toPayoutState(r.Payout)
	rec.Publication = string(r.Publication)
	for _, rp := range r.Reports {
		rec.Reports = append(rec.Reports, reportRecord{Number: rp.Number, State: string(rp.State), DueDate: rp.DueDate,
			Text: rp.Text, Attendance: rp.Attendance, DeliverableURL: rp.DeliverableURL, Message: rp.Message,
			SubmittedAt: optionalStamp(rp.SubmittedAt), DecidedAt: optionalStamp(rp.DecidedAt)})
		if rp.DecidedBy != (sponsorship.Actor{}) {
			by := rp.DecidedBy
			rec.Reports[len(rec.Reports)-1].DecidedBy = &by
		}
	}
	if r.Provisional() {
		rec.GSI1PK, rec.GSI1SK, rec.GSI2PK, rec.GSI2SK = "", "", "", ""
		rec.ExpiresAt = r.ExpiresAt.Unix()
	}
	return rec
}

func (rec requestRecord) request() *sponsorship.Request {
	m := func(minor int64) money.Money { return money.Money{Currency: rec.Currency, Minor: minor} }
	r := &sponsorship.Request{
		ID: rec.ID, Reference: rec.Reference, Status: sponsorship.Status(rec.Status), Version: rec.Version,
		FiscalYear: rec.FiscalYear,
		Content: sponsorship.Content{
			Kind: sponsorship.Kind(rec.Kind), Title: rec.Title, Summary: rec.Summary, Applicant: rec.Applicant,
			Amount: m(rec.AmountMinor), Conference: rec.Conference, Travel: rec.Travel,
		},
		TokenHash: rec.TokenHash, SubmittedAt: parseStamp(rec.SubmittedAt), UpdatedAt: parseStamp(rec.UpdatedAt),
		DecidedAt: parseStamp(rec.DecidedAt), Round: max(rec.Round, 1), Voters: rec.Voters, Recused: rec.Recused,
		Paid: m(rec.PaidMinor), PaidOn: rec.PaidOn,
	}
	for _, b := range rec.BudgetItems {
		r.BudgetItems = append(r.BudgetItems, sponsorship.BudgetItem{Description: b.Description, Amount: m(b.AmountMinor)})
	}
	if p := rec.Project; p != nil {
		pr := &sponsorship.Project{Name: p.Name, RepositoryURL: p.RepositoryURL, Licence: p.Licence}
		for _, ms := range p.Milestones {
			pr.Milestones = append(pr.Milestones, sponsorship.Milestone{Title: ms.Title, DueDate: ms.DueDate, Amount: m(ms.AmountMinor)})
		}
		r.Project = pr
	}
	if rec.ApprovedMinor != nil {
		a := m(*rec.ApprovedMinor)
		r.Approved = &a
	}
	r.ConfirmHash, r.Payout = rec.ConfirmHash, rec.Payout.payout()
	r.Publication = sponsorship.Publication(rec.Publication)
	for _, rp := range rec.Reports {
		r.Reports = append(r.Reports, sponsorship.Report{Number: rp.Number, State: sponsorship.ReportState(rp.State),
			DueDate: rp.DueDate, Text: rp.Text, Attendance: rp.Attendance, DeliverableURL: rp.DeliverableURL,
			Message: rp.Message, SubmittedAt: parseStamp(rp.SubmittedAt), DecidedAt: parseStamp(rp.DecidedAt)})
		if rp.DecidedBy != nil {
			r.Reports[len(r.Reports)-1].DecidedBy = *rp.DecidedBy
		}
	}
	if rec.ExpiresAt != 0 {
		r.ExpiresAt = time.Unix(rec.ExpiresAt, 0).UTC()
	}
	return r
}

// domainAndParents lists a domain and the domains it is under, down to two labels:
// eu.acme.com → eu.acme.com, acme.com.
func domainAndParents(d string) []string {
	var out []string
	for strings.Count(d, ".") >= 1 {
		out = append(out, d)
		_, d, _ = strings.Cut(d, ".")
	}
	return out
}

// eventRecord is the stored shape of an audit event. Items whose SK begins with EVENT#
// are what the notification function's stream filter selects.
type eventRecord struct {
	PK, SK string
	// An event of a provisional request is not in the period index (audit reports).
	GSI2PK string `json:",omitempty"`
	GSI2SK string `json:",omitempty"`
	Entity string `json:"entity"`

	RequestID  string            `json:"requestId,omitempty"`
	Subject    string            `json:"subject,omitempty"`
	Version    int               `json:"version,omitempty"`
	Type       string            `json:"type"`
	Actor      sponsorship.Actor `json:"actor"`
	At         string            `json:"at"`
	FromStatus string            `json:"fromStatus,omitempty"`
	ToStatus   string            `json:"toStatus,omitempty"`
	Message    string            `json:"message,omitempty"`
	Changed    []string          `json:"changed,omitempty"`
	Data       map[string]string `json:"data,omitempty"`
	Internal   bool              `json:"internal,omitempty"`
	Salt       []byte            `json:"salt,omitempty"`
	// ExpiresAt (epoch seconds) is set on the events of a provisional request.
	ExpiresAt int64 `json:"expiresAt,omitempty"`
}

// toEventRecord places a request's event in the request's partition, numbered by
// version, and an admin event (no request) in the ADMIN partition, ordered by time.
func toEventRecord(ev sponsorship.AuditEvent) eventRecord {
	at := stamp(ev.At)
	rec := eventRecord{
		PK: requestPK(ev.RequestID), SK: eventSK(ev.Version),
		GSI2PK: "AUDIT#" + ev.At.UTC().Format("2006-01"), GSI2SK: fmt.Sprintf("%s#%s#%010d", at, ev.RequestID, ev.Version),
		Entity:    "event",
		RequestID: ev.RequestID, Subject: ev.Subject, Version: ev.Version, Type: string(ev.Type), Actor: ev.Actor, At: at,
		FromStatus: string(ev.FromStatus), ToStatus: string(ev.ToStatus), Message: ev.Message,
		Changed: ev.Changed, Data: ev.Data, Internal: ev.Internal, Salt: ev.Salt,
	}
	if rec.Salt == nil {
		rec.Salt = ledger.NewSalt()
	}
	if ev.RequestID == "" {
		id := ulid.Make().String()
		rec.PK, rec.SK = pkAdmin, eventPrefix+at+"#"+id
		rec.GSI2SK = at + "#" + ev.Subject + "#" + id
	}
	return rec
}

func (rec eventRecord) event() sponsorship.AuditEvent {
	return sponsorship.AuditEvent{
		RequestID: rec.RequestID, Version: rec.Version, Type: sponsorship.EventType(rec.Type), Actor: rec.Actor,
		At: parseStamp(rec.At), FromStatus: sponsorship.Status(rec.FromStatus), ToStatus: sponsorship.Status(rec.ToStatus),
		Message: rec.Message, Changed: rec.Changed, Data: rec.Data, Internal: rec.Internal, Subject: rec.Subject, Salt: rec.Salt,
	}
}

// idempotencyRecord is the stored shape of a remembered Idempotency-Key.
type idempotencyRecord struct {
	PK, SK      string
	Entity      string `json:"entity"`
	Fingerprint string `json:"fingerprint"`
	RequestID   string `json:"requestId"`
	Reference   string `json:"reference"`
	SubmittedAt string `json:"submittedAt"`
	Salt        []byte `json:"salt"`
	ExpiresAt   int64  `json:"expiresAt"`
	Status      string `json:"status,omitempty"`
}

func toIdempotencyRecord(r *sponsorship.IdempotencyRecord) idempotencyRecord {
	return idempotencyRecord{
		PK: idempotencyPK(r.KeyHash), SK: skIdempotency, Entity: "idempotency",
		Fingerprint: r.Fingerprint, RequestID: r.RequestID, Reference: r.Reference,
		SubmittedAt: stamp(r.SubmittedAt), Salt: r.Salt, ExpiresAt: r.ExpiresAt.Unix(), Status: string(r.Status),
	}
}

func (rec idempotencyRecord) record(keyHash string) *sponsorship.IdempotencyRecord {
	return &sponsorship.IdempotencyRecord{
		KeyHash: keyHash, Fingerprint: rec.Fingerprint, RequestID: rec.RequestID, Reference: rec.Reference,
		SubmittedAt: parseStamp(rec.SubmittedAt), Salt: rec.Salt, ExpiresAt: time.Unix(rec.ExpiresAt, 0).UTC(),
		Status: sponsorship.Status(rec.Status),
	}
}
