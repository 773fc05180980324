//go:build integration

package api_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/dynamostore"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/identity"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// newPassword is what invited staff choose when they first sign in: the test pools
// keep moto's default policy (a capital, a digit, a symbol).
const newPassword = "Correct-Horse-9-Battery"

// uniqueEmail is an address no other test uses: moto's sent mail is shared by every
// test of the run, and invitations are found by address.
func uniqueEmail(local string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return local + "." + hex.EncodeToString(b) + "@foundation.example"
}

// poolUser is a user as the sign-in service (moto's Cognito) holds them.
type poolUser struct {
	sub     string
	status  ciptypes.UserStatusType
	enabled bool
	attrs   map[string]string
	groups  []string
}

// user reads a user of the test's pool by e-mail address or subject; ok is false when
// there is none.
func (s *staffAPI) user(username string) (poolUser, bool) {
	s.t.Helper()
	ctx := context.Background()
	out, err := s.pool.Client.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &s.pool.ID, Username: &username})
	var missing *ciptypes.UserNotFoundException
	if errors.As(err, &missing) {
		return poolUser{}, false
	}
	if err != nil {
		s.t.Fatal(err)
	}
	u := poolUser{status: out.UserStatus, enabled: out.Enabled, attrs: map[string]string{}}
	for _, a := range out.UserAttributes {
		u.attrs[aws.ToString(a.Name)] = aws.ToString(a.Value)
	}
	u.sub = u.attrs["sub"]
	groups, err := s.pool.Client.AdminListGroupsForUser(ctx, &cip.AdminListGroupsForUserInput{UserPoolId: &s.pool.ID, Username: &username})
	if err != nil {
		s.t.Fatal(err)
	}
	for _, g := range groups.Groups {
		u.groups = append(u.groups, aws.ToString(g.GroupName))
	}
	sort.Strings(u.groups)
	return u, true
}

// usersWith counts the pool's users with an e-mail address: one person, one user.
func (s *staffAPI) usersWith(email string) int {
	s.t.Helper()
	out, err := s.pool.Client.ListUsers(context.Background(), &cip.ListUsersInput{UserPoolId: &s.pool.ID,
		Filter: aws.String(fmt.Sprintf("email = %q", email))})
	if err != nil {
		s.t.Fatal(err)
	}
	return len(out.Users)
}

// onRoster reads a roster entry; ok is false when there is none.
func (s *staffAPI) onRoster(id string) (sponsorship.Reviewer, bool) {
	s.t.Helper()
	r, err := s.store.Member(context.Background(), id)
	if errors.Is(err, sponsorship.ErrNotFound) {
		return r, false
	}
	if err != nil {
		s.t.Fatal(err)
	}
	return r, true
}

// staffEvent is an admin audit event about a member of staff.
type staffEvent struct {
	Type    string
	Actor   string
	Done    string
	Outcome string
}

// staffEvents lists the audit events about a roster entry, oldest first.
func (s *staffAPI) staffEvents(id string) []staffEvent {
	s.t.Helper()
	out, err := testenv.DynamoDB(s.t).Query(context.Background(), &dynamodb.QueryInput{
		TableName: aws.String(s.store.Table()), KeyConditionExpression: aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "ADMIN"}},
	})
	if err != nil {
		s.t.Fatal(err)
	}
	str := func(av types.AttributeValue) string {
		if v, ok := av.(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	var evs []staffEvent
	for _, it := range out.Items {
		if str(it["subject"]) != "reviewer:"+id {
			continue
		}
		data, _ := it["data"].(*types.AttributeValueMemberM)
		actor, _ := it["actor"].(*types.AttributeValueMemberM)
		ev := staffEvent{Type: str(it["type"])}
		if data != nil {
			ev.Done, ev.Outcome = str(data.Value["done"]), str(data.Value["outcome"])
		}
		if actor != nil {
			ev.Actor = str(actor.Value["id"])
		}
		evs = append(evs, ev)
	}
	return evs
}

// problemDone reads the done list of a problem document.
func problemDone(t *testing.T, r response) []string {
	t.Helper()
	var p api.Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("not a problem document: %s", r.body)
	}
	if p.Done == nil {
		t.Fatalf("problem without done: %s", r.body)
	}
	return p.Done
}

