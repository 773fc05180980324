package sponsorship_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// review is one reviewer's action on a request.
type review func(w *world, id string) (sponsorship.Outcome, error)

func voteBy(who string, choice sponsorship.Choice, amount string) review {
	return func(w *world, id string) (sponsorship.Outcome, error) { return w.vote(who, id, choice, amount) }
}

func recuseBy(who string) review {
	return func(w *world, id string) (sponsorship.Outcome, error) {
		return w.review.Recuse(ctx, reviewer(who), id, "I advised the applicant on this event.")
	}
}

func declareBy(who string) review {
	return func(w *world, id string) (sponsorship.Outcome, error) {
		return w.review.DeclareNoConflict(ctx, reviewer(who), id, "The Group is a different association.")
	}
}

// and is a review action that returns no tally.
func and(act func(w *world, id string) error) review {
	return func(w *world, id string) (sponsorship.Outcome, error) { return sponsorship.Outcome{}, act(w, id) }
}

// readyAfter is the usual start of a review (see world.ready) with these votes cast.
func readyAfter(ballots ...string) func(w *world) string {
	return budgetAfter("10000.00", ballots...)
}

// budgetAfter is the committee reviewing the conference with a budget of allocation
// ("" for none), with these votes cast.
func budgetAfter(allocation string, ballots ...string) func(w *world) string {
	return func(w *world) string {
		w.committee()
		if allocation != "" {
			w.allocate(allocation)
		}
		id, _ := w.submit()
		w.votes(id, ballots...)
		return id
	}
}

// readyRecused is the usual start of a review after who recused themselves.
func readyRecused(who string) func(w *world) string {
	return func(w *world) string {
		id := w.ready()
		_, err := recuseBy(who)(w, id)
		w.must(err)
		return id
	}
}

// readyNear is the usual start of a review with n on the committee, whose company may
// be the applicant's.
func readyNear(w *world) string {
	id := w.ready()
	w.near()
	return id
}

// tally describes a tally as the dossier shows it.
func tally(t sponsorship.Tally) string {
	return fmt.Sprintf("%d of %d seats voted, %d approving, %d rejecting", t.Voted, len(t.Seats), t.Approving, t.Rejecting)
}

