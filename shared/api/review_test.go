//go:build integration

package api_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCommitteeDecidesByTheRule walks a committee's scenario: six reviewers, four
// seats once the applicant's colleague is recused; one company approving twice is one
// seat; the third company's approval decides, at the lowest proposed amount, and commits
// it to the budget.
func TestCommitteeDecidesByTheRule(t *testing.T) {
	s := newStaffAPI(t)
	s.committee()
	s.budget(2026, "project", "EUR", "50000.00")
	id, token := s.submitProject("30000.00")

	// The applicant's colleague is refused, with the reason, and the recusal is recorded.
	r := s.vote("x", id, approve())
	if r.status != 403 || !strings.Contains(string(r.body), "conflict of interest") {
		t.Fatalf("colleague's vote: %d %s", r.status, r.body)
	}
	s.must(s.vote("a1", id, map[string]any{"choice": "approve", "amount": map[string]any{"currency": "EUR", "value": "28000.00"}}), 200)
	out := s.must(s.vote("a2", id, approve()), 200)
	if out["status"] != "submitted" || out["tally"].(map[string]any)["voted"] != 1.0 || len(out["tally"].(map[string]any)["seats"].([]any)) != 4 {
		t.Fatalf("after two approvals from one company: %v", out)
	}
	// A seat names its members as people read them, in the order of their ids.
	acme := out["tally"].(map[string]any)["seats"].([]any)[0].(map[string]any)
	if fmt.Sprintf("%v %v %v", acme["company"], acme["members"], acme["memberNames"]) != "Acme Compilers Inc. [a1 a2] [Reviewer A1 Reviewer A2]" {
		t.Fatalf("Acme's seat: %v", acme)
	}
	out = s.must(s.vote("b", id, map[string]any{"choice": "approve", "amount": map[string]any{"currency": "EUR", "value": "25000.00"}, "comment": "Scope milestone two down."}), 200)
	if out["status"] != "submitted" {
		t.Fatalf("two seats of four decided: %v", out)
	}
	out = s.must(s.vote("c", id, approve()), 200)
	if out["status"] != "approved" || fmt.Sprint(out["approvedAmount"]) != "map[currency:EUR value:25000.00]" {
		t.Fatalf("third company's approval: %v", out)
	}
	// The budget took the approved amount.
	budgets := s.must(s.call(s.admin, adminUser, "GET", "/admin/budgets?fiscalYear=2026", nil), 200)["items"].([]any)
	b := budgets[0].(map[string]any)
	if b["committed"] != "25000.00" || b["remaining"] != "25000.00" {
		t.Errorf("budget after approval: %v", b)
	}
	// Voting is closed now.
	if r := s.vote("d", id, approve()); r.status != 409 || r.json(t)["currentStatus"] != "approved" {
		t.Errorf("vote after the decision: %d %s", r.status, r.body)
	}

	// Every step is on the record with its actor.
	dossier := s.must(s.call(s.reviews, reviewerP("d"), "GET", "/review/requests/"+id, nil), 200)
	var steps []string
	for _, h := range dossier["history"].([]any) {
		ev := h.(map[string]any)
		actor := ev["actor"].(map[string]any)
		steps = append(steps, fmt.Sprintf("%s by %v", ev["type"], actor["id"]))
		if ev["at"] == nil {
			t.Errorf("event without a time: %v", ev)
		}
	}
	want := []string{"received by <nil>", "submitted by <nil>", "recused by x", "vote_cast by a1", "vote_cast by a2", "vote_cast by b", "vote_cast by c", "approved by c"}
	if diff := cmp.Diff(want, steps); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	recusals := dossier["recusals"].([]any)
	if len(recusals) != 1 || recusals[0].(map[string]any)["reviewerId"] != "x" || recusals[0].(map[string]any)["automatic"] != true {
		t.Errorf("recorded recusals: %v", recusals)
	}
	// The applicant sees the decision and the amount, not who voted how.
	view := s.call(s.applic, nobody, "GET", "/requests/"+id, nil)
	_ = view
	r = s.callApplicant("GET", "/requests/"+id, token)
	v := s.must(r, 200)
	if v["status"] != "approved" || fmt.Sprint(v["approvedAmount"]) != "map[currency:EUR value:25000.00]" {
		t.Errorf("applicant view: %v", v)
	}
	for _, h := range v["history"].([]any) {
		if typ := h.(map[string]any)["type"]; typ == "vote_cast" || typ == "recused" {
			t.Errorf("applicant sees internal event %v", typ)
		}
	}
}

