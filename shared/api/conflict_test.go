//go:build integration

package api_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
)

// submitFrom submits a project request of the given organization and e-mail address,
// and confirms the address so that it reaches the committee.
func (s *staffAPI) submitFrom(organization, email string) (response, string) {
	s.t.Helper()
	body := project()
	applicant := body["applicant"].(map[string]any)
	applicant["organization"], applicant["email"] = organization, email
	r := s.call(s.applic, nobody, "POST", "/requests", body)
	if r.status != 201 {
		return r, ""
	}
	id := r.json(s.t)["id"].(string)
	s.confirm(id)
	return r, id
}

// TestNoSpellingOfACompanyEvadesItsConflict: however the applicant writes the company
// of reviewers a1 and a2 (Acme Compilers Inc., alias Acme Toolchains, domain
// acme-compilers.example), they are recused — their votes refused and out of the seats —
// and the dossier names the conflict. Invisible characters do not even get in.
func TestNoSpellingOfACompanyEvadesItsConflict(t *testing.T) {
	s := newStaffAPI(t)
	s.committee()
	s.must(s.call(s.admin, adminUser, "PUT", "/admin/companies/acme", map[string]any{
		"name": "Acme Compilers Inc.", "aliases": []string{"Acme Toolchains"}, "domains": []string{"acme-compilers.example"}}), 200)
	spellings := []struct{ org, email string }{
		{"Acme Compilers Inc.", "dev@example.org"},
		{"ＡＣＭＥ Ｃｏｍｐｉｌｅｒｓ", "dev@example.org"},           // full-width
		{"\u0410cme Compilers", "dev@example.org"},      // Cyrillic A
		{"Acm\u0435 C\u043empilers", "dev@example.org"}, // Cyrillic e and o
		{"AcmeCompilers", "dev@example.org"},
		{"acme-compilers", "dev@example.org"},
		{"Acmé Compilers", "dev@example.org"},
		{"ACME COMPILERS GmbH & Co. KG", "dev@example.org"},
		{"Acme Compilers Pte. Ltd.", "dev@example.org"},
		{"Acme Compilers s.r.o.", "dev@example.org"},
		{"Acme Compilers Sp. z o.o.", "dev@example.org"},
		{"Acme Compilers Ltda.", "dev@example.org"},
		{"Acme Compilers A/S", "dev@example.org"},
		{"Acme Compilers OÜ", "dev@example.org"},
		{"Acme Toolchains LLC", "dev@example.org"},       // the alias
		{"Independent", "ada@acme-compilers.example"},    // the domain
		{"Independent", "ada@eu.ACME-Compilers.example"}, // a subdomain, any case
	}
	for _, sp := range spellings {
		t.Run(sp.org+" "+sp.email, func(t *testing.T) {
			r, id := s.submitFrom(sp.org, sp.email)
			if id == "" {
				t.Fatalf("submission refused: %d %s", r.status, r.body)
			}
			for _, who := range []string{"a1", "a2"} {
				if v := s.vote(who, id, approve()); v.status != 403 || !strings.Contains(string(v.body), "conflict of interest") {
					t.Errorf("%s's vote: %d %s", who, v.status, v.body)
				}
			}
			out := s.must(s.vote("b", id, approve()), 200)
			for _, seat := range out["tally"].(map[string]any)["seats"].([]any) {
				if seat.(map[string]any)["companyId"] == "acme" {
					t.Errorf("Acme holds a seat: %v", seat)
				}
			}
			d := s.must(s.call(s.reviews, reviewerP("c"), "GET", "/review/requests/"+id, nil), 200)
			if !hasConflict(d, "acme", "exact") {
				t.Errorf("the dossier does not name Acme's conflict: %v", d["conflicts"])
			}
		})
	}
	for _, org := range []string{"Acme Com\u200Bpilers", "Acme Com\u00ADpilers", "\u202EAcme Compilers"} {
		if r, _ := s.submitFrom(org, "dev@example.org"); r.status != 422 {
			t.Errorf("%q: %d %s", org, r.status, r.body)
		}
	}
}

