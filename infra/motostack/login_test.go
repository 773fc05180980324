//go:build integration

package motostack_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/google/go-cmp/cmp"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/managedlogin"
)

// The managed login emulation, driven over HTTP as a browser and a client drive it,
// against the test template's WebClient (code flow, scopes openid and email, refresh
// tokens valid two hours, sign-ins of five minutes at most).

// testClock is the managed login's clock in these tests: the wall clock, moved on by
// Advance to expire what the emulation holds.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

var clock = &testClock{}

// webCallback is WebClient's first callback URL, from the template's SiteUrl.
const webCallback = "https://app.example.org/tracker/app/"

var loginSeq atomic.Int64

// member creates a confirmed member of staff with a password and no authenticator yet.
func member(t *testing.T) (email, password string) {
	t.Helper()
	email, password = fmt.Sprintf("login-%d-%d@example.org", time.Now().UnixNano(), loginSeq.Add(1)), "Good-Password-77"
	if _, err := stack.CreateUser(context.Background(), motostack.User{Email: email, Password: password, Groups: []string{"staff"}}); err != nil {
		t.Fatal(err)
	}
	return email, password
}

// enrolled is a member of staff who has signed in once and set up their authenticator.
func enrolled(t *testing.T) (email, password string) {
	t.Helper()
	email, password = member(t)
	if _, err := webSignIn(email, password).Do(context.Background()); err != nil {
		t.Fatal(err)
	}
	return email, password
}

// webSignIn is a sign-in to WebClient; the authenticator's codes come from the stack.
func webSignIn(email, password string) managedlogin.SignIn {
	return managedlogin.SignIn{
		Authority: stack.LoginURL(), ClientID: stack.Physical("WebClient"), RedirectURI: webCallback, Scope: "openid email",
		Email: email, Password: password, Now: clock.Now,
		Code: func(ctx context.Context) (string, error) { return stack.TOTPCode(ctx, email) },
	}
}