func TestApprovalBeyondTheBudgetIsRefusedAndRecorded(t *testing.T) {
	s := newStaffAPI(t)
	s.committee()
	s.budget(2026, "project", "EUR", "1000.00")
	id, _ := s.submitProject("1500.00")
	s.must(s.vote("a1", id, approve()), 200)
	s.must(s.vote("b", id, approve()), 200)
	r := s.vote("c", id, approve())
	p := r.json(t)
	if r.status != 409 || p["code"] != "budget_exceeded" || fmt.Sprint(p["remaining"]) != "map[currency:EUR value:1000.00]" {
		t.Fatalf("approval beyond the budget: %d %s", r.status, r.body)
	}
	dossier := s.must(s.call(s.reviews, reviewerP("d"), "GET", "/review/requests/"+id, nil), 200)
	if st := dossier["request"].(map[string]any)["status"]; st != "submitted" {
		t.Errorf("status after refusal: %v", st)
	}
	if n := len(dossier["votes"].([]any)); n != 2 {
		t.Errorf("%d votes stored, want the 2 before the refused one", n)
	}
	history := dossier["history"].([]any)
	if last := history[len(history)-1].(map[string]any); last["type"] != "approval_refused" {
		t.Errorf("last event %v, want approval_refused", last["type"])
	}
	b := s.must(s.call(s.admin, adminUser, "GET", "/admin/budgets?fiscalYear=2026", nil), 200)["items"].([]any)[0].(map[string]any)
	if b["committed"] != "0.00" || b["remaining"] != "1000.00" {
		t.Errorf("budget changed by a refused approval: %v", b)
	}
	// Without any budget for the year and category the approval is refused too.
	id2, _ := s.submitProject("10.00")
	s.budget(2026, "project", "EUR", "1000.00")
	s.must(s.vote("a1", id2, approve()), 200)
	s.must(s.vote("b", id2, approve()), 200)
	if r := s.vote("c", id2, approve()); r.status != 200 {
		t.Errorf("approval within the budget: %d %s", r.status, r.body)
	}
}

func TestConcurrentVotesAreAllRecorded(t *testing.T) {
	s := newStaffAPI(t)
	s.committee()
	s.must(s.call(s.admin, adminUser, "PUT", "/admin/settings", map[string]any{"quorumPercent": 99}), 200)
	id, _ := s.submitProject("100.00")
	voters := []string{"a1", "a2", "b", "c"}
	var wg sync.WaitGroup
	for _, v := range voters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := s.vote(v, id, map[string]any{"choice": "abstain"}); r.status != 200 {
				t.Errorf("%s: %d %s", v, r.status, r.body)
			}
		}()
	}
	wg.Wait()
	dossier := s.must(s.call(s.reviews, reviewerP("d"), "GET", "/review/requests/"+id, nil), 200)
	if n := len(dossier["votes"].([]any)); n != len(voters) {
		t.Errorf("%d of %d concurrent votes recorded", n, len(voters))
	}
	if v := dossier["request"].(map[string]any)["version"]; v != float64(2+len(voters)) { // received, submitted, the votes
		t.Errorf("version %v, want one per event", v)
	}
}

func TestRecusalChangesOfMindAndComments(t *testing.T) {
	s := newStaffAPI(t)
	s.committee()
	s.budget(2026, "project", "EUR", "5000.00")
	id, token := s.submitProject("100.00")
	s.must(s.vote("a1", id, approve()), 200)
	s.must(s.vote("b", id, map[string]any{"choice": "reject"}), 200)
	// A reviewer may change their vote until the decision.
	s.must(s.vote("b", id, approve()), 200)
	// Recusing withdraws the vote; the seats shrink to A, C, D.
	out := s.must(s.call(s.reviews, reviewerP("b"), "POST", "/review/requests/"+id+"/recusal", map[string]any{"reason": "I advised the applicant."}), 200)
	if out["tally"].(map[string]any)["voted"] != 1.0 || len(out["tally"].(map[string]any)["seats"].([]any)) != 3 {
		t.Fatalf("after recusal: %v", out["tally"])
	}
	if r := s.vote("b", id, approve()); r.status != 403 || !strings.Contains(string(r.body), "advised") {
		t.Errorf("recused reviewer's vote: %d %s", r.status, r.body)
	}
	if r := s.call(s.reviews, reviewerP("b"), "POST", "/review/requests/"+id+"/comments", map[string]any{"text": "Hi"}); r.status != 403 {
		t.Errorf("recused reviewer's comment: %d", r.status)
	}
	c := s.must(s.call(s.reviews, reviewerP("c"), "POST", "/review/requests/"+id+"/comments", map[string]any{"text": "Check the licence."}), 201)
	if c["authorId"] != "c" || c["text"] != "Check the licence." {
		t.Errorf("comment: %v", c)
	}
	// Asking for changes sends it back; the applicant sees the message but not the comment.
	s.must(s.call(s.reviews, reviewerP("c"), "POST", "/review/requests/"+id+"/changes", map[string]any{"message": "Add a milestone plan."}), 200)
	v := s.must(s.callApplicant("GET", "/requests/"+id, token), 200)
	if v["status"] != "changes_requested" || strings.Contains(string(mustJSON(v)), "Check the licence") {
		t.Errorf("applicant view: %v", v)
	}
	// Resubmission starts a new round: earlier votes no longer count.
	body := project()
	body["amount"] = map[string]any{"currency": "EUR", "value": "100.00"}
	body["project"].(map[string]any)["milestones"] = []any{map[string]any{"title": "Plan", "dueDate": "2027-06-30", "amount": map[string]any{"currency": "EUR", "value": "100.00"}}}
	s.must(s.callApplicantBody("PUT", "/requests/"+id, token, body), 200)
	d := s.must(s.call(s.reviews, reviewerP("c"), "GET", "/review/requests/"+id, nil), 200)
	if len(d["votes"].([]any)) != 0 || d["tally"].(map[string]any)["voted"] != 0.0 || len(d["comments"].([]any)) != 1 {
		t.Errorf("after resubmission: votes %v tally %v", d["votes"], d["tally"])
	}
	if you := d["you"].(map[string]any); you["canAct"] != true {
		t.Errorf("standing: %v", you)
	}
}

