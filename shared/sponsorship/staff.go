package sponsorship

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Identity is a user of the sign-in service (the staff user pool) as onboarding sees
// them. Subject is the sub of their tokens, the id of their roster entry.
type Identity struct {
	Subject string
	Email   string
	Name    string
	Enabled bool
	// Invited: created by an admin, and not yet signed in with the temporary password
	// to set their own.
	Invited bool
}

// SignIn says where a member of staff stands with the sign-in service.
type SignIn string

// Where a member of staff can stand with the sign-in service.
const (
	SignInInvited  SignIn = "invited"  // invited, has not signed in yet
	SignInActive   SignIn = "active"   // has signed in and set a password
	SignInDisabled SignIn = "disabled" // deactivated: cannot sign in
	// SignInMissing: no user has the entry's subject (an entry made by hand before
	// onboarding existed, or the demo fixtures).
	SignInMissing SignIn = "missing"
)

// SignIn is where the identity stands.
func (i Identity) SignIn() SignIn {
	switch {
	case !i.Enabled:
		return SignInDisabled
	case i.Invited:
		return SignInInvited
	}
	return SignInActive
}

// Identities is the sign-in service as onboarding needs it. The service has no
// transactions, so each call must be safe to repeat: adding a user to a group they are
// in, or disabling a disabled user, succeeds. A subject or an e-mail address names a
// user wherever a username is asked for. Failures the caller may retry are
// ErrUnavailable.
type Identities interface {
	// Lookup returns the user with this e-mail address or subject, or ErrNotFound.
	Lookup(ctx context.Context, username string) (Identity, error)
	// List returns every user.
	List(ctx context.Context) ([]Identity, error)
	// Invite creates a user with a verified e-mail address and a name; the service
	// mails them a temporary password. ErrIdentityExists when the address is taken;
	// *ValidationError when the service refuses the address.
	Invite(ctx context.Context, email, name string) (Identity, error)
	// Reinvite mails an invited user a new temporary password; ErrSignedIn when the
	// user has already set their own.
	Reinvite(ctx context.Context, username string) error
	// SetName changes the name the sign-in service holds (what its ID tokens carry).
	SetName(ctx context.Context, subject, name string) error
	// Groups lists the groups the user is in.
	Groups(ctx context.Context, subject string) ([]string, error)
	AddToGroup(ctx context.Context, subject, group string) error
	RemoveFromGroup(ctx context.Context, subject, group string) error
	// Disable stops the user from signing in; Enable lets them again.
	Disable(ctx context.Context, subject string) error
	Enable(ctx context.Context, subject string) error
	// SignOut revokes the user's refresh tokens: no session outlives it.
	SignOut(ctx context.Context, subject string) error
}

// Errors of Identities.
var (
	// ErrIdentityExists: a user already has this e-mail address.
	ErrIdentityExists = errors.New("a user with this e-mail address exists")
	// ErrSignedIn: the user has already signed in and set their own password.
	ErrSignedIn = errors.New("the user has already signed in")
)

// StaffStore is what onboarding needs from storage: the roster (migrated as an admin's
// read migrates it), written with its audit events, and events on their own for what
// changed only in the sign-in service.
type StaffStore interface {
	Directory(ctx context.Context) (Directory, error)
	MigrateCompany(ctx context.Context, c Company, reviewers []Reviewer, ev AuditEvent) error
	Member(ctx context.Context, id string) (Reviewer, error)
	PutReviewer(ctx context.Context, r Reviewer, ev AuditEvent) error
	// RecordEvent writes an admin audit event (no request) on its own.
	RecordEvent(ctx context.Context, ev AuditEvent) error
}

// StaffMember is a roster entry with where its owner stands with the sign-in service.
type StaffMember struct {
	Reviewer
	SignIn SignIn
}

// StaffInput is what an admin sends to onboard a colleague.
type StaffInput struct {
	Name      string `json:"name"`
	Email     string `json:"email"`
	Roles     []Role `json:"roles"`
	CompanyID string `json:"companyId"`
}

