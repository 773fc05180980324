//go:build integration

package e2e

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
)

// TestRouteAddedToTemplateNeedsNoCodeChange adds a route to a copy of template.yaml
// and starts a stack from the copy: the new route is served, by the function the
// template names, with nothing changed in the local stack's code.
func TestRouteAddedToTemplateNeedsNoCodeChange(t *testing.T) {
	tmpl, err := os.ReadFile(filepath.Join(testenv.Root(), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const anchor = "      Events:\n        SubmitRequest:\n"
	if !strings.Contains(string(tmpl), anchor) {
		t.Fatal("template.yaml no longer has the SubmitRequest event this test extends")
	}
	added := strings.Replace(string(tmpl), anchor, `      Events:
        AddedByTest:
          Type: HttpApi
          Properties:
            ApiId: !Ref HttpApi
            Method: GET
            Path: /added/{thing}
            Auth:
              Authorizer: NONE
        SubmitRequest:
`, 1)
	// The copy lives two folders down, so its CodeUri paths climb back to the root.
	added = strings.ReplaceAll(added, "CodeUri: functions/", "CodeUri: ../../functions/")
	dir := filepath.Join(testenv.Root(), ".cache", "e2e-added-route")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "template.yaml")
	if err := os.WriteFile(path, []byte(added), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := motostack.Start(context.Background(), motostack.Options{
		Root: testenv.Root(), Template: path, StackName: "e2e-added-route", Addr: "127.0.0.1:0",
		Endpoint: os.Getenv("AWS_ENDPOINT_URL"), Log: logOutput(), NoPollers: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if !slices.Contains(s.Routes(), "GET /added/{thing} -> SubmissionsFunction (open)") {
		t.Fatalf("routes: %v", s.Routes())
	}
	resp, err := http.Get(s.URL() + "/added/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// The function has no handler for the path, so it answers with its own problem
	// document; the gateway's own 404 would be {"message":"Not Found"}.
	if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("added route: %d %s, want the function's 404 problem", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}
