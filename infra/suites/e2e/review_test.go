//go:build integration

package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack"
)

// committee makes six reviewers in Cognito and on the roster — two from Acme, one each
// from Beta, Gamma and Delta (the demo companies), one from the applicant's company
// Xylo — and takes the demo reviewers off the roster for the test, so the seats are
// exactly these.
func committee(t *testing.T, prefix string) map[string]client {
	t.Helper()
	ctx := context.Background()
	admin := staff(t, "admin")
	if r := admin.do("PUT", "/admin/companies/xylo", map[string]any{"name": "Xylo Corporation", "domains": []string{"xylo.example"}}); r.status != 200 {
		t.Fatalf("company: %d %s", r.status, r.body)
	}
	roster := admin.do("GET", "/admin/reviewers", nil).json(t)["items"].([]any)
	setActive := func(r map[string]any, active bool) {
		entry := map[string]any{"name": r["name"], "email": r["email"], "roles": r["roles"], "active": active}
		if c, ok := r["companyId"]; ok {
			entry["companyId"] = c
		}
		admin.do("PUT", "/admin/reviewers/"+r["id"].(string), entry)
	}
	for _, r := range roster {
		if r := r.(map[string]any); r["active"] == true && slices.Contains(r["roles"].([]any), any("reviewer")) {
			setActive(r, false)
			t.Cleanup(func() { setActive(r, true) })
		}
	}
	members := map[string]string{"a1": "acme-compilers", "a2": "acme-compilers", "b": "beta-systems", "c": "gamma-labs", "d": "delta-foundation", "x": "xylo"}
	clients := map[string]client{}
	for name, company := range members {
		email := fmt.Sprintf("%s-%s@committee.example", prefix, name)
		sub, err := dev.CreateUser(ctx, motostack.User{Email: email, Name: strings.ToUpper(name), Password: dev.Seed.Password, Groups: []string{"reviewers"}})
		if err != nil {
			t.Fatal(err)
		}
		if r := admin.do("PUT", "/admin/reviewers/"+sub, map[string]any{"name": "Reviewer " + name, "email": email, "companyId": company}); r.status != 200 {
			t.Fatalf("roster %s: %d %s", name, r.status, r.body)
		}
		tok, err := dev.SignIn(ctx, email, dev.Seed.Password)
		if err != nil {
			t.Fatal(err)
		}
		clients[name] = as(t, tok.Access)
		member := map[string]any{"id": sub, "name": "Reviewer " + name, "email": email, "companyId": company, "roles": []string{"reviewer"}}
		t.Cleanup(func() { setActive(member, false) })
	}
	return clients
}

func xyloProject(amount string) map[string]any {
	body := application("project", "grants@xylo.example")
	body["applicant"].(map[string]any)["organization"] = "Xylo Corp."
	body["amount"] = map[string]any{"currency": "EUR", "value": amount}
	body["project"].(map[string]any)["milestones"] = []any{map[string]any{"title": "All", "dueDate": "2031-06-30",
		"amount": map[string]any{"currency": "EUR", "value": amount}}}
	return body
}

