package sponsorship

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
)

// AdminStore is what the admins' work needs from storage. Every write carries its audit
// event and is conditional on the version the admin saw.
type AdminStore interface {
	Roster(ctx context.Context) ([]Reviewer, error)
	// PutReviewer creates (r.Version 1) or replaces (conditional on r.Version-1) a roster
	// entry.
	PutReviewer(ctx context.Context, r Reviewer, ev AuditEvent) error
	Governance(ctx context.Context) (Governance, error)
	PutGovernance(ctx context.Context, g Governance, ev AuditEvent) error
	// Budgets lists the budgets of a fiscal year, or of every year when year is 0.
	Budgets(ctx context.Context, year int) ([]Budget, error)
	// SetAllocation changes a budget's allocated amount from previous to b.Allocated
	// (creating the budget when Version is 1), conditional on its version; it refuses an
	// allocation below what is committed and paid with *AllocationError.
	SetAllocation(ctx context.Context, b Budget, previous int64, ev AuditEvent) error
}

// AllocationError refuses an allocation smaller than what the budget has already
// committed and paid.
type AllocationError struct {
	Spent money.Money
}

func (e *AllocationError) Error() string {
	return "the budget has already committed and paid " + e.Spent.String()
}

// AdminService manages the roster, budgets and settings.
type AdminService struct {
	store AdminStore
	now   func() time.Time
}

// NewAdminService returns an AdminService over store; now is nil in production.
func NewAdminService(store AdminStore, now func() time.Time) *AdminService {
	if now == nil {
		now = time.Now
	}
	return &AdminService{store: store, now: now}
}

func (s *AdminService) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func requireAdmin(who Staff) error {
	if !who.In(GroupAdmins) {
		return &ForbiddenError{Reason: "only admins manage the roster, budgets and settings"}
	}
	return nil
}

// Roster lists the reviewers.
func (s *AdminService) Roster(ctx context.Context, who Staff) ([]Reviewer, error) {
	if err := requireAdmin(who); err != nil {
		return nil, err
	}
	return s.store.Roster(ctx)
}

// ReviewerInput is what an admin sends to add or change a reviewer.
type ReviewerInput struct {
	Name    string `json:"name"`
	Email   string `json:"email"`
	Company string `json:"company"`
	Active  *bool  `json:"active"`
}

var subjectPattern = regexp.MustCompile(`^[A-Za-z0-9_.@:-]{1,128}$`)

// ValidSubject reports whether s can be a JWT subject used as a reviewer id.
func ValidSubject(s string) bool { return subjectPattern.MatchString(s) }

// PutReviewer adds a reviewer to the roster or changes one; id is their JWT subject.
func (s *AdminService) PutReviewer(ctx context.Context, who Staff, id string, in ReviewerInput) (Reviewer, error) {
	if err := requireAdmin(who); err != nil {
		return Reviewer{}, err
	}
	var v validator
	if !ValidSubject(id) {
		v.add("id", CodeInvalidFormat, "A reviewer's id is their sign-in subject: 1 to 128 letters, digits and - _ . @ :")
	}
	r := Reviewer{
		ID: id, Name: v.text("name", in.Name, 1, maxName, nameText), Email: v.email("email", in.Email),
		Company: v.text("company", in.Company, 0, maxName, nameText), Active: in.Active == nil || *in.Active,
	}
	if err := v.err(); err != nil {
		return Reviewer{}, err
	}
	for attempt := 1; ; attempt++ {
		roster, err := s.store.Roster(ctx)
		if err != nil {
			return Reviewer{}, err
		}
		old := Reviewer{}
		for _, x := range roster {
			if x.ID == id {
				old = x
			}
		}
		r.Version, r.UpdatedAt = old.Version+1, s.clock()
		ev := adminEvent(who, EventReviewerChanged, "reviewer:"+id, r.UpdatedAt, map[string]string{
			"name": r.Name, "email": r.Email, "company": r.Company, "active": fmt.Sprint(r.Active),
			"previousCompany": old.Company, "previousActive": fmt.Sprint(old.Active && old.Version > 0),
		})
		err = s.store.PutReviewer(ctx, r, ev)
		var conflict *ConflictError
		if errors.As(err, &conflict) && attempt < 3 {
			continue
		}
		return r, err
	}
}

// Governance returns the settings.
func (s *AdminService) Governance(ctx context.Context, who Staff) (Governance, error) {
	if err := requireAdmin(who); err != nil {
		return Governance{}, err
	}
	return s.store.Governance(ctx)
}

