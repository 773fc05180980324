//go:build integration

package dynamostore_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/dynamostore"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

var t0 = time.Date(2026, 11, 25, 9, 30, 0, 123456000, time.UTC)

func newRequest(id string) (*sponsorship.Request, sponsorship.AuditEvent) {
	r := &sponsorship.Request{
		ID: id, Reference: sponsorship.ReferenceFor(id), Status: sponsorship.StatusSubmitted, Version: 1, Round: 1, FiscalYear: 2027,
		Content: sponsorship.Content{
			Kind: sponsorship.KindProject, Title: "Cranelift RVV", Summary: "Vector backend work in three parts.",
			Applicant: sponsorship.Applicant{Name: "Linus", Email: "Linus@Example.net", Organization: "Example Labs"},
			Amount:    money.Money{Currency: "EUR", Minor: 3_000_000},
			BudgetItems: []sponsorship.BudgetItem{
				{Description: "Engineering", Amount: money.Money{Currency: "EUR", Minor: 2_500_000}},
				{Description: "Hardware", Amount: money.Money{Currency: "EUR", Minor: 500_000}},
			},
			Project: &sponsorship.Project{Name: "Cranelift RVV", RepositoryURL: "https://example.net/rvv", Licence: "MIT",
				Milestones: []sponsorship.Milestone{{Title: "All of it", DueDate: "2027-06-30", Amount: money.Money{Currency: "EUR", Minor: 3_000_000}}}},
		},
		TokenHash: sponsorship.HashSecret("token"), SubmittedAt: t0, UpdatedAt: t0, Paid: money.Money{Currency: "EUR"},
	}
	ev := sponsorship.AuditEvent{RequestID: id, Version: 1, Type: sponsorship.EventSubmitted, At: t0,
		ToStatus: sponsorship.StatusSubmitted, Actor: sponsorship.Actor{Role: sponsorship.RoleApplicant, Name: "Linus"}}
	return r, ev
}

func TestCreateThenReadWithHistory(t *testing.T) {
	db, table := testenv.Table(t)
	s := dynamostore.New(db, table)
	ctx := context.Background()
	id := sponsorship.NewID(t0)
	r, ev := newRequest(id)
	if err := s.CreateRequest(ctx, r, ev, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetRequest(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, got); diff != "" {
		t.Errorf("request read back differs (-stored +read):\n%s", diff)
	}
	d, err := s.Dossier(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, d.Request); diff != "" {
		t.Errorf("request with history differs:\n%s", diff)
	}
	if diff := cmp.Diff([]sponsorship.AuditEvent{ev}, d.History, ignoreSalt); diff != "" {
		t.Errorf("history differs:\n%s", diff)
	}
	if len(d.History[0].Salt) != ledger.SaltSize {
		t.Errorf("the stored event has %d bytes of salt, want %d", len(d.History[0].Salt), ledger.SaltSize)
	}
	// The indexes are keyed as the table design says.
	out, err := db.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(table), IndexName: aws.String(dynamostore.IndexByApplicant),
		KeyConditionExpression:    aws.String("GSI3PK = :e"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":e": &types.AttributeValueMemberS{Value: "EMAIL#linus@example.net"}},
	})
	if err != nil || len(out.Items) != 1 {
		t.Errorf("by-applicant index: %d items, %v", len(out.Items), err)
	}
	out, err = db.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(table), IndexName: aws.String(dynamostore.IndexByPeriod),
		KeyConditionExpression:    aws.String("GSI2PK = :m"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":m": &types.AttributeValueMemberS{Value: "AUDIT#2026-11"}},
	})
	if err != nil || len(out.Items) != 1 {
		t.Errorf("audit-by-month index: %d items, %v", len(out.Items), err)
	}
}

func TestMissingRequestIsNotFound(t *testing.T) {
	db, table := testenv.Table(t)
	s := dynamostore.New(db, table)
	id := sponsorship.NewID(t0)
	if _, err := s.GetRequest(context.Background(), id); !errors.Is(err, sponsorship.ErrNotFound) {
		t.Errorf("GetRequest error = %v, want ErrNotFound", err)
	}
	if _, err := s.Dossier(context.Background(), id); !errors.Is(err, sponsorship.ErrNotFound) {
		t.Errorf("Dossier error = %v, want ErrNotFound", err)
	}
	if _, err := s.GetIdempotency(context.Background(), "nope"); !errors.Is(err, sponsorship.ErrNotFound) {
		t.Errorf("GetIdempotency error = %v, want ErrNotFound", err)
	}
}

