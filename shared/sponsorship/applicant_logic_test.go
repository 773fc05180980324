package sponsorship_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// applicant is what an applicant holds of their request: its id and their token, and
// the receipt of their last submission.
type applicant struct {
	id, token string
	receipt   sponsorship.Receipt
}

// submitting is an applicant sending the fixture conference, edited, under an
// Idempotency-Key ("" for none).
func submitting(key string, edits ...func(*sponsorship.RequestInput)) func(w *world, a *applicant) error {
	return func(w *world, a *applicant) error {
		in := conference()
		for _, edit := range edits {
			edit(&in)
		}
		rc, err := w.applicants.Submit(ctx, in, key)
		if err == nil {
			a.id, a.token, a.receipt = rc.ID, rc.Token, rc
		}
		return err
	}
}

// unconfirmed is the state after submitting, before the link mailed is opened.
func unconfirmed(key string, edits ...func(*sponsorship.RequestInput)) func(w *world) applicant {
	return func(w *world) applicant {
		var a applicant
		w.must(submitting(key, edits...)(w, &a))
		return a
	}
}

// confirmed is the conference submitted and its address confirmed.
func confirmed(w *world) applicant {
	id, token := w.submit()
	return applicant{id: id, token: token}
}

// changesRequested is a confirmed conference that b sent back, after a1's approval.
func changesRequested(w *world) applicant {
	w.committee()
	a := confirmed(w)
	w.votes(a.id, "a1:approve")
	_, err := w.review.RequestChanges(ctx, reviewer("b"), a.id, "Name the other sponsors.")
	w.must(err)
	return a
}

func confirming(w *world, a *applicant) error {
	_, err := w.applicants.Confirm(ctx, a.id, w.mailedCode(a.id))
	return err
}

func withdrawing(w *world, a *applicant) error {
	_, err := w.applicants.Withdraw(ctx, a.id, a.token, "We found another sponsor.")
	return err
}

func resubmitting(edit func(*sponsorship.RequestInput)) func(w *world, a *applicant) error {
	return func(w *world, a *applicant) error {
		in := conference()
		edit(&in)
		_, err := w.applicants.Resubmit(ctx, a.id, a.token, in)
		return err
	}
}