func hasConflict(dossier map[string]any, company, level string) bool {
	for _, c := range dossier["conflicts"].([]any) {
		if c := c.(map[string]any); c["companyId"] == company && c["level"] == level {
			return true
		}
	}
	return false
}

// TestPossibleConflictsAreSettledBeforeVoting: a near match of a company is shown to
// its reviewers and in the dossier; each must declare "no conflict" (with a reason, on
// the record) or recuse before voting, and their vote counts only then.
func TestPossibleConflictsAreSettledBeforeVoting(t *testing.T) {
	for _, org := range []string{"Acme Compilers (Europe)", "The Acme Compilers Company", "Acme Compilers Group", "Compilers Acme", "Акме Компилерс"} {
		t.Run(org, func(t *testing.T) {
			s := newStaffAPI(t)
			s.committee()
			_, id := s.submitFrom(org, "dev@example.org")
			queue := s.must(s.call(s.reviews, reviewerP("a1"), "GET", "/review/requests", nil), 200)
			if item := queueItem(queue, id); item == nil || item["possibleConflict"] != true || item["recused"] != false {
				t.Fatalf("a1's queue item: %v", item)
			}
			if item := queueItem(s.must(s.call(s.reviews, reviewerP("b"), "GET", "/review/requests", nil), 200), id); item["possibleConflict"] != false {
				t.Errorf("b sees a possible conflict: %v", item)
			}
			d := s.must(s.call(s.reviews, reviewerP("a1"), "GET", "/review/requests/"+id, nil), 200)
			you := d["you"].(map[string]any)
			if you["canAct"] != false || you["possibleConflict"] == nil || !hasConflict(d, "acme", "possible") {
				t.Fatalf("a1's dossier: you %v, conflicts %v", you, d["conflicts"])
			}
			for _, act := range []struct{ path string }{{"/votes"}, {"/comments"}, {"/changes"}} {
				body := map[string]any{"choice": "approve", "text": "x", "message": "x"}
				switch act.path {
				case "/votes":
					body = approve()
				case "/comments":
					body = map[string]any{"text": "Looks fine."}
				case "/changes":
					body = map[string]any{"message": "Add a plan."}
				}
				r := s.call(s.reviews, reviewerP("a1"), "POST", "/review/requests/"+id+act.path, body)
				if r.status != 409 || r.json(t)["code"] != "possible_conflict" {
					t.Errorf("unsettled %s: %d %s", act.path, r.status, r.body)
				}
			}
			// A reason is required; then a1 declares, a2 recuses.
			if r := s.call(s.reviews, reviewerP("a1"), "POST", "/review/requests/"+id+"/no-conflict", map[string]any{"reason": " "}); r.status != 422 {
				t.Errorf("declaration without a reason: %d", r.status)
			}
			s.must(s.call(s.reviews, reviewerP("a1"), "POST", "/review/requests/"+id+"/no-conflict",
				map[string]any{"reason": "A different company that shares our name."}), 200)
			if r := s.call(s.reviews, reviewerP("a1"), "POST", "/review/requests/"+id+"/no-conflict", map[string]any{"reason": "Again."}); r.status != 409 {
				t.Errorf("a second declaration: %d %s", r.status, r.body)
			}
			if r := s.call(s.reviews, reviewerP("b"), "POST", "/review/requests/"+id+"/no-conflict", map[string]any{"reason": "Nothing."}); r.status != 409 {
				t.Errorf("a declaration without a possible conflict: %d %s", r.status, r.body)
			}
			out := s.must(s.vote("a1", id, approve()), 200)
			if out["tally"].(map[string]any)["voted"] != 1.0 {
				t.Errorf("a1's settled vote does not count: %v", out["tally"])
			}
			s.must(s.call(s.reviews, reviewerP("a2"), "POST", "/review/requests/"+id+"/recusal", map[string]any{"reason": "Not sure; standing aside."}), 200)
			d = s.must(s.call(s.reviews, reviewerP("c"), "GET", "/review/requests/"+id, nil), 200)
			settled := map[string]string{}
			for _, c := range d["conflicts"].([]any) {
				for _, r := range c.(map[string]any)["reviewers"].([]any) {
					r := r.(map[string]any)
					settled[r["reviewerId"].(string)], _ = r["settled"].(string)
				}
			}
			if settled["a1"] != "no_conflict" || settled["a2"] != "recused" {
				t.Errorf("settled: %v", settled)
			}
			if !historyHas(d, "conflict_declared", "A different company that shares our name.") {
				t.Errorf("the declaration is not on the record: %v", d["history"])
			}
		})
	}
}