// TestReviewRules checks the committee's rules: a seat per company, quorum, the
// decision, the lowest approving amount, recusals automatic and explicit, possible
// conflicts settled before voting, and approvals refused by the budget leaving nothing
// half-written. Unless a case says otherwise the committee is a1 and a2 of Acme, b, c and
// d of three other companies (four seats) and x of the applicant's organization; the
// conference asks for 5000.00 out of a budget of 10000.00; quorum is more than half of
// the seats.
func TestReviewRules(t *testing.T) {
	approve, reject, abstain := sponsorship.ChoiceApprove, sponsorship.ChoiceReject, sponsorship.ChoiceAbstain
	const untouched = "committed 0.00, paid 0.00, left 10000.00"
	tests := []struct {
		name   string
		given  func(w *world) string // the starting state; returns the request acted on
		act    review
		err    string
		state  string // the request's status and votes of its round, after the act
		tally  string // of the act's outcome; "" when it gives none
		budget string
		events []sponsorship.EventType // the request's audit events the act wrote
	}{
		{"one company approving twice is one seat", readyAfter("a1:approve"), voteBy("a2", approve, ""),
			"ok", "submitted, 2 votes", "1 of 4 seats voted, 1 approving, 0 rejecting", untouched,
			[]sponsorship.EventType{"vote_cast"}},
		{"two seats of four are not more than half", readyAfter("a1:approve"), voteBy("b", approve, ""),
			"ok", "submitted, 2 votes", "2 of 4 seats voted, 2 approving, 0 rejecting", untouched,
			[]sponsorship.EventType{"vote_cast"}},
		{"the vote of the third seat decides and commits the amount", readyAfter("a1:approve", "b:approve"), voteBy("c", approve, ""),
			"ok", "approved, 3 votes", "3 of 4 seats voted, 3 approving, 0 rejecting", "committed 5000.00, paid 0.00, left 5000.00",
			[]sponsorship.EventType{"vote_cast", "approved"}},
		{"the lowest amount an approving seat proposed is approved", readyAfter("a1:approve:4000.00", "b:approve:3500.00"),
			voteBy("c", approve, "4500.00"),
			"ok", "approved, 3 votes", "3 of 4 seats voted, 3 approving, 0 rejecting", "committed 3500.00, paid 0.00, left 6500.00",
			[]sponsorship.EventType{"vote_cast", "approved"}},
		{"an amount proposed in a seat whose members disagree does not bind", readyAfter("a1:approve:1000.00", "a2:reject", "b:approve"),
			voteBy("c", approve, ""),
			"ok", "approved, 4 votes", "3 of 4 seats voted, 2 approving, 0 rejecting", "committed 5000.00, paid 0.00, left 5000.00",
			[]sponsorship.EventType{"vote_cast", "approved"}},
		{"a majority of seats rejecting rejects", readyAfter("a1:reject", "b:reject"), voteBy("c", reject, ""),
			"ok", "rejected, 3 votes", "3 of 4 seats voted, 0 approving, 3 rejecting", untouched,
			[]sponsorship.EventType{"vote_cast", "rejected"}},
		{"a tie stays open", readyAfter("a1:approve", "b:reject", "c:abstain"), voteBy("d", abstain, ""),
			"ok", "submitted, 4 votes", "4 of 4 seats voted, 1 approving, 1 rejecting", untouched,
			[]sponsorship.EventType{"vote_cast"}},
		{"a changed vote replaces the earlier one", readyAfter("a1:approve", "b:reject"), voteBy("b", approve, ""),
			"ok", "submitted, 2 votes", "2 of 4 seats voted, 2 approving, 0 rejecting", untouched,
			[]sponsorship.EventType{"vote_cast"}},
		{"a higher quorum needs more seats", func(w *world) string {
			id := readyAfter("a1:approve", "b:approve")(w)
			_, err := w.admin.PutGovernance(ctx, admin, sponsorship.GovernanceInput{QuorumPercent: 75})
			w.must(err)
			return id
		}, voteBy("c", approve, ""),
			"ok", "submitted, 3 votes", "3 of 4 seats voted, 3 approving, 0 rejecting", untouched,
			[]sponsorship.EventType{"vote_cast"}},
		{"an inactive member is no seat", func(w *world) string {
			id := w.ready()
			inactive := false
			_, _, err := w.admin.PutReviewer(ctx, admin, "d", sponsorship.ReviewerInput{Name: "Member d", Email: "d@foundation.example",
				CompanyID: "delta", Active: &inactive})
			w.must(err)
			w.votes(id, "a1:approve")
			return id
		}, voteBy("b", approve, ""),
			"ok", "approved, 2 votes", "2 of 3 seats voted, 2 approving, 0 rejecting", "committed 5000.00, paid 0.00, left 5000.00",
			[]sponsorship.EventType{"vote_cast", "approved"}},
		{"the applicant's colleague is recused automatically, on the record", readyAfter(), voteBy("x", approve, ""),
			"forbidden", "submitted, 0 votes", "", untouched,
			[]sponsorship.EventType{"recused"}},
		{"an automatic recusal is recorded once", func(w *world) string {
			id := w.ready()
			_, _ = w.vote("x", id, approve, "")
			return id
		}, voteBy("x", reject, ""),
			"forbidden", "submitted, 0 votes", "", untouched, nil},
		{"recusing withdraws the vote and the seat", readyAfter("a1:approve", "b:approve"), recuseBy("b"),
			"ok", "submitted, 1 votes", "1 of 3 seats voted, 1 approving, 0 rejecting", untouched,
			[]sponsorship.EventType{"recused"}},
		{"a recusal can complete a decision", readyAfter("a1:approve", "b:approve"), recuseBy("d"),
			"ok", "approved, 2 votes", "2 of 3 seats voted, 2 approving, 0 rejecting", "committed 5000.00, paid 0.00, left 5000.00",
			[]sponsorship.EventType{"recused", "approved"}},
		{"a recused reviewer cannot vote", readyRecused("b"), voteBy("b", approve, ""),
			"forbidden", "submitted, 0 votes", "", untouched, nil},
		{"a recused reviewer cannot comment", readyRecused("b"), and(func(w *world, id string) error {
			_, err := w.review.AddComment(ctx, reviewer("b"), id, "The venue is too small.")
			return err
		}),
			"forbidden", "submitted, 0 votes", "", untouched, nil},
		{"a possible conflict must be settled before voting", readyNear, voteBy("n", approve, ""),
			"possible conflict", "submitted, 0 votes", "", untouched, nil},
		{"a possible conflict must be settled before asking for changes", readyNear, and(func(w *world, id string) error {
			_, err := w.review.RequestChanges(ctx, reviewer("n"), id, "Name the other sponsors.")
			return err
		}),
			"possible conflict", "submitted, 0 votes", "", untouched, nil},
		{"declaring no conflict is on the record and keeps the seat", readyNear, declareBy("n"),
			"ok", "submitted, 0 votes", "0 of 5 seats voted, 0 approving, 0 rejecting", untouched,
			[]sponsorship.EventType{"conflict_declared"}},
		{"after declaring no conflict the reviewer's vote counts", func(w *world) string {
			id := readyNear(w)
			_, err := declareBy("n")(w, id)
			w.must(err)
			w.votes(id, "a1:approve", "b:approve")
			return id
		}, voteBy("n", approve, ""),
			"ok", "approved, 3 votes", "3 of 5 seats voted, 3 approving, 0 rejecting", "committed 5000.00, paid 0.00, left 5000.00",
			[]sponsorship.EventType{"vote_cast", "approved"}},
		{"without a possible conflict there is nothing to declare", readyAfter(), declareBy("b"),
			"nothing to declare", "submitted, 0 votes", "", untouched, nil},
		{"recusing settles a possible conflict too", readyNear, recuseBy("n"),
			"ok", "submitted, 0 votes", "0 of 4 seats voted, 0 approving, 0 rejecting", untouched,
			[]sponsorship.EventType{"recused"}},
		{"an approval beyond the budget is refused, recorded, and nothing else written", budgetAfter("4000.00", "a1:approve", "b:approve"), voteBy("c", approve, ""),
			"budget exceeded", "submitted, 2 votes", "", "committed 0.00, paid 0.00, left 4000.00",
			[]sponsorship.EventType{"approval_refused"}},
		{"an approval without any budget is refused", budgetAfter("", "a1:approve", "b:approve"), voteBy("c", approve, ""),
			"no budget", "submitted, 2 votes", "", "no budget",
			[]sponsorship.EventType{"approval_refused"}},
		{"a lower proposed amount that the budget can take is approved", budgetAfter("4000.00", "a1:approve:3000.00", "b:approve"), voteBy("c", approve, ""),
			"ok", "approved, 3 votes", "3 of 4 seats voted, 3 approving, 0 rejecting", "committed 3000.00, paid 0.00, left 1000.00",
			[]sponsorship.EventType{"vote_cast", "approved"}},
		{"voting closes with the decision", readyAfter("a1:approve", "b:approve", "c:approve"), voteBy("d", reject, ""),
			"transition", "approved, 3 votes", "", "committed 5000.00, paid 0.00, left 5000.00", nil},
		{"a proposal above the requested amount is refused", readyAfter(), voteBy("b", approve, "5000.01"),
			"invalid amount.value:above_ceiling", "submitted, 0 votes", "", untouched, nil},
		{"only an approval proposes an amount", readyAfter(), voteBy("b", reject, "100.00"),
			"invalid amount:not_allowed", "submitted, 0 votes", "", untouched, nil},
		{"someone off the roster does not review", readyAfter(), voteBy("stranger", approve, ""),
			"forbidden", "submitted, 0 votes", "", untouched, nil},
		{"a request waiting for its address to be confirmed is not the committee's", func(w *world) string {
			w.committee()
			w.allocate("10000.00")
			rc, err := w.applicants.Submit(ctx, conference(), "")
			w.must(err)
			return rc.ID
		}, voteBy("a1", approve, ""),
			"not found", "unconfirmed, 0 votes", "", untouched, nil},
		{"asking for changes sends the request back", readyAfter("a1:approve"), and(func(w *world, id string) error {
			_, err := w.review.RequestChanges(ctx, reviewer("b"), id, "Name the other sponsors.")
			return err
		}),
			"ok", "changes_requested, 1 votes", "", untouched,
			[]sponsorship.EventType{"changes_requested"}},
		{"after a resubmission only the new round's votes count", func(w *world) string {
			w.committee()
			w.allocate("10000.00")
			id, token := w.submit()
			w.votes(id, "a1:approve", "b:approve")
			_, err := w.review.RequestChanges(ctx, reviewer("b"), id, "Name the other sponsors.")
			w.must(err)
			in := conference()
			in.Summary += " Other sponsors: none yet."
			_, err = w.applicants.Resubmit(ctx, id, token, in)
			w.must(err)
			return id
		}, voteBy("c", approve, ""),
			"ok", "submitted, 1 votes", "1 of 4 seats voted, 1 approving, 0 rejecting", untouched,
			[]sponsorship.EventType{"vote_cast"}},
		{"a vote that lost a race to another reviewer's counts with it", readyAfter("a1:approve"), func(w *world, id string) (sponsorship.Outcome, error) {
			w.racedBy(1, func() {
				_, err := w.other().review.Vote(ctx, reviewer("b"), id, sponsorship.VoteInput{Choice: approve})
				w.must(err)
			})
			return w.vote("c", id, approve, "")
		},
			"ok", "approved, 3 votes", "3 of 4 seats voted, 3 approving, 0 rejecting", "committed 5000.00, paid 0.00, left 5000.00",
			[]sponsorship.EventType{"vote_cast", "vote_cast", "approved"}},
		{"a comment is on the record", readyAfter(), and(func(w *world, id string) error {
			_, err := w.review.AddComment(ctx, reviewer("c"), id, "The venue is too small.")
			return err
		}),
			"ok", "submitted, 0 votes", "", untouched,
			[]sponsorship.EventType{"comment_added"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			id := tt.given(w)
			before := len(w.history(id))
			out, err := tt.act(w, id)
			if got := kindOf(err); got != tt.err {
				t.Errorf("error: %s, want %s (%v)", got, tt.err, err)
			}
			d, _ := w.store.Dossier(ctx, id)
			if got := fmt.Sprintf("%s, %d votes", d.Request.Status, len(d.Votes)); got != tt.state {
				t.Errorf("state: %s, want %s", got, tt.state)
			}
			if got := tally(out.Tally); tt.tally != "" && got != tt.tally || tt.tally == "" && out.Request != nil {
				t.Errorf("tally: %s, want %q", got, tt.tally)
			}
			if got := w.budget(); got != tt.budget {
				t.Errorf("budget: %s, want %s", got, tt.budget)
			}
			if diff := cmp.Diff(tt.events, since(w.history(id), before)); diff != "" {
				t.Errorf("events written (-want +got):\n%s", diff)
			}
		})
	}
}
