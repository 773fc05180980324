package sponsorship_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// payment is a payment of amount EUR by bank transfer, made today (t0).
func payment(amount string) sponsorship.PaymentInput {
	return sponsorship.PaymentInput{Amount: &money.Amount{Currency: "EUR", Value: amount}, Date: "2026-11-25", Method: "bank_transfer"}
}

// pays is who records a payment under an Idempotency-Key ("" for none).
func pays(who, key string, in sponsorship.PaymentInput) func(w *world, id string) error {
	return func(w *world, id string) error {
		_, err := w.finance.RecordPayment(ctx, financier(who), id, key, in)
		return err
	}
}

// reverses is fay reversing the n-th payment of the request, oldest first.
func reverses(n int) func(w *world, id string) error {
	return func(w *world, id string) error {
		_, payments, err := w.store.Payments(ctx, id)
		w.must(err)
		return pays("fay", "", sponsorship.PaymentInput{Reverses: payments[n].ID, Date: "2026-11-25", Method: "bank_transfer"})(w, id)
	}
}

// approvedAfter is the fixture's approved request (5000.00 of a 10000.00 budget), with
// its invoice on file, after these acts of finance.
func approvedAfter(acts ...func(w *world, id string) error) func(w *world) string {
	return func(w *world) string {
		id := w.invoiced()
		for _, act := range acts {
			w.must(act(w, id))
		}
		return id
	}
}