func queueItem(page map[string]any, id string) map[string]any {
	for _, it := range page["items"].([]any) {
		if it := it.(map[string]any); it["id"] == id {
			return it
		}
	}
	return nil
}

func historyHas(dossier map[string]any, typ, message string) bool {
	for _, ev := range dossier["history"].([]any) {
		if ev := ev.(map[string]any); ev["type"] == typ && ev["message"] == message {
			return true
		}
	}
	return false
}

// TestOneCompanyNeverFormsTwoSeats: a name, alias or domain another company already has
// is refused, however it is spelled.
func TestOneCompanyNeverFormsTwoSeats(t *testing.T) {
	s := newStaffAPI(t)
	s.committee()
	tests := []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"name": "ＡＣＭＥ compilers, Inc."}, "name"},
		{map[string]any{"name": "Acme Europe", "aliases": []string{"Acme-Compilers GmbH"}}, "aliases[0]"},
		{map[string]any{"name": "Acme Europe", "domains": []string{"ACME-COMPILERS.example"}}, "domains[0]"},
	}
	for _, tt := range tests {
		r := s.call(s.admin, adminUser, "PUT", "/admin/companies/acme2", tt.body)
		if r.status != 422 || !slices.Contains(r.fieldCodes(t), tt.field+"=taken") {
			t.Errorf("%v: %d %s", tt.body, r.status, r.body)
		}
	}
	bad := s.call(s.admin, adminUser, "PUT", "/admin/companies/Bad_Id", map[string]any{"name": "GmbH",
		"aliases": []string{"Nova", "NOVA"}, "domains": []string{"not a domain", "https://x.example"}})
	want := []string{"aliases[1]=not_allowed", "domains[0]=invalid_format", "domains[1]=invalid_format", "id=invalid_format"}
	if got := bad.fieldCodes(t); bad.status != 422 || !slices.Equal(got, want) {
		t.Errorf("bad company: %d %v, want %v", bad.status, got, want)
	}
	// Changing a company keeps its own names; dropping a name frees it for another.
	s.must(s.call(s.admin, adminUser, "PUT", "/admin/companies/beta", map[string]any{"name": "Beta GmbH", "aliases": []string{"Beta Research"}}), 200)
	s.must(s.call(s.admin, adminUser, "PUT", "/admin/companies/beta", map[string]any{"name": "Beta GmbH"}), 200)
	s.must(s.call(s.admin, adminUser, "PUT", "/admin/companies/beta-research", map[string]any{"name": "Beta Research"}), 200)
	if r := s.call(s.admin, adminUser, "PUT", "/admin/reviewers/z", map[string]any{"name": "Z", "email": "z@x.example", "companyId": "nope"}); r.status != 422 {
		t.Errorf("a reviewer of an unknown company: %d", r.status)
	}
}

