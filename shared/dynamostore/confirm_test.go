//go:build integration

package dynamostore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/dynamostore"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// newProvisional is newRequest as Submit makes it now: unconfirmed, expiring in a week.
func newProvisional(id, email string) (*sponsorship.Request, sponsorship.AuditEvent, sponsorship.Pending) {
	r, ev := newRequest(id)
	r.Status, r.ExpiresAt, r.ConfirmHash = sponsorship.StatusUnconfirmed, t0.Add(7*24*time.Hour).Truncate(time.Second), sponsorship.HashSecret("code-"+id)
	r.Applicant.Email = email
	ev.Type, ev.ToStatus = sponsorship.EventReceived, sponsorship.StatusUnconfirmed
	p := sponsorship.Pending{Code: "code-" + id, Count: sponsorship.AddressDay{Email: strings.ToLower(email), Day: "2026-11-25"},
		Limit: 3, CountExpiresAt: t0.Add(48 * time.Hour)}
	return r, ev, p
}

// partitionItems reads every item of a request's partition as stored.
func partitionItems(t *testing.T, db *dynamodb.Client, table, id string) map[string]map[string]types.AttributeValue {
	t.Helper()
	out, err := db.Query(context.Background(), &dynamodb.QueryInput{
		TableName: aws.String(table), KeyConditionExpression: aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "REQ#" + id}},
	})
	if err != nil {
		t.Fatal(err)
	}
	items := map[string]map[string]types.AttributeValue{}
	for _, it := range out.Items {
		items[it["SK"].(*types.AttributeValueMemberS).Value] = it
	}
	return items
}

// unconfirmedCount reads an address's count of unconfirmed requests on 2026-11-25.
func unconfirmedCount(t *testing.T, db *dynamodb.Client, table, email string) string {
	t.Helper()
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "QUOTA#" + sponsorship.HashSecret(strings.ToLower(email))},
		"SK": &types.AttributeValueMemberS{Value: "DAY#2026-11-25"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Item == nil {
		return "none"
	}
	if _, ok := out.Item["expiresAt"]; !ok {
		t.Error("the count has no expiry")
	}
	return out.Item["n"].(*types.AttributeValueMemberN).Value
}

