package api_test

import (
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api/openapitest"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/web"
)

// TestUploadingPagesMayReachOnlyTheBucket: the form and the status page, which send
// files to the evidence bucket, may connect to its upload URL, path and all (with S3's
// path-style addresses the host is every bucket's); the confirmation page, which
// uploads nothing, keeps the pages' policy; a URL that could stretch the policy is
// refused before the function starts.
func TestUploadingPagesMayReachOnlyTheBucket(t *testing.T) {
	endpoint := "https://s3.eu-west-1.amazonaws.com/tracker-evidence-123456789012"
	uploads, err := api.WithUploads(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	h := openapitest.New(t).Wrap(t, api.NewSubmissions(nil, slog.New(slog.DiscardHandler), uploads))
	for path, want := range map[string]string{
		"/":        strings.Replace(web.CSP, "connect-src 'self'", "connect-src 'self' "+endpoint, 1),
		"/status":  strings.Replace(web.CSP, "connect-src 'self'", "connect-src 'self' "+endpoint, 1),
		"/confirm": web.CSP,
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if got := rec.Header().Get("Content-Security-Policy"); rec.Code != 200 || got != want {
			t.Errorf("GET %s: %d, policy\n got %s\nwant %s", path, rec.Code, got, want)
		}
	}
	// Without uploads, the pages keep the policy as it is.
	rec := httptest.NewRecorder()
	api.NewSubmissions(nil, slog.New(slog.DiscardHandler)).ServeHTTP(rec, httptest.NewRequest("GET", "/status", nil))
	if got := rec.Header().Get("Content-Security-Policy"); got != web.CSP {
		t.Errorf("without uploads the status page's policy is %s", got)
	}
	for _, bad := range []string{"", "https://s3.amazonaws.com/b; script-src *", "https://s3.amazonaws.com/b x", "*",
		"ftp://s3.amazonaws.com/b", "https://s3.amazonaws.com/b?x=1", "https://user@s3.amazonaws.com/b", "https://s3.amazonaws.com/b,https://evil.example"} {
		if _, err := api.WithUploads(bad); err == nil {
			t.Errorf("WithUploads(%q) accepted", bad)
		}
	}
	for _, good := range []string{"http://127.0.0.1:41234/e2e-abc-evidence-123456789012", "https://tracker-evidence.s3.eu-west-1.amazonaws.com"} {
		if _, err := api.WithUploads(good); err != nil {
			t.Errorf("WithUploads(%q): %v", good, err)
		}
	}
}
