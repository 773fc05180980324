package sponsorship

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/orgname"
)

// AdminStore is what the admins' work needs from storage. Every write carries its audit
// event and is conditional on the version the admin saw.
type AdminStore interface {
	// Directory reads the roster with the companies, in one read.
	Directory(ctx context.Context) (Directory, error)
	// Member reads one roster entry, or ErrNotFound.
	Member(ctx context.Context, id string) (Reviewer, error)
	// PutReviewer creates (r.Version 1) or replaces (conditional on r.Version-1) a roster
	// entry.
	PutReviewer(ctx context.Context, r Reviewer, ev AuditEvent) error
	// PutCompany creates (c.Version 1) or replaces (conditional on c.Version-1) a
	// company. Each name key and domain belongs to one company: the write claims the
	// company's and releases those previous (the stored company, nil for a new one) had;
	// a key or domain another company holds fails it with *ConflictError.
	PutCompany(ctx context.Context, c Company, previous *Company, ev AuditEvent) error
	// MigrateCompany points roster entries stored with a company name at company c, and
	// creates c first when its Version is 0, in one transaction.
	MigrateCompany(ctx context.Context, c Company, reviewers []Reviewer, ev AuditEvent) error
	Governance(ctx context.Context) (Governance, error)
	PutGovernance(ctx context.Context, g Governance, ev AuditEvent) error
	// Budgets lists the budgets of a fiscal year, or of every year when year is 0.
	Budgets(ctx context.Context, year int) ([]Budget, error)
	// SetAllocation changes a budget's allocated amount from previous to b.Allocated
	// (creating the budget when Version is 1), conditional on its version; it refuses an
	// allocation below what is committed and paid with *AllocationError.
	SetAllocation(ctx context.Context, b Budget, previous int64, ev AuditEvent) error
	PublicFieldsStore
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
	clock Clock
}

// NewAdminService returns an AdminService over store, reading the time from clock.
func NewAdminService(store AdminStore, clock Clock) *AdminService {
	return &AdminService{store: store, clock: mustClock("NewAdminService", clock)}
}

// now is the current time as the service records it (see Clock).
func (s *AdminService) now() time.Time { return s.clock.at() }

func requireAdmin(who Staff) error {
	if !who.In(GroupAdmins) {
		return &ForbiddenError{Reason: "only admins manage the roster, budgets and settings"}
	}
	return nil
}

// Directory returns the roster and the companies, migrating roster entries stored
// with a company name to company records first.
func (s *AdminService) Directory(ctx context.Context, who Staff) (Directory, error) {
	if err := requireAdmin(who); err != nil {
		return Directory{}, err
	}
	return migratedDirectory(ctx, s.store, s.clock, who)
}

// directoryStore reads the directory and stores what migrating it resolves.
type directoryStore interface {
	Directory(ctx context.Context) (Directory, error)
	MigrateCompany(ctx context.Context, c Company, reviewers []Reviewer, ev AuditEvent) error
}

// migratedDirectory reads the directory; when roster entries still carry a company name
// instead of a company, it stores what NewDirectory resolved in memory and reads again.
func migratedDirectory(ctx context.Context, store directoryStore, clock func() time.Time, who Staff) (Directory, error) {
	dir, err := store.Directory(ctx)
	if err != nil || !dir.Legacy() {
		return dir, err
	}
	if err := migrate(ctx, store, clock, who, dir); err != nil {
		return Directory{}, err
	}
	return store.Directory(ctx)
}