// authorizeURL is a valid authorization request for WebClient with some parameters
// changed ("" removes one).
func authorizeURL(change map[string]string) (string, string) {
	verifier, challenge := managedlogin.PKCE()
	q := url.Values{"response_type": {"code"}, "client_id": {stack.Physical("WebClient")}, "redirect_uri": {webCallback},
		"scope": {"openid email"}, "state": {"st-" + strconv.FormatInt(loginSeq.Add(1), 10)},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	for k, v := range change {
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	return stack.LoginURL() + "/oauth2/authorize?" + q.Encode(), verifier
}

// private calls the test API's JWT-protected route and returns the claims it received.
func private(t *testing.T, access string) (int, map[string]string) {
	t.Helper()
	resp, body := call(t, "GET", "/private", nil, "Authorization", "Bearer "+access)
	if resp.StatusCode != 200 {
		return resp.StatusCode, nil
	}
	var e echo
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatal(err)
	}
	return 200, e.Event.RequestContext.Authorizer.JWT.Claims
}

// notTheCode is six digits that are no code of the secret around now.
func notTheCode(secret string) string {
	for n := 0; ; n++ {
		code := fmt.Sprintf("%06d", n)
		now := clock.Now()
		if code != managedlogin.Code(secret, now) && code != managedlogin.Code(secret, now.Add(-30*time.Second)) &&
			code != managedlogin.Code(secret, now.Add(30*time.Second)) {
			return code
		}
	}
}

func tokenError(err error) string {
	var te *managedlogin.TokenError
	if errors.As(err, &te) {
		return fmt.Sprintf("%d %s", te.Status, te.Code)
	}
	return fmt.Sprint(err)
}

// TestManagedLoginSignsInWithPKCEAndTOTP: a member of staff signs in with their
// password, sets up an authenticator the first time and gives its code, and the client
// gets moto's tokens for its code and verifier: tokens the API's authorizer accepts as
// the client's, which refresh, and which userInfo reads. The next sign-in asks for a
// code of the same authenticator; the same browser within the hour is let through
// without a page, until it signs out.
func TestManagedLoginSignsInWithPKCEAndTOTP(t *testing.T) {
	ctx := context.Background()
	email, password := member(t)
	b := managedlogin.NewBrowser()
	in := webSignIn(email, password)
	in.Browser = b
	first, err := in.Do(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Sign in", "Set up your authenticator app"}, first.Steps); diff != "" {
		t.Errorf("first sign-in's pages (-want +got):\n%s", diff)
	}
	if secret, err := stack.TOTPSecret(ctx, email); err != nil || secret != first.Secret || len(first.Secret) != 32 {
		t.Errorf("authenticator secret %q kept as %q (%v)", first.Secret, secret, err)
	}
	if first.IDToken == "" || first.RefreshToken == "" || first.TokenType != "Bearer" || first.ExpiresIn != 3600 {
		t.Errorf("tokens: %+v", first.Tokens)
	}
	status, claims := private(t, first.AccessToken)
	if status != 200 || claims["client_id"] != stack.Physical("WebClient") || claims["cognito:groups"] != "[staff]" ||
		claims["iss"] != stack.Attribute("Pool", "ProviderURL") || claims["token_use"] != "access" {
		t.Fatalf("the API's authorizer: %d %v", status, claims)
	}

	// userInfo answers the user's attributes for the access token.
	req, _ := http.NewRequest("GET", stack.LoginURL()+"/oauth2/userInfo", nil)
	req.Header.Set("Authorization", "Bearer "+first.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var info map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	if resp.StatusCode != 200 || info["email"] != email || info["sub"] != claims["sub"] {
		t.Errorf("userInfo: %d %v", resp.StatusCode, info)
	}

	// The refresh token gives new access and ID tokens, and no new refresh token.
	refreshed, err := managedlogin.Refresh(ctx, stack.LoginURL(), stack.Physical("WebClient"), first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if refreshed.RefreshToken != "" || refreshed.IDToken == "" {
		t.Errorf("refreshed: %+v", refreshed)
	}
	if status, _ := private(t, refreshed.AccessToken); status != 200 {
		t.Errorf("refreshed access token: %d", status)
	}

	// The same browser is still signed in: the authorization returns at once.
	u, _ := authorizeURL(nil)
	page, err := b.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if page.Redirect == nil || page.Redirect.Query().Get("code") == "" {
		t.Errorf("signed-in browser: %d %q, want a redirect with a code", page.Status, page.Title)
	}
	// prompt=login asks again all the same.
	u, _ = authorizeURL(map[string]string{"prompt": "login"})
	if page, _ := b.Open(ctx, u); page.Title != "Sign in" {
		t.Errorf("prompt=login: %q", page.Title)
	}
	// Signing out sends the browser to the client's sign-out URL; then it must sign in again.
	out, err := b.Open(ctx, stack.LoginURL()+"/logout?"+url.Values{"client_id": {stack.Physical("WebClient")}, "logout_uri": {webCallback}}.Encode())
	if err != nil || out.Redirect == nil || out.Redirect.String() != webCallback {
		t.Fatalf("logout: %v %+v", err, out)
	}
	u, _ = authorizeURL(nil)
	if page, _ := b.Open(ctx, u); page.Redirect != nil || page.Title != "Sign in" {
		t.Errorf("after signing out: %q %v", page.Title, page.Redirect)
	}

	// A new sign-in asks for a code of the authenticator set up the first time.
	again, err := webSignIn(email, password).Do(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Sign in", "Enter your code"}, again.Steps); diff != "" {
		t.Errorf("second sign-in's pages (-want +got):\n%s", diff)
	}
}

// TestManagedLoginInvitedUser: someone invited with a temporary password chooses their
// own (one the pool's policy accepts), sets up an authenticator, and is signed in.
func TestManagedLoginInvitedUser(t *testing.T) {
	ctx := context.Background()
	email := fmt.Sprintf("invited-%d@example.org", time.Now().UnixNano())
	if _, err := stack.InviteUser(ctx, motostack.User{Email: email, Password: "Temporary-Pass-1", Groups: []string{"staff"}}); err != nil {
		t.Fatal(err)
	}
	in := webSignIn(email, "Temporary-Pass-1")
	if _, err := in.Do(ctx); err == nil || !strings.Contains(err.Error(), "must choose a new password") {
		t.Fatalf("without a new password: %v", err)
	}
	page, err := weakPasswordPage(ctx, email, "Temporary-Pass-1", "short")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page.Body, "Use at least 12 characters, with a lower-case letter, an upper-case letter and a digit.") ||
		!slices.Equal(page.Errors, []string{"This password is too weak: it needs what the hint under “New password” says."}) {
		t.Fatalf("a weak password: %d %v", page.Status, page.Errors)
	}
	in.NewPassword = "Chosen-Password-9"
	res, err := in.Do(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Sign in", "Choose your password", "Set up your authenticator app"}, res.Steps); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
	if status, _ := private(t, res.AccessToken); status != 200 {
		t.Errorf("token: %d", status)
	}
	// The temporary password is spent; the chosen one signs in.
	if _, err := webSignIn(email, "Temporary-Pass-1").Do(ctx); err == nil {
		t.Error("the temporary password still works")
	}
	if _, err := webSignIn(email, "Chosen-Password-9").Do(ctx); err != nil {
		t.Error(err)
	}
}

// weakPasswordPage is the page a new password the pool's policy refuses gets.
func weakPasswordPage(ctx context.Context, email, temporary, weak string) (*managedlogin.Page, error) {
	b := managedlogin.NewBrowser()
	u, _ := authorizeURL(nil)
	page, err := b.Open(ctx, u)
	if err == nil {
		page, err = b.Submit(ctx, page, map[string]string{"email": email, "password": temporary})
	}
	if err == nil {
		page, err = b.Submit(ctx, page, map[string]string{"new_password": weak, "confirm_password": weak})
	}
	return page, err
}

// TestManagedLoginRefusesAuthorizations: an authorization naming an unknown client or an
// unregistered redirect URI gets a page and no redirect (the code must not reach an
// address the client did not register); other faults go back to the client with the
// state it sent.
func TestManagedLoginRefusesAuthorizations(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name   string
		change map[string]string
		title  string
	}{
		{"unknown client", map[string]string{"client_id": "no-such-client"}, "This sign-in link does not work"},
		{"the scripts' client (no OAuth flows)", map[string]string{"client_id": stack.Physical("Client")}, "This sign-in link does not work"},
		{"redirect URI of another origin", map[string]string{"redirect_uri": "https://evil.example/tracker/app/"}, "This sign-in link does not work"},
		{"redirect URI under a registered one", map[string]string{"redirect_uri": webCallback + "more"}, "This sign-in link does not work"},
		{"no redirect URI", map[string]string{"redirect_uri": ""}, "This sign-in link does not work"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u, _ := authorizeURL(tt.change)
			page, err := managedlogin.NewBrowser().Open(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			if page.Status != 400 || page.Redirect != nil || page.Title != tt.title || page.Form != nil {
				t.Errorf("%d %q %v", page.Status, page.Title, page.Redirect)
			}
		})
	}
	for _, tt := range []struct {
		name   string
		change map[string]string
		error  string
	}{
		{"no PKCE", map[string]string{"code_challenge": "", "code_challenge_method": ""}, "invalid_request"},
		{"plain PKCE", map[string]string{"code_challenge_method": "plain"}, "invalid_request"},
		{"a challenge that is no digest", map[string]string{"code_challenge": "short"}, "invalid_request"},
		{"implicit flow", map[string]string{"response_type": "token"}, "unsupported_response_type"},
		{"a scope the client may not have", map[string]string{"scope": "openid profile"}, "invalid_scope"},
		{"another identity provider", map[string]string{"identity_provider": "Google"}, "invalid_request"},
		{"prompt=none, not signed in", map[string]string{"prompt": "none"}, "login_required"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u, _ := authorizeURL(tt.change)
			state, _ := url.Parse(u)
			page, err := managedlogin.NewBrowser().Open(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			if page.Redirect == nil {
				t.Fatalf("no redirect: %d %q", page.Status, page.Title)
			}
			q := page.Redirect.Query()
			if !strings.HasPrefix(page.Redirect.String(), webCallback+"?") || q.Get("error") != tt.error ||
				q.Get("state") != state.Query().Get("state") || q.Get("code") != "" {
				t.Errorf("redirect %s, want error %s with the state", page.Redirect, tt.error)
			}
		})
	}
}

// TestManagedLoginRefusesPeople: a wrong password, an unknown address, a disabled
// account and wrong codes are refused with messages a person understands, and nobody
// gets a code; a form replayed from another browser is refused.
func TestManagedLoginRefusesPeople(t *testing.T) {
	ctx := context.Background()
	cognito := cip.NewFromConfig(localaws.Config(stack.Endpoint()))
	email, password := enrolled(t)
	secret, err := stack.TOTPSecret(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	wrong := func(context.Context) (string, error) { return notTheCode(secret), nil }
	for _, tt := range []struct {
		name     string
		in       managedlogin.SignIn
		refusal  string
		disabled bool
	}{
		{"wrong password", webSignIn(email, "Wrong-Password-1"), `sign-in refused at "Sign in": The e-mail address or the password is not right.`, false},
		{"unknown address", webSignIn("nobody@example.org", password), `sign-in refused at "Sign in": The e-mail address or the password is not right.`, false},
		{"empty form", webSignIn("", ""), `sign-in refused at "Sign in": Enter your e-mail address.; Enter your password.`, false},
		{"wrong code", func() managedlogin.SignIn { in := webSignIn(email, password); in.Code = wrong; return in }(),
			`sign-in refused at "Enter your code": That code is not right, or it has expired. Enter the code your app shows now.`, false},
		{"not a code", func() managedlogin.SignIn {
			in := webSignIn(email, password)
			in.Code = func(context.Context) (string, error) { return "12ab56", nil }
			return in
		}(), `sign-in refused at "Enter your code": Enter the 6-digit code your authenticator app shows.`, false},
		{"disabled account", webSignIn(email, password), `sign-in refused at "Sign in": Your account is disabled. Ask an administrator to enable it again.`, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.disabled {
				if _, err := cognito.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: aws.String(stack.Physical("Pool")), Username: &email}); err != nil {
					t.Fatal(err)
				}
				defer cognito.AdminEnableUser(ctx, &cip.AdminEnableUserInput{UserPoolId: aws.String(stack.Physical("Pool")), Username: &email})
			}
			if _, err := tt.in.Do(ctx); err == nil || err.Error() != tt.refusal {
				t.Errorf("got %v\nwant %s", err, tt.refusal)
			}
		})
	}

	// A code is good once: the code just accepted does not sign in again.
	t.Run("code used twice", func(t *testing.T) {
		var used string
		in := webSignIn(email, password)
		in.Code = func(ctx context.Context) (string, error) {
			code, err := stack.TOTPCode(ctx, email)
			used = code
			return code, err
		}
		if _, err := in.Do(ctx); err != nil {
			t.Fatal(err)
		}
		in.Code = func(context.Context) (string, error) { return used, nil }
		if _, err := in.Do(ctx); err == nil || !strings.Contains(err.Error(), "That code is not right") {
			t.Errorf("the same code again: %v", err)
		}
	})

	// Five wrong codes end the sign-in.
	t.Run("five wrong codes", func(t *testing.T) {
		b := managedlogin.NewBrowser()
		u, _ := authorizeURL(nil)
		page, err := b.Open(ctx, u)
		if err == nil {
			page, err = b.Submit(ctx, page, map[string]string{"email": email, "password": password})
		}
		for i := 0; i < 5 && err == nil; i++ {
			code, _ := wrong(ctx)
			page, err = b.Submit(ctx, page, map[string]string{"code": code})
		}
		if err != nil || page.Title != "Too many wrong codes" || page.Form != nil || page.Status != 400 {
			t.Errorf("after five wrong codes: %v %d %q", err, page.Status, page.Title)
		}
	})

	// Setting up an authenticator takes one of its codes, not any six digits.
	t.Run("wrong code at the set-up", func(t *testing.T) {
		newcomer, password := member(t)
		b := managedlogin.NewBrowser()
		u, _ := authorizeURL(nil)
		page, err := b.Open(ctx, u)
		if err == nil {
			page, err = b.Submit(ctx, page, map[string]string{"email": newcomer, "password": password})
		}
		if err != nil || page.Secret == "" {
			t.Fatalf("%v %q", err, page.Title)
		}
		page, err = b.Submit(ctx, page, map[string]string{"code": notTheCode(page.Secret)})
		if err != nil || page.Status != 400 || page.Redirect != nil ||
			!slices.Equal(page.Errors, []string{"That code is not right, or it has expired. Enter the code your app shows now."}) {
			t.Errorf("%v %d %v", err, page.Status, page.Errors)
		}
		if _, err := stack.TOTPSecret(ctx, newcomer); err == nil {
			t.Error("the authenticator was kept")
		}
	})

	// The sign-in's form, sent from a browser that did not open it, is refused.
	t.Run("form from another browser", func(t *testing.T) {
		u, _ := authorizeURL(nil)
		page, err := managedlogin.NewBrowser().Open(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		other, err := managedlogin.NewBrowser().Submit(ctx, page, map[string]string{"email": email, "password": password})
		if err != nil || other.Status != 403 || other.Redirect != nil || other.Title != "This form came from another browser" {
			t.Errorf("%v %d %q", err, other.Status, other.Title)
		}
	})
}

// TestManagedLoginTokenEndpointRefusals: a code is redeemed once, before it expires, by
// the client it was issued to, with the redirect URI and the PKCE verifier of its
// authorization; a refresh token stops working when its user is disabled or it expires.
func TestManagedLoginTokenEndpointRefusals(t *testing.T) {
	ctx := context.Background()
	authority, client := stack.LoginURL(), stack.Physical("WebClient")
	email, password := enrolled(t)
	// Each sign-in spends a step of the authenticator: the clock moves on a step first,
	// as a person waits for the next code.
	authorize := func(t *testing.T) (string, string) {
		t.Helper()
		clock.Advance(30 * time.Second)
		code, verifier, _, err := webSignIn(email, password).Authorize(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return code, verifier
	}
	post := func(form url.Values) (int, map[string]string) {
		resp, err := http.PostForm(authority+"/oauth2/token", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}

	code, verifier := authorize(t)
	otherVerifier, _ := managedlogin.PKCE()
	for _, tt := range []struct {
		name string
		form url.Values
		want string
	}{
		{"no verifier", url.Values{"grant_type": {"authorization_code"}, "client_id": {client}, "redirect_uri": {webCallback}, "code": {code}}, "400 invalid_request"},
		{"unknown client", url.Values{"grant_type": {"authorization_code"}, "client_id": {"nope"}, "redirect_uri": {webCallback}, "code": {code}, "code_verifier": {verifier}}, "400 invalid_client"},
		{"no grant type", url.Values{"client_id": {client}, "code": {code}}, "400 invalid_request"},
		{"client credentials", url.Values{"grant_type": {"client_credentials"}, "client_id": {client}}, "400 unsupported_grant_type"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if status, m := post(tt.form); fmt.Sprintf("%d %s", status, m["error"]) != tt.want {
				t.Errorf("%d %v, want %s", status, m, tt.want)
			}
		})
	}
	// Each of these spends the code: a code is single-use, whatever the outcome.
	for _, tt := range []struct {
		name               string
		redirect, verifier string
		advance            time.Duration
		want               string // "" for a successful first exchange
	}{
		{name: "wrong verifier", redirect: webCallback, verifier: otherVerifier, want: "400 invalid_grant"},
		{name: "redirect URI not the authorization's", redirect: "http://localhost:8976/callback", want: "400 invalid_grant"},
		{name: "expired code", redirect: webCallback, advance: 6 * time.Minute, want: "400 invalid_grant"},
		{name: "reused code", redirect: webCallback},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, good := authorize(t)
			v := tt.verifier
			if v == "" {
				v = good
			}
			clock.Advance(tt.advance)
			_, err := managedlogin.Exchange(ctx, authority, client, tt.redirect, code, v)
			if tt.want == "" && err != nil || tt.want != "" && tokenError(err) != tt.want {
				t.Errorf("exchange: %v, want %q", err, tt.want)
			}
			// Spent either way: the right verifier does not bring it back.
			_, err = managedlogin.Exchange(ctx, authority, client, webCallback, code, good)
			if tokenError(err) != "400 invalid_grant" {
				t.Errorf("the code again: %v", err)
			}
		})
	}

	// A disabled user's refresh token stops working (moto would refresh it; Cognito does not).
	t.Run("refresh of a disabled user", func(t *testing.T) {
		clock.Advance(30 * time.Second)
		res, err := webSignIn(email, password).Do(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cognito := cip.NewFromConfig(localaws.Config(stack.Endpoint()))
		pool := aws.String(stack.Physical("Pool"))
		if _, err := cognito.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: pool, Username: &email}); err != nil {
			t.Fatal(err)
		}
		_, err = managedlogin.Refresh(ctx, authority, client, res.RefreshToken)
		_, _ = cognito.AdminEnableUser(ctx, &cip.AdminEnableUserInput{UserPoolId: pool, Username: &email})
		if tokenError(err) != "400 invalid_grant" {
			t.Errorf("refresh: %v", err)
		}
	})
	// WebClient's refresh tokens last two hours.
	t.Run("expired refresh token", func(t *testing.T) {
		clock.Advance(30 * time.Second)
		res, err := webSignIn(email, password).Do(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := managedlogin.Refresh(ctx, authority, client, res.RefreshToken); err != nil {
			t.Fatalf("a fresh refresh token: %v", err)
		}
		clock.Advance(2*time.Hour + time.Minute)
		if _, err := managedlogin.Refresh(ctx, authority, client, res.RefreshToken); tokenError(err) != "400 invalid_grant" {
			t.Errorf("two hours later: %v", err)
		}
	})
}