func TestIdempotencyKeyIsTakenOnce(t *testing.T) {
	db, table := testenv.Table(t)
	s := dynamostore.New(db, table)
	ctx := context.Background()
	idem := &sponsorship.IdempotencyRecord{KeyHash: "k", Fingerprint: "f", Salt: []byte{1, 2, 3}, ExpiresAt: t0.Add(time.Hour)}

	first, ev := newRequest(sponsorship.NewID(t0))
	idem.RequestID, idem.Reference, idem.SubmittedAt = first.ID, first.Reference, first.SubmittedAt
	if err := s.CreateRequest(ctx, first, ev, idem); err != nil {
		t.Fatal(err)
	}
	second, ev2 := newRequest(sponsorship.NewID(t0))
	if err := s.CreateRequest(ctx, second, ev2, idem); !errors.Is(err, sponsorship.ErrDuplicate) {
		t.Fatalf("second create with the same key: %v, want ErrDuplicate", err)
	}
	// Nothing of the refused request was written.
	if _, err := s.GetRequest(ctx, second.ID); !errors.Is(err, sponsorship.ErrNotFound) {
		t.Errorf("refused request was stored: %v", err)
	}
	got, err := s.GetIdempotency(ctx, "k")
	if err != nil || got.RequestID != first.ID || string(got.Salt) != "\x01\x02\x03" || !got.ExpiresAt.Equal(idem.ExpiresAt.Truncate(time.Second)) {
		t.Errorf("idempotency record = %+v, %v", got, err)
	}

	// Once expired, the key may be used again.
	third, ev3 := newRequest(sponsorship.NewID(t0.Add(2 * time.Hour)))
	third.SubmittedAt = t0.Add(2 * time.Hour)
	fresh := *idem
	fresh.RequestID, fresh.ExpiresAt = third.ID, third.SubmittedAt.Add(time.Hour)
	if err := s.CreateRequest(ctx, third, ev3, &fresh); err != nil {
		t.Errorf("reusing an expired key: %v", err)
	}
}