// TestFinanceRules checks payments: partial and full, never more than approved,
// corrected by reversal, recorded once per Idempotency-Key, each moving the budget from
// committed to paid; and the separation of duties, which keeps those who decided on a
// request, or stood aside from it, from paying it. Finance is fay, on the roster; the
// request was approved for 5000.00 by a1, b and c.
func TestFinanceRules(t *testing.T) {
	const untouched = "committed 5000.00, paid 0.00, left 5000.00"
	pay := func(amount string) func(w *world, id string) error { return pays("fay", "", payment(amount)) }
	tests := []struct {
		name   string
		given  func(w *world) string
		act    func(w *world, id string) error
		err    string
		state  string // the request's status and what is paid, after the act
		budget string
		events []sponsorship.EventType
	}{
		{"a partial payment", approvedAfter(), pay("2000.00"),
			"ok", "partially_paid, paid 2000.00", "committed 3000.00, paid 2000.00, left 5000.00",
			[]sponsorship.EventType{"payment_recorded"}},
		{"the rest pays the request in full", approvedAfter(pay("2000.00")), pay("3000.00"),
			"ok", "paid, paid 5000.00", "committed 0.00, paid 5000.00, left 5000.00",
			[]sponsorship.EventType{"payment_recorded"}},
		{"a payment in full at once", approvedAfter(), pay("5000.00"),
			"ok", "paid, paid 5000.00", "committed 0.00, paid 5000.00, left 5000.00",
			[]sponsorship.EventType{"payment_recorded"}},
		{"more than approved is refused", approvedAfter(), pay("5000.01"),
			"invalid amount.value:above_ceiling", "approved, paid 0.00", untouched, nil},
		{"more than remains to pay is refused", approvedAfter(pay("2000.00")), pay("3000.01"),
			"invalid amount.value:above_ceiling", "partially_paid, paid 2000.00", "committed 3000.00, paid 2000.00, left 5000.00", nil},
		{"a payment of nothing is refused", approvedAfter(), pay("0.00"),
			"invalid amount.value:not_positive", "approved, paid 0.00", untouched, nil},
		{"reversing the only payment returns the request to approved", approvedAfter(pay("5000.00")), reverses(0),
			"ok", "approved, paid 0.00", untouched,
			[]sponsorship.EventType{"payment_reversed"}},
		{"reversing one of two payments in full leaves the other paid", approvedAfter(pay("2000.00"), pay("3000.00")), reverses(0),
			"ok", "partially_paid, paid 3000.00", "committed 2000.00, paid 3000.00, left 5000.00",
			[]sponsorship.EventType{"payment_reversed"}},
		{"reversing one of two partial payments is recorded as a reversal", approvedAfter(pay("1000.00"), pay("1500.00")), reverses(0),
			"ok", "partially_paid, paid 1500.00", "committed 3500.00, paid 1500.00, left 5000.00",
			[]sponsorship.EventType{"payment_reversed"}},
		{"a payment is reversed once", approvedAfter(pay("2000.00"), reverses(0)), reverses(0),
			"invalid reverses:not_allowed", "approved, paid 0.00", untouched, nil},
		{"a reversal is not reversed", approvedAfter(pay("2000.00"), reverses(0)), reverses(1),
			"invalid reverses:unknown_value", "approved, paid 0.00", untouched, nil},
		{"a reversal names a payment of the request", approvedAfter(pay("2000.00")),
			pays("fay", "", sponsorship.PaymentInput{Reverses: "01KB0000000000000000000000", Date: "2026-11-25", Method: "bank_transfer"}),
			"invalid reverses:unknown_value", "partially_paid, paid 2000.00", "committed 3000.00, paid 2000.00, left 5000.00", nil},
		{"a reversal undoes the whole payment", approvedAfter(pay("2000.00")), func(w *world, id string) error {
			_, payments, _ := w.store.Payments(ctx, id)
			in := payment("500.00")
			in.Reverses = payments[0].ID
			return pays("fay", "", in)(w, id)
		}, "invalid amount:not_allowed", "partially_paid, paid 2000.00", "committed 3000.00, paid 2000.00, left 5000.00", nil},
		{"a reviewer who voted does not pay", approvedAfter(), pays("c", "", payment("100.00")),
			"forbidden", "approved, paid 0.00", untouched, nil},
		{"a reviewer who stood aside does not pay", func(w *world) string {
			id := readyRecused("d")(w)
			w.votes(id, "a1:approve", "b:approve") // two of the three seats left
			return id
		}, pays("d", "", payment("100.00")),
			"forbidden", "approved, paid 0.00", untouched, nil},
		{"a colleague of the applicant does not pay", approvedAfter(), pays("x", "", payment("100.00")),
			"forbidden", "approved, paid 0.00", untouched, nil},
		{"the applicant does not pay themselves", func(w *world) string {
			id := w.approved()
			_, _, err := w.admin.PutReviewer(ctx, admin, "ada", sponsorship.ReviewerInput{Name: "Ada Lovelace",
				Email: "Ada+finance@example.org", Roles: []sponsorship.Role{sponsorship.RoleFinance}})
			w.must(err)
			return id
		}, pays("ada", "", payment("100.00")),
			"forbidden", "approved, paid 0.00", untouched, nil},
		{"finance off the roster does not pay", approvedAfter(), pays("ghost", "", payment("100.00")),
			"forbidden", "approved, paid 0.00", untouched, nil},
		{"only finance records payments", approvedAfter(), func(w *world, id string) error {
			_, err := w.finance.RecordPayment(ctx, admin, id, "", payment("100.00"))
			return err
		}, "forbidden", "approved, paid 0.00", untouched, nil},
		{"a request not decided is not paid", readyAfter("a1:approve"), pay("100.00"),
			"transition", "submitted, paid 0.00", "committed 0.00, paid 0.00, left 10000.00", nil},
		{"a payment is not dated in the future", approvedAfter(), func(w *world, id string) error {
			in := payment("100.00")
			in.Date = "2026-11-26"
			return pays("fay", "", in)(w, id)
		}, "invalid date:invalid_date", "approved, paid 0.00", untouched, nil},
		{"nor before the approval", approvedAfter(), func(w *world, id string) error {
			in := payment("100.00")
			in.Date = "2026-11-24"
			return pays("fay", "", in)(w, id)
		}, "invalid date:date_order", "approved, paid 0.00", untouched, nil},
		{"a payment is in the approved currency", approvedAfter(), func(w *world, id string) error {
			in := payment("100.00")
			in.Amount.Currency = "USD"
			return pays("fay", "", in)(w, id)
		}, "invalid amount.currency:currency_mismatch", "approved, paid 0.00", untouched, nil},
		{"a retried payment is recorded once", approvedAfter(pays("fay", "pay-1", payment("2000.00"))), func(w *world, id string) error {
			rec, err := w.finance.RecordPayment(ctx, financier("fay"), id, "pay-1", payment("2000.00"))
			if err == nil && !rec.Replayed {
				w.t.Error("the retry is not answered as a replay")
			}
			return err
		}, "ok", "partially_paid, paid 2000.00", "committed 3000.00, paid 2000.00, left 5000.00", nil},
		{"a key used for another payment is refused", approvedAfter(pays("fay", "pay-1", payment("2000.00"))),
			pays("fay", "pay-1", payment("2500.00")),
			"key reused", "partially_paid, paid 2000.00", "committed 3000.00, paid 2000.00, left 5000.00", nil},
		{"a payment that lost a race is checked against the one that won", approvedAfter(), func(w *world, id string) error {
			w.racedBy(1, func() {
				_, err := w.other().finance.RecordPayment(ctx, financier("fay"), id, "", payment("3000.00"))
				w.must(err)
			})
			return pay("3000.00")(w, id)
		}, "invalid amount.value:above_ceiling", "partially_paid, paid 3000.00", "committed 2000.00, paid 3000.00, left 5000.00",
			[]sponsorship.EventType{"payment_recorded"}},
		{"a request waiting for its address to be confirmed is not finance's", func(w *world) string {
			w.committee()
			rc, err := w.applicants.Submit(ctx, conference(), "")
			w.must(err)
			return rc.ID
		}, pay("100.00"), "not found", "unconfirmed, paid 0.00", "no budget", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			id := tt.given(w)
			before := len(w.history(id))
			err := tt.act(w, id)
			if got := kindOf(err); got != tt.err {
				t.Errorf("error: %s, want %s (%v)", got, tt.err, err)
			}
			r := w.request(id)
			if got := fmt.Sprintf("%s, paid %s", r.Status, r.Paid.Decimal()); got != tt.state {
				t.Errorf("state: %s, want %s", got, tt.state)
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