// TestManagedLoginExpiresSignIns: a sign-in left longer than the client's
// AuthSessionValidity (five minutes here) must start again.
func TestManagedLoginExpiresSignIns(t *testing.T) {
	ctx := context.Background()
	email, password := enrolled(t)
	b := managedlogin.NewBrowser()
	u, _ := authorizeURL(nil)
	page, err := b.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if page, err = b.Submit(ctx, page, map[string]string{"email": email, "password": password}); err != nil || page.Title != "Enter your code" {
		t.Fatalf("%v %q", err, page.Title)
	}
	clock.Advance(5*time.Minute + time.Second)
	code, _ := stack.TOTPCode(ctx, email)
	page, err = b.Submit(ctx, page, map[string]string{"code": code})
	if err != nil || page.Status != 400 || page.Redirect != nil || page.Title != "This sign-in page has expired" {
		t.Errorf("%v %d %q %v", err, page.Status, page.Title, page.Redirect)
	}
}

// TestManagedLoginDiscoveryAndCORS: the discovery document names the pool's issuer and
// the emulation's endpoints; the token and userInfo endpoints answer CORS for the
// origins of the clients' URLs only, so that the app's pages can call them with fetch.
func TestManagedLoginDiscoveryAndCORS(t *testing.T) {
	base := stack.LoginURL()
	resp, err := http.Get(base + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	for k, want := range map[string]string{
		"issuer": stack.Attribute("Pool", "ProviderURL"), "authorization_endpoint": base + "/oauth2/authorize",
		"token_endpoint": base + "/oauth2/token", "userinfo_endpoint": base + "/oauth2/userInfo", "jwks_uri": base + "/.well-known/jwks.json",
	} {
		if doc[k] != want {
			t.Errorf("%s = %v, want %s", k, doc[k], want)
		}
	}
	resp, err = http.Get(base + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	var keys struct{ Keys []map[string]any }
	_ = json.NewDecoder(resp.Body).Decode(&keys)
	resp.Body.Close()
	if len(keys.Keys) == 0 || keys.Keys[0]["kty"] != "RSA" {
		t.Errorf("JWKS: %v", keys)
	}

	for _, tt := range []struct {
		origin  string
		allowed bool
	}{{"https://app.example.org", true}, {"http://localhost:8976", true}, {"https://evil.example", false}, {"https://partner.example", false}} {
		t.Run(tt.origin, func(t *testing.T) {
			req, _ := http.NewRequest("OPTIONS", base+"/oauth2/token", nil)
			req.Header.Set("Origin", tt.origin)
			req.Header.Set("Access-Control-Request-Method", "POST")
			req.Header.Set("Access-Control-Request-Headers", "content-type")
			pre, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			pre.Body.Close()
			req, _ = http.NewRequest("POST", base+"/oauth2/token", strings.NewReader("grant_type=refresh_token&client_id=x"))
			req.Header.Set("Origin", tt.origin)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			got, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got.Body.Close()
			want := ""
			if tt.allowed {
				want = tt.origin
			}
			if pre.StatusCode != 204 || pre.Header.Get("Access-Control-Allow-Origin") != want ||
				(tt.allowed && !strings.Contains(pre.Header.Get("Access-Control-Allow-Methods"), "POST")) {
				t.Errorf("preflight: %d %v", pre.StatusCode, pre.Header)
			}
			if got.Header.Get("Access-Control-Allow-Origin") != want || got.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("token request: %v", got.Header)
			}
		})
	}
}

// TestManagedLoginPagesUnderAStrictPolicy: the sign-in pages load nothing inline and
// nothing from elsewhere, label every field, and let their last form redirect to the
// client's callback only.
func TestManagedLoginPagesUnderAStrictPolicy(t *testing.T) {
	ctx := context.Background()
	email, password := member(t)
	b := managedlogin.NewBrowser()
	u, _ := authorizeURL(nil)
	page, err := b.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	var pages []*managedlogin.Page
	pages = append(pages, page)
	if page, err = b.Submit(ctx, page, map[string]string{"email": email, "password": password}); err != nil {
		t.Fatal(err)
	}
	pages = append(pages, page)
	for _, p := range pages {
		csp := p.Header.Get("Content-Security-Policy")
		if csp != "default-src 'none'; style-src 'self'; img-src data:; form-action 'self' https://app.example.org; base-uri 'none'; frame-ancestors 'none'" {
			t.Errorf("%q: policy %q", p.Title, csp)
		}
		for _, inline := range []string{"<script", " style=", "<style", " onclick=", "javascript:"} {
			if strings.Contains(p.Body, inline) {
				t.Errorf("%q has %q", p.Title, inline)
			}
		}
		for name := range p.Form.Fields {
			if name == "attempt" || name == "_csrf" {
				continue
			}
			if !strings.Contains(p.Body, `<label for="`+name+`">`) || !strings.Contains(p.Body, `id="`+name+`"`) {
				t.Errorf("%q: field %s has no label", p.Title, name)
			}
		}
	}
	if pages[1].Title != "Set up your authenticator app" || pages[1].Status != 200 ||
		!strings.Contains(pages[1].Body, "otpauth://totp/") || !strings.Contains(pages[1].Body, `src="data:image/png;base64,`) {
		t.Errorf("set-up page: %d %q", pages[1].Status, pages[1].Title)
	}
	resp, err := http.Get(stack.LoginURL() + "/login.css")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Errorf("style sheet: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// TestManagedLoginFromTheTemplate: the domain's URL in a function's environment is the
// emulation's; the client in moto carries the template's OAuth settings; a resource
// whose condition does not hold (the identity provider) is not created.
func TestManagedLoginFromTheTemplate(t *testing.T) {
	ctx := context.Background()
	_, body := call(t, "GET", "/open/env", nil)
	var e struct {
		AuthURL   string `json:"authUrl"`
		WebClient string `json:"webClient"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatal(err)
	}
	if e.AuthURL != stack.LoginURL()+"/oauth2/authorize" || e.WebClient != stack.Physical("WebClient") || !strings.HasPrefix(stack.LoginURL(), "http://127.0.0.1:") {
		t.Errorf("environment: %+v, managed login at %s", e, stack.LoginURL())
	}
	cognito := cip.NewFromConfig(localaws.Config(stack.Endpoint()))
	pool := aws.String(stack.Physical("Pool"))
	out, err := cognito.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: pool, ClientId: aws.String(stack.Physical("WebClient"))})
	if err != nil {
		t.Fatal(err)
	}
	c := out.UserPoolClient
	if !aws.ToBool(c.AllowedOAuthFlowsUserPoolClient) || !slices.Equal(c.CallbackURLs, []string{webCallback, "http://localhost:8976/callback"}) ||
		!slices.Equal(c.AllowedOAuthScopes, []string{"openid", "email"}) || !slices.Equal(c.SupportedIdentityProviders, []string{"COGNITO"}) {
		t.Errorf("client in moto: %+v", c)
	}
	idps, err := cognito.ListIdentityProviders(ctx, &cip.ListIdentityProvidersInput{UserPoolId: pool})
	if err != nil || len(idps.Providers) != 0 {
		t.Errorf("identity providers: %v %v", idps, err)
	}
}
