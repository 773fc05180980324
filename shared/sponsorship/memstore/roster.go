package memstore

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// Directory reads the roster with the companies, resolved as sponsorship.NewDirectory
// resolves them.
func (s *Store) Directory(context.Context) (sponsorship.Directory, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var reviewers []sponsorship.Reviewer
	for _, r := range inOrder(s.reviewers) {
		reviewers = append(reviewers, cloneReviewer(r))
	}
	var companies []sponsorship.Company
	for _, c := range inOrder(s.companies) {
		companies = append(companies, cloneCompany(c))
	}
	return sponsorship.NewDirectory(reviewers, companies), nil
}

// Member reads one roster entry, or sponsorship.ErrNotFound.
func (s *Store) Member(_ context.Context, id string) (sponsorship.Reviewer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.reviewers[id]
	if !ok {
		return sponsorship.Reviewer{}, fmt.Errorf("roster entry %s: %w", id, sponsorship.ErrNotFound)
	}
	return cloneReviewer(r), nil
}

// versioned refuses a write at version next of an item stored at version stored
// (exists false: not stored): a new item is written at version 1, a stored one at one
// more than its own.
func versioned(exists bool, stored, next int, what string) error {
	if (next <= 1 && exists) || (next > 1 && (!exists || stored != next-1)) {
		return &sponsorship.ConflictError{ID: what}
	}
	return nil
}

// PutReviewer creates a roster entry (Version 1) or replaces it (the stored one at
// Version-1), with its audit event; else *sponsorship.ConflictError. Like the real
// store it keeps the company id only: an entry's LegacyCompany is not stored.
func (s *Store) PutReviewer(_ context.Context, r sponsorship.Reviewer, ev sponsorship.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.reviewers[r.ID]
	if err := versioned(ok, old.Version, r.Version, "reviewer "+r.ID); err != nil {
		return err
	}
	s.putReviewer(r)
	s.record(ev)
	return nil
}

func (s *Store) putReviewer(r sponsorship.Reviewer) {
	r = cloneReviewer(r)
	r.LegacyCompany = ""
	s.reviewers[r.ID] = r
}

// record keeps an admin audit event; the caller holds the lock.
func (s *Store) record(ev sponsorship.AuditEvent) {
	s.adminEvents = append(s.adminEvents, cloneEvent(ev))
}

// claimsOf lists what a company claims: its name keys and its domains.
func claimsOf(c sponsorship.Company) []string {
	var out []string
	for _, k := range c.Keys() {
		out = append(out, "key:"+k)
	}
	for _, d := range c.Domains {
		out = append(out, "domain:"+d)
	}
	return out
}

// claimable reports whether each claim is free or already the company's.
func (s *Store) claimable(id string, claims []string) bool {
	for _, k := range claims {
		if holder, ok := s.claims[k]; ok && holder != id {
			return false
		}
	}
	return true
}

// PutCompany creates a company (Version 1) or replaces it (the stored one at
// Version-1) with its audit event, claims its name keys and domains and releases the
// claims previous had that c dropped. A claim another company holds, or a version other
// than the stored one, is a *sponsorship.ConflictError, and nothing is written.
func (s *Store) PutCompany(_ context.Context, c sponsorship.Company, previous *sponsorship.Company, ev sponsorship.AuditEvent) error {
	what := "company " + c.ID
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.companies[c.ID]
	if err := versioned(ok, old.Version, c.Version, what); err != nil {
		return err
	}
	keep := claimsOf(c)
	var release []string
	if previous != nil {
		release = slices.DeleteFunc(claimsOf(*previous), func(k string) bool { return slices.Contains(keep, k) })
	}
	if !s.claimable(c.ID, keep) || !s.claimable(c.ID, release) {
		return &sponsorship.ConflictError{ID: what}
	}
	for _, k := range release {
		delete(s.claims, k)
	}
	s.putCompany(c, keep)
	s.record(ev)
	return nil
}

func (s *Store) putCompany(c sponsorship.Company, claims []string) {
	for _, k := range claims {
		s.claims[k] = c.ID
	}
	s.companies[c.ID] = cloneCompany(c)
}

