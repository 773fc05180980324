package memstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship/memstore"
)

// These tests hold the in-memory store to what the real store refuses, for the
// conditions the services rely on; how the real store does it is tested in dynamostore.

var (
	ctx = context.Background()
	t0  = time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)
)

func eur(minor int64) money.Money { return money.Money{Currency: "EUR", Minor: minor} }

// submitted is a request of the committee's at version 1, submitted at `at`, with its
// first event.
func submitted(at time.Time) (*sponsorship.Request, sponsorship.AuditEvent) {
	id := sponsorship.NewID(at)
	r := &sponsorship.Request{
		ID: id, Reference: sponsorship.ReferenceFor(id), Status: sponsorship.StatusSubmitted, Version: 1, Round: 1, FiscalYear: 2027,
		Content: sponsorship.Content{Kind: sponsorship.KindProject, Title: "Vector backend", Amount: eur(1500_00),
			Applicant: sponsorship.Applicant{Name: "Ada", Email: "ada@eu.acme.example", Organization: "Acme Widgets"},
			Project:   &sponsorship.Project{Name: "rvv", Milestones: []sponsorship.Milestone{{Title: "All", Amount: eur(1500_00)}}}},
		SubmittedAt: at, UpdatedAt: at, Paid: eur(0),
	}
	return r, sponsorship.AuditEvent{RequestID: id, Version: 1, Type: sponsorship.EventSubmitted, At: at, ToStatus: r.Status}
}

// provisional is submitted as Submit makes it: unconfirmed, with an expiry, counted
// against its address's day.
func provisional(at time.Time) (*sponsorship.Request, sponsorship.AuditEvent, sponsorship.Pending) {
	r, ev := submitted(at)
	r.Status, ev.Type, ev.ToStatus = sponsorship.StatusUnconfirmed, sponsorship.EventReceived, sponsorship.StatusUnconfirmed
	r.ExpiresAt = at.Add(7 * 24 * time.Hour)
	return r, ev, sponsorship.PendingFor("code-"+r.ID, r.Applicant.Email, at, 2)
}

// step is the change that moves r one version on with one event, as the services make
// it.
func step(r *sponsorship.Request, typ sponsorship.EventType) sponsorship.Change {
	next := *r
	next.Version++
	next.UpdatedAt = r.UpdatedAt.Add(time.Minute)
	return sponsorship.Change{Request: &next, Events: []sponsorship.AuditEvent{{RequestID: r.ID, Version: next.Version, Type: typ, At: next.UpdatedAt}}}
}

// key is an idempotency record of a key hash; nil for none.
func key(hash string, expires time.Time) *sponsorship.IdempotencyRecord {
	if hash == "" {
		return nil
	}
	return &sponsorship.IdempotencyRecord{KeyHash: hash, Fingerprint: "f", Salt: []byte{1}, ExpiresAt: expires}
}

func mustCreate(t *testing.T, s *memstore.Store, r *sponsorship.Request, ev sponsorship.AuditEvent) {
	t.Helper()
	if err := s.CreateRequest(ctx, r, ev, nil); err != nil {
		t.Fatal(err)
	}
}

// create stores a new request and returns its id, or "" when the id is not the new
// request's alone.
type create func(s *memstore.Store) (string, error)

// keyed creates a request at `at` with idempotency key k (none when empty), remembered
// for an hour.
func keyed(at time.Time, k string) create {
	return func(s *memstore.Store) (string, error) {
		r, ev := submitted(at)
		return r.ID, s.CreateRequest(ctx, r, ev, key(k, at.Add(time.Hour)))
	}
}

// pending creates a provisional request at `at`, as keyed does.
func pending(at time.Time, k string) create {
	return func(s *memstore.Store) (string, error) {
		r, ev, p := provisional(at)
		return r.ID, s.CreateProvisional(ctx, r, ev, key(k, at.Add(time.Hour)), p)
	}
}

// sameID creates a request under one fixed id.
func sameID(s *memstore.Store) (string, error) {
	r, ev := submitted(t0)
	r.ID = "01KB0000000000000000000000"
	return "", s.CreateRequest(ctx, r, ev, nil)
}

