//go:build integration

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/managedlogin"
)

// Staff sign in to the console as they will on AWS: the console reads where from
// GET /console/config.json, and signs in through managed login (here the local stack's
// emulation) with the code flow, PKCE and TOTP; the access token it gets is what the
// API's JWT authorizer takes.

// TestConsoleConfigPointsAtTheLocalManagedLogin: locally, the console signs in at the
// emulation's origin, as the console's client, and comes back to the console on the
// stack's own origin.
func TestConsoleConfigPointsAtTheLocalManagedLogin(t *testing.T) {
	c, err := dev.ConsoleConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := struct{ Authority, ClientID, RedirectURI, LogoutURI, Scopes string }{
		dev.LoginURL(), dev.Physical("ConsoleClient"), dev.URL() + "/console/", dev.URL() + "/console/", "openid email profile",
	}
	if diff := cmp.Diff(want, struct{ Authority, ClientID, RedirectURI, LogoutURI, Scopes string }(c)); diff != "" {
		t.Errorf("config.json (-want +got):\n%s", diff)
	}
	if out, err := dev.Output("AuthBaseUrl"); err != nil || out != dev.LoginURL() {
		t.Errorf("output AuthBaseUrl = %q (%v), want the emulation's origin %s", out, err, dev.LoginURL())
	}
}

// TestDemoReviewerSignsInToTheConsole: a demo reviewer signs in with their password and
// a code of their authenticator, and the console's access token opens the review
// queue; their group, carried in the token, keeps them out of admin routes.
func TestDemoReviewerSignsInToTheConsole(t *testing.T) {
	res, err := dev.SignInDemo(context.Background(), "rita.reviewer@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Sign in", "Enter your code"}, res.Steps); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
	rita := as(t, res.AccessToken)
	if r := rita.do("GET", "/review/requests", nil); r.status != 200 || r.json(t)["items"] == nil {
		t.Errorf("queue with the console's token: %d %s", r.status, r.body)
	}
	if r := rita.do("GET", "/admin/reviewers", nil); r.status != 403 {
		t.Errorf("a reviewer at an admin route: %d", r.status)
	}
	// The refreshed token works too.
	c, _ := dev.ConsoleConfig(context.Background())
	refreshed, err := managedlogin.Refresh(context.Background(), c.Authority, c.ClientID, res.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if r := as(t, refreshed.AccessToken).do("GET", "/review/requests", nil); r.status != 200 {
		t.Errorf("queue with the refreshed token: %d %s", r.status, r.body)
	}
}

// TestInvitedReviewerChoosesPasswordAndAuthenticator: someone invited with a temporary
// password signs in with it, chooses their own password, sets up an authenticator and
// reaches the queue; next time they sign in with what they chose and a code. A
// deactivated reviewer's next sign-in fails.
func TestInvitedReviewerChoosesPasswordAndAuthenticator(t *testing.T) {
	ctx := context.Background()
	email := fmt.Sprintf("invited-%d@committee.example", time.Now().UnixNano())
	sub, err := dev.InviteUser(ctx, motostack.User{Email: email, Name: "Ines Invited", Password: "Temporary-Password-7", Groups: []string{"reviewers"}})
	if err != nil {
		t.Fatal(err)
	}
	if r := staff(t, "admin").do("PUT", "/admin/reviewers/"+sub, map[string]any{"name": "Ines Invited", "email": email,
		"companyId": "delta-foundation"}); r.status != 200 {
		t.Fatalf("roster: %d %s", r.status, r.body)
	}
	first, err := dev.ConsoleSignIn(ctx, managedlogin.SignIn{Email: email, Password: "Temporary-Password-7", NewPassword: "Ines-Own-Password-2030"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Sign in", "Choose your password", "Set up your authenticator app"}, first.Steps); diff != "" {
		t.Errorf("first sign-in's pages (-want +got):\n%s", diff)
	}
	if r := as(t, first.AccessToken).do("GET", "/review/requests", nil); r.status != 200 {
		t.Errorf("queue: %d %s", r.status, r.body)
	}
	again, err := dev.ConsoleSignIn(ctx, managedlogin.SignIn{Email: email, Password: "Ines-Own-Password-2030"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Sign in", "Enter your code"}, again.Steps); diff != "" {
		t.Errorf("second sign-in's pages (-want +got):\n%s", diff)
	}

	if err := dev.DisableUser(ctx, email); err != nil {
		t.Fatal(err)
	}
	_, err = dev.ConsoleSignIn(ctx, managedlogin.SignIn{Email: email, Password: "Ines-Own-Password-2030"})
	if err == nil || !strings.Contains(err.Error(), "Your account is disabled") {
		t.Errorf("a disabled reviewer signs in: %v", err)
	}
	c, _ := dev.ConsoleConfig(ctx)
	if _, err := managedlogin.Refresh(ctx, c.Authority, c.ClientID, again.RefreshToken); err == nil {
		t.Error("a disabled reviewer's refresh token still works")
	}
}