// failingCognito is the user pool's client with one operation failing as Cognito does
// when it is down (InternalErrorException, which the SDK retries first): the calls of op
// after the first skip fail, until healed.
type failingCognito struct {
	identity.Client
	mu     sync.Mutex
	op     string
	skip   int
	calls  int
	healed bool
}

func (f *failingCognito) fails(op string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if op != f.op || f.healed {
		return nil
	}
	f.calls++
	if f.calls <= f.skip {
		return nil
	}
	return &smithy.GenericAPIError{Code: "InternalErrorException", Message: "injected: Cognito is down"}
}

func (f *failingCognito) heal() { f.mu.Lock(); f.healed = true; f.mu.Unlock() }

func (f *failingCognito) AdminCreateUser(ctx context.Context, in *cip.AdminCreateUserInput, o ...func(*cip.Options)) (*cip.AdminCreateUserOutput, error) {
	if err := f.fails("AdminCreateUser"); err != nil {
		return nil, err
	}
	return f.Client.AdminCreateUser(ctx, in, o...)
}

func (f *failingCognito) AdminAddUserToGroup(ctx context.Context, in *cip.AdminAddUserToGroupInput, o ...func(*cip.Options)) (*cip.AdminAddUserToGroupOutput, error) {
	if err := f.fails("AdminAddUserToGroup"); err != nil {
		return nil, err
	}
	return f.Client.AdminAddUserToGroup(ctx, in, o...)
}

func (f *failingCognito) AdminDisableUser(ctx context.Context, in *cip.AdminDisableUserInput, o ...func(*cip.Options)) (*cip.AdminDisableUserOutput, error) {
	if err := f.fails("AdminDisableUser"); err != nil {
		return nil, err
	}
	return f.Client.AdminDisableUser(ctx, in, o...)
}

// failingRoster is the store with roster writes failing as DynamoDB does when it
// throttles, until healed.
type failingRoster struct {
	*dynamostore.Store
	healed bool
}

func (f *failingRoster) PutReviewer(ctx context.Context, r sponsorship.Reviewer, ev sponsorship.AuditEvent) error {
	if !f.healed {
		return fmt.Errorf("roster entry %s: %w", r.ID, sponsorship.ErrUnavailable)
	}
	return f.Store.PutReviewer(ctx, r, ev)
}

// adminWith is the admin API on the test's table and pool, with onboarding going
// through another client of the pool and another store.
func (s *staffAPI) adminWith(client identity.Client, store sponsorship.StaffStore) http.Handler {
	log := slog.New(slog.NewJSONHandler(&testenv.LogBuffer{}, nil))
	clock := func() time.Time { return now }
	return api.NewAdmin(sponsorship.NewAdminService(s.store, clock), sponsorship.NewStaffService(store, identity.New(client, s.pool.ID), clock), log)
}

// onboardReviewer onboards a reviewer of Gamma with an address of their own; it returns
// the address and their subject.
func (s *staffAPI) onboardReviewer(local string) (email, sub string) {
	s.t.Helper()
	email = strings.ToLower(uniqueEmail(local))
	return email, s.must(s.call(s.admin, adminUser, "POST", "/admin/staff", reviewerBody(email)), 201)["id"].(string)
}

// firstSignIn signs an invited member in with their invitation's password, choosing
// newPassword, and returns their tokens.
func (s *staffAPI) firstSignIn(email string) *ciptypes.AuthenticationResultType {
	s.t.Helper()
	tokens, err := s.pool.SignIn(context.Background(), email, s.pool.TemporaryPassword(email), newPassword)
	if err != nil {
		s.t.Fatalf("first sign-in: %v", err)
	}
	return tokens
}

func reviewerBody(email string) map[string]any {
	return map[string]any{"name": "Nadia Nowak", "email": email, "roles": []string{"reviewer"}, "companyId": "gamma"}
}