// MigrateCompany points roster entries stored with a company name at company c, each
// at one more than its stored version, creating c with its claims first when its
// Version is 0, with the audit event, all or nothing (*sponsorship.ConflictError).
func (s *Store) MigrateCompany(_ context.Context, c sponsorship.Company, reviewers []sponsorship.Reviewer, ev sponsorship.AuditEvent) error {
	what := "migrate company " + c.ID
	s.mu.Lock()
	defer s.mu.Unlock()
	create := c.Version == 0
	if create {
		c.Version = 1
		_, exists := s.companies[c.ID]
		if exists || !s.claimable(c.ID, claimsOf(c)) {
			return &sponsorship.ConflictError{ID: what}
		}
	}
	for _, r := range reviewers {
		old, ok := s.reviewers[r.ID]
		if err := versioned(ok, old.Version, r.Version, what); err != nil {
			return err
		}
	}
	if create {
		s.putCompany(c, claimsOf(c))
	}
	for _, r := range reviewers {
		r.CompanyID = c.ID
		s.putReviewer(r)
	}
	s.record(ev)
	return nil
}

// Governance reads the settings, or sponsorship.DefaultGovernance when none were saved.
func (s *Store) Governance(context.Context) (sponsorship.Governance, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.governance == nil {
		return sponsorship.DefaultGovernance, nil
	}
	g := *s.governance
	g.AdvancePercent = maps.Clone(g.AdvancePercent) // the caller's copy, as a read from DynamoDB is
	return g, nil
}

// PutGovernance saves the settings (Version 1 the first time, else one more than the
// stored version) with their audit event; else *sponsorship.ConflictError.
func (s *Store) PutGovernance(_ context.Context, g sponsorship.Governance, ev sponsorship.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g.AdvancePercent = maps.Clone(g.AdvancePercent)
	return saveVersioned(s, &s.governance, g, func(g *sponsorship.Governance) int { return g.Version }, "settings", ev)
}

// saveVersioned puts next in *slot, a setting kept whole, when its version is 1 for a
// setting never saved or one more than the stored one's, and records ev; else
// *sponsorship.ConflictError. The caller holds the lock.
func saveVersioned[T any](s *Store, slot **T, next T, version func(*T) int, what string, ev sponsorship.AuditEvent) error {
	stored := 0
	if *slot != nil {
		stored = version(*slot)
	}
	if err := versioned(*slot != nil, stored, version(&next), what); err != nil {
		return err
	}
	*slot = &next
	s.record(ev)
	return nil
}

// Budgets lists the budgets of a fiscal year, or of every year when year is 0, by year,
// category and currency.
func (s *Store) Budgets(_ context.Context, year int) ([]sponsorship.Budget, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []sponsorship.Budget{}
	for _, b := range s.budgets {
		if year == 0 || b.FiscalYear == year {
			out = append(out, b)
		}
	}
	slices.SortFunc(out, func(a, b sponsorship.Budget) int {
		return cmp.Or(cmp.Compare(a.FiscalYear, b.FiscalYear), cmp.Compare(a.Category, b.Category), cmp.Compare(a.Currency, b.Currency))
	})
	return out, nil
}

// SetAllocation creates a budget with nothing committed or paid (Version 1) or changes
// the allocation of the stored one (at Version-1), with its audit event. A version other
// than the stored one is a *sponsorship.ConflictError; an allocation below what the
// budget has committed and paid, a *sponsorship.AllocationError. The stored figures say
// what the allocation was, so previous, which the version vouches for, is not needed.
func (s *Store) SetAllocation(_ context.Context, b sponsorship.Budget, _ int64, ev sponsorship.AuditEvent) error {
	what := fmt.Sprintf("budget %d/%s/%s", b.FiscalYear, b.Category, b.Currency)
	k := budgetKey{b.FiscalYear, b.Category, b.Currency}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.budgets[k]
	if err := versioned(ok, old.Version, max(b.Version, 1), what); err != nil {
		return err
	}
	if spent := old.Committed + old.Paid; ok && b.Allocated < spent {
		return &sponsorship.AllocationError{Spent: old.Money(spent)}
	}
	if !ok {
		old = sponsorship.Budget{FiscalYear: b.FiscalYear, Category: b.Category, Currency: b.Currency}
	}
	old.Allocated, old.Version, old.UpdatedAt = b.Allocated, max(b.Version, 1), b.UpdatedAt
	s.budgets[k] = old
	s.record(ev)
	return nil
}

// RecordEvent keeps an admin audit event (no request) on its own.
func (s *Store) RecordEvent(_ context.Context, ev sponsorship.AuditEvent) error {
	if ev.RequestID != "" {
		return fmt.Errorf("record event %s: a request's events go with the change to the request", ev.Type)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.record(ev)
	return nil
}

// AdminEvents returns copies of the audit events of the roster, companies, settings,
// budgets and staff written so far, oldest first: what a test reads to see what an
// admin's action put on the record. A request's events are in its Dossier.
func (s *Store) AdminEvents() []sponsorship.AuditEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]sponsorship.AuditEvent, 0, len(s.adminEvents))
	for _, ev := range s.adminEvents {
		out = append(out, cloneEvent(ev))
	}
	return out
}
