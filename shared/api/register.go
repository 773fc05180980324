package api

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/tabular"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/web"
)

// registerMaxAge is how long caches may keep a page of the register: a decision or a
// narrowed consent shows within a minute.
const registerMaxAge = 60

// registerCSP is the register pages' Content-Security-Policy: they run no script at
// all, and take style sheets from this origin only.
const registerCSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// PublicOption configures the public function's API.
type PublicOption func(*publicRegister)

// WithRegister serves the public register from store: decisions, feeds, CSV and
// totals under /register. cal says which fiscal year is current (the default of every
// page), baseURL where the register lives (the feeds' links are absolute).
func WithRegister(store sponsorship.RegisterStore, cal sponsorship.FiscalCalendar, baseURL string, now func() time.Time) PublicOption {
	return func(p *publicRegister) {
		p.store, p.cal, p.base, p.now = store, cal, strings.TrimRight(baseURL, "/"), now
	}
}

// publicRegister answers the register's routes.
type publicRegister struct {
	store sponsorship.RegisterStore
	cal   sponsorship.FiscalCalendar
	base  string
	now   func() time.Time
	pages map[string]*template.Template
}

func (p *publicRegister) routes(rt *router) {
	// The templates are embedded: one that does not parse fails every test at once.
	for _, name := range []string{"list", "decision"} {
		p.pages[name] = template.Must(template.ParseFS(web.RegisterTemplates, "register/layout.html", "register/"+name+".html"))
	}
	rt.handle("GET /register", p.list)
	rt.handle("GET /register/feed.json", p.jsonFeed)
	rt.handle("GET /register/feed.atom", p.atomFeed)
	rt.handle("GET /register/{fiscalYear}/decisions.csv", p.csv)
	rt.handle("GET /register/{fiscalYear}/totals.json", p.totals)
	rt.handle("GET /register/{fiscalYear}/{id}", p.decision)
}

// registerFilter is what the list page was asked for.
type registerFilter struct {
	Year    int
	Kind    sponsorship.Kind
	Outcome sponsorship.Status
}

// matches reports whether an entry passes the kind and outcome filters. They are
// applied here, not as a FilterExpression: the Query reads (and bills) the whole
// partition either way, and it brings the year's totals too.
func (f registerFilter) matches(e sponsorship.RegisterEntry) bool {
	return (f.Kind == "" || e.Kind == f.Kind) && (f.Outcome == "" || e.Outcome() == f.Outcome)
}

// The fiscal years a page may ask for: a request belongs to the year of its event,
// which may be years ahead.
const (
	minFiscalYear = 2000
	maxFiscalYear = 2100
)

// fiscalYear reads a fiscal year from s, recording a field error for anything but a
// year from minFiscalYear to maxFiscalYear written plainly.
func (p *publicRegister) fiscalYear(field, s string, fields *[]sponsorship.FieldError) int {
	y, err := strconv.Atoi(s)
	if err != nil || y < minFiscalYear || y > maxFiscalYear || strconv.Itoa(y) != s {
		*fields = append(*fields, sponsorship.FieldError{Field: field, Code: sponsorship.CodeInvalidFormat,
			Message: fmt.Sprintf("Give a fiscal year from %d to %d.", minFiscalYear, maxFiscalYear)})
	}
	return y
}

// filter reads the list page's query: every bad parameter is named at once.
func (p *publicRegister) filter(r *http.Request) (registerFilter, error) {
	q, err := strictQuery(withoutEmpty(r), "fiscalYear", "kind", "outcome")
	if err != nil {
		return registerFilter{}, err
	}
	var fields []sponsorship.FieldError
	f := registerFilter{Year: p.cal.Year(p.now())}
	if s := q.Get("fiscalYear"); s != "" {
		f.Year = p.fiscalYear("fiscalYear", s, &fields)
	}
	if s := q.Get("kind"); s != "" {
		if f.Kind = sponsorship.Kind(s); !f.Kind.Valid() {
			fields = append(fields, sponsorship.FieldError{Field: "kind", Code: sponsorship.CodeUnknownValue, Message: "Choose conference, travel or project."})
		}
	}
	if s := q.Get("outcome"); s != "" {
		if f.Outcome = sponsorship.Status(s); f.Outcome != sponsorship.StatusApproved && f.Outcome != sponsorship.StatusRejected {
			fields = append(fields, sponsorship.FieldError{Field: "outcome", Code: sponsorship.CodeUnknownValue, Message: "Choose approved or rejected."})
		}
	}
	return f, invalidQuery(fields)
}