func TestCreateRefusesWhatIsTaken(t *testing.T) {
	tests := []struct {
		name   string
		before []create
		create create
		want   error // nil: created
	}{
		{"a live idempotency key is taken", []create{keyed(t0, "k")}, keyed(t0.Add(59*time.Minute), "k"), sponsorship.ErrDuplicate},
		{"an expired idempotency key may be taken again", []create{keyed(t0, "k")}, keyed(t0.Add(61*time.Minute), "k"), nil},
		{"an id is taken once", []create{sameID}, sameID, sponsorship.ErrDuplicate},
		{"an address at its day's limit of unconfirmed requests", []create{pending(t0, ""), pending(t0, "")}, pending(t0, ""),
			sponsorship.ErrTooManyUnconfirmed},
		{"the next day counts afresh", []create{pending(t0, ""), pending(t0, "")}, pending(t0.Add(24*time.Hour), ""), nil},
		{"a taken key is a duplicate even at the day's limit", []create{pending(t0, "k0"), pending(t0, "k1")}, pending(t0, "k1"),
			sponsorship.ErrDuplicate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := memstore.New()
			for _, c := range tt.before {
				if _, err := c(s); err != nil {
					t.Fatal(err)
				}
			}
			id, err := tt.create(s)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("create: %v, want %v", err, tt.want)
			}
			if id == "" {
				return
			}
			_, err = s.GetRequest(ctx, id)
			if stored := err == nil; stored != (tt.want == nil) {
				t.Errorf("request stored: %v, want %v", stored, tt.want == nil)
			}
		})
	}
	s := memstore.New()
	r, ev := submitted(t0)
	if err := s.CreateProvisional(ctx, r, ev, nil, sponsorship.Pending{Limit: 1}); err == nil {
		t.Error("a request without an expiry was stored as provisional")
	}
}

