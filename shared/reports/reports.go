// Package reports builds the reports finance uses as they are — requests, the payment
// ledger, a summary, and the audit trail — from storage read page by page, written row
// by row in any of the report package's formats.
package reports

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/tabular"
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

// MaxAuditDays is the longest audit period one report covers: a year, leap day
// included. Audit events are read a month partition at a time, so the period bounds the
// report's Query calls (at most 13 months); the item ceiling bounds the rest.
const MaxAuditDays = 366

// fieldErrors checks what a query says on its own, every problem at once.
func (q Query) fieldErrors() []sponsorship.FieldError {
	var fields []sponsorship.FieldError
	add := func(field, code, msg string) {
		fields = append(fields, sponsorship.FieldError{Field: field, Code: code, Message: msg})
	}
	if !slices.Contains(Reports, q.Report) {
		add("report", sponsorship.CodeUnknownValue, "Use requests, payments, summary or audit.")
	}
	if !slices.Contains(tabular.Formats, q.Format) {
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
	return fields
}

// Validate checks a query, every problem at once: what it says on its own, and for the
// audit report the period the calendar makes of it (from and to, or the fiscal year, or
// the fiscal year with from or to), which may be at most MaxAuditDays long.
func (b Builder) Validate(q Query) error {
	fields := q.fieldErrors()
	if q.Report == "audit" && len(fields) == 0 {
		start, end := b.period(q)
		if days := int(end.Sub(start)/(24*time.Hour)) + 1; days > MaxAuditDays {
			field := "to"
			switch {
			case q.From == "" && q.To == "":
				field = "fiscalYear"
			case q.To == "":
				field = "from"
			}
			fields = append(fields, sponsorship.FieldError{Field: field, Code: sponsorship.CodeTooLong, Message: fmt.Sprintf(
				"The audit period is at most %d days; %s to %s is %d. Narrow it with from and to.",
				MaxAuditDays, day(start), day(end), days)})
		}
	}
	sort.Slice(fields, func(i, j int) bool { return fields[i].Field < fields[j].Field })
	if len(fields) > 0 {
		return &sponsorship.ValidationError{Errors: fields}
	}
	return nil
}

// Builder writes reports; Calendar places dates in fiscal quarters and years.
type Builder struct {
	Source   Source
	Calendar sponsorship.FiscalCalendar
	// Now is the clock of the export time in a spreadsheet's title; nil is time.Now.
	Now func() time.Time
	// Ceilings are the most items from storage one call of a report may read, by
	// report; a report left out has its DefaultCeilings figure.
	Ceilings map[string]int
}

// Write checks the query, writes the report it names to w and returns how many rows it
// wrote. It closes w, also when it fails; a failed report's output is incomplete. A
// report that would read more than its ceiling stops at the first item past it with a
// *CeilingError: write to a temporary file and answer only when Write succeeds, and
// nobody receives a cut-off report.
func (b Builder) Write(ctx context.Context, q Query, w tabular.Writer) (int, error) {
	rows, err := b.write(ctx, q, w)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return rows, err
}

func (b Builder) write(ctx context.Context, q Query, w tabular.Writer) (int, error) {
	if err := b.Validate(q); err != nil {
		return 0, err
	}
	rows := 0
	row := func(values ...string) error {
		rows++
		return w.Row(values)
	}
	header := func(cols []tabular.Column) error {
		return w.Header(tabular.Table{Name: sheetNames[q.Report], Title: b.title(q), Columns: cols})
	}
	read := &ceiling{report: q.Report, limit: b.ceiling(q.Report)}
	var err error
	switch q.Report {
	case "requests":
		if err = header(requestColumns); err == nil {
			err = b.requests(ctx, q, read, row)
		}
	case "payments":
		if err = header(paymentColumns); err == nil {
			err = b.payments(ctx, q, read, row)
		}
	case "summary":
		if err = header(summaryColumns); err == nil {
			err = b.summary(ctx, q, read, row)
		}
	case "audit":
		if err = header(auditColumns); err == nil {
			err = b.audit(ctx, q, read, row)
		}
	}
	return rows, err
}

// sheetNames name each report's worksheet.
var sheetNames = map[string]string{"requests": "Requests", "payments": "Payments", "summary": "Summary", "audit": "Audit"}

// title says what a spreadsheet holds: the report, the period and filters it was asked
// for, and when it was exported (UTC).
func (b Builder) title(q Query) string {
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	var parts []string
	if q.Report == "audit" {
		start, end := b.period(q)
		period := "events " + day(start) + " to " + day(end)
		if q.FiscalYear != 0 && q.From == "" && q.To == "" {
			period += fmt.Sprintf(" (fiscal year %d)", q.FiscalYear)
		}
		parts = append(parts, period+", times in UTC")
	} else {
		parts = append(parts, fmt.Sprintf("fiscal year %d", q.FiscalYear))
		dated := map[string]string{"requests": "submitted", "payments": "paid", "summary": "submitted or paid"}[q.Report]
		switch {
		case q.From != "" && q.To != "":
			parts = append(parts, dated+" "+q.From+" to "+q.To)
		case q.From != "":
			parts = append(parts, dated+" from "+q.From)
		case q.To != "":
			parts = append(parts, dated+" up to "+q.To)
		}
		if q.Report == "payments" {
			parts = append(parts, "times in UTC")
		}
	}
	for _, f := range [][2]string{{"status", string(q.Status)}, {"kind", string(q.Kind)}, {"currency", q.Currency}} {
		if f[1] != "" {
			parts = append(parts, f[0]+" "+f[1])
		}
	}
	return fmt.Sprintf("%s report: %s. Exported %s UTC.", sheetNames[q.Report], strings.Join(parts, ", "),
		now().UTC().Format("2006-01-02 15:04:05"))
}

func (q Query) keeps(r *sponsorship.Request) bool {
	return (q.Status == "" || r.Status == q.Status) && (q.Kind == "" || r.Kind == q.Kind) &&
		(q.Currency == "" || r.Amount.Currency == q.Currency)
}

// Columns of each report, documented in the README; their names and order are stable.
// Amounts are in the row's currency.
var (
	requestColumns = []tabular.Column{
		{Name: "reference"}, {Name: "request_id"}, {Name: "kind"}, {Name: "title"}, {Name: "applicant"}, {Name: "applicant_email"},
		{Name: "organization"}, {Name: "event_or_project"}, {Name: "fiscal_year", Type: tabular.Integer}, {Name: "currency"},
		amount("requested"), amount("approved"), amount("paid"), amount("outstanding"), {Name: "status"},
		{Name: "submitted_on", Type: tabular.Date}, {Name: "decided_on", Type: tabular.Date}, {Name: "last_paid_on", Type: tabular.Date},
	}
	paymentColumns = []tabular.Column{
		{Name: "payment_id"}, {Name: "date", Type: tabular.Date}, {Name: "reference"}, {Name: "request_id"}, {Name: "kind"},
		{Name: "fiscal_year", Type: tabular.Integer}, {Name: "currency"}, amount("amount"), {Name: "method"},
		{Name: "external_reference"}, {Name: "reverses"}, {Name: "note"}, {Name: "recorded_by"}, {Name: "recorded_at", Type: tabular.DateTime},
	}
	summaryColumns = []tabular.Column{
		{Name: "section"}, {Name: "fiscal_year", Type: tabular.Integer}, {Name: "category"}, {Name: "status"}, {Name: "quarter"},
		{Name: "currency"}, {Name: "requests", Type: tabular.Integer}, amount("requested"), amount("approved"),
		amount("paid"), amount("outstanding"), amount("allocated"), amount("committed"), amount("remaining"),
		{Name: "utilisation_percent", Type: tabular.Decimal, Decimals: 1},
	}
	auditColumns = []tabular.Column{
		{Name: "at", Type: tabular.DateTime}, {Name: "request_id"}, {Name: "subject"}, {Name: "version"}, {Name: "type"}, {Name: "actor_role"},
		{Name: "actor_id"}, {Name: "actor_name"}, {Name: "from_status"}, {Name: "to_status"}, {Name: "message"}, {Name: "details"},
		{Name: "internal"}, {Name: "salt"},
	}
)

// amount is an amount column in the currency of the row's currency column.
func amount(name string) tabular.Column {
	return tabular.Column{Name: name, Type: tabular.Amount, Currency: "currency"}
}

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

func (b Builder) requests(ctx context.Context, q Query, read *ceiling, row func(...string) error) error {
	return b.Source.EachRequest(ctx, q.FiscalYear, q.From, q.To, func(r *sponsorship.Request) error {
		if err := read.items(1); err != nil {
			return err
		}
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

func (b Builder) payments(ctx context.Context, q Query, read *ceiling, row func(...string) error) error {
	return b.Source.EachPayment(ctx, q.FiscalYear, q.From, q.To, func(p sponsorship.Payment) error {
		if err := read.items(1); err != nil {
			return err
		}
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

func (b Builder) audit(ctx context.Context, q Query, read *ceiling, row func(...string) error) error {
	from, to := b.period(q)
	return b.Source.EachEvent(ctx, from, to, func(ev sponsorship.AuditEvent) error {
		if err := read.items(1); err != nil {
			return err
		}
		return row(append(ledger.Row(ev), hex.EncodeToString(ev.Salt))...)
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

func parseDay(s string) (time.Time, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("payment date %q: %w", s, err)
	}
	return t, nil
}