// withoutEmpty is r without an empty kind or outcome: the list's filter form, which
// runs no script, sends "kind=" for "every kind" (and always a year).
func withoutEmpty(r *http.Request) *http.Request {
	q := r.URL.Query()
	for _, k := range []string{"kind", "outcome"} {
		if v := q[k]; len(v) == 1 && v[0] == "" {
			delete(q, k)
		}
	}
	u := *r.URL
	u.RawQuery = q.Encode()
	out := r.WithContext(r.Context())
	out.URL = &u
	return out
}

// pathFiscalYear reads the fiscal year the path names, refusing any query.
func (p *publicRegister) pathFiscalYear(r *http.Request) (int, error) {
	if _, err := strictQuery(r); err != nil {
		return 0, err
	}
	var fields []sponsorship.FieldError
	y := p.fiscalYear("fiscalYear", r.PathValue("fiscalYear"), &fields)
	return y, invalidQuery(fields)
}

// pathYear reads the fiscal year the path names (refusing any query), with one Query.
func (p *publicRegister) pathYear(r *http.Request) (sponsorship.RegisterYear, sponsorship.RegisterContext, error) {
	y, err := p.pathFiscalYear(r)
	if err != nil {
		return sponsorship.RegisterYear{}, sponsorship.RegisterContext{}, err
	}
	return p.store.RegisterYear(r.Context(), y)
}

// option is one choice of a filter's select.
type option struct {
	Value, Label string
	Selected     bool
}

// registerRow is one decision in the list: the reference, then a cell per public
// column.
type registerRow struct {
	Reference, URL        string
	Cells                 []cell
	Outcome, OutcomeLabel string
}

// cell is a table cell's text and its class ("nowrap" for dates and amounts).
type cell struct{ Text, Class string }

type crumb struct {
	Year           int
	Reference, URL string
}

type listPage struct {
	Title, Caption         string
	Crumb                  *crumb
	Year, Counted, Listed  int
	Years, Kinds, Outcomes []option
	Columns                []string
	Rows                   []registerRow
	Totals                 totalsView
}

// listColumns are the list's columns after the reference, each shown only when admins
// made its field public.
var listColumns = []struct {
	field sponsorship.Field
	label string
	class string
	cell  func(sponsorship.PublicRecord) string
}{
	{sponsorship.FieldDecisionDate, "Decided on", "nowrap", func(r sponsorship.PublicRecord) string { return r.DecidedOn }},
	{sponsorship.FieldKind, "Kind", "", func(r sponsorship.PublicRecord) string { return kindLabel(r.Kind) }},
	{sponsorship.FieldTitle, "Title", "", func(r sponsorship.PublicRecord) string { return r.Title }},
	{sponsorship.FieldApplicantName, "Applicant", "", func(r sponsorship.PublicRecord) string { return r.Applicant }},
	{sponsorship.FieldOrganization, "Organization", "", func(r sponsorship.PublicRecord) string {
		return orDash(r.Organization, r.Has(sponsorship.FieldOrganization))
	}},
	{sponsorship.FieldEvent, "Event or project", "", func(r sponsorship.PublicRecord) string { return r.Event }},
	{sponsorship.FieldApprovedAmount, "Amount approved", "nowrap", func(r sponsorship.PublicRecord) string {
		if r.ApprovedAmount == nil {
			return "—"
		}
		return r.ApprovedAmount.String()
	}},
}

func orDash(s string, ok bool) string {
	if !ok || s == "" {
		return "—"
	}
	return s
}

func kindLabel(k sponsorship.Kind) string {
	switch k {
	case sponsorship.KindConference:
		return "Conference sponsorship"
	case sponsorship.KindTravel:
		return "Travel grant"
	case sponsorship.KindProject:
		return "Project funding"
	}
	return string(k)
}

func outcomeLabel(s sponsorship.Status) string {
	if s == sponsorship.StatusRejected {
		return "Rejected"
	}
	return "Approved"
}

