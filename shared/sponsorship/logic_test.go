package sponsorship_test

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship/memstore"
)

// The logic tests (applicant_, review_, admin_ and finance_logic_test.go) run the
// services over the in-memory store: each case builds its starting state through the
// services, as people would, takes one action, and checks what the people concerned
// would see: the error, where the request stands, the tally, the budget and the audit
// events the action wrote.

var ctx = context.Background()

// t0 is when every test world starts: the events of the fixture's conference are in
// fiscal year 2027, a year on.
var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// clock is a world's time, which only a test moves.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// racing is the store as the services see it while other people write at the same
// moment: as long as races is above zero, each write is preceded by rival, someone
// else's write through the plain store, so the service's write meets a version newer
// than the one it read.
type racing struct {
	*memstore.Store
	races int
	rival func()
}

func (r *racing) lose() {
	if r.races > 0 {
		r.races--
		r.rival()
	}
}

func (r *racing) Apply(ctx context.Context, c sponsorship.Change) error {
	r.lose()
	return r.Store.Apply(ctx, c)
}

func (r *racing) PutReviewer(ctx context.Context, v sponsorship.Reviewer, ev sponsorship.AuditEvent) error {
	r.lose()
	return r.Store.PutReviewer(ctx, v, ev)
}

func (r *racing) PutCompany(ctx context.Context, c sponsorship.Company, previous *sponsorship.Company, ev sponsorship.AuditEvent) error {
	r.lose()
	return r.Store.PutCompany(ctx, c, previous, ev)
}

func (r *racing) PutGovernance(ctx context.Context, g sponsorship.Governance, ev sponsorship.AuditEvent) error {
	r.lose()
	return r.Store.PutGovernance(ctx, g, ev)
}

func (r *racing) SetAllocation(ctx context.Context, b sponsorship.Budget, previous int64, ev sponsorship.AuditEvent) error {
	r.lose()
	return r.Store.SetAllocation(ctx, b, previous, ev)
}

// world is a foundation in memory: its store, its clock and its services, which write
// through race.
type world struct {
	t          *testing.T
	store      *memstore.Store
	race       *racing
	clock      *clock
	applicants *sponsorship.Service
	review     *sponsorship.ReviewService
	admin      *sponsorship.AdminService
	finance    *sponsorship.FinanceService
	evidence   *sponsorship.Evidence
	payouts    *sponsorship.Payouts
	tokens     map[string]string // the applicant token of each request submitted
	codes      map[string]string // the confirmation code mailed for each request confirmed
}

func newWorld(t *testing.T) *world {
	store := memstore.New()
	w := &world{t: t, store: store, race: &racing{Store: store}, clock: &clock{now: t0}, tokens: map[string]string{}, codes: map[string]string{}}
	w.applicants = sponsorship.NewService(w.race, sponsorship.Config{}, w.clock.Now)
	w.review = sponsorship.NewReviewService(w.race, w.clock.Now)
	w.admin = sponsorship.NewAdminService(w.race, w.clock.Now)
	w.finance = sponsorship.NewFinanceService(w.race, w.clock.Now)
	w.evidence = sponsorship.NewEvidence(w.race, &files{}, w.clock.Now)
	w.payouts = sponsorship.NewPayouts(w.race, sealer{}, w.clock.Now)
	return w
}

// other is the world as someone else acts in it at the same moment: their writes go
// straight to the store, never into a race.
func (w *world) other() *world {
	o := *w
	o.applicants = sponsorship.NewService(w.store, sponsorship.Config{}, w.clock.Now)
	o.review = sponsorship.NewReviewService(w.store, w.clock.Now)
	o.admin = sponsorship.NewAdminService(w.store, w.clock.Now)
	o.finance = sponsorship.NewFinanceService(w.store, w.clock.Now)
	o.evidence = sponsorship.NewEvidence(w.store, &files{}, w.clock.Now)
	o.payouts = sponsorship.NewPayouts(w.store, sealer{}, w.clock.Now)
	return &o
}

// racedBy makes the next n writes of the services each lose a race to rival.
func (w *world) racedBy(n int, rival func()) {
	w.race.races, w.race.rival = n, rival
}

