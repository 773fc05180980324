package memstore

import (
	"maps"
	"slices"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// The store keeps and hands out copies that share no slice, map or pointer with what
// callers hold. The types not copied here (recusals, declarations, comments, payments,
// budgets, settings) hold only values.

func cloneRequest(r *sponsorship.Request) *sponsorship.Request {
	c := *r
	c.Voters, c.Recused = slices.Clone(r.Voters), slices.Clone(r.Recused)
	c.BudgetItems, c.Reports = slices.Clone(r.BudgetItems), slices.Clone(r.Reports)
	c.Approved, c.Conference, c.Travel = clonePtr(r.Approved), clonePtr(r.Conference), clonePtr(r.Travel)
	c.Payout = clonePtr(r.Payout)
	if r.Project != nil {
		p := *r.Project
		p.Milestones = slices.Clone(p.Milestones)
		c.Project = &p
	}
	return &c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func cloneEvent(ev sponsorship.AuditEvent) sponsorship.AuditEvent {
	ev.Changed, ev.Data = slices.Clone(ev.Changed), maps.Clone(ev.Data)
	return ev
}

func cloneVote(v sponsorship.Vote) sponsorship.Vote {
	v.Amount = clonePtr(v.Amount)
	return v
}

func cloneReviewer(r sponsorship.Reviewer) sponsorship.Reviewer {
	r.Roles = slices.Clone(r.Roles)
	return r
}

func cloneCompany(c sponsorship.Company) sponsorship.Company {
	c.Aliases, c.Domains = slices.Clone(c.Aliases), slices.Clone(c.Domains)
	return c
}

func cloneSealed(x sponsorship.SealedPayout) sponsorship.SealedPayout {
	x.Sealed.DataKey, x.Sealed.Nonce, x.Sealed.Ciphertext = slices.Clone(x.Sealed.DataKey), slices.Clone(x.Sealed.Nonce), slices.Clone(x.Sealed.Ciphertext)
	return x
}
