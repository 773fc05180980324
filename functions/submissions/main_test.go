package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/seed"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testenv"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api/openapitest"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/dynamostore"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/platform"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// expected is the status each sample event in events/submissions gets when invoked on
// a table holding the seed data. Every file there must be listed.
var expected = map[string]int{
	"post-requests-conference.json": 201,
	"post-requests-travel.json":     201,
	"post-requests-project.json":    201,
	"post-requests-idempotent.json": 201,
	"post-requests-invalid.json":    422,
	"get-request.json":              200,
	"get-request-wrong-token.json":  404,
	"put-request.json":              200,
	"post-withdraw.json":            200,
	"get-openapi.json":              200,
}

// TestSampleEventsThroughTheLambdaEntryPoint invokes the function's Lambda handler, as
// the runtime does, with every sample event, each against a fresh seeded table.
func TestSampleEventsThroughTheLambdaEntryPoint(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testenv.Root(), "events", "submissions", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample events: %v", err)
	}
	checker := openapitest.New(t)
	seen := map[string]bool{}
	for _, file := range files {
		name := filepath.Base(file)
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			want, ok := expected[name]
			if !ok {
				t.Fatalf("%s has no expected status in this test", name)
			}
			payload, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			invoke := seededFunction(t)
			resp := invoke(payload)
			if resp.StatusCode != want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, want, resp.Body)
			}
			checker.Check(t, requestOf(t, payload), resp.StatusCode, headerOf(resp), []byte(resp.Body))
			if resp.Headers["X-Request-Id"] != "Ab1CdEfGhIjKlMn=" {
				t.Errorf("response does not carry the gateway's request id: %v", resp.Headers)
			}
			if name == "post-requests-idempotent.json" {
				again := invoke(payload)
				if again.StatusCode != 201 || again.Headers["Idempotent-Replayed"] != "true" || again.Body != resp.Body {
					t.Errorf("replay: %d %v %s", again.StatusCode, again.Headers, again.Body)
				}
			}
		})
	}
	for name := range expected {
		if !seen[name] {
			t.Errorf("expected event %s is missing from events/submissions", name)
		}
	}
}

// seededFunction builds the function as main does, on a fresh table with the seed
// data, and returns a way to invoke its Lambda handler with a raw event.
func seededFunction(t *testing.T) func([]byte) events.APIGatewayV2HTTPResponse {
	t.Helper()
	db, table := testenv.Table(t)
	ctx := context.Background()
	if err := seed.Apply(ctx, dynamostore.New(db, table), sponsorship.Config{Calendar: sponsorship.FiscalCalendar{StartMonth: time.January}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"TABLE_NAME": table, "LOG_LEVEL": "ERROR"}
	h, err := newHandler(ctx, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	handler := platform.LambdaHandler(h)
	return func(payload []byte) events.APIGatewayV2HTTPResponse {
		t.Helper()
		out, err := handler.Invoke(ctx, payload)
		if err != nil {
			t.Fatalf("invoke: %v", err)
		}
		var resp events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatalf("response is not an API Gateway v2 response: %v", err)
		}
		return resp
	}
}

// requestOf rebuilds the HTTP request an event describes, for the OpenAPI check.
func requestOf(t *testing.T, payload []byte) *http.Request {
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(payload, &ev); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(ev.RequestContext.HTTP.Method, ev.RawPath, strings.NewReader(ev.Body))
	for k, v := range ev.Headers {
		r.Header.Set(k, v)
	}
	return r
}

func headerOf(resp events.APIGatewayV2HTTPResponse) http.Header {
	h := http.Header{}
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	return h
}

// TestEveryRouteHasASampleEvent keeps events/ true to the template: each route of the
// function in template.yaml has at least one sample event with that route key.
func TestEveryRouteHasASampleEvent(t *testing.T) {
	fn := testenv.Template(t).Resources["SubmissionsFunction"]
	var routes []string
	for _, e := range fn.Properties["Events"].(map[string]any) {
		ev := e.(map[string]any)
		if ev["Type"] != "HttpApi" {
			continue
		}
		p := ev["Properties"].(map[string]any)
		routes = append(routes, p["Method"].(string)+" "+p["Path"].(string))
	}
	files, _ := filepath.Glob(filepath.Join(testenv.Root(), "events", "submissions", "*.json"))
	covered := map[string]bool{}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		covered[ev.RouteKey] = true
	}
	var missing []string
	for _, r := range routes {
		if !covered[r] {
			missing = append(missing, r)
		}
	}
	sort.Strings(missing)
	if diff := cmp.Diff([]string(nil), missing); diff != "" {
		t.Errorf("routes without a sample event:\n%s", diff)
	}
}

// TestMissingConfigurationStopsStartUp checks that a function without its table name
// refuses to start with a message, instead of failing on the first request.
func TestMissingConfigurationStopsStartUp(t *testing.T) {
	_, err := newHandler(context.Background(), func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "TABLE_NAME") {
		t.Errorf("error = %v, want one naming TABLE_NAME", err)
	}
}
