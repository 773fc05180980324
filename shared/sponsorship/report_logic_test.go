package sponsorship_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// travel turns the fixture into Grace's travel grant of 1850.00 EUR in two cost lines,
// airfare 1200.00 and lodging 650.00, to an event in February 2027.
func travel(in *sponsorship.RequestInput) {
	in.Kind, in.Conference = sponsorship.KindTravel, nil
	in.Title, in.Summary = "Travel to present a register allocator", "Airfare and three nights of lodging for an accepted talk."
	in.Amount = money.Amount{Currency: "EUR", Value: "1850.00"}
	in.BudgetItems = []sponsorship.BudgetItemInput{
		{Description: "Airfare", Amount: money.Amount{Currency: "EUR", Value: "1200.00"}},
		{Description: "Lodging", Amount: money.Amount{Currency: "EUR", Value: "650.00"}},
	}
	in.Travel = &sponsorship.Travel{Traveller: "Grace Hopper", EventName: "FOSDEM 2027", EventURL: "https://fosdem.org/2027/",
		StartDate: "2027-02-06", EndDate: "2027-02-07", TalkTitle: "Allocating registers in linear time", Origin: "Boston, US"}
}

// project turns the fixture into a project of two milestones, 3000.00 and 2000.00 EUR.
func project(in *sponsorship.RequestInput) {
	in.Kind, in.Conference = sponsorship.KindProject, nil
	in.Title, in.Summary = "A vector backend for a code generator", "Two milestones of work on vector instruction selection."
	in.Project = &sponsorship.ProjectInput{Name: "Cranelift RVV", RepositoryURL: "https://github.com/example/cranelift-rvv",
		Licence: "Apache-2.0", Milestones: []sponsorship.MilestoneInput{
			{Title: "Design", DueDate: "2027-01-31", Amount: money.Amount{Currency: "EUR", Value: "3000.00"}},
			{Title: "Integer vectors", DueDate: "2027-04-30", Amount: money.Amount{Currency: "EUR", Value: "2000.00"}},
		}}
}

// approvedAs is a request of the fixture, edited, approved in full by three seats out
// of budgets of 10000.00 EUR for every kind and year it could fall in.
func approvedAs(edit func(*sponsorship.RequestInput)) func(w *world) string {
	return func(w *world) string {
		w.t.Helper()
		w.committee()
		for _, year := range []int{2026, 2027} {
			for _, k := range sponsorship.Kinds {
				_, err := w.admin.SetAllocation(ctx, admin, year, k, "EUR", sponsorship.AllocationInput{Allocated: "10000.00"})
				w.must(err)
			}
		}
		var edits []func(*sponsorship.RequestInput)
		if edit != nil {
			edits = append(edits, edit)
		}
		id, _ := w.submit(edits...)
		w.votes(id, "a1:approve", "b:approve", "c:approve")
		return id
	}
}

// Acts on an approved request, by its applicant, the committee and finance.
type act func(w *world, id string) error

func attaches(purpose sponsorship.Purpose, line, milestone int) act {
	return func(w *world, id string) error { w.attach(id, purpose, line, milestone); return nil }
}

func reports(n int, in sponsorship.ReportInput) act {
	return func(w *world, id string) error {
		_, err := w.evidence.SubmitReport(ctx, id, w.tokens[id], n, in)
		return err
	}
}

func judges(role sponsorship.Role, n int, accept bool, message string) act {
	return func(w *world, id string) error {
		_, err := w.evidence.JudgeReport(ctx, id, n, sponsorship.Actor{Role: role, ID: "fay"},
			sponsorship.ReportDecision{Accept: accept, Message: message})
		return err
	}
}

func accepts(n int) act { return judges(sponsorship.RoleReviewer, n, true, "") }

func paysOn(amount string, milestone int) act {
	in := payment(amount)
	in.Milestone = &milestone
	return pays("fay", "", in)
}

func advance(amount string) act {
	in := payment(amount)
	in.Advance = true
	return pays("fay", "", in)
}

func allowsAdvance(kind sponsorship.Kind, share int) act {
	return func(w *world, id string) error {
		_, err := w.admin.PutGovernance(ctx, admin, sponsorship.GovernanceInput{QuorumPercent: 50,
			AdvancePercent: map[sponsorship.Kind]*int{kind: &share}})
		return err
	}
}

