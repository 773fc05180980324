// Package finance builds the reports finance uses as they are — requests, the payment
// ledger, a summary, and the audit trail — from storage read page by page, written row
// by row in any of the report package's formats.
package finance

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/report"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// Source is what reports read: every iterator pages through an index and calls fn for
// each item, so no report holds the table in memory.
type Source interface {
	// EachRequest visits the requests of a fiscal year submitted between from and to
	// (YYYY-MM-DD, inclusive; empty for no bound), in submission order.
	EachRequest(ctx context.Context, year int, from, to string, fn func(*sponsorship.Request) error) error
	// EachPayment visits the payments of a fiscal year dated between from and to.
	EachPayment(ctx context.Context, year int, from, to string, fn func(sponsorship.Payment) error) error
	// EachEvent visits the audit events between two times, oldest first.
	EachEvent(ctx context.Context, from, to time.Time, fn func(sponsorship.AuditEvent) error) error
	Budgets(ctx context.Context, year int) ([]sponsorship.Budget, error)
}

// Reports are the reports there are.
var Reports = []string{"requests", "payments", "summary", "audit"}

// Query selects what a report covers.
type Query struct {
	Report     string
	Format     string
	FiscalYear int
	From, To   string // YYYY-MM-DD, inclusive
	Status     sponsorship.Status
	Kind       sponsorship.Kind
	Currency   string
}

// Validate checks a query, every problem at once.
func (q Query) Validate() error {
	var fields []sponsorship.FieldError
	add := func(field, code, msg string) {
		fields = append(fields, sponsorship.FieldError{Field: field, Code: code, Message: msg})
	}
	if !slices.Contains(Reports, q.Report) {
		add("report", sponsorship.CodeUnknownValue, "Use requests, payments, summary or audit.")
	}
	if !slices.Contains(report.Formats, q.Format) {
		add("format", sponsorship.CodeUnknownValue, "Use csv, json or xlsx.")
	}
	if q.FiscalYear != 0 && (q.FiscalYear < 2000 || q.FiscalYear > 2200) {
		add("fiscalYear", sponsorship.CodeInvalidFormat, "Use a fiscal year such as 2027.")
	}
	if q.Report != "audit" && q.FiscalYear == 0 {
		add("fiscalYear", sponsorship.CodeRequired, "Choose the fiscal year the report covers.")
	}
	for field, d := range map[string]string{"from": q.From, "to": q.To} {
		if _, err := time.Parse("2006-01-02", d); d != "" && err != nil {
			add(field, sponsorship.CodeInvalidDate, "Enter a date as YYYY-MM-DD.")
		}
	}
	if q.From != "" && q.To != "" && q.To < q.From {
		add("to", sponsorship.CodeDateOrder, "The period cannot end before it starts.")
	}
	if q.Report == "audit" && (q.From == "" || q.To == "") && q.FiscalYear == 0 {
		add("from", sponsorship.CodeRequired, "Give the audit period: from and to, or a fiscal year.")
	}
	if q.Status != "" && !q.Status.Valid() {
		add("status", sponsorship.CodeUnknownValue, "Use a status such as approved or paid.")
	}
	if q.Kind != "" && !q.Kind.Valid() {
		add("kind", sponsorship.CodeUnknownValue, "Use conference, travel or project.")
	}
	if q.Currency != "" && !money.KnownCurrency(q.Currency) {
		add("currency", sponsorship.CodeUnknownCurrency, "Use an ISO 4217 code such as EUR.")
	}
	sort.Slice(fields, func(i, j int) bool { return fields[i].Field < fields[j].Field })
	if len(fields) > 0 {
		return &sponsorship.ValidationError{Errors: fields}
	}
	return nil
}

// Builder writes reports; Calendar places dates in fiscal quarters.
type Builder struct {
	Source   Source
	Calendar sponsorship.FiscalCalendar
}

// Write writes the report the query names to w and returns how many rows it wrote.
func (b Builder) Write(ctx context.Context, q Query, w report.Writer) (int, error) {
	rows := 0
	row := func(values ...string) error {
		rows++
		return w.Row(values)
	}
	var err error
	switch q.Report {
	case "requests":
		err = b.requests(ctx, q, w, row)
	case "payments":
		err = b.payments(ctx, q, w, row)
	case "summary":
		err = b.summary(ctx, q, w, row)
	case "audit":
		err = b.audit(ctx, q, w, row)
	default:
		err = fmt.Errorf("unknown report %q", q.Report)
	}
	if err != nil {
		return rows, err
	}
	return rows, w.Close()
}

func (q Query) keeps(r *sponsorship.Request) bool {
	return (q.Status == "" || r.Status == q.Status) && (q.Kind == "" || r.Kind == q.Kind) &&
		(q.Currency == "" || r.Amount.Currency == q.Currency)
}