// TestOnboardingAReviewer: one call invites the user (Cognito mails a temporary
// password), puts them in their group and on the roster under their subject; they sign
// in with the password from the mail, set their own, and review. The same call again
// changes nothing and answers the same.
func TestOnboardingAReviewer(t *testing.T) {
	s := newStaffAPI(t)
	s.committee()
	email := uniqueEmail("Nadia") // stored in lower case: one person, whatever the case
	body := reviewerBody(email)

	out := s.must(s.call(s.admin, adminUser, "POST", "/admin/staff", body), 201)
	sub := out["id"].(string)
	want := map[string]any{"id": sub, "email": strings.ToLower(email), "name": "Nadia Nowak", "roles": []any{"reviewer"},
		"companyId": "gamma", "company": "Gamma Ltd", "active": true, "signIn": "invited", "version": 1.0,
		"updatedAt": now.Format(time.RFC3339)}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("onboarded (-want +got):\n%s", diff)
	}
	u, ok := s.user(strings.ToLower(email))
	if !ok {
		t.Fatal("no user in the pool")
	}
	if u.sub != sub || u.status != ciptypes.UserStatusTypeForceChangePassword || !u.enabled ||
		u.attrs["email_verified"] != "true" || u.attrs["name"] != "Nadia Nowak" || !slices.Equal(u.groups, []string{"reviewers"}) {
		t.Errorf("user in the pool: %+v", u)
	}
	r, ok := s.onRoster(sub)
	if !ok || !r.Reviews() || r.CompanyID != "gamma" || r.Name != "Nadia Nowak" {
		t.Errorf("roster entry: %+v (%v)", r, ok)
	}
	if evs := s.staffEvents(sub); len(evs) != 1 || evs[0].Type != "staff_invited" || evs[0].Actor != adminUser.sub ||
		evs[0].Done != "created the sign-in and sent the invitation; added to reviewers; put on the roster" || evs[0].Outcome != "complete" {
		t.Errorf("audit events: %+v", evs)
	}

	// The same call again: the same answer, one user, one invitation, no new event.
	again := s.must(s.call(s.admin, adminUser, "POST", "/admin/staff", body), 201)
	if diff := cmp.Diff(out, again); diff != "" {
		t.Errorf("repeated onboarding (-first +again):\n%s", diff)
	}
	if n := s.usersWith(strings.ToLower(email)); n != 1 {
		t.Errorf("%d users with the address", n)
	}
	if evs := s.staffEvents(sub); len(evs) != 1 {
		t.Errorf("the repeat was recorded: %+v", evs)
	}

	// The invitation's password signs them in; they set their own and review.
	tokens, err := s.pool.SignIn(context.Background(), strings.ToLower(email), s.pool.TemporaryPassword(email), newPassword)
	if err != nil || aws.ToString(tokens.AccessToken) == "" {
		t.Fatalf("first sign-in: %v", err)
	}
	s.must(s.call(s.reviews, reviewerP(sub), "GET", "/review/requests", nil), 200)
	list := s.must(s.call(s.admin, adminUser, "GET", "/admin/staff", nil), 200)
	for _, it := range list["items"].([]any) {
		if m := it.(map[string]any); m["id"] == sub && m["signIn"] != "active" {
			t.Errorf("after the first sign-in: %v", m)
		}
	}
}

// TestOnboardingStoppedHalfWayIsCompletedByARetry: Cognito fails after the user was
// created and put in one of two groups. The answer is 503 with what was done; the
// roster does not point at the half-made user; the failure is on the record; the same
// call again, Cognito back, finishes the job with the same user.
func TestOnboardingStoppedHalfWayIsCompletedByARetry(t *testing.T) {
	s := newStaffAPI(t)
	s.committee()
	email := strings.ToLower(uniqueEmail("finn"))
	body := map[string]any{"name": "Finn Both", "email": email, "roles": []string{"reviewer", "finance"}}
	flaky := &failingCognito{Client: s.pool.Client, op: "AdminAddUserToGroup", skip: 1}
	h := s.adminWith(flaky, s.store)

	r := s.call(h, adminUser, "POST", "/admin/staff", body)
	if r.status != 503 || r.header.Get("Retry-After") == "" {
		t.Fatalf("half way: %d %s", r.status, r.body)
	}
	if diff := cmp.Diff([]string{"created the sign-in and sent the invitation", "added to reviewers"}, problemDone(t, r)); diff != "" {
		t.Errorf("done (-want +got):\n%s", diff)
	}
	u, ok := s.user(email)
	if !ok || !slices.Equal(u.groups, []string{"reviewers"}) {
		t.Fatalf("user after the failure: %+v %v", u, ok)
	}
	if _, ok := s.onRoster(u.sub); ok {
		t.Error("the roster holds a member whose onboarding did not finish")
	}
	if evs := s.staffEvents(u.sub); len(evs) != 1 || evs[0].Outcome != "incomplete" ||
		evs[0].Done != "created the sign-in and sent the invitation; added to reviewers" {
		t.Errorf("audit of the failure: %+v", evs)
	}

	flaky.heal()
	out := s.must(s.call(h, adminUser, "POST", "/admin/staff", body), 201)
	u, _ = s.user(email)
	if out["id"] != u.sub || !slices.Equal(u.groups, []string{"finance", "reviewers"}) || s.usersWith(strings.ToLower(email)) != 1 {
		t.Errorf("after the retry: %v, user %+v", out, u)
	}
	if r, ok := s.onRoster(u.sub); !ok || !r.Active || !sameRoles(r.Roles, "finance", "reviewer") {
		t.Errorf("roster after the retry: %+v %v", r, ok)
	}
	if evs := s.staffEvents(u.sub); len(evs) != 2 || evs[1].Done != "added to finance; put on the roster" {
		t.Errorf("audit after the retry: %+v", evs)
	}
	if n := len(invitations(t, email)); n != 1 {
		t.Errorf("%d invitations mailed, want the first only", n)
	}
}

