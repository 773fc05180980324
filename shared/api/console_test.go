package api_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api/openapitest"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/web"
)

// TestConsoleConfigSaysWhereToSignIn: the console learns from GET /console/config.json
// where managed login is, which client it is, and that the console itself (under the
// public base URL) is its callback and sign-out URL; a function without a console says
// there is none.
func TestConsoleConfigSaysWhereToSignIn(t *testing.T) {
	checker := openapitest.New(t)
	log := slog.New(slog.DiscardHandler)
	get := func(h http.Handler) (*http.Response, []byte) {
		rec := httptest.NewRecorder()
		checker.Wrap(t, h).ServeHTTP(rec, httptest.NewRequest("GET", "/console/config.json", nil))
		body, _ := io.ReadAll(rec.Result().Body)
		return rec.Result(), body
	}

	cfg := api.NewConsoleConfig("https://staff.auth.eu-west-1.amazoncognito.com/", "4example5client6id", "https://grants.example.org/tracker")
	resp, body := get(api.NewSubmissions(nil, log, api.WithConsole(cfg)))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var got map[string]string
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"authority": "https://staff.auth.eu-west-1.amazoncognito.com", "clientId": "4example5client6id",
		"redirectUri": "https://grants.example.org/tracker/console/", "logoutUri": "https://grants.example.org/tracker/console/",
		"scopes": "openid email profile",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("config.json (-want +got):\n%s", diff)
	}

	if resp, body := get(api.NewSubmissions(nil, log)); resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("without a console: %d %s", resp.StatusCode, body)
	}
}

// TestConsolePageMayCallOnlyItsSignIn: the console page is served under the pages'
// policy with one origin added to connect-src, the managed login's (to trade its code
// and refresh tokens), and nothing inline; /console sends the browser to /console/
// relative to where it is, so a base path in front of the API is kept.
func TestConsolePageMayCallOnlyItsSignIn(t *testing.T) {
	checker := openapitest.New(t)
	cfg := api.NewConsoleConfig("https://staff.auth.eu-west-1.amazoncognito.com", "4example5client6id", "https://grants.example.org")
	h := checker.Wrap(t, api.NewSubmissions(nil, slog.New(slog.DiscardHandler), api.WithConsole(cfg)))

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/console/", nil))
	csp := rec.Result().Header.Get("Content-Security-Policy")
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("console page: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	if want := strings.Replace(web.CSP, "connect-src 'self'", "connect-src 'self' https://staff.auth.eu-west-1.amazoncognito.com", 1); csp != want || csp == web.CSP {
		t.Errorf("policy:\n got %s\nwant %s", csp, want)
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("policy allows inline code: %s", csp)
	}

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/console", nil))
	if rec.Code != http.StatusFound || rec.Header().Get("Location") != "console/" {
		t.Errorf("/console: %d to %q, want 302 to console/", rec.Code, rec.Header().Get("Location"))
	}
}