// TestApplyIsAllOrNothing tries changes the real store refuses against a request at
// version 2 whose budget has 1000.00 left, and checks that a refusal writes nothing.
func TestApplyIsAllOrNothing(t *testing.T) {
	type state struct {
		Version, Votes, Events int
		Committed              int64
		Key                    bool // the change's new idempotency key is remembered
	}
	tests := []struct {
		name   string
		change func(r *sponsorship.Request) sponsorship.Change
		check  func(error) bool
		after  state
	}{
		{"a change within the budget writes everything", func(r *sponsorship.Request) sponsorship.Change {
			c := withVote(step(r, sponsorship.EventApproved))
			c.Commit, c.Idempotency = commit(1000_00), key("fresh", t0.Add(time.Hour))
			return c
		}, func(err error) bool { return err == nil }, state{3, 1, 3, 1000_00, true}},
		{"a stale version is a conflict with the current state", func(r *sponsorship.Request) sponsorship.Change {
			r.Version = 1
			return withVote(step(r, sponsorship.EventVoteCast))
		}, func(err error) bool {
			var c *sponsorship.ConflictError
			return errors.As(err, &c) && c.CurrentVersion == 2 && c.CurrentStatus == sponsorship.StatusSubmitted
		}, state{2, 0, 2, 0, false}},
		{"an unknown request is not found", func(r *sponsorship.Request) sponsorship.Change {
			r.ID = sponsorship.NewID(t0)
			return step(r, sponsorship.EventVoteCast)
		}, func(err error) bool { return errors.Is(err, sponsorship.ErrNotFound) }, state{2, 0, 2, 0, false}},
		{"a commitment beyond the budget is refused with what is left", func(r *sponsorship.Request) sponsorship.Change {
			c := withVote(step(r, sponsorship.EventApproved))
			c.Commit = commit(1000_01)
			return c
		}, func(err error) bool {
			var b *sponsorship.BudgetExceededError
			return errors.As(err, &b) && !b.NoBudget && b.Remaining == eur(1000_00) && b.Requested == eur(1000_01)
		}, state{2, 0, 2, 0, false}},
		{"a commitment to a budget never allocated is refused", func(r *sponsorship.Request) sponsorship.Change {
			c := step(r, sponsorship.EventApproved)
			c.Commit = commit(1)
			c.Commit.FiscalYear = 2030
			return c
		}, func(err error) bool {
			var b *sponsorship.BudgetExceededError
			return errors.As(err, &b) && b.NoBudget && b.Remaining == eur(0)
		}, state{2, 0, 2, 0, false}},
		{"a stale version beyond the budget is a conflict", func(r *sponsorship.Request) sponsorship.Change {
			r.Version = 1
			c := step(r, sponsorship.EventApproved)
			c.Commit = commit(5000_00)
			return c
		}, func(err error) bool { var c *sponsorship.ConflictError; return errors.As(err, &c) }, state{2, 0, 2, 0, false}},
		{"an idempotency key that is taken", func(r *sponsorship.Request) sponsorship.Change {
			c := withVote(step(r, sponsorship.EventPaymentRecorded))
			c.Idempotency = key("taken", t0.Add(time.Hour))
			return c
		}, func(err error) bool { return errors.Is(err, sponsorship.ErrDuplicate) }, state{2, 0, 2, 0, false}},
		{"an event of a version written already", func(r *sponsorship.Request) sponsorship.Change {
			c := withVote(step(r, sponsorship.EventVoteCast))
			c.Events = append(c.Events, sponsorship.AuditEvent{RequestID: r.ID, Version: 2})
			c.Request.Version++
			return c
		}, func(err error) bool { var c *sponsorship.ConflictError; return errors.As(err, &c) }, state{2, 0, 2, 0, false}},
		{"settling money of a budget that does not exist", func(r *sponsorship.Request) sponsorship.Change {
			c := step(r, sponsorship.EventPaymentRecorded)
			c.Settle = commit(100)
			c.Settle.Category = sponsorship.KindTravel
			return c
		}, func(err error) bool { var c *sponsorship.ConflictError; return errors.As(err, &c) }, state{2, 0, 2, 0, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, r := budgeted(t)
			c := step(r, sponsorship.EventVoteCast)
			c.Idempotency = key("taken", t0.Add(time.Hour))
			if err := s.Apply(ctx, c); err != nil {
				t.Fatal(err)
			}
			at2 := *c.Request
			c.Idempotency = nil
			if err := s.Apply(ctx, tt.change(&at2)); !tt.check(err) {
				t.Fatalf("apply: %v", err)
			}
			d, err := s.Ballots(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			h, _ := s.Dossier(ctx, r.ID)
			b, _ := s.Budgets(ctx, 2027)
			got := state{d.Request.Version, len(d.Votes), len(h.History), b[0].Committed, hasKey(s, "fresh")}
			if got != tt.after {
				t.Errorf("after: %+v, want %+v", got, tt.after)
			}
		})
	}
}

func hasKey(s *memstore.Store, hash string) bool {
	_, err := s.GetIdempotency(ctx, hash)
	return err == nil
}

func withVote(c sponsorship.Change) sponsorship.Change {
	c.PutVote = &sponsorship.Vote{RequestID: c.Request.ID, ReviewerID: "rev", Choice: sponsorship.ChoiceApprove, Round: 1}
	return c
}

func commit(minor int64) *sponsorship.Commitment {
	return &sponsorship.Commitment{FiscalYear: 2027, Category: sponsorship.KindProject, Amount: eur(minor)}
}

// budgeted is a store with a submitted request and a budget of 1000.00 for it.
func budgeted(t *testing.T) (*memstore.Store, *sponsorship.Request) {
	t.Helper()
	s := memstore.New()
	allocate(t, s, 2027, 1000_00)
	r, ev := submitted(t0)
	mustCreate(t, s, r, ev)
	return s, r
}

func allocate(t *testing.T, s *memstore.Store, year int, minor int64) {
	t.Helper()
	b := sponsorship.Budget{FiscalYear: year, Category: sponsorship.KindProject, Currency: "EUR", Allocated: minor, Version: 1}
	if err := s.SetAllocation(ctx, b, 0, sponsorship.AuditEvent{Type: sponsorship.EventBudgetChanged}); err != nil {
		t.Fatal(err)
	}
}

// Every versioned write creates at version 1 and replaces at one more than the stored
// version; anything else is a conflict that writes nothing, not even its audit event.
func TestVersionedWritesRefuseOtherVersions(t *testing.T) {
	reviewer := func(v int) func(*memstore.Store) error {
		return func(s *memstore.Store) error {
			return s.PutReviewer(ctx, sponsorship.Reviewer{ID: "r", Name: fmt.Sprint("v", v), Version: v}, sponsorship.AuditEvent{})
		}
	}
	company := func(v int) func(*memstore.Store) error {
		return func(s *memstore.Store) error {
			return s.PutCompany(ctx, sponsorship.Company{ID: "acme", Name: "Acme", Version: v}, nil, sponsorship.AuditEvent{})
		}
	}
	settings := func(v int) func(*memstore.Store) error {
		return func(s *memstore.Store) error {
			return s.PutGovernance(ctx, sponsorship.Governance{QuorumPercent: 60, Version: v}, sponsorship.AuditEvent{})
		}
	}
	budget := func(v int) func(*memstore.Store) error {
		return func(s *memstore.Store) error {
			b := sponsorship.Budget{FiscalYear: 2027, Category: sponsorship.KindProject, Currency: "EUR", Allocated: int64(v), Version: v}
			return s.SetAllocation(ctx, b, 0, sponsorship.AuditEvent{})
		}
	}
	for what, put := range map[string]func(int) func(*memstore.Store) error{
		"reviewer": reviewer, "company": company, "settings": settings, "budget": budget,
	} {
		for _, tt := range []struct {
			name    string
			writes  []int // versions written, in order
			refused int   // index of the write refused, -1 none
		}{
			{"created at 1, then 2 and 3", []int{1, 2, 3}, -1},
			{"created twice", []int{1, 1}, 1},
			{"a version skipped", []int{1, 3}, 1},
			{"replaced before it exists", []int{2}, 0},
			{"a stale replacement", []int{1, 2, 2}, 2},
		} {
			t.Run(what+": "+tt.name, func(t *testing.T) {
				s := memstore.New()
				for i, v := range tt.writes {
					before := len(s.AdminEvents())
					err := put(v)(s)
					var conflict *sponsorship.ConflictError
					if refused := errors.As(err, &conflict); refused != (i == tt.refused) || (!refused && err != nil) {
						t.Fatalf("write %d at version %d: %v", i, v, err)
					}
					want := 1
					if i == tt.refused {
						want = 0
					}
					if wrote := len(s.AdminEvents()) - before; wrote != want {
						t.Errorf("write %d wrote %d events, want %d", i, wrote, want)
					}
				}
			})
		}
	}
}

func TestAllocationCoversWhatIsSpent(t *testing.T) {
	s, r := budgeted(t)
	c := step(r, sponsorship.EventApproved)
	c.Commit = commit(600_00)
	if err := s.Apply(ctx, c); err != nil {
		t.Fatal(err)
	}
	p := step(c.Request, sponsorship.EventPaymentRecorded)
	p.Settle = commit(200_00)
	if err := s.Apply(ctx, p); err != nil {
		t.Fatal(err)
	}
	b := sponsorship.Budget{FiscalYear: 2027, Category: sponsorship.KindProject, Currency: "EUR", Allocated: 599_99, Version: 2}
	var refused *sponsorship.AllocationError
	if err := s.SetAllocation(ctx, b, 1000_00, sponsorship.AuditEvent{}); !errors.As(err, &refused) || refused.Spent != eur(600_00) {
		t.Fatalf("allocation below committed and paid: %v", err)
	}
	b.Allocated, b.UpdatedAt = 600_00, t0.Add(time.Hour)
	if err := s.SetAllocation(ctx, b, 1000_00, sponsorship.AuditEvent{}); err != nil {
		t.Fatalf("allocation of exactly what is spent: %v", err)
	}
	got, _ := s.Budgets(ctx, 0)
	want := []sponsorship.Budget{{FiscalYear: 2027, Category: sponsorship.KindProject, Currency: "EUR", Allocated: 600_00,
		Committed: 400_00, Paid: 200_00, Version: 2, UpdatedAt: t0.Add(time.Hour)}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("budget (-want +got):\n%s", diff)
	}
	if got[0].Remaining() != eur(0) {
		t.Errorf("remaining %v", got[0].Remaining())
	}
}

// One company holds each name key and domain: a claim another holds refuses the whole
// write, and what a company drops is free for another.
func TestCompaniesClaimNamesAndDomains(t *testing.T) {
	s := memstore.New()
	acme := sponsorship.Company{ID: "acme", Name: "Acme Inc.", Domains: []string{"acme.example"}, Version: 1}
	if err := s.PutCompany(ctx, acme, nil, sponsorship.AuditEvent{}); err != nil {
		t.Fatal(err)
	}
	for _, other := range []sponsorship.Company{
		{ID: "acme2", Name: "ACME", Version: 1},
		{ID: "widgets", Name: "Widgets", Domains: []string{"widgets.example", "acme.example"}, Version: 1},
		{ID: "widgets", Name: "Widgets", Aliases: []string{"Acme GmbH"}, Version: 1},
	} {
		var conflict *sponsorship.ConflictError
		if err := s.PutCompany(ctx, other, nil, sponsorship.AuditEvent{}); !errors.As(err, &conflict) {
			t.Errorf("%+v took a claim of acme's: %v", other, err)
		}
	}
	if dir, _ := s.Directory(ctx); len(dir.Companies) != 1 {
		t.Fatalf("refused companies were stored: %+v", dir.Companies)
	}
	renamed := acme
	renamed.Name, renamed.Domains, renamed.Version = "Acme Widgets", nil, 2
	if err := s.PutCompany(ctx, renamed, &acme, sponsorship.AuditEvent{}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCompany(ctx, sponsorship.Company{ID: "acme2", Name: "Acme", Domains: []string{"acme.example"}, Version: 1}, nil, sponsorship.AuditEvent{}); err != nil {
		t.Errorf("a name and domain acme dropped stayed taken: %v", err)
	}
}

// Each read returns what the real store's returns: Dossier the current round's votes,
// Ballots and PaymentBasis every round's, Public and Payments none of the committee's
// items.
func TestReadsReturnWhatTheRealStoreReturns(t *testing.T) {
	s, r := budgeted(t)
	c := step(r, sponsorship.EventVoteCast)
	c.PutVote = &sponsorship.Vote{RequestID: r.ID, ReviewerID: "old", Choice: sponsorship.ChoiceReject, Round: 1}
	c.PutRecusal = &sponsorship.Recusal{RequestID: r.ID, ReviewerID: "rec"}
	c.PutDeclaration = &sponsorship.Declaration{RequestID: r.ID, ReviewerID: "dec"}
	c.PutComment = &sponsorship.Comment{RequestID: r.ID, ID: "c1"}
	c.Request.Round = 2
	if err := s.Apply(ctx, c); err != nil {
		t.Fatal(err)
	}
	c = step(c.Request, sponsorship.EventVoteCast)
	c.PutVote = &sponsorship.Vote{RequestID: r.ID, ReviewerID: "new", Choice: sponsorship.ChoiceApprove, Round: 2}
	c.PutPayment = &sponsorship.Payment{RequestID: r.ID, ID: "p1", Amount: eur(1)}
	if err := s.Apply(ctx, c); err != nil {
		t.Fatal(err)
	}
	shape := func(d *sponsorship.Dossier) string {
		var votes []string
		for _, v := range d.Votes {
			votes = append(votes, v.ReviewerID)
		}
		return fmt.Sprintf("events %d votes %v recusals %d declarations %d comments %d payments %d",
			len(d.History), votes, len(d.Recusals), len(d.Declarations), len(d.Comments), len(d.Payments))
	}
	reads := map[string]func(string) (*sponsorship.Dossier, error){
		"dossier": func(id string) (*sponsorship.Dossier, error) { return s.Dossier(ctx, id) },
		"ballots": func(id string) (*sponsorship.Dossier, error) { return s.Ballots(ctx, id) },
		"public":  func(id string) (*sponsorship.Dossier, error) { return s.Public(ctx, id) },
		"basis":   func(id string) (*sponsorship.Dossier, error) { return s.PaymentBasis(ctx, id) },
		"payments": func(id string) (*sponsorship.Dossier, error) {
			r, p, err := s.Payments(ctx, id)
			return &sponsorship.Dossier{Request: r, Payments: p}, err
		},
	}
	want := map[string]string{
		"dossier":  "events 3 votes [new] recusals 1 declarations 1 comments 1 payments 1",
		"ballots":  "events 0 votes [new old] recusals 1 declarations 1 comments 0 payments 0",
		"public":   "events 3 votes [] recusals 0 declarations 0 comments 0 payments 1",
		"basis":    "events 0 votes [new old] recusals 1 declarations 1 comments 0 payments 1",
		"payments": "events 0 votes [] recusals 0 declarations 0 comments 0 payments 1",
	}
	for name, read := range reads {
		d, err := read(r.ID)
		if err != nil || d.Request.Version != 3 {
			t.Fatalf("%s: %+v, %v", name, d, err)
		}
		if got := shape(d); got != want[name] {
			t.Errorf("%s: %s, want %s", name, got, want[name])
		}
		if _, err := read(sponsorship.NewID(t0)); !errors.Is(err, sponsorship.ErrNotFound) {
			t.Errorf("%s of an unknown id: %v", name, err)
		}
	}
}

// Nothing a caller holds, given or returned, shares memory with the store.
func TestCopiesShareNothingWithTheStore(t *testing.T) {
	s := memstore.New()
	r, ev := submitted(t0)
	ev.Data = map[string]string{"k": "v"}
	mustCreate(t, s, r, ev)
	r.Project.Milestones[0].Title, ev.Data["k"] = "changed by the caller", "changed"
	d, _ := s.Dossier(ctx, r.ID)
	d.Request.Project.Milestones[0].Title, d.Request.Voters, d.History[0].Data["k"] = "changed by a reader", []string{"x"}, "changed"
	again, _ := s.Dossier(ctx, r.ID)
	if again.Request.Project.Milestones[0].Title != "All" || again.Request.Voters != nil || again.History[0].Data["k"] != "v" {
		t.Errorf("the stored request changed: %+v %+v", again.Request.Project, again.History[0].Data)
	}
	c := step(again.Request, sponsorship.EventVoteCast)
	c.Request.Voters = []string{"rev"}
	if err := s.Apply(ctx, c); err != nil {
		t.Fatal(err)
	}
	c.Request.Voters[0], c.Events[0].Type = "changed by the writer", "changed"
	if d, _ := s.Dossier(ctx, r.ID); d.Request.Voters[0] != "rev" || d.History[1].Type != sponsorship.EventVoteCast {
		t.Errorf("the stored change changed: %v %v", d.Request.Voters, d.History[1].Type)
	}
	roles := []sponsorship.Role{sponsorship.RoleReviewer}
	_ = s.PutReviewer(ctx, sponsorship.Reviewer{ID: "r", Roles: roles, Version: 1}, sponsorship.AuditEvent{})
	roles[0] = sponsorship.RoleAdmin
	m, _ := s.Member(ctx, "r")
	m.Roles[0] = sponsorship.RoleFinance
	if m, _ := s.Member(ctx, "r"); m.Roles[0] != sponsorship.RoleReviewer {
		t.Errorf("the stored roster entry changed: %v", m.Roles)
	}
}

// Of writers racing from one version, exactly one wins; the others learn the version
// that won.
func TestOneOfConcurrentWritersWins(t *testing.T) {
	s := memstore.New()
	r, ev := submitted(t0)
	mustCreate(t, s, r, ev)
	errs := make([]error, 16)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() { errs[i] = s.Apply(ctx, withVote(step(r, sponsorship.EventVoteCast))) })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		var conflict *sponsorship.ConflictError
		switch {
		case err == nil:
			won++
		case !errors.As(err, &conflict) || conflict.CurrentVersion != 2:
			t.Errorf("loser: %v", err)
		}
	}
	if d, _ := s.Dossier(ctx, r.ID); won != 1 || len(d.History) != 2 {
		t.Errorf("%d won, %d events", won, len(d.History))
	}
}

