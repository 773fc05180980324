//go:build integration

package dynamostore_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/dynamostore"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

func TestPublicFieldsAreVersionedWithTheirEvent(t *testing.T) {
	db, table := testenv.Table(t)
	s := dynamostore.New(db, table)
	ctx := context.Background()
	got, err := s.PublicFields(ctx)
	if err != nil || got.Version != 0 || !slices.Equal(got.Fields, sponsorship.DefaultPublicFields.Fields) {
		t.Fatalf("nothing saved: %+v, %v; want the defaults", got, err)
	}
	ev := sponsorship.AuditEvent{Type: sponsorship.EventSettingsChanged, Subject: "publication", At: t0,
		Actor: sponsorship.Actor{Role: sponsorship.RoleAdmin, ID: "admin"}, Internal: true}
	none := sponsorship.PublicFields{Fields: []sponsorship.Field{}, Version: 1, UpdatedAt: t0}
	if err := s.PutPublicFields(ctx, none, ev); err != nil {
		t.Fatal(err)
	}
	if got, err = s.PublicFields(ctx); err != nil || got.Version != 1 || got.Fields == nil || len(got.Fields) != 0 {
		t.Errorf("nothing public: read back %+v, %v; want an empty list at version 1", got, err)
	}
	var conflict *sponsorship.ConflictError
	if err := s.PutPublicFields(ctx, none, ev); !errors.As(err, &conflict) {
		t.Errorf("version 1 again: got %v, want a ConflictError", err)
	}
	two := sponsorship.PublicFields{Fields: []sponsorship.Field{sponsorship.FieldKind, sponsorship.FieldTitle}, Version: 2, UpdatedAt: t0}
	ev.At = t0.Add(1)
	if err := s.PutPublicFields(ctx, two, ev); err != nil {
		t.Fatal(err)
	}
	if got, err = s.PublicFields(ctx); err != nil || got.Version != 2 || !slices.Equal(got.Fields, two.Fields) || !got.UpdatedAt.Equal(t0) {
		t.Errorf("read back %+v, %v; want %+v", got, err, two)
	}
}

func TestTheRequestKeepsItsPublicationChoice(t *testing.T) {
	db, table := testenv.Table(t)
	s := dynamostore.New(db, table)
	ctx := context.Background()
	for i, p := range []sponsorship.Publication{sponsorship.PublishAnonymous, ""} {
		r, ev := newRequest(sponsorship.NewID(t0.Add(int64ns(i))))
		r.Publication = p
		if err := s.CreateRequest(ctx, r, ev, nil); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetRequest(ctx, r.ID)
		if err != nil || got.Publication != p {
			t.Errorf("stored %q: read back %q, %v", p, got.Publication, err)
		}
	}
}

func int64ns(i int) time.Duration { return time.Duration(i) * time.Millisecond }