func (w *world) must(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

// Who acts: staff as the API's authorizer vouches for them.
var admin = sponsorship.Staff{ID: "admin", Groups: []string{sponsorship.GroupAdmins}}

func reviewer(id string) sponsorship.Staff {
	return sponsorship.Staff{ID: id, Groups: []string{sponsorship.GroupReviewers}}
}

func financier(id string) sponsorship.Staff {
	return sponsorship.Staff{ID: id, Groups: []string{sponsorship.GroupFinance}}
}

// company adds a company to the directory.
func (w *world) company(id, name string, domains ...string) {
	w.t.Helper()
	_, err := w.admin.PutCompany(ctx, admin, id, sponsorship.CompanyInput{Name: name, Domains: domains})
	w.must(err)
}

// member puts someone on the roster, of a company ("" for none), in roles.
func (w *world) member(id, companyID string, roles ...sponsorship.Role) {
	w.t.Helper()
	_, _, err := w.admin.PutReviewer(ctx, admin, id, sponsorship.ReviewerInput{Name: "Member " + id,
		Email: id + "@foundation.example", Roles: roles, CompanyID: companyID})
	w.must(err)
}

// committee puts the committee on the roster: a1 and a2 of Acme, b of Beta, c of Gamma
// and d of Delta, four seats; x of the fixture applicant's own organization, recused
// from its requests; and fay of finance.
func (w *world) committee() {
	w.t.Helper()
	w.company("acme", "Acme Inc.", "acme.example")
	w.company("beta", "Beta GmbH")
	w.company("gamma", "Gamma Ltd")
	w.company("delta", "Delta AG")
	w.company("plumbers", "Plumbers Conference")
	for id, co := range map[string]string{"a1": "acme", "a2": "acme", "b": "beta", "c": "gamma", "d": "delta", "x": "plumbers"} {
		w.member(id, co, sponsorship.RoleReviewer)
	}
	w.member("fay", "", sponsorship.RoleFinance)
}

// near adds n, of a company whose name resembles the fixture applicant's organization:
// a possible conflict, and a fifth seat.
func (w *world) near() {
	w.t.Helper()
	w.company("pcg", "Plumbers Conference Group")
	w.member("n", "pcg", sponsorship.RoleReviewer)
}

// allocate sets the budget the fixture conference draws on: FY2027, conference, EUR.
func (w *world) allocate(amount string) {
	w.t.Helper()
	_, err := w.admin.SetAllocation(ctx, admin, 2027, sponsorship.KindConference, "EUR", sponsorship.AllocationInput{Allocated: amount})
	w.must(err)
}

// conference is a valid request for 5000.00 EUR from Ada of Plumbers Conference e.V.,
// for an event in September 2027.
func conference() sponsorship.RequestInput {
	return sponsorship.RequestInput{
		Kind:      sponsorship.KindConference,
		Title:     "Sponsor the toolchains track",
		Summary:   "A silver sponsorship for the toolchains microconference.",
		Applicant: sponsorship.Applicant{Name: "Ada Lovelace", Email: "ada@example.org", Organization: "Plumbers Conference e.V."},
		Amount:    money.Amount{Currency: "EUR", Value: "5000.00"},
		Conference: &sponsorship.Conference{EventName: "Plumbers 2027", EventURL: "https://plumbers.example/2027",
			StartDate: "2027-09-01", EndDate: "2027-09-03", Location: "Prague", Tier: "silver"},
	}
}

// submit sends the fixture conference, edited, and confirms its address, as its
// applicant would: it is then the committee's. It returns the id and the applicant's
// token.
func (w *world) submit(edits ...func(*sponsorship.RequestInput)) (id, token string) {
	w.t.Helper()
	in := conference()
	for _, edit := range edits {
		edit(&in)
	}
	rc, err := w.applicants.Submit(ctx, in, "")
	w.must(err)
	w.confirm(rc.ID)
	w.tokens[rc.ID] = rc.Token
	return rc.ID, rc.Token
}

// confirm opens the link mailed to a request's applicant.
func (w *world) confirm(id string) {
	w.t.Helper()
	_, err := w.applicants.Confirm(ctx, id, w.mailedCode(id))
	w.must(err)
}

// mailedCode is the confirmation code in the link mailed for a request: the store keeps
// it until the address is confirmed, the applicant's mailbox for good.
func (w *world) mailedCode(id string) string {
	if code, err := w.store.ConfirmationCode(ctx, id); err == nil {
		w.codes[id] = code
	}
	return w.codes[id]
}

// ready is the usual start of a review: the committee, a budget of 10000.00 and the
// conference submitted.
func (w *world) ready() string {
	w.t.Helper()
	w.committee()
	w.allocate("10000.00")
	id, _ := w.submit()
	return id
}

// vote casts a reviewer's vote; amount "" proposes none.
func (w *world) vote(who, id string, choice sponsorship.Choice, amount string) (sponsorship.Outcome, error) {
	in := sponsorship.VoteInput{Choice: choice}
	if amount != "" {
		in.Amount = &money.Amount{Currency: "EUR", Value: amount}
	}
	return w.review.Vote(ctx, reviewer(who), id, in)
}

// votes casts votes that must be accepted: who:choice, or who:approve:amount.
func (w *world) votes(id string, ballots ...string) {
	w.t.Helper()
	for _, b := range ballots {
		parts := strings.Split(b, ":")
		amount := ""
		if len(parts) > 2 {
			amount = parts[2]
		}
		_, err := w.vote(parts[0], id, sponsorship.Choice(parts[1]), amount)
		w.must(err)
	}
}

// approved is a request the committee approved for 5000.00 with a1's, b's and c's
// votes, three seats of four, out of a budget of 10000.00.
func (w *world) approved() string {
	w.t.Helper()
	id := w.ready()
	w.votes(id, "a1:approve", "b:approve", "c:approve")
	return id
}

// invoiced is the approved conference with the organiser's invoice on file, which its
// payment needs.
func (w *world) invoiced() string {
	w.t.Helper()
	id := w.approved()
	w.attach(id, sponsorship.PurposeInvoice, -1, -1)
	return id
}

// attach uploads a file of purpose for a request, as its applicant, and has the check
// accept it; line and milestone (-1 for none) say what it is evidence of.
func (w *world) attach(id string, purpose sponsorship.Purpose, line, milestone int) {
	w.t.Helper()
	in := pdf(purpose)
	if line >= 0 {
		in.CostLine = &line
	}
	if milestone >= 0 {
		in.Milestone = &milestone
	}
	up, err := w.evidence.ApplicantUpload(ctx, id, w.tokens[id], in)
	w.must(err)
	_, err = w.evidence.Checked(ctx, up.Attachment.Key, accepted(up.Attachment.Key))
	w.must(err)
}

// request reads a request as stored.
func (w *world) request(id string) *sponsorship.Request {
	w.t.Helper()
	r, err := w.store.GetRequest(ctx, id)
	w.must(err)
	return r
}

// history lists the types of a request's audit events, oldest first.
func (w *world) history(id string) []sponsorship.EventType {
	w.t.Helper()
	d, err := w.store.Dossier(ctx, id)
	w.must(err)
	var types []sponsorship.EventType
	for _, ev := range d.History {
		types = append(types, ev.Type)
	}
	return types
}

// adminHistory lists the types of the admin audit events, oldest first.
func (w *world) adminHistory() []sponsorship.EventType {
	var types []sponsorship.EventType
	for _, ev := range w.store.AdminEvents() {
		types = append(types, ev.Type)
	}
	return types
}

// budget describes the fixture conference's budget: what is committed, paid and left.
func (w *world) budget() string {
	w.t.Helper()
	budgets, err := w.store.Budgets(ctx, 2027)
	w.must(err)
	for _, b := range budgets {
		if b.Category == sponsorship.KindConference && b.Currency == "EUR" {
			return "committed " + b.Money(b.Committed).Decimal() + ", paid " + b.Money(b.Paid).Decimal() + ", left " + b.Remaining().Decimal()
		}
	}
	return "no budget"
}

// kindOf names the kind of an error as the API tells it to people: "ok" for none, and
// for invalid input each field and code, sorted.
func kindOf(err error) string {
	var (
		invalid    *sponsorship.ValidationError
		forbidden  *sponsorship.ForbiddenError
		possible   *sponsorship.PossibleConflictError
		exceeded   *sponsorship.BudgetExceededError
		transition *sponsorship.TransitionError
		conflict   *sponsorship.ConflictError
		allocation *sponsorship.AllocationError
		tooMany    *sponsorship.TooManyUnconfirmedError
		staffState *sponsorship.StaffStateError
		incomplete *sponsorship.IncompleteError
		missing    *sponsorship.EvidenceMissingError
		report     *sponsorship.ReportStateError
	)
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &invalid):
		var fields []string
		for _, fe := range invalid.Errors {
			fields = append(fields, fe.Field+":"+fe.Code)
		}
		sort.Strings(fields)
		return "invalid " + strings.Join(fields, " ")
	case errors.As(err, &forbidden):
		return "forbidden"
	case errors.As(err, &possible):
		return "possible conflict"
	case errors.As(err, &exceeded) && exceeded.NoBudget:
		return "no budget"
	case errors.As(err, &exceeded):
		return "budget exceeded"
	case errors.As(err, &transition):
		return "transition"
	case errors.As(err, &conflict):
		return "conflict"
	case errors.As(err, &allocation):
		return "allocation"
	case errors.As(err, &tooMany):
		return "too many unconfirmed"
	case errors.As(err, &staffState):
		return "staff " + staffState.Code
	case errors.As(err, &incomplete):
		return "incomplete"
	case errors.As(err, &missing):
		return "missing " + strings.Join(missing.Missing, "; ")
	case errors.As(err, &report):
		return "report " + string(report.State)
	}
	for _, known := range []struct {
		err  error
		kind string
	}{
		{sponsorship.ErrNotFound, "not found"},
		{sponsorship.ErrUnauthenticated, "unauthenticated"},
		{sponsorship.ErrIdempotencyKeyReused, "key reused"},
		{sponsorship.ErrNothingToDeclare, "nothing to declare"},
		{sponsorship.ErrBadCursor, "bad cursor"},
	} {
		if errors.Is(err, known.err) {
			return known.kind
		}
	}
	return "unexpected: " + err.Error()
}

// since is what a list gained after its first n entries.
func since[T any](list []T, n int) []T {
	if n >= len(list) {
		return nil
	}
	return slices.Clone(list[n:])
}