// The queue pages with a limit and a cursor, each request once, in submission order
// either way; provisional requests are in no queue; a cursor is good only for the
// queue that handed it out.
func TestQueuePagesWithACursor(t *testing.T) {
	s := memstore.New()
	var want []string
	for i := range 7 {
		r, ev := submitted(t0.Add(time.Duration(i) * time.Minute))
		mustCreate(t, s, r, ev)
		want = append(want, r.ID)
	}
	p, ev, pending := provisional(t0)
	if err := s.CreateProvisional(ctx, p, ev, nil, pending); err != nil {
		t.Fatal(err)
	}
	walk := func(newest bool) ([]string, []int) {
		var ids []string
		var sizes []int
		q := sponsorship.QueueQuery{Status: sponsorship.StatusSubmitted, Limit: 3, Newest: newest}
		for {
			page, err := s.Queue(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, len(page.Items))
			for _, r := range page.Items {
				ids = append(ids, r.ID)
			}
			if q.Cursor = page.Next; q.Cursor == "" {
				return ids, sizes
			}
		}
	}
	ids, sizes := walk(false)
	if diff := cmp.Diff(want, ids); diff != "" || fmt.Sprint(sizes) != "[3 3 1]" {
		t.Errorf("oldest first, pages %v (-want +got):\n%s", sizes, diff)
	}
	ids, _ = walk(true)
	for i, j := 0, len(want)-1; i < j; i, j = i+1, j-1 {
		want[i], want[j] = want[j], want[i]
	}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("newest first (-want +got):\n%s", diff)
	}
	first, _ := s.Queue(ctx, sponsorship.QueueQuery{Status: sponsorship.StatusSubmitted, Limit: 3})
	for name, q := range map[string]sponsorship.QueueQuery{
		"another status's cursor": {Status: sponsorship.StatusApproved, Cursor: first.Next},
		"a made-up cursor":        {Status: sponsorship.StatusSubmitted, Cursor: "eyJzIjoic3VibWl0dGVkIiwiYSI6IngifQ"},
		"not a cursor":            {Status: sponsorship.StatusSubmitted, Cursor: "%%%"},
	} {
		if _, err := s.Queue(ctx, q); !errors.Is(err, sponsorship.ErrBadCursor) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// A reviewer waits on the requests they have not voted on, recused from, or that come
// from their company by name or e-mail domain.
func TestQueueOfWhatWaitsOnAReviewer(t *testing.T) {
	s := memstore.New()
	mk := func(org, email string, voters, recused []string) string {
		r, ev := submitted(t0)
		r.Applicant.Organization, r.Applicant.Email, r.Voters, r.Recused = org, email, voters, recused
		mustCreate(t, s, r, ev)
		return r.ID
	}
	waits := mk("Plumbers e.V.", "ada@example.org", []string{"other"}, nil)
	mk("Plumbers e.V.", "ada@example.org", []string{"me"}, nil)
	mk("Plumbers e.V.", "ada@example.org", nil, []string{"me"})
	mk("Beta GmbH", "ada@example.org", nil, nil)
	mk("Plumbers e.V.", "ada@eu.beta.example", nil, nil)
	page, err := s.Queue(ctx, sponsorship.QueueQuery{Status: sponsorship.StatusSubmitted,
		WaitingOn: &sponsorship.Waiter{ReviewerID: "me", OrgKeys: sponsorship.Company{Name: "Beta GmbH"}.Keys(), Domains: []string{"beta.example"}}})
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != waits {
		t.Errorf("waiting on me: %d items, %v", len(page.Items), err)
	}
}

// Confirming deletes the plain code and, when asked, gives the address's slot back.
func TestConfirmationDeletesTheCodeAndFreesTheSlot(t *testing.T) {
	s := memstore.New()
	var first *sponsorship.Request
	for range 2 {
		r, ev, p := provisional(t0)
		if err := s.CreateProvisional(ctx, r, ev, nil, p); err != nil {
			t.Fatal(err)
		}
		first = r
	}
	if code, err := s.ConfirmationCode(ctx, first.ID); err != nil || code != "code-"+first.ID {
		t.Fatalf("code %q, %v", code, err)
	}
	c := step(first, sponsorship.EventSubmitted)
	c.Request.ExpiresAt, c.Request.Status = time.Time{}, sponsorship.StatusSubmitted
	c.Confirmed = &sponsorship.Confirmation{Free: &sponsorship.AddressDay{Email: "ada@eu.acme.example", Day: "2026-11-25"}}
	if err := s.Apply(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ConfirmationCode(ctx, first.ID); !errors.Is(err, sponsorship.ErrNotFound) {
		t.Errorf("code after confirmation: %v", err)
	}
	r, ev, p := provisional(t0)
	if err := s.CreateProvisional(ctx, r, ev, nil, p); err != nil {
		t.Errorf("the freed slot: %v", err)
	}
}