func TestCommitteeDecidesThroughTheGateway(t *testing.T) {
	c := committee(t, "decide")
	admin := staff(t, "admin")
	sub := anonymous(t).do("POST", "/requests", xyloProject("20000.00")).json(t)
	id := sub["id"].(string)
	confirmNow(t, id)
	view := as(t, sub["applicantToken"].(string)).do("GET", "/requests/"+id, nil).json(t)
	year := int(view["fiscalYear"].(float64))
	if r := admin.do("PUT", fmt.Sprintf("/admin/budgets/%d/project/EUR", year), map[string]any{"allocated": "100000.00"}); r.status != 200 {
		t.Fatalf("budget: %d %s", r.status, r.body)
	}
	vote := func(who string, body map[string]any) reply {
		return c[who].do("POST", "/review/requests/"+id+"/votes", body)
	}
	if r := vote("x", map[string]any{"choice": "approve"}); r.status != 403 || !strings.Contains(string(r.body), "conflict of interest") {
		t.Fatalf("the applicant's colleague: %d %s", r.status, r.body)
	}
	for _, step := range []struct {
		who    string
		body   map[string]any
		status string
		voted  float64
	}{
		{"a1", map[string]any{"choice": "approve", "amount": map[string]any{"currency": "EUR", "value": "18000.00"}}, "submitted", 1},
		{"a2", map[string]any{"choice": "approve"}, "submitted", 1},
		{"b", map[string]any{"choice": "approve", "amount": map[string]any{"currency": "EUR", "value": "15000.00"}}, "submitted", 2},
		{"c", map[string]any{"choice": "approve"}, "approved", 3},
	} {
		r := vote(step.who, step.body)
		out := r.json(t)
		tally, _ := out["tally"].(map[string]any)
		if r.status != 200 || out["status"] != step.status || tally["voted"] != step.voted || len(tally["seats"].([]any)) != 4 {
			t.Fatalf("vote of %s: %d %s", step.who, r.status, r.body)
		}
		if step.status == "approved" && fmt.Sprint(out["approvedAmount"]) != "map[currency:EUR value:15000.00]" {
			t.Errorf("approved amount %v, want the lowest proposed, 15000.00", out["approvedAmount"])
		}
	}
	budgets := admin.do("GET", fmt.Sprintf("/admin/budgets?fiscalYear=%d", year), nil).json(t)["items"].([]any)
	for _, b := range budgets {
		if b := b.(map[string]any); b["category"] == "project" && b["currency"] == "EUR" && (b["committed"] != "15000.00" || b["remaining"] != "85000.00") {
			t.Errorf("budget after the approval: %v", b)
		}
	}
	dossier := c["d"].do("GET", "/review/requests/"+id, nil).json(t)
	var steps []string
	for _, h := range dossier["history"].([]any) {
		ev := h.(map[string]any)
		if ev["at"] == "" || ev["actor"].(map[string]any)["role"] == "" {
			t.Errorf("event without actor or time: %v", ev)
		}
		steps = append(steps, ev["type"].(string))
	}
	if got := strings.Join(steps, ","); got != "received,submitted,recused,vote_cast,vote_cast,vote_cast,vote_cast,approved" {
		t.Errorf("history: %s", got)
	}
}

// TestConcurrentApprovalsNeverOvercommit approves twenty requests at once against a
// budget that fits ten: exactly ten are approved and ten refused with budget_exceeded.
func TestConcurrentApprovalsNeverOvercommit(t *testing.T) {
	c := committee(t, "budget")
	admin := staff(t, "admin")
	const n, fits = 20, 10
	var ids []string
	year := 0
	for i := range n {
		body := application("travel", fmt.Sprintf("traveller-%d@example.org", i))
		body["amount"] = map[string]any{"currency": "CHF", "value": "1000.00"}
		body["applicant"].(map[string]any)["organization"] = "Xylo Corp."
		sub := anonymous(t).do("POST", "/requests", body).json(t)
		ids = append(ids, sub["id"].(string))
		confirmNow(t, sub["id"].(string))
		if year == 0 {
			year = int(as(t, sub["applicantToken"].(string)).do("GET", "/requests/"+ids[0], nil).json(t)["fiscalYear"].(float64))
		}
	}
	admin.do("PUT", fmt.Sprintf("/admin/budgets/%d/travel/CHF", year), map[string]any{"allocated": fmt.Sprintf("%d.00", fits*1000)})
	for _, id := range ids {
		for _, who := range []string{"a1", "b"} {
			if r := c[who].do("POST", "/review/requests/"+id+"/votes", map[string]any{"choice": "approve"}); r.status != 200 {
				t.Fatalf("pre-vote: %d %s", r.status, r.body)
			}
		}
	}
	before := motoCalls(t)
	var wg sync.WaitGroup
	statuses := make([]int, n)
	codes := make([]string, n)
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := c["c"].do("POST", "/review/requests/"+id+"/votes", map[string]any{"choice": "approve"})
			statuses[i] = r.status
			var m map[string]any
			if r.status == 409 {
				m = r.json(t)
				codes[i], _ = m["code"].(string)
			}
		}()
	}
	wg.Wait()
	approved, refused := 0, 0
	for i := range n {
		switch {
		case statuses[i] == 200:
			approved++
		case statuses[i] == 409 && codes[i] == "budget_exceeded":
			refused++
		default:
			t.Errorf("approval %d: status %d", i, statuses[i])
		}
	}
	if approved != fits || refused != n-fits {
		t.Errorf("%d approved and %d refused, want %d and %d", approved, refused, fits, n-fits)
	}
	if t.Failed() {
		t.Logf("moto calls during the approvals:\n%s", callsSince(before, motoCalls(t)))
	}
	budgets := admin.do("GET", fmt.Sprintf("/admin/budgets?fiscalYear=%d", year), nil).json(t)["items"].([]any)
	for _, b := range budgets {
		if b := b.(map[string]any); b["category"] == "travel" && b["currency"] == "CHF" && (b["committed"] != "10000.00" || b["remaining"] != "0.00") {
			t.Errorf("budget: %v", b)
		}
	}
}