func sameRoles(got []sponsorship.Role, want ...string) bool {
	var g []string
	for _, r := range got {
		g = append(g, string(r))
	}
	sort.Strings(g)
	sort.Strings(want)
	return slices.Equal(g, want)
}

// invitations are the temporary passwords mailed to an address.
func invitations(t *testing.T, email string) []string {
	t.Helper()
	all, err := testenv.Invitations(context.Background(), t, email)
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// TestOnboardingFailuresNeverLeaveTheRosterPointingNowhere: when Cognito fails before
// the user exists, nothing is done and the answer says so; when the roster write fails
// after Cognito's steps, the answer lists them and a retry completes the job.
func TestOnboardingFailuresNeverLeaveTheRosterPointingNowhere(t *testing.T) {
	s := newStaffAPI(t)
	s.committee()

	t.Run("Cognito down before the user exists", func(t *testing.T) {
		email := uniqueEmail("ines")
		h := s.adminWith(&failingCognito{Client: s.pool.Client, op: "AdminCreateUser"}, s.store)
		r := s.call(h, adminUser, "POST", "/admin/staff", reviewerBody(email))
		if r.status != 503 || len(problemDone(t, r)) != 0 || !strings.Contains(string(r.body), "Nothing was changed") {
			t.Errorf("answer: %d %s", r.status, r.body)
		}
		if _, ok := s.user(email); ok {
			t.Error("a user was created")
		}
		dir, _ := s.store.Directory(context.Background())
		for _, m := range dir.Reviewers {
			if strings.EqualFold(m.Email, email) {
				t.Errorf("on the roster: %+v", m)
			}
		}
	})

	t.Run("the roster write fails last", func(t *testing.T) {
		email := uniqueEmail("otto")
		store := &failingRoster{Store: s.store}
		h := s.adminWith(s.pool.Client, store)
		r := s.call(h, adminUser, "POST", "/admin/staff", reviewerBody(email))
		if r.status != 503 {
			t.Fatalf("answer: %d %s", r.status, r.body)
		}
		if diff := cmp.Diff([]string{"created the sign-in and sent the invitation", "added to reviewers"}, problemDone(t, r)); diff != "" {
			t.Errorf("done (-want +got):\n%s", diff)
		}
		store.healed = true
		out := s.must(s.call(h, adminUser, "POST", "/admin/staff", reviewerBody(email)), 201)
		if r, ok := s.onRoster(out["id"].(string)); !ok || !r.Reviews() {
			t.Errorf("roster after the retry: %+v %v", r, ok)
		}
	})
}

// TestChangingRolesMovesGroups: a reviewer who becomes finance and admin leaves the
// reviewers group and joins the others; their roster entry says the same.
func TestChangingRolesMovesGroups(t *testing.T) {
	s := newStaffAPI(t)
	s.committee()
	_, sub := s.onboardReviewer("rosa")

	out := s.must(s.call(s.admin, adminUser, "PUT", "/admin/staff/"+sub, map[string]any{
		"name": "Rosa Nowak", "roles": []string{"finance", "admin"}}), 200)
	if out["version"] != 2.0 || out["companyId"] != nil || out["name"] != "Rosa Nowak" || out["signIn"] != "invited" {
		t.Errorf("changed: %v", out)
	}
	u, _ := s.user(sub)
	if !slices.Equal(u.groups, []string{"admins", "finance"}) || u.attrs["name"] != "Rosa Nowak" {
		t.Errorf("user after the change: %+v", u)
	}
	if r, _ := s.onRoster(sub); r.Reviews() || !sameRoles(r.Roles, "admin", "finance") {
		t.Errorf("roster after the change: %+v", r)
	}
	evs := s.staffEvents(sub)
	if last := evs[len(evs)-1]; last.Type != "staff_changed" ||
		last.Done != "updated the name for sign-in; removed from reviewers; added to finance; added to admins; updated the roster" {
		t.Errorf("audit of the change: %+v", last)
	}
	// The e-mail address is the sign-in name: not changed here.
	if r := s.call(s.admin, adminUser, "PUT", "/admin/staff/"+sub, map[string]any{"name": "R", "roles": []string{"finance"}, "email": "x@y.org"}); r.status != 400 {
		t.Errorf("e-mail in a change: %d %s", r.status, r.body)
	}
	if r := s.call(s.admin, adminUser, "PUT", "/admin/staff/nobody-here", map[string]any{"name": "R", "roles": []string{"finance"}}); r.status != 404 {
		t.Errorf("change of nobody: %d %s", r.status, r.body)
	}
}

// TestDeactivationEndsSignInAndSessions: the roster entry goes inactive (no seat, no
// vote), the user is disabled, their refresh token no longer works and they cannot sign
// in; reactivation undoes it. Deactivating twice is harmless, and an admin cannot
// deactivate themselves.
func TestDeactivationEndsSignInAndSessions(t *testing.T) {
	s := newStaffAPI(t)
	s.committee()
	ctx := context.Background()
	email, sub := s.onboardReviewer("vera")
	tokens := s.firstSignIn(email)
	id, _ := s.submitProject("10.00")

	out := s.must(s.call(s.admin, adminUser, "POST", "/admin/staff/"+sub+"/deactivate", nil), 200)
	if out["active"] != false || out["signIn"] != "disabled" {
		t.Errorf("deactivated: %v", out)
	}
	if u, _ := s.user(sub); u.enabled {
		t.Error("the user can still sign in")
	}
	if _, err := s.pool.SignIn(ctx, email, newPassword, ""); !isNotAuthorized(err) {
		t.Errorf("sign-in after deactivation: %v", err)
	}
	if err := s.pool.Refresh(ctx, aws.ToString(tokens.RefreshToken)); !isNotAuthorized(err) {
		t.Errorf("refresh after deactivation: %v", err)
	}
	// An access token issued before still reaches the API until it expires; the roster
	// already keeps its holder from voting.
	if r := s.vote(sub, id, approve()); r.status != 403 {
		t.Errorf("vote after deactivation: %d %s", r.status, r.body)
	}
	evs := s.staffEvents(sub)
	if len(evs) != 3 || evs[1].Done != "marked inactive on the roster" || evs[2].Done != "signed out of every session; disabled sign-in" {
		t.Errorf("audit of the deactivation: %+v", evs)
	}

	again := s.must(s.call(s.admin, adminUser, "POST", "/admin/staff/"+sub+"/deactivate", nil), 200)
	if again["version"] != out["version"] || len(s.staffEvents(sub)) != 3 {
		t.Errorf("second deactivation changed something: %v", again)
	}
	if r := s.call(s.admin, adminUser, "POST", "/admin/staff", reviewerBody(email)); r.status != 409 || r.json(t)["code"] != "deactivated" {
		t.Errorf("onboarding a deactivated person: %d %s", r.status, r.body)
	}
	if r := s.call(s.admin, adminUser, "POST", "/admin/staff/"+sub+"/invitation", nil); r.status != 409 || r.json(t)["code"] != "deactivated" {
		t.Errorf("invitation to a deactivated person: %d %s", r.status, r.body)
	}

	back := s.must(s.call(s.admin, adminUser, "POST", "/admin/staff/"+sub+"/reactivate", nil), 200)
	if back["active"] != true || back["signIn"] != "active" {
		t.Errorf("reactivated: %v", back)
	}
	if _, err := s.pool.SignIn(ctx, email, newPassword, ""); err != nil {
		t.Errorf("sign-in after reactivation: %v", err)
	}
	s.must(s.vote(sub, id, approve()), 200)

	me := s.must(s.call(s.admin, adminUser, "POST", "/admin/staff", map[string]any{
		"name": "Adam Admin", "email": uniqueEmail("adam"), "roles": []string{"admin"}}), 201)["id"].(string)
	self := person{sub: me, groups: "[admins]"}
	// An admin added by hand, not yet on the roster, does not onboard themselves out of
	// the admins group either.
	zoeEmail := strings.ToLower(uniqueEmail("zoe"))
	zoe := person{sub: s.pool.AddUser(zoeEmail, "Zoe Admin", newPassword, "admins"), groups: "[admins]"}
	if r := s.call(s.admin, zoe, "POST", "/admin/staff", map[string]any{"name": "Zoe Admin", "email": zoeEmail, "roles": []string{"finance"}}); r.status != 403 {
		t.Errorf("onboarding oneself without the admin role: %d %s", r.status, r.body)
	}
	if u, _ := s.user(zoeEmail); !slices.Equal(u.groups, []string{"admins"}) {
		t.Errorf("the refused self-onboarding changed the groups: %v", u.groups)
	}
	if r := s.call(s.admin, self, "POST", "/admin/staff/"+me+"/deactivate", nil); r.status != 403 {
		t.Errorf("self-deactivation: %d %s", r.status, r.body)
	}
	if r := s.call(s.admin, self, "PUT", "/admin/staff/"+me, map[string]any{"name": "Adam Admin", "roles": []string{"reviewer"}}); r.status != 403 {
		t.Errorf("giving up one's own admin role: %d %s", r.status, r.body)
	}
	// A deactivated admin's token, still valid until it expires, creates nobody.
	s.must(s.call(s.admin, adminUser, "POST", "/admin/staff/"+me+"/deactivate", nil), 200)
	if r := s.call(s.admin, self, "POST", "/admin/staff", reviewerBody(uniqueEmail("sneaky"))); r.status != 403 {
		t.Errorf("onboarding by a deactivated admin: %d %s", r.status, r.body)
	}
}

func isNotAuthorized(err error) bool {
	var na *ciptypes.NotAuthorizedException
	return errors.As(err, &na)
}

// TestDeactivationStoppedHalfWay: the roster entry goes inactive first, so a Cognito
// failure leaves the member out of the committee, and the answer says what was done; the
// same call completes it.
func TestDeactivationStoppedHalfWay(t *testing.T) {
	s := newStaffAPI(t)
	s.committee()
	ctx := context.Background()
	email, sub := s.onboardReviewer("ugo")
	tokens := s.firstSignIn(email)
	flaky := &failingCognito{Client: s.pool.Client, op: "AdminDisableUser"}
	h := s.adminWith(flaky, s.store)

	r := s.call(h, adminUser, "POST", "/admin/staff/"+sub+"/deactivate", nil)
	if r.status != 503 {
		t.Fatalf("answer: %d %s", r.status, r.body)
	}
	if diff := cmp.Diff([]string{"marked inactive on the roster", "signed out of every session"}, problemDone(t, r)); diff != "" {
		t.Errorf("done (-want +got):\n%s", diff)
	}
	if m, _ := s.onRoster(sub); m.Active {
		t.Error("still active on the roster")
	}
	if err := s.pool.Refresh(ctx, aws.ToString(tokens.RefreshToken)); !isNotAuthorized(err) {
		t.Errorf("a session outlived the sign-out: %v", err)
	}
	flaky.heal()
	s.must(s.call(h, adminUser, "POST", "/admin/staff/"+sub+"/deactivate", nil), 200)
	if u, _ := s.user(sub); u.enabled {
		t.Error("the retry did not disable the user")
	}
}

// TestInvitationIsSentAgainUntilUsed: an invited member gets a new temporary password
// (the old one stops working); once they have signed in, a new invitation is refused.
func TestInvitationIsSentAgainUntilUsed(t *testing.T) {
	s := newStaffAPI(t)
	s.committee()
	ctx := context.Background()
	email, sub := s.onboardReviewer("ida")
	first := s.pool.TemporaryPassword(email)

	out := s.must(s.call(s.admin, adminUser, "POST", "/admin/staff/"+sub+"/invitation", nil), 200)
	if out["signIn"] != "invited" || out["version"] != 1.0 {
		t.Errorf("invited again: %v", out)
	}
	second := s.pool.TemporaryPassword(email)
	if second == first || s.usersWith(email) != 1 || len(invitations(t, email)) != 2 {
		t.Errorf("second invitation: passwords %q %q, %d users", first, second, s.usersWith(email))
	}
	if evs := s.staffEvents(sub); evs[len(evs)-1].Type != "invitation_resent" || evs[len(evs)-1].Done != "sent the invitation again" {
		t.Errorf("audit: %+v", evs)
	}
	if _, err := s.pool.SignIn(ctx, email, first, newPassword); !isNotAuthorized(err) {
		t.Errorf("the first password still works: %v", err)
	}
	if _, err := s.pool.SignIn(ctx, email, second, newPassword); err != nil {
		t.Fatal(err)
	}
	r := s.call(s.admin, adminUser, "POST", "/admin/staff/"+sub+"/invitation", nil)
	if r.status != 409 || r.json(t)["code"] != "signed_in" {
		t.Errorf("invitation after the first sign-in: %d %s", r.status, r.body)
	}
	if r := s.call(s.admin, adminUser, "POST", "/admin/staff/nobody/invitation", nil); r.status != 404 {
		t.Errorf("invitation to nobody: %d %s", r.status, r.body)
	}
}

// TestStaffListShowsEachSignIn: the list merges the roster with the user pool: invited,
// active, disabled, and missing for an entry made by hand without a user.
func TestStaffListShowsEachSignIn(t *testing.T) {
	s := newStaffAPI(t)
	s.committee() // its entries have no users: missing
	_, invited := s.onboardReviewer("ivo")
	activeEmail := uniqueEmail("ana")
	activeSub := s.pool.AddUser(strings.ToLower(activeEmail), "Ana Active", newPassword)
	if got := s.must(s.call(s.admin, adminUser, "POST", "/admin/staff", reviewerBody(activeEmail)), 201); got["id"] != activeSub {
		t.Errorf("a user added by hand was not reused: %v", got)
	}
	_, disabled := s.onboardReviewer("dora")
	s.must(s.call(s.admin, adminUser, "POST", "/admin/staff/"+disabled+"/deactivate", nil), 200)

	got := map[string]string{}
	for _, it := range s.must(s.call(s.admin, adminUser, "GET", "/admin/staff", nil), 200)["items"].([]any) {
		m := it.(map[string]any)
		got[m["id"].(string)] = m["signIn"].(string)
	}
	want := map[string]string{invited: "invited", activeSub: "active", disabled: "disabled", "a1": "missing", financeP.sub: "missing"}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: %q, want %q", id, got[id], w)
		}
	}
	if r := s.call(s.admin, adminUser, "POST", "/admin/staff/a1/reactivate", nil); r.status != 409 || r.json(t)["code"] != "no_sign_in" {
		t.Errorf("reactivating an entry without a user: %d %s", r.status, r.body)
	}
	// The user added by hand came with another name: the roster's wins, in Cognito too.
	if u, _ := s.user(activeSub); u.attrs["name"] != "Nadia Nowak" || !slices.Equal(u.groups, []string{"reviewers"}) {
		t.Errorf("user added by hand, after onboarding: %+v", u)
	}
	// Onboarding the same person with other details is a change, not an onboarding.
	other := reviewerBody(activeEmail)
	other["roles"] = []string{"finance"}
	if r := s.call(s.admin, adminUser, "POST", "/admin/staff", other); r.status != 409 || r.json(t)["code"] != "on_staff" {
		t.Errorf("onboarding again with other roles: %d %s", r.status, r.body)
	}
}