var (
	tripReport  = sponsorship.ReportInput{Text: "Gave the talk to a full room; slides and recording are online."}
	eventReport = sponsorship.ReportInput{Text: "The track ran all day; our logo was on the stage banner.", Attendance: 420}
	milestone0  = sponsorship.ReportInput{Text: "The design is written up and reviewed upstream.", DeliverableURL: "https://github.com/example/cranelift-rvv/pull/1"}
)

// TestEvidenceGatesPayment walks each kind from approval to paid: each step is taken in
// order and must end as written ("ok", or the refusal people see), and the request ends
// in the status, paid total, report states and history given.
func TestEvidenceGatesPayment(t *testing.T) {
	type step struct {
		act  act
		want string
	}
	pay := func(amount string) act { return pays("fay", "", payment(amount)) }
	tests := []struct {
		name    string
		given   func(w *world) string
		steps   []step
		state   string // status, paid, and each report's state
		history []sponsorship.EventType
	}{
		{"a conference's invoice is paid before its report, and the report closes it", approvedAs(nil), []step{
			{pay("5000.00"), "missing The organiser's invoice"},
			{attaches(sponsorship.PurposeInvoice, -1, -1), "ok"},
			{pay("5000.00"), "ok"},
			{reports(0, eventReport), "ok"},
			{accepts(0), "ok"},
		}, "closed, paid 5000.00, reports accepted",
			[]sponsorship.EventType{"attachment_added", "payment_recorded", "report_submitted", "report_accepted"}},
		{"a conference whose report came first closes with its payment", approvedAs(nil), []step{
			{attaches(sponsorship.PurposeInvoice, -1, -1), "ok"},
			{reports(0, eventReport), "ok"},
			{judges(sponsorship.RoleFinance, 0, true, "Thanks."), "ok"},
			{pay("2000.00"), "ok"},
			{pay("3000.00"), "ok"},
		}, "closed, paid 5000.00, reports accepted",
			[]sponsorship.EventType{"attachment_added", "report_submitted", "report_accepted", "payment_recorded", "payment_recorded"}},
		{"a report sent back is submitted again", approvedAs(nil), []step{
			{reports(0, eventReport), "ok"},
			{judges(sponsorship.RoleReviewer, 0, false, ""), "invalid message:required"},
			{judges(sponsorship.RoleReviewer, 0, false, "Add a photo of the banner."), "ok"},
			{accepts(0), "report changes_requested"},
			{reports(0, eventReport), "ok"},
			{reports(0, eventReport), "report submitted"},
		}, "approved, paid 0.00, reports submitted",
			[]sponsorship.EventType{"report_submitted", "report_changes_requested", "report_submitted"}},
		{"a conference's report needs its attendance, and the text every report needs", approvedAs(nil), []step{
			{reports(0, sponsorship.ReportInput{Text: "short", DeliverableURL: "https://example.org/"}),
				"invalid attendance:required deliverableUrl:not_allowed text:too_short"},
		}, "approved, paid 0.00, reports due", nil},
		{"no report before the decision, nor of a report the request does not owe", func(w *world) string {
			id := w.ready()
			return id
		}, []step{
			{reports(0, eventReport), "transition"},
		}, "submitted, paid 0.00, reports", nil},
		{"a report beyond those owed is not found", approvedAs(nil), []step{
			{reports(1, eventReport), "not found"},
			{judges(sponsorship.RoleReviewer, -1, true, ""), "not found"},
		}, "approved, paid 0.00, reports due", nil},
		{"nobody but reviewers and finance judges a report", approvedAs(nil), []step{
			{reports(0, eventReport), "ok"},
			{judges(sponsorship.RoleAdmin, 0, true, ""), "report submitted"},
			{judges(sponsorship.RoleApplicant, 0, true, ""), "report submitted"},
		}, "approved, paid 0.00, reports submitted", []sponsorship.EventType{"report_submitted"}},
		{"a travel grant is reimbursed once each cost line's receipt and the trip report are accepted", approvedAs(travel), []step{
			{pay("1850.00"), "missing Receipt for Airfare; Receipt for Lodging; Trip report accepted"},
			{reports(0, tripReport), "missing Receipt for Airfare; Receipt for Lodging"},
			{attaches(sponsorship.PurposeReceipt, 0, -1), "ok"},
			{reports(0, tripReport), "missing Receipt for Lodging"},
			{attaches(sponsorship.PurposeReceipt, 1, -1), "ok"},
			{reports(0, tripReport), "ok"},
			{pay("1850.00"), "missing Trip report accepted"},
			{accepts(0), "ok"},
			{pay("1850.00"), "ok"},
		}, "closed, paid 1850.00, reports accepted",
			[]sponsorship.EventType{"attachment_added", "attachment_added", "report_submitted", "report_accepted", "payment_recorded"}},
		{"an advance is paid before the evidence, within the share allowed", approvedAs(travel), []step{
			{advance("500.00"), "invalid advance:not_allowed"},
			{allowsAdvance(sponsorship.KindTravel, 40), "ok"},
			{advance("740.01"), "invalid amount.value:above_ceiling"},
			{advance("500.00"), "ok"},
			{advance("240.01"), "invalid amount.value:above_ceiling"},
			{advance("240.00"), "ok"},
			{pay("1110.00"), "missing Receipt for Airfare; Receipt for Lodging; Trip report accepted"},
		}, "partially_paid, paid 740.00, reports due",
			[]sponsorship.EventType{"payment_recorded", "payment_recorded"}},
		{"a travel grant paid in advance in full closes when its report is accepted", approvedAs(travel), []step{
			{allowsAdvance(sponsorship.KindTravel, 100), "ok"},
			{advance("1850.00"), "ok"},
			{attaches(sponsorship.PurposeReceipt, 0, -1), "ok"},
			{attaches(sponsorship.PurposeReceipt, 1, -1), "ok"},
			{reports(0, tripReport), "ok"},
			{accepts(0), "ok"},
		}, "closed, paid 1850.00, reports accepted",
			[]sponsorship.EventType{"payment_recorded", "attachment_added", "attachment_added", "report_submitted", "report_accepted"}},
		{"a project is paid milestone by milestone", approvedAs(project), []step{
			{pay("3000.00"), "invalid milestone:required"},
			{paysOn("3000.00", 2), "invalid milestone:unknown_value"},
			{paysOn("3000.00", 0), "missing Milestone 1 (Design): report accepted; Milestone 1 (Design): deliverable, a link or a file; Milestone 1 (Design): invoice"},
			{reports(0, sponsorship.ReportInput{Text: milestone0.Text}),
				"missing Milestone 1 (Design): deliverable, a link or a file; Milestone 1 (Design): invoice"},
			{attaches(sponsorship.PurposeInvoice, -1, 0), "ok"},
			{reports(0, milestone0), "ok"},
			{accepts(0), "ok"},
			{paysOn("3000.01", 0), "invalid amount.value:above_ceiling"},
			{paysOn("1000.00", 1), "missing Milestone 2 (Integer vectors): report accepted; Milestone 2 (Integer vectors): deliverable, a link or a file; Milestone 2 (Integer vectors): invoice"},
			{paysOn("3000.00", 0), "ok"},
			{paysOn("0.01", 0), "invalid amount.value:above_ceiling"},
			{attaches(sponsorship.PurposeDeliverable, -1, 1), "ok"},
			{attaches(sponsorship.PurposeInvoice, -1, 1), "ok"},
			{reports(1, sponsorship.ReportInput{Text: "Integer vector instructions are selected and tested."}), "ok"},
			{judges(sponsorship.RoleFinance, 1, true, ""), "ok"},
			{paysOn("2000.00", 1), "ok"},
		}, "closed, paid 5000.00, reports accepted accepted",
			[]sponsorship.EventType{"attachment_added", "report_submitted", "report_accepted", "payment_recorded",
				"attachment_added", "attachment_added", "report_submitted", "report_accepted", "payment_recorded"}},
		{"a report sent back must bring its deliverable again, and the milestone is paid only with it", approvedAs(project), []step{
			{attaches(sponsorship.PurposeInvoice, -1, 0), "ok"},
			{reports(0, milestone0), "ok"},
			{judges(sponsorship.RoleReviewer, 0, false, "Say what the design decided."), "ok"},
			{reports(0, sponsorship.ReportInput{Text: "The design decided on a vector-length-agnostic lowering."}),
				"missing Milestone 1 (Design): deliverable, a link or a file"},
			{reports(0, sponsorship.ReportInput{Text: "The design decided on a vector-length-agnostic lowering.", DeliverableURL: milestone0.DeliverableURL}), "ok"},
			{accepts(0), "ok"},
			{paysOn("3000.00", 0), "ok"},
		}, "partially_paid, paid 3000.00, reports accepted due",
			[]sponsorship.EventType{"attachment_added", "report_submitted", "report_changes_requested", "report_submitted", "report_accepted", "payment_recorded"}},
		{"a reversal reopens a closed request and carries its payment's milestone", approvedAs(project), []step{
			{attaches(sponsorship.PurposeInvoice, -1, 0), "ok"},
			{reports(0, milestone0), "ok"},
			{accepts(0), "ok"},
			{paysOn("3000.00", 0), "ok"},
			{reverses(0), "ok"},
			{paysOn("3000.00", 0), "ok"},
		}, "partially_paid, paid 3000.00, reports accepted due",
			[]sponsorship.EventType{"attachment_added", "report_submitted", "report_accepted", "payment_recorded",
				"payment_reversed", "payment_recorded"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			id := tt.given(w)
			before := len(w.history(id))
			for i, s := range tt.steps {
				if got := kindOf(s.act(w, id)); got != s.want {
					t.Fatalf("step %d: %s, want %s", i+1, got, s.want)
				}
			}
			r := w.request(id)
			states := []string{}
			for _, rep := range r.ReportsOwed() {
				states = append(states, string(rep.State))
			}
			if got := fmt.Sprintf("%s, paid %s, reports %s", r.Status, r.Paid.Decimal(), strings.Join(states, " ")); strings.TrimSpace(got) != tt.state {
				t.Errorf("state: %s, want %s", got, tt.state)
			}
			if diff := cmp.Diff(tt.history, since(w.history(id), before)); diff != "" {
				t.Errorf("events written (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAdvanceSharesAreChecked: an advance share is a whole percentage of a known kind,
// every error at once, and nothing is saved when one is wrong.
func TestAdvanceSharesAreChecked(t *testing.T) {
	w := newWorld(t)
	w.committee()
	over, under, fine := 101, -1, 30
	_, err := w.admin.PutGovernance(ctx, admin, sponsorship.GovernanceInput{QuorumPercent: 50, AdvancePercent: map[sponsorship.Kind]*int{
		sponsorship.KindTravel: &over, sponsorship.KindProject: &under, sponsorship.KindConference: nil, "lunch": &fine}})
	if got := kindOf(err); got != "invalid advancePercent.conference:wrong_type advancePercent.lunch:unknown_value advancePercent.project:invalid_format advancePercent.travel:invalid_format" {
		t.Errorf("refusal: %s", got)
	}
	if g, _ := w.admin.Governance(ctx, admin); len(g.AdvancePercent) != 0 || g.Version != 0 {
		t.Errorf("saved after a refusal: %+v", g)
	}
	g, err := w.admin.PutGovernance(ctx, admin, sponsorship.GovernanceInput{QuorumPercent: 50,
		AdvancePercent: map[sponsorship.Kind]*int{sponsorship.KindTravel: &fine}})
	if err != nil || g.AdvancePercent[sponsorship.KindTravel] != 30 {
		t.Errorf("a valid share: %+v %v", g, err)
	}
}

// TestWhoPaysJudgesReports: accepting a report releases money, so finance judges a
// request's reports under the rule of who may pay it: not a reviewer who voted on it,
// not a colleague of its applicant, not someone off the roster.
func TestWhoPaysJudgesReports(t *testing.T) {
	w := newWorld(t)
	id := w.approved()
	for who, want := range map[string]string{"fay": "ok", "c": "forbidden", "x": "forbidden", "ghost": "forbidden"} {
		_, err := w.finance.AdmitJudge(ctx, financier(who), id)
		if got := kindOf(err); got != want {
			t.Errorf("%s: %s, want %s", who, got, want)
		}
	}
	if _, err := w.finance.AdmitJudge(ctx, reviewer("a1"), id); kindOf(err) != "forbidden" {
		t.Errorf("a reviewer judges as finance: %v", err)
	}
}