// migrate stores what NewDirectory resolved in memory: each company made up for roster
// entries that carried only a company name, and those entries pointing at their
// company, one company at a time. Decisions do not change: the made-up companies have
// the ids the stored ones get. A race with another admin is harmless: the next read
// resolves to whatever won.
func migrate(ctx context.Context, store directoryStore, clock func() time.Time, who Staff, dir Directory) error {
	for _, c := range dir.Companies {
		var members []Reviewer
		var ids []string
		for _, r := range dir.Reviewers {
			if r.LegacyCompany != "" && r.CompanyID == c.ID {
				r.Version, r.UpdatedAt = r.Version+1, clock()
				members = append(members, r)
				ids = append(ids, r.ID)
			}
		}
		if c.Version > 0 && len(members) == 0 {
			continue
		}
		now := clock()
		ev := adminEvent(actorOf(dir, who, RoleAdmin), EventCompanyChanged, "company:"+c.ID, now, map[string]string{
			"migrated": "true", "name": c.Name, "reviewers": strings.Join(ids, ","),
		})
		if c.Version == 0 {
			c.UpdatedAt = now
		}
		err := store.MigrateCompany(ctx, c, members, ev)
		var conflict *ConflictError
		if err != nil && !errors.As(err, &conflict) {
			return fmt.Errorf("migrate company %s: %w", c.ID, err)
		}
	}
	return nil
}

// ReviewerInput is what an admin sends to add or change a roster entry. Roles are
// reviewer (sits on the committee), finance and admin; without roles the entry is a
// reviewer's. CompanyID names a company of the directory; empty for none (a reviewer is
// then a seat alone).
type ReviewerInput struct {
	Name      string `json:"name"`
	Email     string `json:"email"`
	Roles     []Role `json:"roles"`
	CompanyID string `json:"companyId"`
	Active    *bool  `json:"active"`
}

var subjectPattern = regexp.MustCompile(`^[A-Za-z0-9_.@:-]{1,128}$`)

// ValidSubject reports whether s can be a JWT subject used as a reviewer id.
func ValidSubject(s string) bool { return subjectPattern.MatchString(s) }