// TestOnboardingReportsEveryFieldError: name, e-mail, roles and company are checked
// together, and nothing reaches Cognito; an address Cognito refuses is a field error
// too.
func TestOnboardingReportsEveryFieldError(t *testing.T) {
	s := newStaffAPI(t)
	s.committee()
	before := len(s.staffEvents("a1"))
	r := s.call(s.admin, adminUser, "POST", "/admin/staff", map[string]any{
		"name": " ", "email": "not-an-address", "roles": []string{"reviewer", "boss"}, "companyId": "nowhere"})
	if diff := cmp.Diff([]string{"companyId=unknown_value", "email=invalid_email", "name=required", "roles[1]=unknown_value"}, r.fieldCodes(t)); r.status != 422 || diff != "" {
		t.Errorf("invalid onboarding: %d (-want +got):\n%s", r.status, diff)
	}
	long := strings.Repeat("a", 120) + "@example.org" // a valid address, past Cognito's longest username
	r = s.call(s.admin, adminUser, "POST", "/admin/staff", map[string]any{"name": "Long", "email": long, "roles": []string{"reviewer"}})
	if diff := cmp.Diff([]string{"email=too_long"}, r.fieldCodes(t)); r.status != 422 || diff != "" {
		t.Errorf("a 132-character address: %d (-want +got):\n%s", r.status, diff)
	}
	r = s.call(s.admin, adminUser, "POST", "/admin/staff", map[string]any{"name": "No Roles", "email": uniqueEmail("nr"), "roles": []string{}})
	if diff := cmp.Diff([]string{"roles=required"}, r.fieldCodes(t)); r.status != 422 || diff != "" {
		t.Errorf("no roles: %d (-want +got):\n%s", r.status, diff)
	}
	r = s.call(s.admin, adminUser, "POST", "/admin/staff", map[string]any{"name": "X", "email": uniqueEmail("x"), "roles": []string{"reviewer"}, "groups": []string{"admins"}})
	if r.status != 400 {
		t.Errorf("a field onboarding does not take: %d %s", r.status, r.body)
	}
	// moto, like Cognito, accepts fewer addresses than the standard allows.
	r = s.call(s.admin, adminUser, "POST", "/admin/staff", map[string]any{"name": "Jörg", "email": "jörg@example.org", "roles": []string{"reviewer"}})
	if diff := cmp.Diff([]string{"email=invalid_email"}, r.fieldCodes(t)); r.status != 422 || diff != "" {
		t.Errorf("an address Cognito refuses: %d (-want +got):\n%s", r.status, diff)
	}
	r = s.call(s.admin, adminUser, "PUT", "/admin/staff/a1", map[string]any{"name": "", "roles": []string{"x"}, "companyId": "nowhere"})
	if diff := cmp.Diff([]string{"companyId=unknown_value", "name=required", "roles[0]=unknown_value"}, r.fieldCodes(t)); r.status != 422 || diff != "" {
		t.Errorf("invalid change: %d (-want +got):\n%s", r.status, diff)
	}
	if n := len(s.staffEvents("a1")); n != before {
		t.Errorf("%d events after refused calls, %d before", n, before)
	}
}

