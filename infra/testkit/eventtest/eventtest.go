// Package eventtest runs a function's sample events (events/<folder>/*.json) through its
// Lambda entry point, as the runtime would, each on a fresh table holding the demo data,
// and checks each response's status and its conformance to the OpenAPI document. It
// also checks that every route of the function in template.yaml has a sample event.
package eventtest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/devstack/seed"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api/openapitest"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/dynamostore"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/lambdahttp"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// Function describes a function under test.
type Function struct {
	LogicalID string // in template.yaml
	Folder    string // under events/
	// NewHandler builds the function's handler from its environment, as main does.
	NewHandler func(ctx context.Context, getenv func(string) string) (http.Handler, error)
	// Expected is the status each event file gets. Every file must be listed.
	Expected map[string]int
	// Env adds to the function's environment.
	Env map[string]string
	// UserPool gives the function a Cognito user pool of its own for each event
	// (USER_POOL_ID) holding the demo staff, as the local stack's does. The roster then
	// holds them under their Cognito subjects, and the fixture subjects in the sample
	// events stand for those: each is replaced by its user's subject before the event
	// is sent.
	UserPool bool
	// Buckets names the variables of Env that hold bucket names: each bucket is made in
	// moto first (once; the test run shares one moto).
	Buckets []string
	// Keys names the variables of Env that receive a KMS key made in moto for the
	// function (its payout key).
	Keys []string
}

// Run invokes every sample event of the function.
func Run(t *testing.T, fn Function) {
	files, err := filepath.Glob(filepath.Join(testenv.Root(), "events", fn.Folder, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample events in events/%s: %v", fn.Folder, err)
	}
	checker := openapitest.New(t)
	seen := map[string]bool{}
	for _, file := range files {
		name := filepath.Base(file)
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			want, ok := fn.Expected[name]
			if !ok {
				t.Fatalf("%s has no expected status", name)
			}
			payload, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			invoke, rewrite := seeded(t, fn)
			payload = rewrite(payload)
			resp := invoke(payload)
			if resp.StatusCode != want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, want, resp.Body)
			}
			checker.Check(t, requestOf(t, payload), resp.StatusCode, headerOf(resp), []byte(resp.Body))
			if strings.HasPrefix(name, "post-requests-idempotent") {
				again := invoke(payload)
				if again.StatusCode != want || again.Headers["Idempotent-Replayed"] != "true" || again.Body != resp.Body {
					t.Errorf("replay: %d %v %s", again.StatusCode, again.Headers, again.Body)
				}
			}
		})
	}
	for name := range fn.Expected {
		if !seen[name] {
			t.Errorf("expected event %s is missing from events/%s", name, fn.Folder)
		}
	}
	checkRoutesCovered(t, fn, files)
}

// SeededTable creates a fresh table holding the demo data: requests, the reviewers
// under the fixture subjects the sample events carry, and budgets.
func SeededTable(t testing.TB) (*dynamostore.Store, string) {
	t.Helper()
	f, err := seed.Load()
	if err != nil {
		t.Fatal(err)
	}
	return seededTable(t, f.FixtureIDs())
}