func TestQueue(t *testing.T) {
	s := newStaffAPI(t)
	s.committee()
	var ids []string
	for i := range 5 {
		id, _ := s.submitProject(fmt.Sprintf("%d.00", 100+i))
		ids = append(ids, id)
	}
	conf := s.must(s.call(s.applic, nobody, "POST", "/requests", conference()), 201)["id"].(string)
	s.confirm(conf)
	s.must(s.vote("a1", ids[1], approve()), 200)

	page := func(who, query string) (got []string, next string) {
		t.Helper()
		out := s.must(s.call(s.reviews, reviewerP(who), "GET", "/review/requests"+query, nil), 200)
		for _, it := range out["items"].([]any) {
			got = append(got, it.(map[string]any)["id"].(string))
		}
		next, _ = out["nextCursor"].(string)
		return got, next
	}
	// Oldest first, two at a time, to the end.
	var all []string
	cursor := ""
	for n := 0; n < 10; n++ {
		q := "?kind=project&limit=2"
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		got, next := page("a1", q)
		all = append(all, got...)
		if cursor = next; cursor == "" {
			break
		}
	}
	// The test clock stands still, so all share one submission time and the ids break
	// the tie.
	sorted := slices.Sorted(slices.Values(ids))
	if diff := cmp.Diff(sorted, all); diff != "" {
		t.Errorf("paged queue (-want +got):\n%s", diff)
	}
	newest, _ := page("a1", "?kind=project&order=newest&limit=1")
	if len(newest) != 1 || newest[0] != sorted[4] {
		t.Errorf("newest first: %v", newest)
	}
	// Waiting on a1: not the one a1 voted on. Waiting on x: nothing of Example Labs.
	waiting, _ := page("a1", "?waiting=me&kind=project")
	if len(waiting) != 4 || contains(waiting, ids[1]) {
		t.Errorf("waiting on a1: %v", waiting)
	}
	waitingX, _ := page("x", "?waiting=me")
	if diff := cmp.Diff([]string{conf}, waitingX); diff != "" {
		t.Errorf("waiting on the applicant's colleague (-want +got):\n%s", diff)
	}
	// Bad parameters are refused with every problem listed.
	if r := s.call(s.reviews, reviewerP("a1"), "GET", "/review/requests?status=nope&order=sideways&limit=0", nil); r.status != 422 || len(r.fieldCodes(t)) != 3 {
		t.Errorf("bad values: %d %s", r.status, r.body)
	}
	if r := s.call(s.reviews, reviewerP("a1"), "GET", "/review/requests?sort=x", nil); r.status != 400 {
		t.Errorf("unknown parameter: %d", r.status)
	}
	// An empty value is not "any": it is refused, each one named.
	if r := s.call(s.reviews, reviewerP("a1"), "GET", "/review/requests?kind=&status=", nil); r.status != 400 ||
		strings.Join(r.fieldCodes(t), ",") != "kind=required,status=required" {
		t.Errorf("empty values: %d %s", r.status, r.body)
	}
	_, next := page("a1", "?kind=project&limit=2")
	for _, bad := range []string{"not-a-cursor", "eyJzIjoic3VibWl0dGVkIn0", next + "x"} {
		if r := s.call(s.reviews, reviewerP("a1"), "GET", "/review/requests?cursor="+bad, nil); r.status != 400 {
			t.Errorf("cursor %q: %d", bad, r.status)
		}
	}
	if r := s.call(s.reviews, reviewerP("a1"), "GET", "/review/requests?status=approved&cursor="+next, nil); r.status != 400 {
		t.Errorf("a cursor of another status: %d", r.status)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