// Columns of each report, documented in the README; their names and order are stable.
var (
	requestColumns = []report.Column{
		{Name: "reference"}, {Name: "request_id"}, {Name: "kind"}, {Name: "title"}, {Name: "applicant"}, {Name: "applicant_email"},
		{Name: "organization"}, {Name: "event_or_project"}, {Name: "fiscal_year", Numeric: true}, {Name: "currency"},
		{Name: "requested", Numeric: true}, {Name: "approved", Numeric: true}, {Name: "paid", Numeric: true},
		{Name: "outstanding", Numeric: true}, {Name: "status"}, {Name: "submitted_on"}, {Name: "decided_on"}, {Name: "last_paid_on"},
	}
	paymentColumns = []report.Column{
		{Name: "payment_id"}, {Name: "date"}, {Name: "reference"}, {Name: "request_id"}, {Name: "kind"},
		{Name: "fiscal_year", Numeric: true}, {Name: "currency"}, {Name: "amount", Numeric: true}, {Name: "method"},
		{Name: "external_reference"}, {Name: "reverses"}, {Name: "note"}, {Name: "recorded_by"}, {Name: "recorded_at"},
	}
	summaryColumns = []report.Column{
		{Name: "section"}, {Name: "fiscal_year", Numeric: true}, {Name: "category"}, {Name: "status"}, {Name: "quarter"},
		{Name: "currency"}, {Name: "requests", Numeric: true}, {Name: "requested", Numeric: true}, {Name: "approved", Numeric: true},
		{Name: "paid", Numeric: true}, {Name: "outstanding", Numeric: true}, {Name: "allocated", Numeric: true},
		{Name: "committed", Numeric: true}, {Name: "remaining", Numeric: true}, {Name: "utilisation_percent", Numeric: true},
	}
	auditColumns = []report.Column{
		{Name: "at"}, {Name: "request_id"}, {Name: "subject"}, {Name: "type"}, {Name: "actor_role"}, {Name: "actor_id"},
		{Name: "actor_name"}, {Name: "from_status"}, {Name: "to_status"}, {Name: "message"}, {Name: "details"}, {Name: "internal"},
	}
)

func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02")
}

func decimalOrEmpty(m *money.Money) string {
	if m == nil {
		return ""
	}
	return m.Decimal()
}

func (b Builder) requests(ctx context.Context, q Query, w report.Writer, row func(...string) error) error {
	if err := w.Header(requestColumns); err != nil {
		return err
	}
	return b.Source.EachRequest(ctx, q.FiscalYear, q.From, q.To, func(r *sponsorship.Request) error {
		if !q.keeps(r) {
			return nil
		}
		outstanding := ""
		if r.Approved != nil {
			outstanding = r.Outstanding().Decimal()
		}
		return row(r.Reference, r.ID, string(r.Kind), r.Title, r.Applicant.Name, r.Applicant.Email, r.Applicant.Organization,
			r.EventName(), strconv.Itoa(r.FiscalYear), r.Amount.Currency, r.Amount.Decimal(), decimalOrEmpty(r.Approved),
			r.Paid.Decimal(), outstanding, string(r.Status), day(r.SubmittedAt), day(r.DecidedAt), r.PaidOn)
	})
}

func (b Builder) payments(ctx context.Context, q Query, w report.Writer, row func(...string) error) error {
	if err := w.Header(paymentColumns); err != nil {
		return err
	}
	return b.Source.EachPayment(ctx, q.FiscalYear, q.From, q.To, func(p sponsorship.Payment) error {
		if (q.Kind != "" && p.Category != q.Kind) || (q.Currency != "" && p.Amount.Currency != q.Currency) {
			return nil
		}
		who := p.RecordedBy.Name
		if who == "" {
			who = p.RecordedBy.ID
		}
		return row(p.ID, p.Date, p.Reference, p.RequestID, string(p.Category), strconv.Itoa(p.FiscalYear), p.Amount.Currency,
			p.Amount.Decimal(), p.Method, p.ExternalRef, p.Reverses, p.Note, who, p.RecordedAt.UTC().Format(time.RFC3339))
	})
}

func (b Builder) audit(ctx context.Context, q Query, w report.Writer, row func(...string) error) error {
	if err := w.Header(auditColumns); err != nil {
		return err
	}
	from, to := b.period(q)
	return b.Source.EachEvent(ctx, from, to, func(ev sponsorship.AuditEvent) error {
		var details []string
		for _, k := range sortedKeys(ev.Data) {
			details = append(details, k+"="+ev.Data[k])
		}
		if len(ev.Changed) > 0 {
			details = append(details, "changed="+strings.Join(ev.Changed, "|"))
		}
		return row(ev.At.UTC().Format(time.RFC3339Nano), ev.RequestID, ev.Subject, string(ev.Type), string(ev.Actor.Role), ev.Actor.ID,
			ev.Actor.Name, string(ev.FromStatus), string(ev.ToStatus), ev.Message, strings.Join(details, "; "), strconv.FormatBool(ev.Internal))
	})
}

// period is the audit report's span: from..to, or the fiscal year.
func (b Builder) period(q Query) (time.Time, time.Time) {
	start, end := b.Calendar.Span(q.FiscalYear)
	if q.From != "" {
		start, _ = time.Parse("2006-01-02", q.From)
	}
	if q.To != "" {
		t, _ := time.Parse("2006-01-02", q.To)
		end = t.Add(24*time.Hour - time.Nanosecond)
	}
	return start, end
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func parseDay(s string) (time.Time, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("payment date %q: %w", s, err)
	}
	return t, nil
}
