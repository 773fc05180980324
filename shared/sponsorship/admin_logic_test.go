package sponsorship_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// putMember is who puts a roster entry of company ("" for none), active or not.
func putMember(who sponsorship.Staff, id, company string, active bool) func(w *world) error {
	return func(w *world) error {
		_, _, err := w.admin.PutReviewer(ctx, who, id, sponsorship.ReviewerInput{Name: "Member " + id,
			Email: id + "@foundation.example", CompanyID: company, Active: &active})
		return err
	}
}

// putCompany is an admin adding or changing a company.
func putCompany(id string, in sponsorship.CompanyInput) func(w *world) error {
	return func(w *world) error {
		_, err := w.admin.PutCompany(ctx, admin, id, in)
		return err
	}
}

func setQuorum(percent int) func(w *world) error {
	return func(w *world) error {
		_, err := w.admin.PutGovernance(ctx, admin, sponsorship.GovernanceInput{QuorumPercent: percent})
		return err
	}
}

func allocating(who sponsorship.Staff, year int, category sponsorship.Kind, currency, amount string) func(w *world) error {
	return func(w *world) error {
		_, err := w.admin.SetAllocation(ctx, who, year, category, currency, sponsorship.AllocationInput{Allocated: amount})
		return err
	}
}

// The states an admin's action changes, as the roster, settings and budgets hold them.
func memberState(id string) func(w *world) string {
	return func(w *world) string {
		m, err := w.store.Member(ctx, id)
		if err != nil {
			return kindOf(err)
		}
		return fmt.Sprintf("v%d %s active %v %v", m.Version, m.CompanyID, m.Active, m.Roles)
	}
}

func companyState(id string) func(w *world) string {
	return func(w *world) string {
		dir, _ := w.store.Directory(ctx)
		c, ok := dir.Company(id)
		if !ok {
			return "none"
		}
		return fmt.Sprintf("v%d %s %v %v", c.Version, c.Name, c.Aliases, c.Domains)
	}
}

func settingsState(w *world) string {
	g, _ := w.store.Governance(ctx)
	return fmt.Sprintf("quorum %d%%, v%d", g.QuorumPercent, g.Version)
}

func budgetState(w *world) string { return w.budget() }