// decisionPath is where a decision's page is.
func decisionPath(year int, id string) string { return fmt.Sprintf("/register/%d/%s", year, id) }

// list answers GET /register: a fiscal year's listed decisions, filtered, and its
// totals, from one Query of the year's partition.
func (p *publicRegister) list(w http.ResponseWriter, r *http.Request) error {
	f, err := p.filter(r)
	if err != nil {
		return err
	}
	year, rctx, err := p.store.RegisterYear(r.Context(), f.Year)
	if err != nil {
		return err
	}
	page := listPage{Title: fmt.Sprintf("Decisions of fiscal year %d", f.Year), Year: f.Year, Listed: len(year.Entries),
		Totals: toTotalsView(year.Totals)}
	for _, c := range year.Totals.Counts {
		page.Counted += c.Approved + c.Rejected
	}
	years := slices.Clone(rctx.Years)
	if !slices.Contains(years, f.Year) {
		years = append(years, f.Year)
	}
	slices.Sort(years)
	slices.Reverse(years)
	for _, y := range years {
		page.Years = append(page.Years, option{Value: strconv.Itoa(y), Label: strconv.Itoa(y), Selected: y == f.Year})
	}
	page.Kinds = []option{{Value: "", Label: "Every kind", Selected: f.Kind == ""}}
	for _, k := range sponsorship.Kinds {
		page.Kinds = append(page.Kinds, option{Value: string(k), Label: kindLabel(k), Selected: k == f.Kind})
	}
	page.Outcomes = []option{{Value: "", Label: "Approved and rejected", Selected: f.Outcome == ""}}
	for _, o := range []sponsorship.Status{sponsorship.StatusApproved, sponsorship.StatusRejected} {
		page.Outcomes = append(page.Outcomes, option{Value: string(o), Label: outcomeLabel(o), Selected: o == f.Outcome})
	}
	for _, c := range listColumns {
		if rctx.Fields.Has(c.field) {
			page.Columns = append(page.Columns, c.label)
		}
	}
	for _, e := range year.Entries {
		if !f.matches(e) {
			continue
		}
		rec := e.Record(rctx.Fields)
		row := registerRow{Reference: rec.Reference, URL: decisionPath(e.FiscalYear, e.ID), Outcome: string(e.Outcome()), OutcomeLabel: outcomeLabel(e.Outcome())}
		for _, c := range listColumns {
			if rctx.Fields.Has(c.field) {
				row.Cells = append(row.Cells, cell{Text: c.cell(rec), Class: c.class})
			}
		}
		page.Rows = append(page.Rows, row)
	}
	page.Caption = fmt.Sprintf("%d listed %s of fiscal year %d", len(page.Rows), plural(len(page.Rows), "decision", "decisions"), f.Year)
	if f.Kind != "" || f.Outcome != "" {
		page.Caption += ", filtered"
	}
	return p.render(w, r, "list", page)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// fact is one line of a decision's facts.
type fact struct{ Label, Value string }

type registerSeatView struct{ Seat, Vote string }

type registerRecusalView struct{ Seat, Why string }

type leafView struct {
	Index    int64
	ProofURL string
}

type decisionPage struct {
	Title, Heading, Reference string
	Crumb                     *crumb
	Year                      int
	Outcome, OutcomeLabel     string
	Facts                     []fact
	ShowSeats, ShowRecusals   bool
	Seats                     []registerSeatView
	Recusals                  []registerRecusalView
	Leaf                      *leafView
}

// decision answers GET /register/{fiscalYear}/{id}: one listed decision, from one
// BatchGetItem of its item and the public fields.
func (p *publicRegister) decision(w http.ResponseWriter, r *http.Request) error {
	year, err := p.pathFiscalYear(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if !sponsorship.ValidID(id) {
		return sponsorship.ErrNotFound
	}
	e, fields, err := p.store.RegisterEntry(r.Context(), sponsorship.RegisterKey{FiscalYear: year, ID: id})
	if err != nil {
		return err
	}
	rec := e.Record(fields)
	page := decisionPage{Title: rec.Reference, Heading: rec.Reference, Reference: rec.Reference, Year: year,
		Outcome: string(e.Outcome()), OutcomeLabel: outcomeLabel(e.Outcome()),
		Crumb: &crumb{Year: year, Reference: rec.Reference, URL: decisionPath(year, id)}}
	if rec.Title != "" {
		page.Heading, page.Title = rec.Title, rec.Title
	}
	if e.LeafIndex != nil {
		page.Leaf = &leafView{Index: *e.LeafIndex, ProofURL: fmt.Sprintf("/log/proof/%d", *e.LeafIndex)}
	}
	for _, f := range rec.Fields {
		spec, _ := sponsorship.SpecOf(f)
		var v string
		switch f {
		case sponsorship.FieldKind:
			v = kindLabel(rec.Kind)
		case sponsorship.FieldApplicantName:
			v = rec.Applicant
		case sponsorship.FieldOrganization:
			v = rec.Organization
		case sponsorship.FieldEvent:
			v = rec.Event
		case sponsorship.FieldRequestedAmount:
			v = rec.RequestedAmount.String()
		case sponsorship.FieldApprovedAmount:
			v = rec.ApprovedAmount.String()
		case sponsorship.FieldDecisionDate:
			v = rec.DecidedOn
		case sponsorship.FieldPayments:
			v = fmt.Sprintf("%d %s, %s in all", rec.Payments.Count, plural(rec.Payments.Count, "payment", "payments"), rec.Payments.Total)
		case sponsorship.FieldTally:
			page.ShowSeats = true
			for _, s := range rec.Seats {
				page.Seats = append(page.Seats, registerSeatView{Seat: s.Seat, Vote: voteLabel(s.Vote)})
			}
			continue
		case sponsorship.FieldRecusals:
			page.ShowRecusals = true
			for _, rc := range rec.Recusals {
				page.Recusals = append(page.Recusals, registerRecusalView{Seat: rc.Seat, Why: recusalLabel(rc.Category)})
			}
			continue
		default:
			continue
		}
		page.Facts = append(page.Facts, fact{Label: spec.Label, Value: v})
	}
	return p.render(w, r, "decision", page)
}

func voteLabel(c sponsorship.Choice) string {
	switch c {
	case sponsorship.ChoiceApprove:
		return "Approve"
	case sponsorship.ChoiceReject:
		return "Reject"
	case sponsorship.ChoiceAbstain:
		return "Abstain"
	}
	return "Did not vote"
}

func recusalLabel(c sponsorship.RecusalCategory) string {
	if c == sponsorship.RecusalCompanyMatch {
		return "their company matched the applicant's, so the system recused them"
	}
	return "stood aside of their own accord"
}

// render writes a register page, cacheable, under a policy that allows no script.
func (p *publicRegister) render(w http.ResponseWriter, r *http.Request, name string, data any) error {
	var b bytes.Buffer
	if err := p.pages[name].ExecuteTemplate(&b, "layout", data); err != nil {
		return fmt.Errorf("render register %s: %w", name, err)
	}
	w.Header().Set("Content-Security-Policy", registerCSP)
	return cacheable(w, r, "text/html; charset=utf-8", registerMaxAge, false, b.Bytes())
}

// totalsView is a year's totals as pages and JSON show them.
type totalsView struct {
	FiscalYear int               `json:"fiscalYear"`
	Counts     []countView       `json:"decided"`
	Amounts    []amountTotalView `json:"amounts"`
}

type countView struct {
	Label    string           `json:"-"` // how pages name the kind
	Kind     sponsorship.Kind `json:"kind"`
	Approved int              `json:"approved"`
	Rejected int              `json:"rejected"`
}

type amountTotalView struct {
	Label    string           `json:"-"`
	Kind     sponsorship.Kind `json:"kind"`
	Currency string           `json:"currency"`
	Approved string           `json:"approved"`
	Paid     string           `json:"paid"`
}

func toTotalsView(t sponsorship.RegisterTotals) totalsView {
	v := totalsView{FiscalYear: t.FiscalYear, Counts: []countView{}, Amounts: []amountTotalView{}}
	for _, c := range t.Counts {
		v.Counts = append(v.Counts, countView{Label: kindLabel(c.Kind), Kind: c.Kind, Approved: c.Approved, Rejected: c.Rejected})
	}
	for _, a := range t.Amounts {
		v.Amounts = append(v.Amounts, amountTotalView{Label: kindLabel(a.Kind), Kind: a.Kind, Currency: a.Approved.Currency, Approved: a.Approved.Decimal(), Paid: a.Paid.Decimal()})
	}
	return v
}

// totals answers GET /register/{fiscalYear}/totals.json: the year's totals item.
func (p *publicRegister) totals(w http.ResponseWriter, r *http.Request) error {
	year, err := p.pathFiscalYear(r)
	if err != nil {
		return err
	}
	t, err := p.store.RegisterTotals(r.Context(), year)
	if err != nil {
		return err
	}
	return p.writeJSON(w, r, "application/json", toTotalsView(t))
}

func (p *publicRegister) writeJSON(w http.ResponseWriter, r *http.Request, contentType string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return cacheable(w, r, contentType, registerMaxAge, false, append(b, '\n'))
}

// csvColumns are the CSV's columns: the record's public fields, every column always
// present (empty where a field is withheld), so a year's files line up.
var csvColumns = []tabular.Column{
	{Name: "reference"}, {Name: "fiscal_year", Type: tabular.Integer}, {Name: "outcome"}, {Name: "decided_on", Type: tabular.Date},
	{Name: "kind"}, {Name: "title"}, {Name: "applicant"}, {Name: "organization"}, {Name: "event"},
	{Name: "currency"}, {Name: "requested", Type: tabular.Amount, Currency: "currency"},
	{Name: "approved", Type: tabular.Amount, Currency: "currency"}, {Name: "payments", Type: tabular.Integer},
	{Name: "paid", Type: tabular.Amount, Currency: "currency"}, {Name: "url"},
}

// csv answers GET /register/{fiscalYear}/decisions.csv: the year's listed decisions.
func (p *publicRegister) csv(w http.ResponseWriter, r *http.Request) error {
	y, rctx, err := p.pathYear(r)
	if err != nil {
		return err
	}
	year := y.FiscalYear
	var b bytes.Buffer
	cw, _ := tabular.New("csv", &b)
	if err := cw.Header(tabular.Table{Columns: csvColumns}); err != nil {
		return err
	}
	for _, e := range y.Entries {
		rec := e.Record(rctx.Fields)
		var currency, requested, approved, payments, paid string
		if rec.RequestedAmount != nil {
			currency, requested = rec.RequestedAmount.Currency, rec.RequestedAmount.Decimal()
		}
		if rec.ApprovedAmount != nil {
			currency, approved = rec.ApprovedAmount.Currency, rec.ApprovedAmount.Decimal()
		}
		if rec.Payments != nil {
			currency, payments, paid = rec.Payments.Total.Currency, strconv.Itoa(rec.Payments.Count), rec.Payments.Total.Decimal()
		}
		if err := cw.Row([]string{rec.Reference, strconv.Itoa(rec.FiscalYear), string(e.Outcome()), rec.DecidedOn, string(rec.Kind),
			rec.Title, rec.Applicant, rec.Organization, rec.Event, currency, requested, approved, payments, paid,
			p.base + decisionPath(e.FiscalYear, e.ID)}); err != nil {
			return err
		}
	}
	if err := cw.Close(); err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="register-%d.csv"`, year))
	return cacheable(w, r, tabular.ContentType("csv"), registerMaxAge, false, b.Bytes())
}

// feedSize is how many decisions the feed of the latest decisions holds.
const feedSize = 50

// feedYear reads the fiscal year a feed is of: ?fiscalYear=, else 0 for the latest
// decisions of every year.
func (p *publicRegister) feedYear(r *http.Request) (int, error) {
	q, err := strictQuery(r, "fiscalYear")
	if err != nil {
		return 0, err
	}
	var (
		year   int
		fields []sponsorship.FieldError
	)
	if s := q.Get("fiscalYear"); s != "" {
		year = p.fiscalYear("fiscalYear", s, &fields)
	}
	return year, invalidQuery(fields)
}

// feedEntry is a decision as a feed item says it: a title and a plain-text summary,
// made from the public record alone.
type feedEntry struct {
	ID, URL, Title, Text string
	Published            time.Time
	Record               publicRecordView
}

// publicRecordView is a public record in JSON: the fields it holds, and nothing for
// those it does not.
type publicRecordView struct {
	Reference       string                      `json:"reference"`
	FiscalYear      int                         `json:"fiscalYear"`
	Outcome         sponsorship.Status          `json:"outcome"`
	Publication     sponsorship.Publication     `json:"publication"`
	Fields          []sponsorship.Field         `json:"fields"`
	Kind            sponsorship.Kind            `json:"kind,omitempty"`
	Title           string                      `json:"title,omitempty"`
	Applicant       string                      `json:"applicant,omitempty"`
	Organization    string                      `json:"organization,omitempty"`
	Event           string                      `json:"event,omitempty"`
	RequestedAmount *amountView                 `json:"requestedAmount,omitempty"`
	ApprovedAmount  *amountView                 `json:"approvedAmount,omitempty"`
	DecidedOn       string                      `json:"decidedOn,omitempty"`
	Seats           []sponsorship.PublicSeat    `json:"seats,omitempty"`
	Recusals        []sponsorship.PublicRecusal `json:"recusals,omitempty"`
	Payments        *paymentsView               `json:"payments,omitempty"`
}

type amountView struct {
	Currency string `json:"currency"`
	Value    string `json:"value"`
}

type paymentsView struct {
	Count int        `json:"count"`
	Total amountView `json:"total"`
}

// feedEntries reads the fiscal year a feed is of (0: the latest decisions of every
// year, by when they were decided; a decision belongs to the year of its event, which
// may be years ahead) and its entries, newest first.
func (p *publicRegister) feedEntries(r *http.Request) (int, []feedEntry, error) {
	year, err := p.feedYear(r)
	if err != nil {
		return 0, nil, err
	}
	var (
		decided []sponsorship.RegisterEntry
		rctx    sponsorship.RegisterContext
	)
	if year == 0 {
		decided, rctx, err = p.store.RegisterLatest(r.Context(), feedSize)
	} else {
		var y sponsorship.RegisterYear
		y, rctx, err = p.store.RegisterYear(r.Context(), year)
		decided = y.Entries
	}
	if err != nil {
		return 0, nil, err
	}
	entries := make([]feedEntry, 0, len(decided))
	for _, e := range decided {
		rec := e.Record(rctx.Fields)
		v := publicRecordView{Reference: rec.Reference, FiscalYear: rec.FiscalYear, Outcome: e.Outcome(), Publication: rec.Publication,
			Fields: rec.Fields, Kind: rec.Kind, Title: rec.Title, Applicant: rec.Applicant, Organization: rec.Organization,
			Event: rec.Event, DecidedOn: rec.DecidedOn, Seats: rec.Seats, Recusals: rec.Recusals}
		if v.Fields == nil {
			v.Fields = []sponsorship.Field{}
		}
		if a := rec.RequestedAmount; a != nil {
			v.RequestedAmount = &amountView{Currency: a.Currency, Value: a.Decimal()}
		}
		if a := rec.ApprovedAmount; a != nil {
			v.ApprovedAmount = &amountView{Currency: a.Currency, Value: a.Decimal()}
		}
		if pm := rec.Payments; pm != nil {
			v.Payments = &paymentsView{Count: pm.Count, Total: amountView{Currency: pm.Total.Currency, Value: pm.Total.Decimal()}}
		}
		link := p.base + decisionPath(e.FiscalYear, e.ID)
		title := outcomeLabel(e.Outcome()) + ": " + rec.Reference
		if rec.Title != "" {
			title = outcomeLabel(e.Outcome()) + ": " + rec.Title
		}
		var text []string
		if rec.Applicant != "" {
			who := rec.Applicant
			if rec.Organization != "" {
				who += " (" + rec.Organization + ")"
			}
			text = append(text, "Applicant: "+who+".")
		}
		if rec.Kind != "" {
			text = append(text, kindLabel(rec.Kind)+".")
		}
		if rec.ApprovedAmount != nil {
			text = append(text, "Approved for "+rec.ApprovedAmount.String()+".")
		}
		if rec.DecidedOn != "" {
			text = append(text, "Decided on "+rec.DecidedOn+".")
		}
		entries = append(entries, feedEntry{ID: link, URL: link, Title: title, Text: strings.Join(text, " "),
			Published: e.DecidedAt.UTC().Truncate(time.Second), Record: v})
	}
	return year, entries, nil
}

// jsonFeedDoc is a JSON Feed 1.1 document (https://jsonfeed.org/version/1.1).
type jsonFeedDoc struct {
	Version     string         `json:"version"`
	Title       string         `json:"title"`
	HomePageURL string         `json:"home_page_url"`
	FeedURL     string         `json:"feed_url"`
	Description string         `json:"description"`
	Language    string         `json:"language"`
	Items       []jsonFeedItem `json:"items"`
}

type jsonFeedItem struct {
	ID            string           `json:"id"`
	URL           string           `json:"url"`
	Title         string           `json:"title"`
	ContentText   string           `json:"content_text"`
	DatePublished string           `json:"date_published"`
	Register      publicRecordView `json:"_register"`
}

func (p *publicRegister) feedTitle(year int) string {
	if year == 0 {
		return "Sponsorship Tracker: latest decisions"
	}
	return fmt.Sprintf("Sponsorship Tracker: decisions of fiscal year %d", year)
}

// feedHome is the page a feed stands for: its year's list, or the current year's.
func (p *publicRegister) feedHome(year int) string {
	if year == 0 {
		return p.base + "/register"
	}
	return p.base + "/register?fiscalYear=" + strconv.Itoa(year)
}

// jsonFeed answers GET /register/feed.json.
func (p *publicRegister) jsonFeed(w http.ResponseWriter, r *http.Request) error {
	year, entries, err := p.feedEntries(r)
	if err != nil {
		return err
	}
	doc := jsonFeedDoc{Version: "https://jsonfeed.org/version/1.1", Title: p.feedTitle(year),
		HomePageURL: p.feedHome(year), FeedURL: p.base + feedPath("feed.json", r),
		Description: "The steering committee's decisions, each with what its applicant agreed to publish.",
		Language:    "en", Items: []jsonFeedItem{}}
	for _, e := range entries {
		doc.Items = append(doc.Items, jsonFeedItem{ID: e.ID, URL: e.URL, Title: e.Title, ContentText: e.Text,
			DatePublished: e.Published.Format(time.RFC3339), Register: e.Record})
	}
	return p.writeJSON(w, r, "application/feed+json", doc)
}

// feedPath is the feed's own path with its query, for its self link.
func feedPath(name string, r *http.Request) string {
	path := "/register/" + name
	if q := r.URL.Query().Get("fiscalYear"); q != "" {
		path += "?fiscalYear=" + url.QueryEscape(q)
	}
	return path
}

// atomFeed is an Atom 1.0 document (RFC 4287).
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string      `xml:"xml:lang,attr"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Author  atomPerson  `xml:"author"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomEntry struct {
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Link    atomLink `xml:"link"`
	Summary atomText `xml:"summary"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Text string `xml:",chardata"`
}

// atomFeed answers GET /register/feed.atom.
func (p *publicRegister) atomFeed(w http.ResponseWriter, r *http.Request) error {
	year, entries, err := p.feedEntries(r)
	if err != nil {
		return err
	}
	// The feed changes when a decision is added: its newest decision dates it (the
	// start of its fiscal year, or of the current one, while it has none), so its
	// bytes, and its ETag, stay put in between.
	var updated time.Time
	feed := atomFeed{Lang: "en", ID: p.base + feedPath("feed.atom", r), Title: p.feedTitle(year),
		Author: atomPerson{Name: "The steering committee"},
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: p.base + feedPath("feed.atom", r)},
			{Rel: "alternate", Type: "text/html", Href: p.feedHome(year)}}}
	for _, e := range entries {
		if e.Published.After(updated) {
			updated = e.Published
		}
		feed.Entries = append(feed.Entries, atomEntry{ID: e.ID, Title: e.Title, Updated: e.Published.Format(time.RFC3339),
			Link: atomLink{Rel: "alternate", Type: "text/html", Href: e.URL}, Summary: atomText{Type: "text", Text: e.Text}})
	}
	if updated.IsZero() {
		since := year
		if since == 0 {
			since = p.cal.Year(p.now())
		}
		updated, _ = p.cal.Span(since)
	}
	feed.Updated = updated.UTC().Format(time.RFC3339)
	b, err := xml.MarshalIndent(feed, "", "  ")
	if err != nil {
		return err
	}
	return cacheable(w, r, "application/atom+xml; charset=utf-8", registerMaxAge, false, append([]byte(xml.Header), append(b, '\n')...))
}