// TestOnlyAdminsOnboard: every staff route refuses callers without a token (401) and
// staff outside the admins group (403), and changes nothing in Cognito.
func TestOnlyAdminsOnboard(t *testing.T) {
	s := newStaffAPI(t)
	s.committee()
	_, sub := s.onboardReviewer("olga")
	email := uniqueEmail("eve")
	routes := []struct {
		method, path string
		body         any
	}{
		{"GET", "/admin/staff", nil},
		{"POST", "/admin/staff", reviewerBody(email)},
		{"PUT", "/admin/staff/" + sub, map[string]any{"name": "Olga", "roles": []string{"admin"}}},
		{"POST", "/admin/staff/" + sub + "/deactivate", nil},
		{"POST", "/admin/staff/" + sub + "/reactivate", nil},
		{"POST", "/admin/staff/" + sub + "/invitation", nil},
	}
	for _, rt := range routes {
		for _, who := range []person{nobody, financeP, reviewerP("a1"), reviewerP(sub), {sub: "x", groups: "[admin]"}} {
			want := 403
			if who == nobody {
				want = 401
			}
			if r := s.call(s.admin, who, rt.method, rt.path, rt.body); r.status != want {
				t.Errorf("%s %s as %q: %d, want %d", rt.method, rt.path, who.sub, r.status, want)
			}
		}
	}
	u, _ := s.user(sub)
	if _, ok := s.user(email); ok || !u.enabled || !slices.Equal(u.groups, []string{"reviewers"}) || len(invitations(t, u.attrs["email"])) != 1 {
		t.Errorf("refused calls changed Cognito: %+v", u)
	}
}
