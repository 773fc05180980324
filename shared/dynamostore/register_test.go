//go:build integration

package dynamostore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/dynamostore"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// decide writes the decision on a new request of the given choice, with its register
// change as the domain makes it, and returns the decided request.
func decide(t *testing.T, s *dynamostore.Store, i int, p sponsorship.Publication, outcome sponsorship.Status) *sponsorship.Request {
	t.Helper()
	return decideIn(t, s, 2027, i, p, outcome)
}

// decideIn is decide for a request of the given fiscal year.
func decideIn(t testing.TB, s *dynamostore.Store, year, i int, p sponsorship.Publication, outcome sponsorship.Status) *sponsorship.Request {
	t.Helper()
	ctx := context.Background()
	r, ev := newRequest(sponsorship.NewID(t0.Add(int64ns(i))))
	r.Publication, r.FiscalYear = p, year
	if err := s.CreateRequest(ctx, r, ev, nil); err != nil {
		t.Fatal(err)
	}
	next := *r
	next.Status, next.Version, next.DecidedAt, next.UpdatedAt = outcome, 2, t0.Add(int64ns(100+i)), t0.Add(int64ns(100+i))
	rc := &sponsorship.RegisterChange{Key: sponsorship.RegisterKey{FiscalYear: r.FiscalYear, ID: r.ID},
		Totals: sponsorship.TotalsDelta{Kind: r.Kind, Outcome: outcome}}
	if outcome == sponsorship.StatusApproved {
		a := money.Money{Currency: "EUR", Minor: 2_000_000}
		next.Approved, rc.Totals.Approved = &a, a
	}
	tally := sponsorship.Tally{Seats: []sponsorship.Seat{{Company: "Acme Inc.", Vote: sponsorship.ChoiceApprove}}}
	if e, ok := sponsorship.RegisterEntryOf(sponsorship.PublicInput{Request: &next, Tally: tally}); ok {
		e.DecisionVersion = next.Version
		rc.Put = &e
	}
	ev = sponsorship.AuditEvent{RequestID: r.ID, Version: 2, Type: sponsorship.EventType(outcome), At: next.UpdatedAt,
		FromStatus: sponsorship.StatusSubmitted, ToStatus: outcome, Actor: sponsorship.Actor{Role: sponsorship.RoleReviewer, ID: "rev"}}
	if err := s.Apply(ctx, sponsorship.Change{Request: &next, Events: []sponsorship.AuditEvent{ev}, Register: rc}); err != nil {
		t.Fatal(err)
	}
	return &next
}

// change writes the next version of a request with one event and a register change.
func change(t *testing.T, s *dynamostore.Store, r *sponsorship.Request, rc *sponsorship.RegisterChange) *sponsorship.Request {
	t.Helper()
	next := *r
	next.Version++
	ev := sponsorship.AuditEvent{RequestID: r.ID, Version: next.Version, Type: sponsorship.EventPublicationNarrowed, At: t0,
		FromStatus: r.Status, ToStatus: r.Status, Actor: sponsorship.Actor{Role: sponsorship.RoleApplicant}}
	if err := s.Apply(context.Background(), sponsorship.Change{Request: &next, Events: []sponsorship.AuditEvent{ev}, Register: rc}); err != nil {
		t.Fatal(err)
	}
	return &next
}