// TestWhoDecidesDoesNotPay: whoever voted on a request, stood aside from it, or is its
// applicant does not record its payments, even in the finance group; they keep their
// roles elsewhere. A payment is not dated before the approval.
func TestWhoDecidesDoesNotPay(t *testing.T) {
	s := newStaffAPI(t)
	s.committee()
	s.budget(2026, "project", "EUR", "50000.00")
	fin := s.financeAPI(0)
	both := func(sub string) person { return person{sub: sub, groups: "[reviewers finance]"} }
	id, _ := s.approved("100.00", "EUR") // a1, b and c voted
	other, _ := s.approved("100.00", "EUR")
	s.must(s.call(s.reviews, reviewerP("d"), "POST", "/review/requests/"+other+"/recusal", map[string]any{"reason": "x"}), 409) // decided already
	for _, who := range []string{"a1", "b"} {
		r := s.call(fin, both(who), "POST", "/finance/requests/"+id+"/payments", pay("10.00", "EUR"))
		if r.status != 403 || !strings.Contains(string(r.body), "voted on this request") {
			t.Errorf("%s pays what they voted on: %d %s", who, r.status, r.body)
		}
	}
	// d did not vote on id: in both groups, d may pay it.
	s.must(s.call(fin, both("d"), "POST", "/finance/requests/"+id+"/payments", pay("10.00", "EUR")), 201)
	// The applicant, as finance, by e-mail (case and +tag aside).
	s.must(s.call(s.admin, adminUser, "PUT", "/admin/reviewers/finance-2", map[string]any{"name": "Linus", "email": "Linus+finance@Example.NET", "roles": []string{"finance"}}), 200)
	if r := s.call(fin, person{sub: "finance-2", groups: "[finance]"}, "POST", "/finance/requests/"+id+"/payments", pay("10.00", "EUR")); r.status != 403 ||
		!strings.Contains(string(r.body), "applicant") {
		t.Errorf("the applicant pays their own request: %d %s", r.status, r.body)
	}
	// Finance off the roster has no name or e-mail on record: refused.
	if r := s.call(fin, person{sub: "finance-9", groups: "[finance]"}, "POST", "/finance/requests/"+id+"/payments", pay("10.00", "EUR")); r.status != 403 {
		t.Errorf("finance off the roster: %d %s", r.status, r.body)
	}
	early := pay("10.00", "EUR")
	early["date"] = "2026-11-24"
	if r := s.call(fin, financeP, "POST", "/finance/requests/"+id+"/payments", early); r.status != 422 ||
		!slices.Contains(r.fieldCodes(t), "date=date_order") {
		t.Errorf("a payment before the approval: %d %s", r.status, r.body)
	}
	ledger := s.must(s.call(fin, financeP, "GET", "/finance/requests/"+id+"/payments", nil), 200)
	if n := len(ledger["payments"].([]any)); n != 1 {
		t.Errorf("%d payments recorded, want d's only", n)
	}
	recorded := ledger["payments"].([]any)[0].(map[string]any)["recordedBy"].(map[string]any)
	if recorded["name"] != "Reviewer D" {
		t.Errorf("recorded by %v, want the roster's name", recorded)
	}
}

// TestNamesOnTheRecordComeFromTheRoster: every call of these tests carries forged name
// and e-mail claims; none reaches a dossier, a history or a report.
func TestNamesOnTheRecordComeFromTheRoster(t *testing.T) {
	s := newStaffAPI(t)
	s.committee()
	s.budget(2026, "project", "EUR", "50000.00")
	fin := s.financeAPI(0)
	id, _ := s.approved("100.00", "EUR")
	s.must(s.call(fin, financeP, "POST", "/finance/requests/"+id+"/payments", pay("10.00", "EUR")), 201)
	s.must(s.call(s.reviews, reviewerP("d"), "GET", "/review/requests", nil), 200)
	d := s.call(s.reviews, reviewerP("d"), "GET", "/review/requests/"+id, nil)
	audit := s.report(fin, "audit?fiscalYear=2026&format=json")
	for what, body := range map[string][]byte{"dossier": d.body, "audit report": audit.body} {
		if strings.Contains(string(body), forgedName) || strings.Contains(string(body), "forged.example") {
			t.Errorf("the %s holds a name from token claims", what)
		}
	}
	for _, name := range []string{"Reviewer A1", "Fiona Finance", "Adam Admin"} {
		if !strings.Contains(string(audit.body), name) {
			t.Errorf("the audit report does not name %s", name)
		}
	}
}

