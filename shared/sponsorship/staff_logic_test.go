package sponsorship_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// identities is the sign-in service in memory: its users by subject and the groups
// each is in. Like the real one it has no transactions, so a call that fails part way
// leaves done what was done; failNext makes the next call of one method fail as an
// unavailable service does.
type identities struct {
	users     map[string]*sponsorship.Identity
	groups    map[string][]string
	signedOut map[string]int
	failNext  string
}

var _ sponsorship.Identities = (*identities)(nil)

func newIdentities() *identities {
	return &identities{users: map[string]*sponsorship.Identity{}, groups: map[string][]string{}, signedOut: map[string]int{}}
}

func (ids *identities) call(method string) error {
	if ids.failNext == method {
		ids.failNext = ""
		return sponsorship.ErrUnavailable
	}
	return nil
}

// find is the user an e-mail address or subject names, or nil.
func (ids *identities) find(username string) *sponsorship.Identity {
	for _, u := range ids.users {
		if u.Subject == username || strings.EqualFold(u.Email, username) {
			return u
		}
	}
	return nil
}

func (ids *identities) Lookup(_ context.Context, username string) (sponsorship.Identity, error) {
	if u := ids.find(username); u != nil {
		return *u, ids.call("Lookup")
	}
	return sponsorship.Identity{}, sponsorship.ErrNotFound
}

func (ids *identities) List(context.Context) ([]sponsorship.Identity, error) {
	var out []sponsorship.Identity
	for _, u := range ids.users {
		out = append(out, *u)
	}
	return out, ids.call("List")
}

func (ids *identities) Invite(_ context.Context, email, name string) (sponsorship.Identity, error) {
	if err := ids.call("Invite"); err != nil {
		return sponsorship.Identity{}, err
	}
	if ids.find(email) != nil {
		return sponsorship.Identity{}, sponsorship.ErrIdentityExists
	}
	u := &sponsorship.Identity{Subject: fmt.Sprintf("sub-%d", len(ids.users)+1), Email: email, Name: name, Enabled: true, Invited: true}
	ids.users[u.Subject] = u
	return *u, nil
}

func (ids *identities) Reinvite(_ context.Context, username string) error {
	if u := ids.find(username); u != nil && !u.Invited {
		return sponsorship.ErrSignedIn
	}
	return ids.call("Reinvite")
}

func (ids *identities) SetName(_ context.Context, subject, name string) error {
	ids.users[subject].Name = name
	return ids.call("SetName")
}

func (ids *identities) Groups(_ context.Context, subject string) ([]string, error) {
	return slices.Clone(ids.groups[subject]), ids.call("Groups")
}

func (ids *identities) AddToGroup(_ context.Context, subject, group string) error {
	if err := ids.call("AddToGroup"); err != nil {
		return err
	}
	if !slices.Contains(ids.groups[subject], group) {
		ids.groups[subject] = append(ids.groups[subject], group)
	}
	return nil
}

func (ids *identities) RemoveFromGroup(_ context.Context, subject, group string) error {
	ids.groups[subject] = slices.DeleteFunc(ids.groups[subject], func(g string) bool { return g == group })
	return ids.call("RemoveFromGroup")
}

func (ids *identities) Disable(_ context.Context, subject string) error {
	ids.users[subject].Enabled = false
	return ids.call("Disable")
}

func (ids *identities) Enable(_ context.Context, subject string) error {
	ids.users[subject].Enabled = true
	return ids.call("Enable")
}

func (ids *identities) SignOut(_ context.Context, subject string) error {
	ids.signedOut[subject]++
	return ids.call("SignOut")
}

// office is a world with a sign-in service, and admins onboarding staff in both.
type office struct {
	*world
	ids   *identities
	staff *sponsorship.StaffService
}

// ben is the colleague the cases onboard: a reviewer of Beta.
var ben = sponsorship.StaffInput{Name: "Ben Example", Email: "ben@foundation.example", Roles: []sponsorship.Role{sponsorship.RoleReviewer}, CompanyID: "beta"}

func onboarding(in sponsorship.StaffInput) func(o *office) error {
	return func(o *office) error {
		_, _, err := o.staff.Onboard(ctx, admin, in)
		return err
	}
}

// onStaff is Ben's subject, once the sign-in service knows him.
func (o *office) onStaff() string {
	if u := o.ids.find(ben.Email); u != nil {
		return u.Subject
	}
	return "nobody"
}

// standing is where Ben stands: his roster entry, his sign-in and its groups.
func (o *office) standing() string {
	entry := "no roster entry"
	if m, err := o.store.Member(ctx, o.onStaff()); err == nil {
		entry = fmt.Sprintf("v%d active %v %v %s", m.Version, m.Active, m.Roles, m.CompanyID)
	}
	u := o.ids.find(ben.Email)
	if u == nil {
		return entry + "; no sign-in"
	}
	groups := slices.Sorted(slices.Values(o.ids.groups[u.Subject]))
	return fmt.Sprintf("%s; %s, groups %v, signed out %d", entry, u.SignIn(), groups, o.ids.signedOut[u.Subject])
}

