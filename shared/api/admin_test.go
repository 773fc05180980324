//go:build integration

package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
)

// TestStaffRoutesCheckWhoIsCalling sends every staff route each kind of caller and
// checks the status: no claims is 401; the wrong group, or a reviewer off the roster,
// is 403.
func TestStaffRoutesCheckWhoIsCalling(t *testing.T) {
	s := newStaffAPI(t)
	s.committee()
	id, _ := s.submitProject("10.00")
	outsider := reviewerP("not-on-roster")
	routes := []struct {
		admin  bool
		method string
		path   string
		body   any
		ok     map[person]int // who succeeds, with what status; everyone else is refused
	}{
		{false, "GET", "/review/requests", nil, map[person]int{reviewerP("a1"): 200, reviewerP("x"): 200}},
		{false, "GET", "/review/requests/" + id, nil, map[person]int{reviewerP("a1"): 200}},
		{false, "POST", "/review/requests/" + id + "/comments", map[string]any{"text": "ok"}, map[person]int{reviewerP("a1"): 201}},
		{false, "POST", "/review/requests/" + id + "/votes", map[string]any{"choice": "abstain"}, map[person]int{reviewerP("a1"): 200}},
		{false, "POST", "/review/requests/" + id + "/recusal", map[string]any{"reason": "r"}, map[person]int{reviewerP("d"): 200}},
		{false, "POST", "/review/requests/" + id + "/changes", map[string]any{"message": "m"}, map[person]int{reviewerP("c"): 200}},
		{true, "GET", "/admin/reviewers", nil, map[person]int{adminUser: 200}},
		{true, "PUT", "/admin/reviewers/e", map[string]any{"name": "E", "email": "e@x.org"}, map[person]int{adminUser: 200}},
		{true, "GET", "/admin/budgets", nil, map[person]int{adminUser: 200, financeP: 200}},
		{true, "PUT", "/admin/budgets/2027/travel/EUR", map[string]any{"allocated": "1.00"}, map[person]int{adminUser: 200}},
		{true, "GET", "/admin/settings", nil, map[person]int{adminUser: 200}},
		{true, "PUT", "/admin/settings", map[string]any{"quorumPercent": 50}, map[person]int{adminUser: 200}},
	}
	callers := []person{nobody, financeP, adminUser, outsider, reviewerP("x"), reviewerP("a1"), reviewerP("c"), reviewerP("d")}
	for _, rt := range routes {
		h := s.reviews
		if rt.admin {
			h = s.admin
		}
		for _, who := range callers {
			want, ok := rt.ok[who]
			if !ok {
				want = 403
				if who == nobody {
					want = 401
				}
				if !rt.admin && who.sub != "" && strings.Contains(who.groups, "reviewers") && who.sub != "not-on-roster" && who.sub != "x" {
					continue // another roster member: allowed, covered by the listed cases
				}
			}
			r := s.call(h, who, rt.method, rt.path, rt.body)
			if r.status != want {
				t.Errorf("%s %s as %q: %d, want %d (%s)", rt.method, rt.path, who.sub, r.status, want, r.body)
			}
		}
	}
}

func TestAdminRosterBudgetsAndSettings(t *testing.T) {
	s := newStaffAPI(t)
	// Every field error at once.
	r := s.call(s.admin, adminUser, "PUT", "/admin/reviewers/bad%20id", map[string]any{"name": "", "email": "nope"})
	if r.status != 422 || len(r.fieldCodes(t)) != 3 {
		t.Errorf("bad reviewer: %d %s", r.status, r.body)
	}
	s.must(s.call(s.admin, adminUser, "PUT", "/admin/companies/acme", map[string]any{"name": "Acme"}), 200)
	s.must(s.call(s.admin, adminUser, "PUT", "/admin/companies/beta", map[string]any{"name": "Beta"}), 200)
	s.must(s.call(s.admin, adminUser, "PUT", "/admin/reviewers/r1", map[string]any{"name": "R One", "email": "r1@x.org", "companyId": "acme"}), 200)
	out := s.must(s.call(s.admin, adminUser, "PUT", "/admin/reviewers/r1", map[string]any{"name": "R One", "email": "r1@x.org", "companyId": "beta", "active": false}), 200)
	if out["version"] != 2.0 || out["active"] != false || out["companyId"] != "beta" || out["company"] != "Beta" {
		t.Errorf("changed reviewer: %v", out)
	}
	if r := s.call(s.admin, adminUser, "PUT", "/admin/settings", map[string]any{"quorumPercent": 100}); r.status != 422 {
		t.Errorf("quorum 100: %d", r.status)
	}
	if r := s.call(s.admin, adminUser, "PUT", "/admin/budgets/20x7/party/EURO", map[string]any{"allocated": "-1"}); r.status != 422 || len(r.fieldCodes(t)) != 3 {
		t.Errorf("bad budget: %d %s", r.status, r.body)
	}

	// An allocation cannot go below what is committed.
	s.committee()
	s.budget(2026, "project", "EUR", "1000.00")
	id, _ := s.submitProject("600.00")
	for _, who := range []string{"a1", "b", "c"} {
		s.must(s.vote(who, id, approve()), 200)
	}
	if r := s.call(s.admin, adminUser, "PUT", "/admin/budgets/2026/project/EUR", map[string]any{"allocated": "500.00"}); r.status != 409 {
		t.Errorf("allocation below committed: %d %s", r.status, r.body)
	}
	b := s.must(s.call(s.admin, adminUser, "PUT", "/admin/budgets/2026/project/EUR", map[string]any{"allocated": "2000.00"}), 200)
	if b["allocated"] != "2000.00" || b["committed"] != "600.00" || b["remaining"] != "1400.00" {
		t.Errorf("raised allocation: %v", b)
	}

	// Every admin change is audited, by month, for transparency reviews.
	db, table := testenv.DynamoDB(t), s.storeTable()
	n := countAudit(t, db, table, "AUDIT#"+now.Format("2006-01"), "reviewer_changed", "budget_changed")
	if n < 9 { // 2 + 6 roster changes, 2 budget changes
		t.Errorf("%d admin audit events, want at least 9", n)
	}
}

func (s *staffAPI) storeTable() string { return s.store.Table() }

func countAudit(t *testing.T, db *dynamodb.Client, table, month string, types_ ...string) int {
	t.Helper()
	out, err := db.Query(context.Background(), &dynamodb.QueryInput{
		TableName: aws.String(table), IndexName: aws.String("GSI2"),
		KeyConditionExpression:    aws.String("GSI2PK = :m"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":m": &types.AttributeValueMemberS{Value: month}},
	})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, it := range out.Items {
		typ := it["type"].(*types.AttributeValueMemberS).Value
		for _, want := range types_ {
			if typ == want {
				n++
			}
		}
	}
	return n
}