// StaffChange is what an admin sends to change a member of staff: the e-mail address
// is their sign-in name and stays.
type StaffChange struct {
	Name      string `json:"name"`
	Roles     []Role `json:"roles"`
	CompanyID string `json:"companyId"`
}

// Codes of a StaffStateError.
const (
	StaffDeactivated = "deactivated" // reactivate first
	StaffNoSignIn    = "no_sign_in"  // the entry has no user in the sign-in service
	StaffSignedIn    = "signed_in"   // the invitation has been used
	StaffOnRoster    = "on_staff"    // onboarded already, with other details
)

// StaffStateError refuses a change the member of staff's present state does not allow:
// Code names the state, Reason says what to do instead.
type StaffStateError struct {
	ID     string
	Code   string
	Reason string
}

func (e *StaffStateError) Error() string { return e.Reason }

// IncompleteError reports a change of several steps that stopped part way, because the
// sign-in service or storage failed: Done lists, in order, what was done. The sign-in
// service has no transactions, so nothing is undone; the same call again completes the
// change.
type IncompleteError struct {
	Done []string
	Err  error
}

func (e *IncompleteError) Error() string {
	done := "nothing"
	if len(e.Done) > 0 {
		done = strings.Join(e.Done, "; ")
	}
	return fmt.Sprintf("stopped after %s: %v", done, e.Err)
}

func (e *IncompleteError) Unwrap() error { return e.Err }

// RoleGroup is the sign-in service's group that grants a role.
func RoleGroup(r Role) string {
	switch r {
	case RoleReviewer:
		return GroupReviewers
	case RoleFinance:
		return GroupFinance
	case RoleAdmin:
		return GroupAdmins
	}
	return ""
}

// maxUsername is the longest username Cognito takes (AdminCreateUser's Username: 1 to
// 128 characters); a staff member's e-mail address is theirs.
const maxUsername = 128

// staffGroups are the groups onboarding manages; a user's other groups are left alone.
var staffGroups = []string{GroupReviewers, GroupFinance, GroupAdmins}

// StaffService onboards staff: a user in the sign-in service, in the groups of their
// roles, and their roster entry under its subject, kept in step. Its order keeps the
// roster from pointing at a user that does not exist: the sign-in service first, the
// roster last; deactivation goes the other way (see Deactivate).
type StaffService struct {
	store StaffStore
	ids   Identities
	clock Clock
}

// NewStaffService returns a StaffService over store and the sign-in service ids,
// reading the time from clock.
func NewStaffService(store StaffStore, ids Identities, clock Clock) *StaffService {
	return &StaffService{store: store, ids: ids, clock: mustClock("NewStaffService", clock)}
}

// now is the current time as the service records it (see Clock).
func (s *StaffService) now() time.Time { return s.clock.at() }

// begin admits an admin and reads the directory. An admin whose roster entry is
// inactive is refused: deactivation disables their sign-in, but an access token issued
// before stays valid until it expires, and must not create users meanwhile.
func (s *StaffService) begin(ctx context.Context, who Staff) (Directory, error) {
	if err := requireAdmin(who); err != nil {
		return Directory{}, err
	}
	dir, err := migratedDirectory(ctx, s.store, s.clock, who)
	if err != nil {
		return Directory{}, fmt.Errorf("read roster: %w", err)
	}
	if m, ok := dir.Member(who.ID); ok && !m.Active {
		return Directory{}, &ForbiddenError{Reason: "your roster entry is inactive"}
	}
	return dir, nil
}

// List returns every roster entry with where its owner stands with the sign-in
// service: one read of the roster, and of the user pool.
func (s *StaffService) List(ctx context.Context, who Staff) ([]StaffMember, Directory, error) {
	dir, err := s.begin(ctx, who)
	if err != nil {
		return nil, Directory{}, err
	}
	users, err := s.ids.List(ctx)
	if err != nil {
		return nil, Directory{}, fmt.Errorf("list users: %w", err)
	}
	bySubject := map[string]Identity{}
	for _, u := range users {
		bySubject[u.Subject] = u
	}
	out := make([]StaffMember, 0, len(dir.Reviewers))
	for _, r := range dir.Reviewers {
		m := StaffMember{Reviewer: r, SignIn: SignInMissing}
		if u, ok := bySubject[r.ID]; ok {
			m.SignIn = u.SignIn()
		}
		out = append(out, m)
	}
	return out, dir, nil
}