// PutReviewer adds a member of staff to the roster or changes one; id is their JWT
// subject. It returns the entry with the directory it was checked against.
func (s *AdminService) PutReviewer(ctx context.Context, who Staff, id string, in ReviewerInput) (Reviewer, Directory, error) {
	if err := requireAdmin(who); err != nil {
		return Reviewer{}, Directory{}, err
	}
	var v validator
	if !ValidSubject(id) {
		v.add("id", CodeInvalidFormat, "A reviewer's id is their sign-in subject: 1 to 128 letters, digits and - _ . @ :")
	}
	r := Reviewer{
		ID: id, Name: v.text("name", in.Name, 1, maxName, nameText), Email: v.email("email", in.Email),
		CompanyID: strings.TrimSpace(in.CompanyID), Active: in.Active == nil || *in.Active,
		Roles: []Role{RoleReviewer},
	}
	if in.Roles != nil {
		r.Roles = v.roles(in.Roles)
	}
	if err := v.err(); err != nil {
		return Reviewer{}, Directory{}, err
	}
	for attempt := 1; ; attempt++ {
		dir, err := s.Directory(ctx, who)
		if err != nil {
			return Reviewer{}, Directory{}, err
		}
		if _, ok := dir.Company(r.CompanyID); r.CompanyID != "" && !ok {
			return Reviewer{}, Directory{}, &ValidationError{Errors: []FieldError{{Field: "companyId", Code: CodeUnknownValue,
				Message: "There is no company with this id; add it under /admin/companies first, or leave companyId empty."}}}
		}
		old, _ := dir.Member(id)
		r.Version, r.UpdatedAt = old.Version+1, s.now()
		ev := adminEvent(actorOf(dir, who, RoleAdmin), EventReviewerChanged, "reviewer:"+id, r.UpdatedAt, map[string]string{
			"name": r.Name, "email": r.Email, "companyId": r.CompanyID, "active": fmt.Sprint(r.Active), "roles": fmt.Sprint(r.Roles),
			"previousCompanyId": old.CompanyID, "previousActive": fmt.Sprint(old.Active && old.Version > 0),
		})
		err = s.store.PutReviewer(ctx, r, ev)
		var conflict *ConflictError
		if errors.As(err, &conflict) && attempt < 3 {
			continue
		}
		return r, dir, err
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
	// AdvancePercent is, per kind, the share of the approved amount (0 to 100) finance
	// may pay before the evidence; a kind left out allows none.
	AdvancePercent map[Kind]*int `json:"advancePercent,omitempty"`
}

// PutGovernance changes the settings. Quorum is "more than QuorumPercent of the seats",
// so 1..99: 0 would let a single seat decide against silence, 100 could never be met.
func (s *AdminService) PutGovernance(ctx context.Context, who Staff, in GovernanceInput) (Governance, error) {
	if err := requireAdmin(who); err != nil {
		return Governance{}, err
	}
	var v validator
	if in.QuorumPercent < 1 || in.QuorumPercent > 99 {
		v.add("quorumPercent", CodeInvalidFormat,
			"Quorum is reached when more than this percentage of the seats has voted: use 1 to 99 (50 is more than half).")
	}
	var advances map[Kind]int
	for _, k := range slices.Sorted(maps.Keys(in.AdvancePercent)) {
		share, field := in.AdvancePercent[k], "advancePercent."+string(k)
		switch {
		case !k.Valid():
			v.add(field, CodeUnknownValue, "Use conference, travel or project.")
		case share == nil:
			v.add(field, CodeWrongType, "Give a whole number from 0 to 100.")
		case *share < 0 || *share > 100:
			v.add(field, CodeInvalidFormat, "An advance is a share of the approved amount: use 0 to 100.")
		case *share > 0:
			if advances == nil {
				advances = map[Kind]int{}
			}
			advances[k] = *share
		}
	}
	if err := v.err(); err != nil {
		return Governance{}, err
	}
	old, err := s.store.Governance(ctx)
	if err != nil {
		return Governance{}, err
	}
	actor, err := s.actor(ctx, who)
	if err != nil {
		return Governance{}, err
	}
	g := Governance{QuorumPercent: in.QuorumPercent, AdvancePercent: advances, Version: old.Version + 1, UpdatedAt: s.now()}
	data := map[string]string{"quorumPercent": fmt.Sprint(g.QuorumPercent), "previousQuorumPercent": fmt.Sprint(old.QuorumPercent)}
	for _, k := range Kinds {
		if g.AdvancePercent[k] != old.AdvancePercent[k] {
			data["advancePercent."+string(k)] = fmt.Sprint(g.AdvancePercent[k])
			data["previousAdvancePercent."+string(k)] = fmt.Sprint(old.AdvancePercent[k])
		}
	}
	ev := adminEvent(actor, EventSettingsChanged, "settings", g.UpdatedAt, data)
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
	actor, err := s.actor(ctx, who)
	if err != nil {
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
		b.Allocated, b.Version, b.UpdatedAt = amount.Minor, b.Version+1, s.now()
		ev := adminEvent(actor, EventBudgetChanged, fmt.Sprintf("budget:%d/%s/%s", year, category, currency), b.UpdatedAt, map[string]string{
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

func adminEvent(actor Actor, typ EventType, subject string, at time.Time, data map[string]string) AuditEvent {
	return AuditEvent{Type: typ, Subject: subject, At: at, Actor: actor, Data: data, Internal: true}
}

// actor names an admin as the roster does, reading only their entry.
func (s *AdminService) actor(ctx context.Context, who Staff) (Actor, error) {
	m, err := s.store.Member(ctx, who.ID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Actor{}, fmt.Errorf("read roster: %w", err)
	}
	return actorOf(Directory{Reviewers: []Reviewer{m}}, who, RoleAdmin), nil
}

// actorOf is who acts, by their sign-in subject and the name the roster gives them:
// never a name from token claims, which users can edit. Off the roster, the id alone.
func actorOf(dir Directory, who Staff, role Role) Actor {
	a := Actor{Role: role, ID: who.ID}
	if m, ok := dir.Member(who.ID); ok {
		a.Name = m.Name
	}
	return a
}

// Company input limits.
const (
	maxAliases = 20
	maxDomains = 20
)

// CompanyInput is what an admin sends to add or change a company: its name, the other
// names it goes by, and the e-mail domains its people write from.
type CompanyInput struct {
	Name    string   `json:"name"`
	Aliases []string `json:"aliases"`
	Domains []string `json:"domains"`
}

// PutCompany adds a company (id chosen by the admin, e.g. acme) or changes one. A name,
// alias or domain that another company already has is refused: one company must never
// form two seats because it was entered twice under two spellings.
func (s *AdminService) PutCompany(ctx context.Context, who Staff, id string, in CompanyInput) (Company, error) {
	if err := requireAdmin(who); err != nil {
		return Company{}, err
	}
	var v validator
	if !ValidCompanyID(id) {
		v.add("id", CodeInvalidFormat, "A company's id is 1 to 63 lower-case letters, digits and hyphens, such as acme-widgets.")
	}
	c := Company{ID: id, Name: v.companyName("name", in.Name)}
	keys := map[string]string{orgname.Key(c.Name): "name"}
	if len(in.Aliases) > maxAliases {
		v.add("aliases", CodeTooMany, "At most %d aliases.", maxAliases)
	}
	for i, a := range in.Aliases[:min(len(in.Aliases), maxAliases)] {
		field := fmt.Sprintf("aliases[%d]", i)
		a = v.companyName(field, a)
		if k := orgname.Key(a); k != "" && keys[k] != "" && !v.has(field) {
			v.add(field, CodeNotAllowed, "This is the same name as %s once spelling is folded; leave it out.", keys[k])
		} else if k != "" {
			keys[k] = field
		}
		c.Aliases = append(c.Aliases, a)
	}
	if len(in.Domains) > maxDomains {
		v.add("domains", CodeTooMany, "At most %d domains.", maxDomains)
	}
	for i, d := range in.Domains[:min(len(in.Domains), maxDomains)] {
		field := fmt.Sprintf("domains[%d]", i)
		norm, err := orgname.NormalizeDomain(d)
		switch {
		case err != nil:
			v.add(field, CodeInvalidFormat, "Enter a domain name such as example.com, without @ or https://.")
		case slices.Contains(c.Domains, norm):
			v.add(field, CodeNotAllowed, "This domain is listed twice.")
		default:
			c.Domains = append(c.Domains, norm)
		}
	}
	if err := v.err(); err != nil {
		return Company{}, err
	}
	for attempt := 1; ; attempt++ {
		dir, err := s.Directory(ctx, who)
		if err != nil {
			return Company{}, err
		}
		if err := taken(dir, c); err != nil {
			return Company{}, err
		}
		var previous *Company
		if old, ok := dir.Company(id); ok {
			previous = &old
		}
		c.Version, c.UpdatedAt = 1, s.now()
		if previous != nil {
			c.Version = previous.Version + 1
		}
		ev := adminEvent(actorOf(dir, who, RoleAdmin), EventCompanyChanged, "company:"+id, c.UpdatedAt, map[string]string{
			"name": c.Name, "aliases": strings.Join(c.Aliases, "; "), "domains": strings.Join(c.Domains, ", "),
		})
		err = s.store.PutCompany(ctx, c, previous, ev)
		var conflict *ConflictError
		if errors.As(err, &conflict) && attempt < 3 {
			continue
		}
		return c, err
	}
}

// companyName checks a company name or alias: a name without invisible characters.
func (v *validator) companyName(field, s string) string {
	return v.text(field, s, 1, maxName, nameText)
}

// taken refuses a company whose names or domains another company of the directory
// already has, naming each.
func taken(dir Directory, c Company) error {
	var fe fieldErrors
	for _, other := range dir.Companies {
		if other.ID == c.ID {
			continue
		}
		keys := other.Keys()
		for i, n := range c.Names() {
			field := "name"
			if i > 0 {
				field = fmt.Sprintf("aliases[%d]", i-1)
			}
			if slices.Contains(keys, orgname.Key(n)) {
				fe.add(field, CodeTaken, "The company %s (%s) already goes by this name.", other.ID, other.Name)
			}
		}
		for i, d := range c.Domains {
			if slices.Contains(other.Domains, d) {
				fe.add(fmt.Sprintf("domains[%d]", i), CodeTaken, "The company %s (%s) already has this domain.", other.ID, other.Name)
			}
		}
	}
	return fe.err()
}