// TestRosterStoredWithCompanyNamesMigrates: entries stored when the roster held company
// names become companies (one per name however spelled) on the admins' next read, and
// decisions are the same before and after.
func TestRosterStoredWithCompanyNamesMigrates(t *testing.T) {
	s := newStaffAPI(t)
	db := dynamodb.NewFromConfig(testenv.AWSConfig(t))
	legacy := map[string]string{"a1": "Acme Compilers Inc.", "a2": "ACME COMPILERS", "b": "Beta GmbH", "c": "Gamma Ltd"}
	for id, company := range legacy {
		_, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(s.store.Table()), Item: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "ROSTER"}, "SK": &types.AttributeValueMemberS{Value: "REVIEWER#" + id},
			"entity": &types.AttributeValueMemberS{Value: "reviewer"}, "id": &types.AttributeValueMemberS{Value: id},
			"name": &types.AttributeValueMemberS{Value: "Reviewer " + id}, "email": &types.AttributeValueMemberS{Value: id + "@committee.example"},
			"company": &types.AttributeValueMemberS{Value: company}, "active": &types.AttributeValueMemberBOOL{Value: true},
			"version": &types.AttributeValueMemberN{Value: "3"}, "updatedAt": &types.AttributeValueMemberS{Value: "2026-01-01T00:00:00.000000Z"},
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	s.budget(2026, "project", "EUR", "50000.00")
	_, before := s.submitFrom("Acme Compilers", "dev@example.org")
	seats := func(id string) string {
		d := s.must(s.call(s.reviews, reviewerP("b"), "GET", "/review/requests/"+id, nil), 200)
		var out []string
		for _, seat := range d["tally"].(map[string]any)["seats"].([]any) {
			out = append(out, fmt.Sprint(seat.(map[string]any)["companyId"], seat.(map[string]any)["members"]))
		}
		return strings.Join(out, "; ")
	}
	was := seats(before)
	if v := s.vote("a2", before, approve()); v.status != 403 {
		t.Errorf("a2 of Acme votes on Acme's request before the migration: %d", v.status)
	}

	companies := s.must(s.call(s.admin, adminUser, "GET", "/admin/companies", nil), 200)["items"].([]any)
	if len(companies) != 3 {
		t.Fatalf("companies %v, want Acme, Beta and Gamma", companies)
	}
	var acme map[string]any
	for _, c := range companies {
		if c := c.(map[string]any); len(c["members"].([]any)) == 2 {
			acme = c
		}
	}
	if acme == nil || acme["id"] != "acme-compilers-inc" || acme["version"] != 1.0 {
		t.Fatalf("the two spellings of Acme did not become one company: %v", companies)
	}
	roster := s.must(s.call(s.admin, adminUser, "GET", "/admin/reviewers", nil), 200)["items"].([]any)
	for _, r := range roster {
		r := r.(map[string]any)
		if r["companyId"] == nil || r["version"] != 4.0 {
			t.Errorf("entry not migrated: %v", r)
		}
	}
	if now := seats(before); now != was {
		t.Errorf("seats changed with the migration: %s, were %s", now, was)
	}
	// A second read migrates nothing more.
	again := s.must(s.call(s.admin, adminUser, "GET", "/admin/companies", nil), 200)["items"].([]any)
	if len(again) != 3 || again[0].(map[string]any)["version"] != companies[0].(map[string]any)["version"] {
		t.Errorf("a second read changed the companies: %v", again)
	}
}