// A provisional request is in no index the committee reads — queue, reminders,
// request and audit reports — and everything of its partition expires, until the
// confirming transaction keeps it for good and puts it in the queue and the reports.
func TestProvisionalRequestIsOutOfTheIndexesUntilConfirmed(t *testing.T) {
	db, table := testenv.Table(t)
	s := dynamostore.New(db, table)
	ctx := context.Background()
	id := sponsorship.NewID(t0)
	r, ev, p := newProvisional(id, "Ada@Example.org")
	if err := s.CreateProvisional(ctx, r, ev, nil, p); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetRequest(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, got); diff != "" {
		t.Errorf("provisional request read back differs (-stored +read):\n%s", diff)
	}
	items := partitionItems(t, db, table, id)
	if len(items) != 3 {
		t.Errorf("partition holds %v, want the request, its event and the confirmation code", keys(items))
	}
	for sk, it := range items {
		if n, ok := it["expiresAt"].(*types.AttributeValueMemberN); !ok || n.Value != fmt.Sprint(r.ExpiresAt.Unix()) {
			t.Errorf("%s: expiresAt %v, want the request's", sk, it["expiresAt"])
		}
		for _, idx := range []string{"GSI1PK", "GSI2PK"} {
			if _, ok := it[idx]; ok {
				t.Errorf("%s is in index %s", sk, idx)
			}
		}
	}
	if code, err := s.ConfirmationCode(ctx, id); err != nil || code != p.Code {
		t.Errorf("confirmation code = %q, %v", code, err)
	}
	if n := unconfirmedCount(t, db, table, "ada@example.org"); n != "1" {
		t.Errorf("count of the day = %s, want 1", n)
	}
	seen := func() (queue, waiting, requests, events int) {
		page, err := s.Queue(ctx, sponsorship.QueueQuery{Status: sponsorship.StatusSubmitted})
		if err != nil {
			t.Fatal(err)
		}
		unconfirmed, err := s.Queue(ctx, sponsorship.QueueQuery{Status: sponsorship.StatusUnconfirmed})
		if err != nil {
			t.Fatal(err)
		}
		queue = len(page.Items) + len(unconfirmed.Items)
		w, err := s.WaitingSince(ctx, t0.Add(30*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		waiting = len(w)
		if err := s.EachRequest(ctx, 2027, "", "", func(*sponsorship.Request) error { requests++; return nil }); err != nil {
			t.Fatal(err)
		}
		if err := s.EachEvent(ctx, t0.Add(-time.Hour), t0.Add(time.Hour), func(sponsorship.AuditEvent) error { events++; return nil }); err != nil {
			t.Fatal(err)
		}
		return
	}
	if q, w, rq, e := seen(); q+w+rq+e != 0 {
		t.Errorf("unconfirmed: in the queue %d, reminders %d, request report %d, audit report %d; want none", q, w, rq, e)
	}

	// Confirmation: one transaction makes the request submitted and keeps it.
	next := *r
	next.Status, next.Version, next.ExpiresAt = sponsorship.StatusSubmitted, 2, time.Time{}
	day := p.Count
	err = s.Apply(ctx, sponsorship.Change{Request: &next, Confirmed: &sponsorship.Confirmation{Free: &day},
		Events: []sponsorship.AuditEvent{{RequestID: id, Version: 2, Type: sponsorship.EventSubmitted, At: t0,
			FromStatus: sponsorship.StatusUnconfirmed, ToStatus: sponsorship.StatusSubmitted, Actor: sponsorship.Actor{Role: sponsorship.RoleApplicant}}}})
	if err != nil {
		t.Fatal(err)
	}
	items = partitionItems(t, db, table, id)
	if _, ok := items["CONFIRM"]; ok || len(items) != 3 {
		t.Errorf("after confirmation the partition holds %v, want the request and two events", keys(items))
	}
	for sk, it := range items {
		if _, ok := it["expiresAt"]; ok {
			t.Errorf("%s still expires after confirmation", sk)
		}
	}
	if _, err := s.ConfirmationCode(ctx, id); !errors.Is(err, sponsorship.ErrNotFound) {
		t.Errorf("confirmation code after confirmation: %v", err)
	}
	if n := unconfirmedCount(t, db, table, "ada@example.org"); n != "0" {
		t.Errorf("count of the day after confirmation = %s, want 0: the slot is given back", n)
	}
	// The audit report lists the events from the confirmation on: the request's time
	// as unconfirmed is not the committee's business (its dossier still shows it).
	if q, w, rq, e := seen(); q != 1 || w != 1 || rq != 1 || e != 1 {
		t.Errorf("confirmed: in the queue %d, reminders %d, request report %d, audit report %d; want 1 each", q, w, rq, e)
	}
	d, err := s.Dossier(ctx, id)
	if err != nil || len(d.History) != 2 || d.History[0].Type != sponsorship.EventReceived {
		t.Errorf("dossier history after confirmation: %+v, %v", d, err)
	}
}

func TestDailyCountOfAnAddressIsEnforcedInTheSameTransaction(t *testing.T) {
	db, table := testenv.Table(t)
	s := dynamostore.New(db, table)
	ctx := context.Background()
	var last *sponsorship.Request
	for i := range 3 {
		r, ev, p := newProvisional(sponsorship.NewID(t0), "bob@example.org")
		idem := &sponsorship.IdempotencyRecord{KeyHash: "k" + string(rune('0'+i)), Fingerprint: "f", RequestID: r.ID, ExpiresAt: t0.Add(time.Hour)}
		if err := s.CreateProvisional(ctx, r, ev, idem, p); err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
		last = r
	}
	// The fourth of the day is refused, and nothing of it is written.
	r, ev, p := newProvisional(sponsorship.NewID(t0), "BOB@example.org")
	if err := s.CreateProvisional(ctx, r, ev, nil, p); !errors.Is(err, sponsorship.ErrTooManyUnconfirmed) {
		t.Fatalf("fourth request: %v, want ErrTooManyUnconfirmed", err)
	}
	if items := partitionItems(t, db, table, r.ID); len(items) != 0 {
		t.Errorf("the refused request left %v", keys(items))
	}
	// A retry of an earlier request with its key is a duplicate (the service replays
	// it), not a fourth request: the key's condition is answered first.
	dup, ev2, p2 := newProvisional(sponsorship.NewID(t0), "bob@example.org")
	idem := &sponsorship.IdempotencyRecord{KeyHash: "k2", Fingerprint: "f", RequestID: dup.ID, ExpiresAt: t0.Add(time.Hour)}
	if err := s.CreateProvisional(ctx, dup, ev2, idem, p2); !errors.Is(err, sponsorship.ErrDuplicate) {
		t.Errorf("retry with a taken key at the limit: %v, want ErrDuplicate", err)
	}
	if n := unconfirmedCount(t, db, table, "bob@example.org"); n != "3" {
		t.Errorf("count = %s after refusals, want 3", n)
	}
	// Another address has its own count.
	other, ev3, p3 := newProvisional(sponsorship.NewID(t0), "carol@example.org")
	if err := s.CreateProvisional(ctx, other, ev3, nil, p3); err != nil {
		t.Errorf("another address: %v", err)
	}
	// Withdrawing an unconfirmed request keeps it provisional and out of the indexes,
	// and does not give its slot back (or withdrawing would make the limit moot).
	next := *last
	next.Status, next.Version = sponsorship.StatusWithdrawn, 2
	if err := s.Apply(ctx, sponsorship.Change{Request: &next, Events: []sponsorship.AuditEvent{{RequestID: last.ID, Version: 2,
		Type: sponsorship.EventWithdrawn, At: t0, FromStatus: sponsorship.StatusUnconfirmed, ToStatus: sponsorship.StatusWithdrawn,
		Actor: sponsorship.Actor{Role: sponsorship.RoleApplicant}}}}); err != nil {
		t.Fatal(err)
	}
	for sk, it := range partitionItems(t, db, table, last.ID) {
		_, expires := it["expiresAt"]
		_, indexed := it["GSI2PK"]
		if !expires || indexed {
			t.Errorf("withdrawn unconfirmed request: %s expires %v, in the period index %v", sk, expires, indexed)
		}
	}
	if n := unconfirmedCount(t, db, table, "bob@example.org"); n != "3" {
		t.Errorf("count = %s after a withdrawal, want 3", n)
	}
}

func keys(m map[string]map[string]types.AttributeValue) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
