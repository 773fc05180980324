//go:build integration

package motostack_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/mototest"
)

// ColdStart runs a fresh environment of the function, or of another bootstrap in the
// function's environment, answers the event twice and leaves the function's pool as it
// was.
func TestColdStartRunsAFreshEnvironment(t *testing.T) {
	ctx := context.Background()
	hello := filepath.Join(t.TempDir(), "bootstrap")
	if err := motostack.BuildLambda(ctx, mototest.Root(), "linux", runtime.GOARCH, hello, "./internal/testfunctions/hello"); err != nil {
		t.Fatal(err)
	}
	event := []byte(`{"version":"2.0","routeKey":"GET /open/{id}","rawPath":"/open/cold","pathParameters":{"id":"cold"},` +
		`"requestContext":{"http":{"method":"GET","path":"/open/cold"},"routeKey":"GET /open/{id}"}}`)
	before := len(stack.Stats()["EchoFunction"].ColdStarts)

	answer := func(bin string) string {
		t.Helper()
		cold, warm, res, err := stack.ColdStart(ctx, "EchoFunction", bin, event)
		if err != nil {
			t.Fatal(err)
		}
		if cold <= 0 || warm <= 0 || res.FunctionError != "" {
			t.Fatalf("cold %v, warm %v, error %q", cold, warm, res.FunctionError)
		}
		var resp struct {
			StatusCode int    `json:"statusCode"`
			Body       string `json:"body"`
		}
		if err := json.Unmarshal(res.Payload, &resp); err != nil || resp.StatusCode != 200 {
			t.Fatalf("answer %s: %v", res.Payload, err)
		}
		return resp.Body
	}
	var e echo
	if err := json.Unmarshal([]byte(answer("")), &e); err != nil || e.Event.RawPath != "/open/cold" || e.Greeting != "hello" {
		t.Errorf("the function's own cold start answered %+v (%v)", e, err)
	}
	if got := answer(hello); got != "hello" {
		t.Errorf("the baseline in the function's environment answered %q", got)
	}
	if n := len(stack.Stats()["EchoFunction"].ColdStarts); n != before {
		t.Errorf("ColdStart changed the pool's figures: %d cold starts, had %d", n, before)
	}
	if _, _, _, err := stack.ColdStart(ctx, "NoSuchFunction", "", event); err == nil {
		t.Error("a function the template does not have was started")
	}
}