// TestAdminRules checks the admins' work: the roster, companies (one company never
// entered twice), settings and budgets, each write versioned, so that a change made
// meanwhile is either built upon or refused, never lost unseen; and each on the record.
func TestAdminRules(t *testing.T) {
	nothing := func(*world) {}
	withBeta := func(w *world) { w.company("beta", "Beta GmbH") }
	withB := func(w *world) {
		withBeta(w)
		w.company("gamma", "Gamma Ltd")
		w.company("delta", "Delta AG")
		w.member("b", "beta", sponsorship.RoleReviewer)
	}
	withAcme := func(w *world) { w.company("acme", "Acme Inc.", "acme.example") }
	acme := sponsorship.CompanyInput{Name: "Acme Inc.", Domains: []string{"acme.example"}}
	withBudget := func(w *world) { w.allocate("10000.00") }
	conference, eur := sponsorship.KindConference, "EUR"
	tests := []struct {
		name    string
		given   func(w *world)
		act     func(w *world) error
		err     string
		observe func(w *world) string
		want    string
		events  []sponsorship.EventType // admin audit events written
	}{
		{"a reviewer is put on the roster at version 1", withBeta, putMember(admin, "b", "beta", true),
			"ok", memberState("b"), "v1 beta active true [reviewer]", []sponsorship.EventType{"reviewer_changed"}},
		{"a change to an entry advances its version", withB, putMember(admin, "b", "gamma", true),
			"ok", memberState("b"), "v2 gamma active true [reviewer]", []sponsorship.EventType{"reviewer_changed"}},
		{"a deactivated entry stays on the roster", withB, putMember(admin, "b", "beta", false),
			"ok", memberState("b"), "v2 beta active false [reviewer]", []sponsorship.EventType{"reviewer_changed"}},
		{"only admins manage the roster", withBeta, putMember(reviewer("b"), "b", "beta", true),
			"forbidden", memberState("b"), "not found", nil},
		{"a member's company is one of the directory's", withBeta, putMember(admin, "b", "betamax", true),
			"invalid companyId:unknown_value", memberState("b"), "not found", nil},
		{"every field error of an entry at once", nothing, func(w *world) error {
			_, _, err := w.admin.PutReviewer(ctx, admin, "not an id!", sponsorship.ReviewerInput{Email: "b@", Roles: []sponsorship.Role{"boss"}})
			return err
		}, "invalid email:invalid_email id:invalid_format name:required roles[0]:unknown_value", memberState("not an id!"), "not found", nil},
		{"an entry changed meanwhile is written on the fresh version", withB, func(w *world) error {
			w.racedBy(1, func() { w.must(putMember(admin, "b", "gamma", true)(w.other())) })
			return putMember(admin, "b", "delta", true)(w)
		}, "ok", memberState("b"), "v3 delta active true [reviewer]", []sponsorship.EventType{"reviewer_changed", "reviewer_changed"}},
		{"an entry that keeps changing is given up with a conflict", withB, func(w *world) error {
			w.racedBy(3, func() { w.must(putMember(admin, "b", "gamma", true)(w.other())) })
			return putMember(admin, "b", "delta", true)(w)
		}, "conflict", memberState("b"), "v4 gamma active true [reviewer]",
			[]sponsorship.EventType{"reviewer_changed", "reviewer_changed", "reviewer_changed"}},
		{"a company is added at version 1", nothing, putCompany("acme", acme),
			"ok", companyState("acme"), "v1 Acme Inc. [] [acme.example]", []sponsorship.EventType{"company_changed"}},
		{"a name another company goes by is refused however it is spelled", withAcme,
			putCompany("acme2", sponsorship.CompanyInput{Name: "ACME"}),
			"invalid name:taken", companyState("acme2"), "none", nil},
		{"an alias that is another company's name is refused", withAcme,
			putCompany("widgets", sponsorship.CompanyInput{Name: "Widgets", Aliases: []string{"Acme GmbH"}}),
			"invalid aliases[0]:taken", companyState("widgets"), "none", nil},
		{"a domain another company has is refused", withAcme,
			putCompany("widgets", sponsorship.CompanyInput{Name: "Widgets", Domains: []string{"ACME.example"}}),
			"invalid domains[0]:taken", companyState("widgets"), "none", nil},
		{"a domain a company dropped is free for another", func(w *world) {
			withAcme(w)
			w.must(putCompany("acme", sponsorship.CompanyInput{Name: "Acme Inc."})(w))
		}, putCompany("widgets", sponsorship.CompanyInput{Name: "Widgets", Domains: []string{"acme.example"}}),
			"ok", companyState("widgets"), "v1 Widgets [] [acme.example]", []sponsorship.EventType{"company_changed"}},
		{"a domain claimed meanwhile by another company is refused as taken", nothing, func(w *world) error {
			w.racedBy(1, func() {
				w.must(putCompany("acme-gmbh", sponsorship.CompanyInput{Name: "Acme GmbH Europe", Domains: []string{"acme.example"}})(w.other()))
			})
			return putCompany("acme", acme)(w)
		}, "invalid domains[0]:taken", companyState("acme"), "none", []sponsorship.EventType{"company_changed"}},
		{"a company's id is a slug", nothing, putCompany("Acme Inc", acme),
			"invalid id:invalid_format", companyState("Acme Inc"), "none", nil},
		{"the quorum is saved at version 1", nothing, setQuorum(60),
			"ok", settingsState, "quorum 60%, v1", []sponsorship.EventType{"settings_changed"}},
		{"a quorum of no seats is refused", nothing, setQuorum(0),
			"invalid quorumPercent:invalid_format", settingsState, "quorum 50%, v0", nil},
		{"a quorum that can never be met is refused", nothing, setQuorum(100),
			"invalid quorumPercent:invalid_format", settingsState, "quorum 50%, v0", nil},
		{"settings changed meanwhile are not overwritten", nothing, func(w *world) error {
			w.racedBy(1, func() { w.must(setQuorum(70)(w.other())) })
			return setQuorum(60)(w)
		}, "conflict", settingsState, "quorum 70%, v1", []sponsorship.EventType{"settings_changed"}},
		{"a budget is created with what it allocates left", nothing, allocating(admin, 2027, conference, eur, "10000.00"),
			"ok", budgetState, "committed 0.00, paid 0.00, left 10000.00", []sponsorship.EventType{"budget_changed"}},
		{"an allocation may grow", func(w *world) { w.approved() }, allocating(admin, 2027, conference, eur, "12000.00"),
			"ok", budgetState, "committed 5000.00, paid 0.00, left 7000.00", []sponsorship.EventType{"budget_changed"}},
		{"an allocation may shrink to what is committed and paid", func(w *world) { w.approved() },
			allocating(admin, 2027, conference, eur, "5000.00"),
			"ok", budgetState, "committed 5000.00, paid 0.00, left 0.00", []sponsorship.EventType{"budget_changed"}},
		{"an allocation below what is committed and paid is refused", func(w *world) { w.approved() },
			allocating(admin, 2027, conference, eur, "4999.99"),
			"allocation", budgetState, "committed 5000.00, paid 0.00, left 5000.00", nil},
		{"an allocation changed meanwhile is set on the fresh version", withBudget, func(w *world) error {
			w.racedBy(1, func() { w.must(allocating(admin, 2027, conference, eur, "8000.00")(w.other())) })
			return allocating(admin, 2027, conference, eur, "12000.00")(w)
		}, "ok", budgetState, "committed 0.00, paid 0.00, left 12000.00", []sponsorship.EventType{"budget_changed", "budget_changed"}},
		{"every field error of a budget at once", nothing, allocating(admin, 1999, "grants", "ZZZ", "-1"),
			"invalid category:unknown_value currency:unknown_currency fiscalYear:invalid_format", budgetState, "no budget", nil},
		{"an allocation is zero or more", nothing, allocating(admin, 2027, conference, eur, "-0.01"),
			"invalid allocated:invalid_amount", budgetState, "no budget", nil},
		{"finance does not set budgets", withBudget, allocating(financier("fay"), 2027, conference, eur, "1.00"),
			"forbidden", budgetState, "committed 0.00, paid 0.00, left 10000.00", nil},
		{"finance reads budgets; reviewers do not", withBudget, func(w *world) error {
			if _, err := w.admin.Budgets(ctx, financier("fay"), 2027); err != nil {
				return err
			}
			_, err := w.admin.Budgets(ctx, reviewer("b"), 2027)
			return err
		}, "forbidden", budgetState, "committed 0.00, paid 0.00, left 10000.00", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			tt.given(w)
			before := len(w.adminHistory())
			err := tt.act(w)
			if got := kindOf(err); got != tt.err {
				t.Errorf("error: %s, want %s (%v)", got, tt.err, err)
			}
			if got := tt.observe(w); got != tt.want {
				t.Errorf("after: %s, want %s", got, tt.want)
			}
			if diff := cmp.Diff(tt.events, since(w.adminHistory(), before)); diff != "" {
				t.Errorf("events written (-want +got):\n%s", diff)
			}
		})
	}
}
