//go:build integration

package dynamostore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/dynamostore"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/notify"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// An event's notifications are claimed as one group: one sender at a time, what went
// out is remembered message by message, a failure or the last message gives the claim
// up, and a claim whose sender died can be taken over once its lease runs out.
func TestOutboxClaimsAGroupAndRemembersEachMessage(t *testing.T) {
	db, table := testenv.Table(t)
	s := dynamostore.New(db, table)
	ctx := context.Background()
	claim := func(group string, keys []string, lease time.Duration) (map[string]bool, error) {
		t.Helper()
		return s.Claim(ctx, group, keys, lease)
	}
	sent, err := claim("ev1", []string{"a", "b", "c"}, time.Minute)
	if err != nil || len(sent) != 0 {
		t.Fatalf("first claim: %v, %v", sent, err)
	}
	if _, err := claim("ev1", []string{"a", "b", "c"}, time.Minute); !errors.Is(err, notify.ErrInFlight) {
		t.Errorf("second claim while the first holds: %v, want ErrInFlight", err)
	}
	// a goes out, b fails: the claim is released, and the retry sees a as sent.
	if err := s.MarkSent(ctx, "ev1", "a", "msg-a", false); err != nil {
		t.Fatal(err)
	}
	if err := s.Release(ctx, "ev1"); err != nil {
		t.Fatal(err)
	}
	sent, err = claim("ev1", []string{"a", "b", "c"}, time.Minute)
	if err != nil || !sent["a"] || sent["b"] || len(sent) != 1 {
		t.Fatalf("claim after a release: %v, %v; want a sent", sent, err)
	}
	// b, then c, the last releasing the claim.
	if err := s.MarkSent(ctx, "ev1", "b", "msg-b", false); err != nil {
		t.Fatal(err)
	}
	if _, err := claim("ev1", []string{"a", "b"}, time.Minute); !errors.Is(err, notify.ErrAlreadySent) {
		t.Errorf("a live claim over keys all sent: %v, want ErrAlreadySent", err)
	}
	if err := s.MarkSent(ctx, "ev1", "c", "msg-c", true); err != nil {
		t.Fatal(err)
	}
	// A replay of the finished group is answered at once, and writes nothing: the claim
	// stays released.
	if _, err := claim("ev1", []string{"a", "b", "c"}, time.Minute); !errors.Is(err, notify.ErrAlreadySent) {
		t.Errorf("a replay of a group all sent: %v, want ErrAlreadySent", err)
	}
	rec, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "NOTIFY#ev1"}, "SK": &types.AttributeValueMemberS{Value: "NOTIFY"}}})
	if err != nil {
		t.Fatal(err)
	}
	if lease, _ := rec.Item["leaseUntil"].(*types.AttributeValueMemberN); lease == nil || lease.Value != "0" {
		t.Errorf("after a replay the claim holds: leaseUntil %v", rec.Item["leaseUntil"])
	}
	// A redelivery whose audience grew claims at once and sends to the newcomer only.
	sent, err = claim("ev1", []string{"a", "b", "c", "d"}, time.Minute)
	if err != nil || len(sent) != 3 || !sent["a"] || !sent["b"] || !sent["c"] {
		t.Errorf("claim after the last mark: %v, %v; want a, b and c sent", sent, err)
	}
	// A claim whose lease ran out (its sender died) can be taken over.
	if _, err := claim("ev2", []string{"x"}, -time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := claim("ev2", []string{"x"}, time.Minute); err != nil {
		t.Errorf("claim after the lease ran out: %v", err)
	}
	// A key is stored as a map key in an expression's name: any characters it holds.
	odd := "01KC#3#email#a.b-c_d e/f"
	if _, err := claim("ev3", []string{odd}, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSent(ctx, "ev3", odd, "msg", true); err != nil {
		t.Fatal(err)
	}
	if _, err := claim("ev3", []string{odd}, time.Minute); !errors.Is(err, notify.ErrAlreadySent) {
		t.Errorf("a key with dots, spaces and hashes, sent: %v, want ErrAlreadySent", err)
	}
	if sent, err := claim("ev3", []string{odd, "other"}, time.Minute); err != nil || !sent[odd] || len(sent) != 1 {
		t.Errorf("a key with dots, spaces and hashes: %v, %v", sent, err)
	}
	// Records expire: they carry the TTL attribute.
	out, _ := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "NOTIFY#ev1"}, "SK": &types.AttributeValueMemberS{Value: "NOTIFY"}}})
	if _, ok := out.Item[dynamostore.AttrExpiresAt]; !ok {
		t.Error("outbox record without expiresAt")
	}
}

func TestEventFromStreamReadsWhatTheStoreWrote(t *testing.T) {
	db, table := testenv.Table(t)
	s := dynamostore.New(db, table)
	ctx := context.Background()
	r, ev := newRequest(sponsorship.NewID(t0))
	if err := s.CreateRequest(ctx, r, ev, nil); err != nil {
		t.Fatal(err)
	}
	next := *r
	next.Version, next.Status = 2, sponsorship.StatusChangesRequested
	asked := sponsorship.AuditEvent{RequestID: r.ID, Version: 2, Type: sponsorship.EventChangesRequested, At: t0,
		Actor: sponsorship.Actor{Role: sponsorship.RoleReviewer, ID: "rev", Name: "Rev"}, FromStatus: sponsorship.StatusSubmitted,
		ToStatus: sponsorship.StatusChangesRequested, Message: "Split it.", Data: map[string]string{"k": "v"}, Changed: []string{"title"}}
	if err := s.Apply(ctx, sponsorship.Change{Request: &next, Events: []sponsorship.AuditEvent{asked}}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []sponsorship.AuditEvent{ev, asked} {
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "REQ#" + r.ID},
			"SK": &types.AttributeValueMemberS{Value: fmt.Sprintf("EVENT#%010d", want.Version)},
		}})
		if err != nil || out.Item == nil {
			t.Fatalf("event %d: %v", want.Version, err)
		}
		got, err := dynamostore.EventFromStream(streamImage(t, out.Item))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, ignoreSalt); diff != "" {
			t.Errorf("event %d (-wrote +decoded):\n%s", want.Version, diff)
		}
		if len(got.Salt) != ledger.SaltSize {
			t.Errorf("event %d has %d bytes of salt, want %d", want.Version, len(got.Salt), ledger.SaltSize)
		}
	}
	// A request item is not an event.
	out, _ := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "REQ#" + r.ID}, "SK": &types.AttributeValueMemberS{Value: "REQUEST"}}})
	if _, err := dynamostore.EventFromStream(streamImage(t, out.Item)); !errors.Is(err, dynamostore.ErrNotAnEvent) {
		t.Errorf("request item decoded as an event: %v", err)
	}
}