// TestApplicantRules checks what an applicant relies on: submissions validated as a
// whole, retries with an Idempotency-Key answered once, confirmation of the address,
// resubmission after a request for changes, and withdrawal.
func TestApplicantRules(t *testing.T) {
	differentAmount := func(in *sponsorship.RequestInput) { in.Amount.Value = "4000.00" }
	tests := []struct {
		name   string
		given  func(w *world) applicant
		act    func(w *world, a *applicant) error
		err    string
		status sponsorship.Status // of the request acted on, after; "" for none stored
		events []sponsorship.EventType
		then   func(t *testing.T, w *world, before, after applicant)
	}{
		{"a valid request waits for its address to be confirmed", nil, submitting(""),
			"ok", "unconfirmed", []sponsorship.EventType{"received"},
			func(t *testing.T, w *world, _, a applicant) {
				if want := t0.Add(sponsorship.DefaultConfirmWithin); !a.receipt.ExpiresAt.Equal(want) {
					t.Errorf("expires at %v, want %v", a.receipt.ExpiresAt, want)
				}
			}},
		{"every field error is reported at once", nil, submitting("", func(in *sponsorship.RequestInput) {
			in.Title, in.Applicant.Email, in.Amount.Value = "", "ada", "250000.01"
		}), "invalid amount.value:above_ceiling applicant.email:invalid_email title:required", "", nil, nil},
		{"an event that is over is refused", nil, submitting("", func(in *sponsorship.RequestInput) {
			in.Conference.StartDate, in.Conference.EndDate = "2026-11-20", "2026-11-24"
		}), "invalid conference.endDate:in_past", "", nil, nil},
		{"a retry under the same key gets the first receipt", unconfirmed("key-1"), submitting("key-1"),
			"ok", "unconfirmed", nil, sameReceipt},
		{"a retry differing only in spacing is the same submission", unconfirmed("key-1"), submitting("key-1", func(in *sponsorship.RequestInput) {
			in.Title = "  " + in.Title + "\t"
		}), "ok", "unconfirmed", nil, sameReceipt},
		{"the same key with another body is refused", unconfirmed("key-1"), submitting("key-1", differentAmount),
			"key reused", "unconfirmed", nil, nil},
		{"an expired key makes a new request", func(w *world) applicant {
			a := unconfirmed("key-1")(w)
			w.clock.advance(25 * time.Hour)
			return a
		}, submitting("key-1", differentAmount), "ok", "unconfirmed", []sponsorship.EventType{"received"},
			func(t *testing.T, w *world, before, after applicant) {
				if after.id == before.id || after.receipt.Replayed {
					t.Errorf("the expired key replayed %s", before.id)
				}
			}},
		{"a fourth unconfirmed request from one address in a day is refused", func(w *world) applicant {
			for range 3 {
				unconfirmed("")(w)
			}
			return applicant{}
		}, submitting(""), "too many unconfirmed", "", nil, nil},
		{"an address is counted however it is spelled", func(w *world) applicant {
			for range 3 {
				unconfirmed("")(w)
			}
			return applicant{}
		}, submitting("", func(in *sponsorship.RequestInput) { in.Applicant.Email = "ADA@Example.org" }),
			"too many unconfirmed", "", nil, nil},
		{"retries do not count against the address", func(w *world) applicant {
			unconfirmed("key-1")(w)
			unconfirmed("key-1")(w)
			unconfirmed("key-1")(w)
			return unconfirmed("key-2", differentAmount)(w)
		}, submitting("key-3", func(in *sponsorship.RequestInput) { in.Amount.Value = "3000.00" }),
			"ok", "unconfirmed", []sponsorship.EventType{"received"}, nil},
		{"confirming gives the address its slot back", func(w *world) applicant {
			w.confirm(unconfirmed("")(w).id)
			unconfirmed("")(w)
			return unconfirmed("")(w)
		}, submitting(""), "ok", "unconfirmed", []sponsorship.EventType{"received"}, nil},
		{"confirming the address submits the request to the committee", unconfirmed(""), confirming,
			"ok", "submitted", []sponsorship.EventType{"submitted"}, nil},
		{"opening the link again changes nothing", confirmed, func(w *world, a *applicant) error {
			c, err := w.applicants.Confirm(ctx, a.id, w.mailedCode(a.id))
			if err == nil && !c.Already {
				w.t.Error("the answer does not say it was confirmed already")
			}
			return err
		}, "ok", "submitted", nil, nil},
		{"a wrong code is as good as an unknown request", unconfirmed(""), func(w *world, a *applicant) error {
			_, err := w.applicants.Confirm(ctx, a.id, "not the code mailed")
			return err
		}, "not found", "unconfirmed", nil, nil},
		{"a request not confirmed in time cannot be confirmed", func(w *world) applicant {
			a := unconfirmed("")(w)
			w.clock.advance(sponsorship.DefaultConfirmWithin)
			return a
		}, confirming, "not found", "unconfirmed", nil, nil},
		{"nor read by its applicant", func(w *world) applicant {
			a := unconfirmed("")(w)
			w.clock.advance(sponsorship.DefaultConfirmWithin)
			return a
		}, func(w *world, a *applicant) error {
			_, err := w.applicants.ForApplicant(ctx, a.id, a.token)
			return err
		}, "not found", "unconfirmed", nil, nil},
		{"a request withdrawn before confirmation stays withdrawn", func(w *world) applicant {
			a := unconfirmed("")(w)
			w.must(withdrawing(w, &a))
			return a
		}, confirming, "transition", "withdrawn", nil, nil},
		{"the applicant withdraws a submitted request", confirmed, withdrawing,
			"ok", "withdrawn", []sponsorship.EventType{"withdrawn"}, nil},
		{"the applicant withdraws a request sent back for changes", changesRequested, withdrawing,
			"ok", "withdrawn", []sponsorship.EventType{"withdrawn"}, nil},
		{"a decided request cannot be withdrawn", func(w *world) applicant {
			id := w.approved()
			return applicant{id: id, token: w.tokens[id]}
		}, withdrawing, "transition", "approved", nil, nil},
		{"a wrong token is as good as an unknown request", confirmed, func(w *world, a *applicant) error {
			a.token = "not-the-token"
			return withdrawing(w, a)
		}, "not found", "submitted", nil, nil},
		{"no token at all asks for one", confirmed, func(w *world, a *applicant) error {
			a.token = ""
			return withdrawing(w, a)
		}, "unauthenticated", "submitted", nil, nil},
		{"a withdrawal that lost a race is retried on the fresh version", func(w *world) applicant {
			w.committee()
			return confirmed(w)
		}, func(w *world, a *applicant) error {
			w.racedBy(1, func() {
				_, err := w.other().review.AddComment(ctx, reviewer("c"), a.id, "Is the venue booked?")
				w.must(err)
			})
			return withdrawing(w, a)
		}, "ok", "withdrawn", []sponsorship.EventType{"comment_added", "withdrawn"}, nil},
		{"resubmission returns the request to the committee in a new round", changesRequested,
			resubmitting(func(in *sponsorship.RequestInput) { in.Summary += " Other sponsors: none yet." }),
			"ok", "submitted", []sponsorship.EventType{"resubmitted"},
			func(t *testing.T, w *world, _, a applicant) {
				r := w.request(a.id)
				d, _ := w.store.Dossier(ctx, a.id)
				last := d.History[len(d.History)-1]
				if r.Round != 2 || len(r.Voters) != 0 || len(d.Votes) != 0 || !cmp.Equal(last.Changed, []string{"summary"}) {
					t.Errorf("round %d, voters %v, votes %d, changed %v", r.Round, r.Voters, len(d.Votes), last.Changed)
				}
			}},
		{"resubmission keeps the confirmed address", changesRequested,
			resubmitting(func(in *sponsorship.RequestInput) { in.Applicant.Email = "someone.else@example.org" }),
			"invalid applicant.email:not_allowed", "changes_requested", nil, nil},
		{"resubmission keeps the kind", changesRequested, resubmitting(func(in *sponsorship.RequestInput) {
			in.Kind, in.Amount = sponsorship.KindTravel, money.Amount{Currency: "EUR", Value: "900.00"}
		}), "invalid conference:not_allowed kind:not_allowed travel:required", "changes_requested", nil, nil},
		{"only a request sent back for changes is resubmitted", confirmed,
			resubmitting(func(in *sponsorship.RequestInput) { in.Summary += " More." }),
			"transition", "submitted", nil, nil},
		{"an unconfirmed request is not resubmitted", unconfirmed(""),
			resubmitting(func(in *sponsorship.RequestInput) { in.Summary += " More." }),
			"transition", "unconfirmed", nil, nil},
		{"the applicant's view leaves the committee's deliberation out", func(w *world) applicant {
			id := w.approved()
			return applicant{id: id, token: w.tokens[id]}
		}, func(w *world, a *applicant) error {
			v, err := w.applicants.ForApplicant(ctx, a.id, a.token)
			var seen []sponsorship.EventType
			for _, ev := range v.History {
				seen = append(seen, ev.Type)
			}
			if want := []sponsorship.EventType{"received", "submitted", "approved"}; !cmp.Equal(seen, want) {
				w.t.Errorf("the applicant sees %v, want %v", seen, want)
			}
			return err
		}, "ok", "approved", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			var before applicant
			if tt.given != nil {
				before = tt.given(w)
			}
			var history []sponsorship.EventType
			if before.id != "" {
				history = w.history(before.id)
			}
			after := before
			err := tt.act(w, &after)
			if got := kindOf(err); got != tt.err {
				t.Errorf("error: %s, want %s (%v)", got, tt.err, err)
			}
			if after.id != before.id {
				history = nil
			}
			var status sponsorship.Status
			var written []sponsorship.EventType
			if after.id != "" {
				status, written = w.request(after.id).Status, since(w.history(after.id), len(history))
			}
			if status != tt.status {
				t.Errorf("status: %q, want %q", status, tt.status)
			}
			if diff := cmp.Diff(tt.events, written); diff != "" {
				t.Errorf("events written (-want +got):\n%s", diff)
			}
			if tt.then != nil {
				tt.then(t, w, before, after)
			}
		})
	}
}

// sameReceipt checks that a retry was answered with the first submission's receipt.
func sameReceipt(t *testing.T, _ *world, first, retry applicant) {
	t.Helper()
	if !retry.receipt.Replayed || retry.id != first.id || retry.token != first.token {
		t.Errorf("retry got %+v, want the receipt of %s", retry.receipt, first.id)
	}
}