// staffFields validates what onboarding and changes share, every field error at once:
// the name, the roles (at least one) and the company, which must be in dir.
func (v *validator) staffFields(dir Directory, name string, roles []Role, companyID string) (string, []Role, string) {
	name = v.text("name", name, 1, maxName, nameText)
	companyID = strings.TrimSpace(companyID)
	if _, ok := dir.Company(companyID); companyID != "" && !ok {
		v.add("companyId", CodeUnknownValue, "There is no company with this id; add it under /admin/companies first, or leave companyId empty.")
	}
	if len(roles) == 0 {
		v.add("roles", CodeRequired, "Give at least one role: reviewer, finance or admin.")
	}
	return name, v.roles(roles), companyID
}

// roles checks each role and drops repeats.
func (v *validator) roles(in []Role) []Role {
	var out []Role
	for i, role := range in {
		switch {
		case RoleGroup(role) == "":
			v.add(fmt.Sprintf("roles[%d]", i), CodeUnknownValue, "Use reviewer, finance or admin.")
		case !slices.Contains(out, role):
			out = append(out, role)
		}
	}
	return out
}

// progress keeps the steps a call has done, for its audit record and, when a step
// fails, for its answer. Steps up to recorded are on the record already.
type progress struct {
	done     []string
	recorded int
}

func (p *progress) did(step string) { p.done = append(p.done, step) }

func (p *progress) unrecorded() []string { return p.done[p.recorded:] }

// fail wraps err with what was done (see incomplete).
func (p *progress) fail(err error) error { return incomplete(p.done, err) }

// incomplete is the error of a call that stopped after the steps done: an
// *IncompleteError, to say what they were, once anything was done or when the sign-in
// service or storage was unavailable (the same call again may go through). A refusal or
// a failure before anything changed is returned as it is.
func incomplete(done []string, err error) error {
	var inc *IncompleteError
	if errors.As(err, &inc) || (len(done) == 0 && !errors.Is(err, ErrUnavailable)) {
		return err
	}
	return &IncompleteError{Done: slices.Clone(done), Err: err}
}

