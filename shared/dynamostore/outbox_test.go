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

func TestOutboxClaimsEachNotificationOnce(t *testing.T) {
	db, table := testenv.Table(t)
	s := dynamostore.New(db, table)
	ctx := context.Background()
	if err := s.Claim(ctx, "k1", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.Claim(ctx, "k1", time.Minute); !errors.Is(err, notify.ErrInFlight) {
		t.Errorf("second claim while the first holds: %v, want ErrInFlight", err)
	}
	// A failed send releases the claim; the retry may take it.
	if err := s.Release(ctx, "k1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Claim(ctx, "k1", time.Minute); err != nil {
		t.Errorf("claim after release: %v", err)
	}
	if err := s.MarkSent(ctx, "k1", "msg-1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Claim(ctx, "k1", time.Minute); !errors.Is(err, notify.ErrAlreadySent) {
		t.Errorf("claim after sending: %v, want ErrAlreadySent", err)
	}
	// A claim whose lease ran out (its sender died) can be taken over.
	if err := s.Claim(ctx, "k2", -time.Second); err != nil {
		t.Fatal(err)
	}
	if err := s.Claim(ctx, "k2", time.Minute); err != nil {
		t.Errorf("claim after the lease ran out: %v", err)
	}
	// Records expire: they carry the TTL attribute.
	out, _ := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "NOTIFY#k1"}, "SK": &types.AttributeValueMemberS{Value: "NOTIFY"}}})
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
