package sponsorship_test

import (
	"errors"
	"testing"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

func choosing(p sponsorship.Publication) func(*sponsorship.RequestInput) {
	return func(in *sponsorship.RequestInput) { in.Publication = p }
}

// stored reads a request's publication choice and version as the store holds them.
func (w *world) stored(id string) (sponsorship.Publication, int) {
	w.t.Helper()
	r, err := w.store.GetRequest(ctx, id)
	w.must(err)
	return r.Publication, r.Version
}

func TestSubmissionStoresThePublicationChoice(t *testing.T) {
	for _, tt := range []struct {
		sent, want sponsorship.Publication
	}{{"", sponsorship.PublishNone}, {sponsorship.PublishNone, sponsorship.PublishNone},
		{sponsorship.PublishAnonymous, sponsorship.PublishAnonymous}, {sponsorship.PublishNamed, sponsorship.PublishNamed}} {
		w := newWorld(t)
		id, _ := w.submit(choosing(tt.sent))
		if got, _ := w.stored(id); got != tt.want {
			t.Errorf("sent %q: stored %q, want %q", tt.sent, got, tt.want)
		}
	}
	w := newWorld(t)
	_, err := w.applicants.Submit(ctx, func() sponsorship.RequestInput {
		in := conference()
		in.Publication, in.Title = "everything", ""
		return in
	}(), "")
	var ve *sponsorship.ValidationError
	if !errors.As(err, &ve) || len(ve.Errors) != 2 || ve.Errors[0].Field != "title" || ve.Errors[1].Field != "publication" {
		t.Errorf("an unknown choice with another error: got %v, want both field errors", err)
	}
}

func TestAReplayTellsTheChoiceApart(t *testing.T) {
	w := newWorld(t)
	const key = "consent-key-0123456789"
	first, err := w.applicants.Submit(ctx, conference(), key)
	w.must(err)
	again, err := w.applicants.Submit(ctx, func() sponsorship.RequestInput {
		in := conference()
		in.Publication = sponsorship.PublishNone
		return in
	}(), key)
	if err != nil || !again.Replayed || again.ID != first.ID {
		t.Errorf(`"none" after no choice: got %+v, %v; want the first receipt`, again, err)
	}
	_, err = w.applicants.Submit(ctx, func() sponsorship.RequestInput {
		in := conference()
		in.Publication = sponsorship.PublishNamed
		return in
	}(), key)
	if !errors.Is(err, sponsorship.ErrIdempotencyKeyReused) {
		t.Errorf(`"named" under the same key: got %v, want ErrIdempotencyKeyReused`, err)
	}
}

func TestNarrowPublication(t *testing.T) {
	w := newWorld(t)
	id, token := w.submit(choosing(sponsorship.PublishNamed))
	_, v0 := w.stored(id)

	req, changed, err := w.applicants.NarrowPublication(ctx, id, token, sponsorship.PublishAnonymous)
	w.must(err)
	if got, v := w.stored(id); !changed || req.Publication != sponsorship.PublishAnonymous || got != sponsorship.PublishAnonymous || v != v0+1 {
		t.Fatalf("named → anonymous: changed %v, stored %q at version %d (was %d)", changed, got, v, v0)
	}
	view, err := w.applicants.ForApplicant(ctx, id, token)
	w.must(err)
	last := view.History[len(view.History)-1]
	if last.Type != sponsorship.EventPublicationNarrowed || last.Data["previousPublication"] != "named" || last.Data["publication"] != "anonymous" || last.Internal {
		t.Errorf("the narrowing's event: %+v", last)
	}

	_, changed, err = w.applicants.NarrowPublication(ctx, id, token, sponsorship.PublishAnonymous)
	if _, v := w.stored(id); err != nil || changed || v != v0+1 {
		t.Errorf("the same choice again: changed %v, err %v, version %d; want nothing written", changed, err, v)
	}

	_, _, err = w.applicants.NarrowPublication(ctx, id, token, sponsorship.PublishNamed)
	var wide *sponsorship.PublicationWideningError
	if !errors.As(err, &wide) || wide.Current != sponsorship.PublishAnonymous {
		t.Errorf("anonymous → named: got %v, want a PublicationWideningError", err)
	}
	_, _, err = w.applicants.NarrowPublication(ctx, id, "not-the-token", sponsorship.PublishNone)
	if !errors.Is(err, sponsorship.ErrNotFound) {
		t.Errorf("another token: got %v, want ErrNotFound", err)
	}
	var ve *sponsorship.ValidationError
	if _, _, err = w.applicants.NarrowPublication(ctx, id, token, "nobody"); !errors.As(err, &ve) {
		t.Errorf("an unknown choice: got %v, want a ValidationError", err)
	}

	// Narrowing after the decision is allowed: the register follows.
	w.committee()
	w.allocate("10000.00")
	w.votes(id, "a1:approve", "b:approve", "c:approve")
	if _, _, err := w.applicants.NarrowPublication(ctx, id, token, sponsorship.PublishNone); err != nil {
		t.Errorf("anonymous → none after approval: %v", err)
	}
	if got, _ := w.stored(id); got != sponsorship.PublishNone {
		t.Errorf("after approval: stored %q, want none", got)
	}
}

func TestAnEditNarrowsButNeverWidens(t *testing.T) {
	w := newWorld(t)
	a := changesRequested(w)
	// changesRequested submits the fixture without a choice: none. Nothing is wider.
	err := resubmitting(choosing(sponsorship.PublishAnonymous))(w, &a)
	var wide *sponsorship.PublicationWideningError
	if !errors.As(err, &wide) {
		t.Fatalf("none → anonymous in an edit: got %v, want a PublicationWideningError", err)
	}

	w = newWorld(t)
	w.committee()
	id, token := w.submit(choosing(sponsorship.PublishNamed))
	w.votes(id, "a1:approve")
	_, err = w.review.RequestChanges(ctx, reviewer("b"), id, "Name the other sponsors.")
	w.must(err)
	in := conference()
	in.Publication = sponsorship.PublishAnonymous
	_, err = w.applicants.Resubmit(ctx, id, token, in)
	w.must(err)
	if got, _ := w.stored(id); got != sponsorship.PublishAnonymous {
		t.Errorf("named → anonymous in an edit: stored %q", got)
	}
	in.Publication = ""
	w.votes(id, "a1:approve")
	_, err = w.review.RequestChanges(ctx, reviewer("b"), id, "And the venue.")
	w.must(err)
	_, err = w.applicants.Resubmit(ctx, id, token, in)
	w.must(err)
	if got, _ := w.stored(id); got != sponsorship.PublishAnonymous {
		t.Errorf("an edit without a choice: stored %q, want it kept", got)
	}
}

func TestPutPublicFields(t *testing.T) {
	w := newWorld(t)
	got, err := w.admin.PublicFields(ctx, admin)
	w.must(err)
	if got.Version != 0 || len(got.Fields) != len(sponsorship.DefaultPublicFields.Fields) {
		t.Errorf("before any change: %+v, want the defaults", got)
	}
	if _, err := w.admin.PutPublicFields(ctx, reviewer("b"), sponsorship.PublicFieldsInput{Fields: []sponsorship.Field{}}); err == nil {
		t.Error("a reviewer changed the public fields")
	}
	var ve *sponsorship.ValidationError
	if _, err := w.admin.PutPublicFields(ctx, admin, sponsorship.PublicFieldsInput{Fields: []sponsorship.Field{sponsorship.FieldEmail}}); !errors.As(err, &ve) {
		t.Errorf("the e-mail address made public: got %v", err)
	}
	in := sponsorship.PublicFieldsInput{Fields: []sponsorship.Field{sponsorship.FieldTitle, sponsorship.FieldKind}}
	p, err := w.admin.PutPublicFields(ctx, admin, in)
	w.must(err)
	if p.Version != 1 || len(p.Fields) != 2 || p.Fields[0] != sponsorship.FieldKind {
		t.Errorf("saved: %+v", p)
	}
	events := len(w.store.AdminEvents())
	if p, err = w.admin.PutPublicFields(ctx, admin, in); err != nil || p.Version != 1 || len(w.store.AdminEvents()) != events {
		t.Errorf("the same fields again: %+v, %v; want nothing written", p, err)
	}
	ev := w.store.AdminEvents()[events-1]
	if ev.Type != sponsorship.EventSettingsChanged || ev.Subject != "publication" || ev.Data["publicFields"] != "kind,title" {
		t.Errorf("the audit event: %+v", ev)
	}
	p, err = w.admin.PutPublicFields(ctx, admin, sponsorship.PublicFieldsInput{Fields: []sponsorship.Field{}})
	if err != nil || p.Version != 2 || len(p.Fields) != 0 {
		t.Errorf("nothing public: %+v, %v", p, err)
	}
}
