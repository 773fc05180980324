//go:build integration

package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack"
)

// TestConflictsThroughTheGateway plays the committee's conflict rules with real tokens
// on the demo roster: Rita sits for Acme Compilers Inc. (alias Acme Toolchains, domain
// acme-compilers.example), Bruno for Beta Systems GmbH.
func TestConflictsThroughTheGateway(t *testing.T) {
	ctx := context.Background()
	token := func(who string) client {
		tok, err := dev.Token(ctx, who)
		if err != nil {
			t.Fatal(err)
		}
		return as(t, tok)
	}
	rita, bruno := token("rita.reviewer@example.org"), token("bruno.reviewer@example.org")
	n := 0
	from := func(org, email string) string {
		n++
		body := application("travel", strings.Replace(email, "@", fmt.Sprintf("+%d@", n), 1))
		body["applicant"].(map[string]any)["organization"] = org
		id, _, _ := submitConfirmed(t, body)
		return id
	}

	t.Run("spellings of Acme recuse Rita", func(t *testing.T) {
		for _, sp := range []struct{ org, email string }{
			{"ＡＣＭＥ ＣＯＭＰＩＬＥＲＳ", "e2e-conflict@example.org"},
			{"\u0410\u0441me Compilers", "e2e-conflict@example.org"}, // Cyrillic А and с
			{"AcmeCompilers Sp. z o.o.", "e2e-conflict@example.org"},
			{"ACMÉ COMPILERS GMBH & CO. KG", "e2e-conflict@example.org"},
			{"Acme Toolchains Pte. Ltd.", "e2e-conflict@example.org"},
			{"Independent", "e2e-conflict@lab.acme-compilers.example"},
		} {
			id := from(sp.org, sp.email)
			if r := rita.do("POST", "/review/requests/"+id+"/votes", map[string]any{"choice": "approve"}); r.status != 403 ||
				!strings.Contains(string(r.body), "conflict of interest") {
				t.Errorf("%q <%s>: Rita's vote %d %s", sp.org, sp.email, r.status, r.body)
			}
			d := bruno.do("GET", "/review/requests/"+id, nil).json(t)
			if !hasConflictE2E(d, "acme-compilers", "exact") {
				t.Errorf("%q <%s>: the dossier shows no conflict with Acme: %v", sp.org, sp.email, d["conflicts"])
			}
		}
	})

	t.Run("a near match waits for Rita to settle it", func(t *testing.T) {
		id := from("Acme Compilers Group", "e2e-near@example.org")
		if r := rita.do("POST", "/review/requests/"+id+"/votes", map[string]any{"choice": "approve"}); r.status != 409 || r.json(t)["code"] != "possible_conflict" {
			t.Fatalf("Rita's unsettled vote: %d %s", r.status, r.body)
		}
		if r := rita.do("POST", "/review/requests/"+id+"/no-conflict", map[string]any{"reason": "A different group that shares our name."}); r.status != 200 {
			t.Fatalf("declaration: %d %s", r.status, r.body)
		}
		if r := rita.do("POST", "/review/requests/"+id+"/votes", map[string]any{"choice": "approve"}); r.status != 200 {
			t.Fatalf("Rita's settled vote: %d %s", r.status, r.body)
		}
	})

	t.Run("the same company cannot be entered twice", func(t *testing.T) {
		admin := staff(t, "admin")
		if r := admin.do("PUT", "/admin/companies/acme-again", map[string]any{"name": "ACME COMPILERS LIMITED"}); r.status != 422 {
			t.Errorf("a second Acme: %d %s", r.status, r.body)
		}
	})

	t.Run("a reviewer who is also finance does not pay what they voted on", func(t *testing.T) {
		admin := staff(t, "admin")
		email := "e2e-both-roles@committee.example"
		sub, err := dev.CreateUser(ctx, motostack.User{Email: email, Name: "Both Roles", Password: dev.Seed.Password, Groups: []string{"reviewers", "finance"}})
		if err != nil {
			t.Fatal(err)
		}
		roles := func(roles ...string) {
			if r := admin.do("PUT", "/admin/reviewers/"+sub, map[string]any{"name": "Bo Both", "email": email,
				"roles": roles, "companyId": "delta-foundation"}); r.status != 200 {
				t.Fatalf("roster: %d %s", r.status, r.body)
			}
		}
		roles("finance")
		if r := admin.do("PUT", "/admin/budgets/2032/conference/NOK", map[string]any{"allocated": "50000.00"}); r.status != 200 {
			t.Fatalf("budget: %d %s", r.status, r.body)
		}
		tok, err := dev.SignIn(ctx, email, dev.Seed.Password)
		if err != nil {
			t.Fatal(err)
		}
		both := as(t, tok.Access)
		// Bo sits on the committee for one request and votes on it, then is finance only.
		voted := approveWith(t, "NOK", func(id string) {
			roles("reviewer", "finance")
			if r := both.do("POST", "/review/requests/"+id+"/votes", map[string]any{"choice": "approve"}); r.status != 200 {
				t.Fatalf("Bo's vote: %d %s", r.status, r.body)
			}
			roles("finance")
		})
		other := approveWith(t, "NOK", func(string) {})
		pay := map[string]any{"amount": map[string]any{"currency": "NOK", "value": "10.00"}, "date": today(), "method": "bank_transfer"}
		if r := both.do("POST", "/finance/requests/"+voted+"/payments", pay); r.status != 403 || !strings.Contains(string(r.body), "voted") {
			t.Errorf("Bo pays what Bo voted on: %d %s", r.status, r.body)
		}
		if r := both.do("POST", "/finance/requests/"+other+"/payments", pay); r.status != 201 {
			t.Errorf("Bo pays another request: %d %s", r.status, r.body)
		} else if rec := r.json(t)["payment"].(map[string]any)["recordedBy"].(map[string]any); rec["name"] != "Bo Both" {
			t.Errorf("recorded by %v, want the roster's name", rec)
		}
	})
}

var approvals atomic.Int64

// approveWith submits a conference request in currency and has Rita, Bruno and Gita
// approve it, calling before first with its id; finance then puts the organiser's
// invoice on file, which the payment needs.
func approveWith(t *testing.T, currency string, before func(id string)) string {
	t.Helper()
	body := application("conference", fmt.Sprintf("e2e-approve-%d@northwind.example", approvals.Add(1)))
	body["applicant"].(map[string]any)["organization"] = "Northwind Ltd"
	body["amount"] = map[string]any{"currency": currency, "value": "100.00"}
	body["conference"].(map[string]any)["startDate"], body["conference"].(map[string]any)["endDate"] = "2032-03-01", "2032-03-02"
	id, _, _ := submitConfirmed(t, body)
	before(id)
	approveBySeats(t, id)
	invoiceOnFile(t, id)
	return id
}

func hasConflictE2E(dossier map[string]any, company, level string) bool {
	for _, c := range dossier["conflicts"].([]any) {
		if c := c.(map[string]any); c["companyId"] == company && c["level"] == level {
			return true
		}
	}
	return false
}