// TestStaffRules checks onboarding: a colleague's sign-in, its groups and their roster
// entry kept in step, in an order that never leaves the roster pointing at nobody; a
// call stopped part way completed by the same call again; and admins who cannot lock
// themselves out.
func TestStaffRules(t *testing.T) {
	onboarded := func(o *office) { o.must(onboarding(ben)(o)) }
	deactivated := func(o *office) {
		onboarded(o)
		_, _, err := o.staff.Deactivate(ctx, admin, o.onStaff())
		o.must(err)
	}
	stoppedHalfWay := func(o *office) {
		o.ids.failNext = "AddToGroup"
		_ = onboarding(ben)(o)
	}
	tests := []struct {
		name   string
		given  func(o *office)
		act    func(o *office) error
		err    string
		want   string // where Ben stands after
		events []sponsorship.EventType
	}{
		{"onboarding makes the sign-in, its groups and the roster entry", func(*office) {}, onboarding(ben),
			"ok", "v1 active true [reviewer] beta; invited, groups [reviewers], signed out 0", []sponsorship.EventType{"staff_invited"}},
		{"onboarding again is answered the same and changes nothing", onboarded, onboarding(ben),
			"ok", "v1 active true [reviewer] beta; invited, groups [reviewers], signed out 0", nil},
		{"someone on staff with other details is not onboarded again", onboarded, onboarding(sponsorship.StaffInput{
			Name: ben.Name, Email: ben.Email, Roles: []sponsorship.Role{sponsorship.RoleFinance}}),
			"staff on_staff", "v1 active true [reviewer] beta; invited, groups [reviewers], signed out 0", nil},
		{"a sign-in service failing part way leaves no roster entry, and the record says what was done", func(o *office) {
			o.ids.failNext = "AddToGroup"
		}, onboarding(ben),
			"incomplete", "no roster entry; invited, groups [], signed out 0", []sponsorship.EventType{"staff_invited"}},
		{"the same call again completes it", stoppedHalfWay, onboarding(ben),
			"ok", "v1 active true [reviewer] beta; invited, groups [reviewers], signed out 0", []sponsorship.EventType{"staff_invited"}},
		{"every field error at once", func(*office) {}, onboarding(sponsorship.StaffInput{Email: "ben", CompanyID: "betamax"}),
			"invalid companyId:unknown_value email:invalid_email name:required roles:required", "no roster entry; no sign-in", nil},
		{"changing roles moves the groups", onboarded, func(o *office) error {
			_, _, err := o.staff.Change(ctx, admin, o.onStaff(), sponsorship.StaffChange{Name: ben.Name,
				Roles: []sponsorship.Role{sponsorship.RoleFinance}, CompanyID: "beta"})
			return err
		}, "ok", "v2 active true [finance] beta; invited, groups [finance], signed out 0", []sponsorship.EventType{"staff_changed"}},
		{"an admin does not take away their own admin role", onboarded, func(o *office) error {
			_, _, err := o.staff.Change(ctx, admin, admin.ID, sponsorship.StaffChange{Name: "Admin", Roles: []sponsorship.Role{sponsorship.RoleReviewer}})
			return err
		}, "forbidden", "v1 active true [reviewer] beta; invited, groups [reviewers], signed out 0", nil},
		{"deactivation takes the entry off duty, ends the sessions and the sign-in", onboarded, func(o *office) error {
			_, _, err := o.staff.Deactivate(ctx, admin, o.onStaff())
			return err
			// The roster goes first, with its event; what the sign-in service did after is
			// recorded on its own.
		}, "ok", "v2 active false [reviewer] beta; disabled, groups [reviewers], signed out 1",
			[]sponsorship.EventType{"staff_deactivated", "staff_deactivated"}},
		{"an admin does not deactivate themselves", onboarded, func(o *office) error {
			_, _, err := o.staff.Deactivate(ctx, admin, admin.ID)
			return err
		}, "forbidden", "v1 active true [reviewer] beta; invited, groups [reviewers], signed out 0", nil},
		{"a deactivated admin's token onboards nobody", func(o *office) {
			o.member(admin.ID, "", sponsorship.RoleAdmin)
			o.must(putMember(admin, admin.ID, "", false)(o.world))
		}, onboarding(ben), "forbidden", "no roster entry; no sign-in", nil},
		{"reactivation enables the sign-in and the entry", deactivated, func(o *office) error {
			_, _, err := o.staff.Reactivate(ctx, admin, o.onStaff())
			return err
		}, "ok", "v3 active true [reviewer] beta; invited, groups [reviewers], signed out 1", []sponsorship.EventType{"staff_reactivated"}},
		{"an invitation is sent again while unused", onboarded, func(o *office) error {
			_, _, err := o.staff.Reinvite(ctx, admin, o.onStaff())
			return err
		}, "ok", "v1 active true [reviewer] beta; invited, groups [reviewers], signed out 0", []sponsorship.EventType{"invitation_resent"}},
		{"an invitation is not sent to someone who signed in", func(o *office) {
			onboarded(o)
			o.ids.find(ben.Email).Invited = false
		}, func(o *office) error {
			_, _, err := o.staff.Reinvite(ctx, admin, o.onStaff())
			return err
		}, "staff signed_in", "v1 active true [reviewer] beta; active, groups [reviewers], signed out 0", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := &office{world: newWorld(t), ids: newIdentities()}
			o.staff = sponsorship.NewStaffService(o.race, o.ids, o.clock.Now)
			o.company("beta", "Beta GmbH")
			tt.given(o)
			before := len(o.adminHistory())
			err := tt.act(o)
			if got := kindOf(err); got != tt.err {
				t.Errorf("error: %s, want %s (%v)", got, tt.err, err)
			}
			if got := o.standing(); got != tt.want {
				t.Errorf("after: %s, want %s", got, tt.want)
			}
			if diff := cmp.Diff(tt.events, since(o.adminHistory(), before)); diff != "" {
				t.Errorf("events written (-want +got):\n%s", diff)
			}
		})
	}
}