func TestUpdateIsConditionalOnVersion(t *testing.T) {
	db, table := testenv.Table(t)
	s := dynamostore.New(db, table)
	ctx := context.Background()
	r, ev := newRequest(sponsorship.NewID(t0))
	if err := s.CreateRequest(ctx, r, ev, nil); err != nil {
		t.Fatal(err)
	}
	// Ten writers all read version 1 and try to write version 2: exactly one wins, the
	// others get a ConflictError that names the current version.
	var wg sync.WaitGroup
	results := make([]error, 10)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			next := *r
			next.Version, next.Status = 2, sponsorship.StatusWithdrawn
			results[i] = s.Apply(ctx, sponsorship.Change{Request: &next, Events: []sponsorship.AuditEvent{{RequestID: r.ID, Version: 2, Type: sponsorship.EventWithdrawn, At: t0,
				Actor: sponsorship.Actor{Role: sponsorship.RoleApplicant}, FromStatus: sponsorship.StatusSubmitted, ToStatus: sponsorship.StatusWithdrawn}}})
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range results {
		var conflict *sponsorship.ConflictError
		switch {
		case err == nil:
			wins++
		case errors.As(err, &conflict):
			if conflict.CurrentVersion != 2 || conflict.CurrentStatus != sponsorship.StatusWithdrawn {
				t.Errorf("conflict carries %+v, want version 2 withdrawn", conflict)
			}
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d writers won, want exactly 1", wins)
	}
	d, err := s.Dossier(ctx, r.ID)
	if err != nil || len(d.History) != 2 || d.History[1].Version != 2 {
		t.Errorf("history = %+v, %v; want events for versions 1 and 2", d, err)
	}
}

// Public reads the request, its history and payments, and none of the committee's
// votes, comments or recusals; Dossier reads them all.
func TestPublicLeavesTheCommitteesItemsOut(t *testing.T) {
	db, table := testenv.Table(t)
	s := dynamostore.New(db, table)
	ctx := context.Background()
	id := sponsorship.NewID(t0)
	r, ev := newRequest(id)
	if err := s.CreateRequest(ctx, r, ev, nil); err != nil {
		t.Fatal(err)
	}
	next := *r
	next.Version = 2
	if err := s.Apply(ctx, sponsorship.Change{Request: &next,
		PutVote:    &sponsorship.Vote{RequestID: id, ReviewerID: "rev-1", Choice: sponsorship.ChoiceApprove, Round: 1, At: t0, Comment: "yes"},
		PutComment: &sponsorship.Comment{RequestID: id, ID: sponsorship.NewID(t0), AuthorID: "rev-2", Text: "internal", At: t0},
		PutRecusal: &sponsorship.Recusal{RequestID: id, ReviewerID: "rev-3", Reason: "colleague", At: t0},
		Events: []sponsorship.AuditEvent{{RequestID: id, Version: 2, Type: sponsorship.EventVoteCast, Internal: true, At: t0,
			Actor: sponsorship.Actor{Role: sponsorship.RoleReviewer}}}}); err != nil {
		t.Fatal(err)
	}
	full, err := s.Dossier(ctx, id)
	if err != nil || len(full.Votes) != 1 || len(full.Comments) != 1 || len(full.Recusals) != 1 || len(full.History) != 2 {
		t.Fatalf("dossier: %+v, %v", full, err)
	}
	pub, err := s.Public(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if pub.Request == nil || pub.Request.Version != 2 || len(pub.History) != 2 {
		t.Errorf("public view lost the request or its history: %+v", pub)
	}
	if len(pub.Votes)+len(pub.Comments)+len(pub.Recusals) != 0 {
		t.Errorf("public view holds the committee's items: votes %v comments %v recusals %v", pub.Votes, pub.Comments, pub.Recusals)
	}
	if _, err := s.Public(ctx, sponsorship.NewID(t0)); !errors.Is(err, sponsorship.ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
}

// A request's reports and a payment's milestone and advance read back as written: what
// the gate on payments decides from.
func TestReportsAndMilestonePaymentsReadBack(t *testing.T) {
	db, table := testenv.Table(t)
	s := dynamostore.New(db, table)
	ctx := context.Background()
	r, ev := newRequest(sponsorship.NewID(t0))
	approved := money.Money{Currency: "EUR", Minor: 3_000_000}
	r.Status, r.Approved, r.DecidedAt = sponsorship.StatusApproved, &approved, t0
	if err := s.CreateRequest(ctx, r, ev, nil); err != nil {
		t.Fatal(err)
	}
	next := *r
	next.Version, next.Status = 2, sponsorship.StatusPartiallyPaid
	next.Paid = money.Money{Currency: "EUR", Minor: 100_000}
	next.Reports = []sponsorship.Report{{Number: 0, State: sponsorship.ReportAccepted, DueDate: "2027-06-30",
		Text: "Done: see the release.", DeliverableURL: "https://example.net/rvv/releases/1", SubmittedAt: t0,
		DecidedAt: t0.Add(time.Hour), DecidedBy: sponsorship.Actor{Role: sponsorship.RoleFinance, ID: "fay", Name: "Fay"}}}
	milestone := 0
	p := sponsorship.Payment{ID: sponsorship.NewID(t0), RequestID: r.ID, Reference: r.Reference, FiscalYear: 2027,
		Category: sponsorship.KindProject, Amount: next.Paid, Date: "2026-11-25", Method: "bank_transfer",
		Milestone: &milestone, Advance: true, RecordedBy: sponsorship.Actor{Role: sponsorship.RoleFinance, ID: "fay"}, RecordedAt: t0}
	err := s.Apply(ctx, sponsorship.Change{Request: &next, PutPayment: &p, Events: []sponsorship.AuditEvent{{RequestID: r.ID,
		Version: 2, Type: sponsorship.EventPaymentRecorded, At: t0, Actor: p.RecordedBy,
		FromStatus: sponsorship.StatusApproved, ToStatus: sponsorship.StatusPartiallyPaid}}})
	if err != nil {
		t.Fatal(err)
	}
	got, payments, err := s.Payments(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(next.Reports, got.Reports); diff != "" {
		t.Errorf("reports read back differ (-written +read):\n%s", diff)
	}
	if diff := cmp.Diff([]sponsorship.Payment{p}, payments); diff != "" {
		t.Errorf("payment read back differs (-written +read):\n%s", diff)
	}
}

// Owing lists the approved requests that are not closed, whatever their payments, and
// nothing in review or closed: the requests whose applicants may owe reports.
func TestOwingListsApprovedRequestsNotClosed(t *testing.T) {
	db, table := testenv.Table(t)
	s := dynamostore.New(db, table)
	ctx := context.Background()
	want := map[string]bool{}
	for i, st := range []sponsorship.Status{sponsorship.StatusSubmitted, sponsorship.StatusApproved, sponsorship.StatusPartiallyPaid,
		sponsorship.StatusPaid, sponsorship.StatusClosed, sponsorship.StatusRejected} {
		r, ev := newRequest(sponsorship.NewID(t0.Add(time.Duration(i) * time.Minute)))
		r.Status = st
		if err := s.CreateRequest(ctx, r, ev, nil); err != nil {
			t.Fatal(err)
		}
		if st == sponsorship.StatusApproved || st == sponsorship.StatusPartiallyPaid || st == sponsorship.StatusPaid {
			want[r.ID] = true
		}
	}
	got, err := s.Owing(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range got {
		seen[r.ID] = true
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("owing (-want +got):\n%s", diff)
	}
}