// seededTable is SeededTable with the staff on the roster under the subjects ids gives
// for their e-mail addresses.
func seededTable(t testing.TB, ids map[string]string) (*dynamostore.Store, string) {
	t.Helper()
	db, table := testenv.Table(t)
	ctx := context.Background()
	store := dynamostore.New(db, table)
	if err := seed.ApplyStaff(ctx, store, ids, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := seed.Apply(ctx, store, sponsorship.Config{Calendar: sponsorship.FiscalCalendar{StartMonth: time.January}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	return store, table
}

// environment is what a function under test runs with: a fresh table holding the demo
// data, its environment, its handler, and how a sample event becomes one for this
// table and user pool.
type environment struct {
	store   *dynamostore.Store
	table   string
	handler http.Handler
	rewrite func([]byte) []byte
}

// prepare builds the function's environment. With fn.UserPool the demo staff are made
// users of a pool of the function's own, with the seed's password.
func prepare(tb testing.TB, fn Function) environment {
	tb.Helper()
	f, err := seed.Load()
	if err != nil {
		tb.Fatal(err)
	}
	env := map[string]string{"LOG_LEVEL": "ERROR"}
	ids, rewrite := f.FixtureIDs(), func(b []byte) []byte { return b }
	if fn.UserPool {
		pool := testenv.NewUserPool(tb)
		env["USER_POOL_ID"] = pool.ID
		ids = map[string]string{}
		var pairs []string
		for _, u := range f.Users {
			ids[u.Email] = pool.AddUser(u.Email, u.Name, f.Password, u.Groups...)
			pairs = append(pairs, u.FixtureID, ids[u.Email])
		}
		replacer := strings.NewReplacer(pairs...)
		rewrite = func(b []byte) []byte { return []byte(replacer.Replace(string(b))) }
	}
	store, table := seededTable(tb, ids)
	env["TABLE_NAME"] = table
	for k, v := range fn.Env {
		env[k] = v
	}
	if len(fn.Buckets) > 0 {
		client := s3.NewFromConfig(testenv.AWSConfig(tb), func(o *s3.Options) { o.UsePathStyle = true })
		for _, k := range fn.Buckets {
			_, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(env[k])})
			var owned *s3types.BucketAlreadyOwnedByYou
			if err != nil && !errors.As(err, &owned) {
				tb.Fatalf("bucket %s: %v", env[k], err)
			}
		}
	}
	for _, k := range fn.Keys {
		env[k] = testenv.KMSKey(tb)
	}
	h, err := fn.NewHandler(context.Background(), func(k string) string { return env[k] })
	if err != nil {
		tb.Fatal(err)
	}
	return environment{store: store, table: table, handler: h, rewrite: rewrite}
}

// seeded builds the function on a fresh seeded table and returns its invoker, and how
// a sample event becomes one for it.
func seeded(t *testing.T, fn Function) (func([]byte) events.APIGatewayV2HTTPResponse, func([]byte) []byte) {
	t.Helper()
	ctx := context.Background()
	e := prepare(t, fn)
	handler := lambdahttp.Handler(e.handler)
	return func(payload []byte) events.APIGatewayV2HTTPResponse {
		t.Helper()
		out, err := handler.Invoke(ctx, payload)
		if err != nil {
			t.Fatalf("invoke: %v", err)
		}
		var resp events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatalf("not an API Gateway v2 response: %v", err)
		}
		if resp.Headers["X-Request-Id"] == "" {
			t.Errorf("response without a request id: %v", resp.Headers)
		}
		return resp
	}, e.rewrite
}

func requestOf(t *testing.T, payload []byte) *http.Request {
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(payload, &ev); err != nil {
		t.Fatal(err)
	}
	target := ev.RawPath
	if ev.RawQueryString != "" {
		target += "?" + ev.RawQueryString
	}
	r := httptest.NewRequest(ev.RequestContext.HTTP.Method, target, strings.NewReader(ev.Body))
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

// checkRoutesCovered keeps events/ true to the template: each route of the function has
// at least one sample event with its route key.
func checkRoutesCovered(t *testing.T, fn Function, files []string) {
	res, ok := testenv.Template(t).Resources[fn.LogicalID]
	if !ok {
		t.Fatalf("template.yaml has no %s", fn.LogicalID)
	}
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
	for _, e := range res.Properties["Events"].(map[string]any) {
		ev := e.(map[string]any)
		if ev["Type"] != "HttpApi" {
			continue
		}
		p := ev["Properties"].(map[string]any)
		key := p["Method"].(string) + " " + p["Path"].(string)
		if p["Path"] == "/$default" {
			key = "$default" // API Gateway's route key for the catch-all
		}
		if !covered[key] {
			missing = append(missing, key)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("routes of %s without a sample event: %v", fn.LogicalID, missing)
	}
}