// GovernanceInput is what an admin sends to change the settings.
type GovernanceInput struct {
	QuorumPercent int `json:"quorumPercent"`
}

// PutGovernance changes the settings. Quorum is "more than QuorumPercent of the seats",
// so 1..99: 0 would let a single seat decide against silence, 100 could never be met.
func (s *AdminService) PutGovernance(ctx context.Context, who Staff, in GovernanceInput) (Governance, error) {
	if err := requireAdmin(who); err != nil {
		return Governance{}, err
	}
	if in.QuorumPercent < 1 || in.QuorumPercent > 99 {
		return Governance{}, &ValidationError{Errors: []FieldError{{Field: "quorumPercent", Code: CodeInvalidFormat,
			Message: "Quorum is reached when more than this percentage of the seats has voted: use 1 to 99 (50 is more than half)."}}}
	}
	old, err := s.store.Governance(ctx)
	if err != nil {
		return Governance{}, err
	}
	g := Governance{QuorumPercent: in.QuorumPercent, Version: old.Version + 1, UpdatedAt: s.clock()}
	ev := adminEvent(who, EventSettingsChanged, "settings", g.UpdatedAt, map[string]string{
		"quorumPercent": fmt.Sprint(g.QuorumPercent), "previousQuorumPercent": fmt.Sprint(old.QuorumPercent),
	})
	return g, s.store.PutGovernance(ctx, g, ev)
}

// Budgets lists budgets, of one fiscal year or (year 0) all. Finance may read them too.
func (s *AdminService) Budgets(ctx context.Context, who Staff, year int) ([]Budget, error) {
	if !who.In(GroupAdmins) && !who.In(GroupFinance) {
		return nil, &ForbiddenError{Reason: "only admins and finance see budgets"}
	}
	return s.store.Budgets(ctx, year)
}

// AllocationInput is what an admin sends to set a budget's allocation.
type AllocationInput struct {
	Allocated string `json:"allocated"`
}

// SetAllocation sets the allocated amount of the budget of a fiscal year, category and
// currency, creating the budget if it is new.
func (s *AdminService) SetAllocation(ctx context.Context, who Staff, year int, category Kind, currency string, in AllocationInput) (Budget, error) {
	if err := requireAdmin(who); err != nil {
		return Budget{}, err
	}
	var fe fieldErrors
	if year < 2000 || year > 2200 {
		fe.add("fiscalYear", CodeInvalidFormat, "Use a fiscal year such as 2027.")
	}
	if !category.Valid() {
		fe.add("category", CodeUnknownValue, "Use conference, travel or project.")
	}
	currency = strings.ToUpper(strings.TrimSpace(currency))
	if !money.KnownCurrency(currency) {
		fe.add("currency", CodeUnknownCurrency, "Use an ISO 4217 currency code such as EUR.")
	}
	amount, err := money.Parse(currency, strings.TrimSpace(in.Allocated))
	if money.KnownCurrency(currency) && (err != nil || amount.Minor < 0) {
		fe.add("allocated", CodeInvalidAmount, "Enter the allocation as a decimal such as 50000.00 (zero or more).")
	}
	if err := fe.err(); err != nil {
		return Budget{}, err
	}
	for attempt := 1; ; attempt++ {
		budgets, err := s.store.Budgets(ctx, year)
		if err != nil {
			return Budget{}, err
		}
		b := Budget{FiscalYear: year, Category: category, Currency: currency}
		for _, x := range budgets {
			if x.Category == category && x.Currency == currency {
				b = x
			}
		}
		previous := b.Allocated
		b.Allocated, b.Version, b.UpdatedAt = amount.Minor, b.Version+1, s.clock()
		ev := adminEvent(who, EventBudgetChanged, fmt.Sprintf("budget:%d/%s/%s", year, category, currency), b.UpdatedAt, map[string]string{
			"allocated": amount.Decimal(), "previousAllocated": b.Money(previous).Decimal(), "currency": currency,
		})
		err = s.store.SetAllocation(ctx, b, previous, ev)
		var conflict *ConflictError
		if errors.As(err, &conflict) && attempt < 3 {
			continue
		}
		return b, err
	}
}

func adminEvent(who Staff, typ EventType, subject string, at time.Time, data map[string]string) AuditEvent {
	return AuditEvent{Type: typ, Subject: subject, At: at, Actor: Actor{Role: RoleAdmin, ID: who.ID, Name: who.Name}, Data: data, Internal: true}
}