// step runs one change in the sign-in service and records it when it succeeds.
func (p *progress) step(what string, f func() error) error {
	if err := f(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	p.did(what)
	return nil
}

// audit records what a call did under the roster entry's subject: with the entry when
// it changes (one transaction), else on its own.
type audit struct {
	s     *StaffService
	dir   Directory
	who   Staff
	typ   EventType
	id    string
	extra map[string]string
}

func (a audit) event(steps []string, outcome string) AuditEvent {
	data := map[string]string{"done": strings.Join(steps, "; "), "outcome": outcome}
	for k, v := range a.extra {
		data[k] = v
	}
	return adminEvent(actorOf(a.dir, a.who, RoleAdmin), a.typ, "reviewer:"+a.id, a.s.now(), data)
}

// alone records the steps not yet on the record; none, nothing recorded.
func (a audit) alone(ctx context.Context, p *progress) error {
	steps := p.unrecorded()
	if len(steps) == 0 {
		return nil
	}
	if err := a.s.store.RecordEvent(ctx, a.event(steps, "complete")); err != nil {
		return p.fail(fmt.Errorf("record audit event: %w", err))
	}
	p.recorded = len(p.done)
	return nil
}

// failed answers a call that stopped part way: it records the steps done and not yet
// on the record, if storage lets it (storage may be what failed: the function's log
// has the error with every step), and returns the error with all the steps.
func (a audit) failed(ctx context.Context, p *progress, err error) error {
	err = p.fail(err)
	var inc *IncompleteError
	if steps := p.unrecorded(); errors.As(err, &inc) && len(steps) > 0 && a.id != "" {
		_ = a.s.store.RecordEvent(ctx, a.event(steps, "incomplete"))
	}
	return err
}

// rosterChange turns the stored roster entry (exists false: none yet) into the one
// wanted; changed false leaves it as it is.
type rosterChange func(stored Reviewer, exists bool) (r Reviewer, changed bool, err error)

// putRoster applies change to the roster entry, as the call's directory holds it, and
// writes it with the call's audit event listing every step so far; when another write
// came first it reads the entry again and tries again. It returns the entry as it now
// stands.
func (s *StaffService) putRoster(ctx context.Context, a audit, dir Directory, p *progress, step string, change rosterChange) (Reviewer, error) {
	old, exists := dir.Member(a.id)
	for attempt := 1; ; attempt++ {
		r, changed, err := change(old, exists)
		if err != nil || !changed {
			return old, err
		}
		r.ID, r.Version, r.UpdatedAt = a.id, old.Version+1, s.now()
		err = s.store.PutReviewer(ctx, r, a.event(append(slices.Clone(p.unrecorded()), step), "complete"))
		var conflict *ConflictError
		switch {
		case errors.As(err, &conflict) && attempt < 3:
			old, err = s.store.Member(ctx, a.id)
			exists = err == nil
			if err != nil && !errors.Is(err, ErrNotFound) {
				return Reviewer{}, fmt.Errorf("read roster entry: %w", err)
			}
			continue
		case err != nil:
			return Reviewer{}, fmt.Errorf("%s: %w", step, err)
		}
		p.did(step)
		p.recorded = len(p.done)
		return r, nil
	}
}

// groups puts the user in the groups of roles and takes them out of the other staff
// groups, reading their groups once.
func (s *StaffService) groups(ctx context.Context, p *progress, subject string, roles []Role) error {
	have, err := s.ids.Groups(ctx, subject)
	if err != nil {
		return fmt.Errorf("read groups: %w", err)
	}
	want := map[string]bool{}
	for _, r := range roles {
		want[RoleGroup(r)] = true
	}
	for _, g := range staffGroups {
		switch {
		case want[g] && !slices.Contains(have, g):
			err = p.step("added to "+g, func() error { return s.ids.AddToGroup(ctx, subject, g) })
		case !want[g] && slices.Contains(have, g):
			err = p.step("removed from "+g, func() error { return s.ids.RemoveFromGroup(ctx, subject, g) })
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// name keeps the sign-in service's name the roster's.
func (s *StaffService) name(ctx context.Context, p *progress, id Identity, name string) error {
	if id.Name == name {
		return nil
	}
	return p.step("updated the name for sign-in", func() error { return s.ids.SetName(ctx, id.Subject, name) })
}

// sameEntry reports whether two roster entries say the same of their member.
func sameEntry(a, b Reviewer) bool {
	return a.Name == b.Name && strings.EqualFold(a.Email, b.Email) && a.CompanyID == b.CompanyID && a.Active == b.Active &&
		sameRoles(a.Roles, b.Roles)
}

func sameRoles(a, b []Role) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

// errDeactivated refuses a change that needs the member of staff active.
func errDeactivated(id string) error {
	return &StaffStateError{ID: id, Code: StaffDeactivated,
		Reason: "this person was deactivated; reactivate them first (POST /admin/staff/" + id + "/reactivate)"}
}

func errNoSignIn(id string) error {
	return &StaffStateError{ID: id, Code: StaffNoSignIn,
		Reason: "this roster entry has no sign-in; onboard the person with POST /admin/staff"}
}

func errSignedIn(id string) error {
	return &StaffStateError{ID: id, Code: StaffSignedIn,
		Reason: "this person has already signed in and set a password; they can reset it from the sign-in page"}
}

// Onboard adds a colleague in one call: their user in the sign-in service (invited by
// e-mail with a temporary password), in the groups of their roles, and on the roster
// under the user's subject, in that order. It is idempotent by e-mail address: a user
// found with the address is reused (a retry of a call that stopped part way, or someone
// added by hand), groups already there are kept, and the same call again answers the
// same.
func (s *StaffService) Onboard(ctx context.Context, who Staff, in StaffInput) (StaffMember, Directory, error) {
	dir, err := s.begin(ctx, who)
	if err != nil {
		return StaffMember{}, Directory{}, err
	}
	var v validator
	email := strings.ToLower(v.email("email", in.Email))
	if utf8.RuneCountInString(email) > maxUsername && !v.has("email") {
		v.add("email", CodeTooLong, "Use at most %d characters: the address is the sign-in name, and the sign-in service takes no longer one.", maxUsername)
	}
	name, roles, companyID := v.staffFields(dir, in.Name, in.Roles, in.CompanyID)
	if err := v.err(); err != nil {
		return StaffMember{}, Directory{}, err
	}
	want := Reviewer{Name: name, Email: email, Roles: roles, CompanyID: companyID, Active: true}
	a := audit{s: s, dir: dir, who: who, typ: EventStaffInvited, extra: map[string]string{
		"name": name, "email": email, "roles": fmt.Sprint(roles), "companyId": companyID}}
	p := &progress{}

	id, err := s.ids.Lookup(ctx, email)
	if errors.Is(err, ErrNotFound) {
		id, err = s.ids.Invite(ctx, email, name)
		switch {
		case errors.Is(err, ErrIdentityExists): // another call created it meanwhile
			id, err = s.ids.Lookup(ctx, email)
		case err == nil:
			p.did("created the sign-in and sent the invitation")
		}
	}
	if err != nil {
		return StaffMember{}, Directory{}, a.failed(ctx, p, fmt.Errorf("sign-in of %s: %w", email, err))
	}
	a.id = id.Subject
	// Refusals that depend on the person: nothing is changed for them.
	stored, exists := dir.Member(id.Subject)
	switch {
	case !id.Enabled || (exists && !stored.Active):
		return StaffMember{}, Directory{}, a.failed(ctx, p, errDeactivated(id.Subject))
	case exists && !sameEntry(stored, want):
		return StaffMember{}, Directory{}, a.failed(ctx, p, &StaffStateError{ID: id.Subject, Code: StaffOnRoster,
			Reason: "this person is on the staff already, with other details; change them with PUT /admin/staff/" + id.Subject})
	case id.Subject == who.ID && !slices.Contains(roles, RoleAdmin):
		return StaffMember{}, Directory{}, a.failed(ctx, p, errOwnAdminRole)
	}
	if err := s.name(ctx, p, id, name); err != nil {
		return StaffMember{}, Directory{}, a.failed(ctx, p, err)
	}
	if err := s.groups(ctx, p, id.Subject, roles); err != nil {
		return StaffMember{}, Directory{}, a.failed(ctx, p, err)
	}
	r, err := s.putRoster(ctx, a, dir, p, "put on the roster", func(old Reviewer, exists bool) (Reviewer, bool, error) {
		if exists && !sameEntry(old, want) {
			return old, false, &StaffStateError{ID: id.Subject, Code: StaffOnRoster,
				Reason: "this person was put on the staff meanwhile, with other details; change them with PUT /admin/staff/" + id.Subject}
		}
		return want, !exists, nil
	})
	if err == nil {
		err = a.alone(ctx, p)
	}
	if err != nil {
		return StaffMember{}, Directory{}, a.failed(ctx, p, err)
	}
	return StaffMember{Reviewer: r, SignIn: id.SignIn()}, dir, nil
}

var errOwnAdminRole = &ForbiddenError{Reason: "you cannot take away your own admin role; another admin can"}

// entry finds a roster entry and its user: ErrNotFound when the roster has no such
// entry, a nil identity when the sign-in service has no such user.
func (s *StaffService) entry(ctx context.Context, dir Directory, id string) (Reviewer, *Identity, error) {
	r, ok := dir.Member(id)
	if !ok || !ValidSubject(id) {
		return Reviewer{}, nil, fmt.Errorf("staff member %s: %w", id, ErrNotFound)
	}
	u, err := s.ids.Lookup(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound):
		return r, nil, nil
	case err != nil:
		return Reviewer{}, nil, incomplete(nil, fmt.Errorf("sign-in of %s: %w", id, err))
	}
	return r, &u, nil
}

// signInOf is where an identity (nil: none) stands.
func signInOf(u *Identity) SignIn {
	if u == nil {
		return SignInMissing
	}
	return u.SignIn()
}

// stored is a rosterChange's refusal of an entry that is gone.
func stored(id string, exists bool) error {
	if !exists {
		return fmt.Errorf("staff member %s: %w", id, ErrNotFound)
	}
	return nil
}

// Change sets a member of staff's name, roles and company: their name and groups in
// the sign-in service first, then their roster entry. An admin's own admin role is not
// theirs to take away: another admin must.
func (s *StaffService) Change(ctx context.Context, who Staff, id string, in StaffChange) (StaffMember, Directory, error) {
	dir, err := s.begin(ctx, who)
	if err != nil {
		return StaffMember{}, Directory{}, err
	}
	var v validator
	name, roles, companyID := v.staffFields(dir, in.Name, in.Roles, in.CompanyID)
	if err := v.err(); err != nil {
		return StaffMember{}, Directory{}, err
	}
	if id == who.ID && !slices.Contains(roles, RoleAdmin) {
		return StaffMember{}, Directory{}, errOwnAdminRole
	}
	old, u, err := s.entry(ctx, dir, id)
	if err != nil {
		return StaffMember{}, Directory{}, err
	}
	a := audit{s: s, dir: dir, who: who, typ: EventStaffChanged, id: id, extra: map[string]string{
		"name": name, "roles": fmt.Sprint(roles), "companyId": companyID,
		"previousName": old.Name, "previousRoles": fmt.Sprint(old.Roles), "previousCompanyId": old.CompanyID}}
	p := &progress{}
	if u != nil {
		if err := s.name(ctx, p, *u, name); err != nil {
			return StaffMember{}, Directory{}, a.failed(ctx, p, err)
		}
		if err := s.groups(ctx, p, id, roles); err != nil {
			return StaffMember{}, Directory{}, a.failed(ctx, p, err)
		}
	}
	r, err := s.putRoster(ctx, a, dir, p, "updated the roster", func(r Reviewer, exists bool) (Reviewer, bool, error) {
		changed := r.Name != name || r.CompanyID != companyID || !sameRoles(r.Roles, roles)
		r.Name, r.Roles, r.CompanyID = name, roles, companyID
		return r, changed, stored(id, exists)
	})
	if err == nil {
		err = a.alone(ctx, p)
	}
	if err != nil {
		return StaffMember{}, Directory{}, a.failed(ctx, p, err)
	}
	return StaffMember{Reviewer: r, SignIn: signInOf(u)}, dir, nil
}

// Deactivate takes a member of staff off duty: their roster entry inactive first, then
// every session of theirs signed out and their sign-in disabled. The roster goes first
// because it takes effect at once (an inactive reviewer is no seat and cannot vote)
// while an access token issued before stays valid at the API until it expires; and it
// cannot leave the roster pointing at a user that does not exist: the user stays,
// disabled. Admins cannot deactivate themselves.
func (s *StaffService) Deactivate(ctx context.Context, who Staff, id string) (StaffMember, Directory, error) {
	dir, err := s.begin(ctx, who)
	if err != nil {
		return StaffMember{}, Directory{}, err
	}
	if id == who.ID {
		return StaffMember{}, Directory{}, &ForbiddenError{Reason: "you cannot deactivate yourself; another admin can"}
	}
	if _, ok := dir.Member(id); !ok || !ValidSubject(id) {
		return StaffMember{}, Directory{}, fmt.Errorf("staff member %s: %w", id, ErrNotFound)
	}
	a := audit{s: s, dir: dir, who: who, typ: EventStaffDeactivated, id: id}
	p := &progress{}
	r, err := s.putRoster(ctx, a, dir, p, "marked inactive on the roster", func(r Reviewer, exists bool) (Reviewer, bool, error) {
		changed := r.Active
		r.Active = false
		return r, changed, stored(id, exists)
	})
	if err != nil {
		return StaffMember{}, Directory{}, a.failed(ctx, p, err)
	}
	u, err := s.ids.Lookup(ctx, id)
	signIn := SignInMissing
	switch {
	case errors.Is(err, ErrNotFound):
		err = nil
	case err == nil && u.Enabled:
		err = p.step("signed out of every session", func() error { return s.ids.SignOut(ctx, id) })
		if err == nil {
			err = p.step("disabled sign-in", func() error { return s.ids.Disable(ctx, id) })
		}
		signIn = SignInDisabled
	case err == nil:
		signIn = SignInDisabled
	}
	if err == nil {
		err = a.alone(ctx, p)
	}
	if err != nil {
		return StaffMember{}, Directory{}, a.failed(ctx, p, err)
	}
	return StaffMember{Reviewer: r, SignIn: signIn}, dir, nil
}

// Reactivate puts a deactivated member of staff back: their sign-in enabled and their
// groups as their roles say first, then their roster entry active.
func (s *StaffService) Reactivate(ctx context.Context, who Staff, id string) (StaffMember, Directory, error) {
	dir, err := s.begin(ctx, who)
	if err != nil {
		return StaffMember{}, Directory{}, err
	}
	old, u, err := s.entry(ctx, dir, id)
	if err != nil {
		return StaffMember{}, Directory{}, err
	}
	if u == nil {
		return StaffMember{}, Directory{}, errNoSignIn(id)
	}
	a := audit{s: s, dir: dir, who: who, typ: EventStaffReactivated, id: id}
	p := &progress{}
	if err := s.groups(ctx, p, id, old.Roles); err != nil {
		return StaffMember{}, Directory{}, a.failed(ctx, p, err)
	}
	if !u.Enabled {
		if err := p.step("enabled sign-in", func() error { return s.ids.Enable(ctx, id) }); err != nil {
			return StaffMember{}, Directory{}, a.failed(ctx, p, err)
		}
		u.Enabled = true
	}
	r, err := s.putRoster(ctx, a, dir, p, "marked active on the roster", func(r Reviewer, exists bool) (Reviewer, bool, error) {
		changed := !r.Active
		r.Active = true
		return r, changed, stored(id, exists)
	})
	if err == nil {
		err = a.alone(ctx, p)
	}
	if err != nil {
		return StaffMember{}, Directory{}, a.failed(ctx, p, err)
	}
	return StaffMember{Reviewer: r, SignIn: u.SignIn()}, dir, nil
}

// Reinvite mails an invited member of staff a new temporary password, for one who lost
// the first or let it expire. Someone who has signed in already resets their password
// from the sign-in page instead.
func (s *StaffService) Reinvite(ctx context.Context, who Staff, id string) (StaffMember, Directory, error) {
	dir, err := s.begin(ctx, who)
	if err != nil {
		return StaffMember{}, Directory{}, err
	}
	old, u, err := s.entry(ctx, dir, id)
	switch {
	case err != nil:
		return StaffMember{}, Directory{}, err
	case u == nil:
		return StaffMember{}, Directory{}, errNoSignIn(id)
	case !old.Active || !u.Enabled:
		return StaffMember{}, Directory{}, errDeactivated(id)
	case !u.Invited:
		return StaffMember{}, Directory{}, errSignedIn(id)
	}
	a := audit{s: s, dir: dir, who: who, typ: EventInvitationResent, id: id}
	p := &progress{}
	err = p.step("sent the invitation again", func() error { return s.ids.Reinvite(ctx, u.Email) })
	if errors.Is(err, ErrSignedIn) {
		return StaffMember{}, Directory{}, errSignedIn(id)
	}
	if err == nil {
		err = a.alone(ctx, p)
	}
	if err != nil {
		return StaffMember{}, Directory{}, a.failed(ctx, p, err)
	}
	return StaffMember{Reviewer: old, SignIn: u.SignIn()}, dir, nil
}