func TestTheRegisterFollowsDecisionsPaymentsAndNarrowing(t *testing.T) {
	db, table := testenv.Table(t)
	s := dynamostore.New(db, table)
	ctx := context.Background()
	named := decide(t, s, 1, sponsorship.PublishNamed, sponsorship.StatusApproved)
	anonymous := decide(t, s, 2, sponsorship.PublishAnonymous, sponsorship.StatusRejected)
	hidden := decide(t, s, 3, sponsorship.PublishNone, sponsorship.StatusApproved)
	narrowed := decide(t, s, 4, sponsorship.PublishNamed, sponsorship.StatusApproved)

	key := func(r *sponsorship.Request) sponsorship.RegisterKey {
		return sponsorship.RegisterKey{FiscalYear: r.FiscalYear, ID: r.ID}
	}
	eur := func(minor int64) money.Money { return money.Money{Currency: "EUR", Minor: minor} }
	// A payment on a listed decision and one on an unlisted one.
	change(t, s, named, &sponsorship.RegisterChange{Key: key(named), Paid: &sponsorship.RegisterPayment{Count: 1, Amount: eur(500_000),
		Status: sponsorship.StatusPartiallyPaid}, Totals: sponsorship.TotalsDelta{Kind: named.Kind, Paid: eur(500_000)}})
	change(t, s, hidden, &sponsorship.RegisterChange{Key: key(hidden), Totals: sponsorship.TotalsDelta{Kind: hidden.Kind, Paid: eur(100_000)}})
	// Named narrowed to anonymous, then the rejected anonymous one to none.
	change(t, s, narrowed, &sponsorship.RegisterChange{Key: key(narrowed), Narrow: sponsorship.PublishAnonymous})
	change(t, s, anonymous, &sponsorship.RegisterChange{Key: key(anonymous), Narrow: sponsorship.PublishNone})

	year, rctx, err := s.RegisterYear(ctx, 2027)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range year.Entries {
		ids = append(ids, e.ID)
	}
	if diff := cmp.Diff([]string{narrowed.ID, named.ID}, ids); diff != "" {
		t.Errorf("listed decisions, newest first (-want +got):\n%s", diff)
	}
	wantTotals := sponsorship.RegisterTotals{FiscalYear: 2027,
		Counts:  []sponsorship.OutcomeCount{{Kind: sponsorship.KindProject, Approved: 3, Rejected: 1}},
		Amounts: []sponsorship.KindAmounts{{Kind: sponsorship.KindProject, Approved: eur(6_000_000), Paid: eur(600_000)}}}
	if diff := cmp.Diff(wantTotals, year.Totals); diff != "" {
		t.Errorf("totals count every decision, listed or not (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{2027}, rctx.Years); diff != "" {
		t.Errorf("years (-want +got):\n%s", diff)
	}
	e, fields, err := s.RegisterEntry(ctx, key(named))
	if err != nil {
		t.Fatal(err)
	}
	if e.ApplicantName != "Linus" || e.Organization != "Example Labs" || e.Payments.Count != 1 || e.Payments.Total != eur(500_000) ||
		e.Status != sponsorship.StatusPartiallyPaid || len(fields.Fields) == 0 {
		t.Errorf("named entry after a payment: %+v, fields %v", e, fields)
	}
	if e.LeafIndex != nil {
		t.Errorf("before the log holds the decision: leaf %d, want none", *e.LeafIndex)
	}
	// Once the ledger function has appended the decision's event, the entry names its leaf.
	leaf := ledger.Entry{Key: dynamostore.LogKey("REQ#"+named.ID, "EVENT#0000000002"), Data: []byte(`{"n":0}`)}
	if _, err := (&ledger.Appender{Store: s}).Append(ctx, []ledger.Entry{{Key: "other", Data: []byte(`{}`)}, leaf}); err != nil {
		t.Fatal(err)
	}
	if e, _, err = s.RegisterEntry(ctx, key(named)); err != nil || e.LeafIndex == nil || *e.LeafIndex != 1 {
		t.Errorf("after the append: %v, %v; want leaf 1", e.LeafIndex, err)
	}
	// The ledger function then writes the index on the entry, which keeps it through
	// later payments and narrowing (updates in place); a decision not listed has no
	// entry, and marking it writes none.
	if err := s.MarkRegisterLeaf(ctx, key(named), 1); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkRegisterLeaf(ctx, key(hidden), 9); err != nil {
		t.Fatalf("marking an unlisted decision: %v", err)
	}
	if _, _, err := s.RegisterEntry(ctx, key(hidden)); !errors.Is(err, sponsorship.ErrNotFound) {
		t.Errorf("marking an unlisted decision made an entry: %v", err)
	}
	if e, _, err = s.RegisterEntry(ctx, key(narrowed)); err != nil || e.ApplicantName != "" || e.Organization != "" ||
		e.Publication != sponsorship.PublishAnonymous {
		t.Errorf("narrowed to anonymous: %+v, %v; want no name or organization", e, err)
	}
	for _, r := range []*sponsorship.Request{anonymous, hidden} {
		if _, _, err := s.RegisterEntry(ctx, key(r)); !errors.Is(err, sponsorship.ErrNotFound) {
			t.Errorf("%s (%s) read: %v, want ErrNotFound", r.ID, r.Publication, err)
		}
	}
	// A narrowing of a decision the register never listed (made before it existed)
	// still goes through.
	r, ev := newRequest(sponsorship.NewID(t0.Add(int64ns(9))))
	r.Status, r.Publication = sponsorship.StatusApproved, sponsorship.PublishNamed
	if err := s.CreateRequest(ctx, r, ev, nil); err != nil {
		t.Fatal(err)
	}
	change(t, s, r, &sponsorship.RegisterChange{Key: key(r), Narrow: sponsorship.PublishAnonymous})
	if _, _, err := s.RegisterEntry(ctx, key(r)); !errors.Is(err, sponsorship.ErrNotFound) {
		t.Errorf("an unlisted decision narrowed: %v, want still ErrNotFound", err)
	}
}
