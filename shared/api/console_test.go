package api_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api/openapitest"
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
