package eventtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/devstack/seed"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/dynamostore"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/lambdahttp"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// Route is one route of a function to benchmark: a successful sample event of it, the
// status every iteration must get, and, for a write that cannot simply be repeated, how
// each iteration gets a request of its own.
type Route struct {
	// Event is the sample event's file under events/<Folder>.
	Event string
	// Want is the status every iteration must get; any other fails the benchmark.
	Want int
	// Name is the value of route= in the benchmark's name. Empty means the event's
	// route key with "/" and " " made "_" and braces dropped: GET /requests/{id} is
	// GET_requests_id, GET / is GET_root.
	Name string
	// Prepare, when set, runs once on the route's fresh table before any iteration:
	// to send a request once so that the iterations replay it, or to make room (a
	// bigger budget) for the writes the iterations make.
	Prepare func(tb testing.TB, s *Setup)
	// Fresh, when set, rewrites a copy of the sample event for each iteration, before
	// the timer starts: a new Idempotency-Key, or a request of its own to withdraw or
	// pay. Without it every iteration sends the sample event as it is.
	Fresh func(tb testing.TB, s *Setup, ev *events.APIGatewayV2HTTPRequest)
}

// Setup is what a route's Prepare and Fresh work with: its table, holding the demo
// data, and the function's handler on that table.
type Setup struct {
	Store   *dynamostore.Store
	Table   string
	Handler http.Handler
	folder  string
	seed    *seed.File
}

// Bench benchmarks each route of fn on a freshly seeded table of its own, as
// BenchmarkRoutes/route=<name>/via=adapter and .../via=nethttp:
//
//   - via=adapter invokes lambdahttp.Handler(h) with the event's JSON payload and
//     gets the JSON response back, exactly as the Lambda runtime does;
//   - via=nethttp builds the same request with httptest.NewRequest (with the API
//     Gateway request context, JWT claims included, already in its context, as an
//     authenticating front would leave it) and serves it with h.ServeHTTP into a
//     recorder.
//
// The difference between the two is the adapter's cost per request. Every iteration
// checks its status. The function logs at LOG_LEVEL=ERROR, as in the sample-event
// tests, so the access-log line each request writes at INFO is not in the figures. The table's cost dominates both; see shared/lambdahttp's
// BenchmarkAdapter for the adapter on its own. Call it from BenchmarkRoutes, and list
// every route of the function in template.yaml but its $default catch-all, whose
// answers are all errors.
func Bench(b *testing.B, fn Function, routes ...Route) {
	f, err := seed.Load()
	if err != nil {
		b.Fatal(err)
	}
	names := map[string]bool{}
	keys := map[string]bool{}
	for _, rt := range routes {
		raw := readEvent(b, fn.Folder, rt.Event)
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			b.Fatalf("%s: %v", rt.Event, err)
		}
		name := rt.Name
		if name == "" {
			name = RouteName(ev.RouteKey)
		}
		if names[name] {
			b.Fatalf("two routes named %s", name)
		}
		names[name], keys[ev.RouteKey] = true, true
		b.Run("route="+name, func(b *testing.B) {
			e := prepare(b, fn)
			s := &Setup{Store: e.store, Table: e.table, Handler: e.handler, folder: fn.Folder, seed: f}
			if rt.Prepare != nil {
				rt.Prepare(b, s)
			}
			raw := e.rewrite(raw)
			b.Run("via=adapter", func(b *testing.B) { benchAdapter(b, s, rt, raw) })
			b.Run("via=nethttp", func(b *testing.B) { benchNetHTTP(b, s, rt, raw) })
		})
	}
	var missing []string
	for _, key := range routeKeys(b, fn.LogicalID) {
		if key != "$default" && !keys[key] {
			missing = append(missing, key)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		b.Errorf("routes of %s without a benchmark: %v", fn.LogicalID, missing)
	}
}

// RouteName makes a route key a benchstat-friendly name: no spaces, no "/".
func RouteName(routeKey string) string {
	method, path, _ := strings.Cut(routeKey, " ")
	path = strings.NewReplacer("{", "", "}", "", "$", "").Replace(strings.Trim(path, "/"))
	switch {
	case routeKey == "$default":
		return "default"
	case path == "":
		return method + "_root"
	}
	return method + "_" + strings.ReplaceAll(path, "/", "_")
}

// input is one iteration's request in both forms.
type input struct {
	payload []byte // the Lambda event, JSON
	method  string
	target  string
	header  map[string]string // canonical names
	body    string
	ctx     context.Context // for via=nethttp: holds the API Gateway request context
}

// invocationContext is the context the Lambda runtime gives an invocation.
func invocationContext() context.Context {
	return lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "bench"})
}

// inputs builds the requests of the b.N iterations: the sample file's bytes when the
// route has no Fresh, else b.N fresh events, each encoded again (compact, as Lambda
// delivers them).
func inputs(b *testing.B, s *Setup, rt Route, raw []byte) []input {
	b.Helper()
	n := 1
	if rt.Fresh != nil {
		n = b.N
	}
	out := make([]input, n)
	for i := range out {
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			b.Fatal(err)
		}
		payload := raw
		if rt.Fresh != nil {
			rt.Fresh(b, s, &ev)
			var err error
			if payload, err = json.Marshal(ev); err != nil {
				b.Fatal(err)
			}
		}
		target := "https://" + ev.RequestContext.DomainName + ev.RawPath
		if ev.RawQueryString != "" {
			target += "?" + ev.RawQueryString
		}
		header := map[string]string{}
		for k, v := range ev.Headers {
			header[http.CanonicalHeaderKey(k)] = v
		}
		out[i] = input{payload: payload, method: ev.RequestContext.HTTP.Method, target: target,
			header: header, body: ev.Body, ctx: lambdahttp.WithGateway(invocationContext(), &ev.RequestContext)}
	}
	return out
}

func benchAdapter(b *testing.B, s *Setup, rt Route, raw []byte) {
	in := inputs(b, s, rt, raw)
	handler := lambdahttp.Handler(s.Handler)
	ctx := invocationContext()
	// The response is {"statusCode":201,...}: checking its start costs nothing next to
	// decoding it.
	want := fmt.Appendf(nil, `{"statusCode":%d,`, rt.Want)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		out, err := handler.Invoke(ctx, in[i%len(in)].payload)
		if err != nil {
			b.Fatalf("iteration %d: invoke: %v", i, err)
		}
		if !bytes.HasPrefix(out, want) {
			b.Fatalf("iteration %d: want status %d, got %.400s", i, rt.Want, out)
		}
	}
}

func benchNetHTTP(b *testing.B, s *Setup, rt Route, raw []byte) {
	in := inputs(b, s, rt, raw)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		x := &in[i%len(in)]
		r := httptest.NewRequestWithContext(x.ctx, x.method, x.target, strings.NewReader(x.body))
		for k, v := range x.header {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		s.Handler.ServeHTTP(w, r)
		if w.Code != rt.Want {
			b.Fatalf("iteration %d: want status %d, got %d: %.400s", i, rt.Want, w.Code, w.Body)
		}
	}
}

// Invoke sends ev through the function's Lambda entry point, as Bench's via=adapter
// does, and returns the response; it fails tb when the invocation fails.
func (s *Setup) Invoke(tb testing.TB, ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	tb.Helper()
	payload, err := json.Marshal(ev)
	if err != nil {
		tb.Fatal(err)
	}
	out, err := lambdahttp.Handler(s.Handler).Invoke(context.Background(), payload)
	if err != nil {
		tb.Fatalf("invoke: %v", err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		tb.Fatalf("not an API Gateway v2 response: %v", err)
	}
	return resp
}

// Event reads a sample event of the function.
func (s *Setup) Event(tb testing.TB, name string) events.APIGatewayV2HTTPRequest {
	tb.Helper()
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(readEvent(tb, s.folder, name), &ev); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return ev
}

// Copy stores a new request with the content of the demo request seedID (seed.json)
// and the same steps after submission, under a new id and applicant token, so that it
// stands where the demo request stood when seeded: a copy of the approved demo request
// is approved, its amount committed to the budget. It returns the id and the token.
func (s *Setup) Copy(tb testing.TB, seedID string) (id, token string) {
	tb.Helper()
	d, content, now := s.demo(tb, seedID)
	ctx := context.Background()
	id, token = sponsorship.NewID(now), randomToken()
	cal := sponsorship.FiscalCalendar{StartMonth: time.January} // as seededTable's
	req := &sponsorship.Request{
		ID: id, Reference: sponsorship.ReferenceFor(id), Status: sponsorship.StatusSubmitted, Version: 1, Round: 1,
		FiscalYear: cal.YearOf(content, now), Content: content, TokenHash: sponsorship.HashSecret(token),
		SubmittedAt: now, UpdatedAt: now, Paid: money.Money{Currency: content.Amount.Currency},
	}
	ev := sponsorship.AuditEvent{RequestID: id, Version: 1, Type: sponsorship.EventSubmitted, At: now,
		ToStatus: sponsorship.StatusSubmitted, Actor: sponsorship.Actor{Role: sponsorship.RoleApplicant, Name: content.Applicant.Name}}
	if err := s.Store.CreateRequest(ctx, req, ev, nil); err != nil {
		tb.Fatalf("copy %s: %v", seedID, err)
	}
	for _, step := range d.Then {
		t, err := sponsorship.CheckTransition(req.Status, step.To, step.By)
		if err != nil {
			tb.Fatal(err)
		}
		next := *req
		next.Status, next.Version = step.To, req.Version+1
		c := sponsorship.Change{Request: &next, Events: []sponsorship.AuditEvent{{RequestID: id, Version: next.Version,
			Type: t.Event, At: now, FromStatus: req.Status, ToStatus: step.To, Message: step.Message,
			Actor: sponsorship.Actor{Role: step.By, ID: "bench", Name: "Bench " + string(step.By)}}}}
		if step.To == sponsorship.StatusApproved {
			approved := next.Amount
			next.Approved, next.DecidedAt = &approved, now
			c.Commit = &sponsorship.Commitment{FiscalYear: next.FiscalYear, Category: next.Kind, Amount: approved}
		}
		if err := s.Store.Apply(ctx, c); err != nil {
			tb.Fatalf("copy %s: %s: %v", seedID, step.To, err)
		}
		req = &next
	}
	return id, token
}

// demo finds the demo request seedID in seed.json and validates its content as of when
// a copy's history happens: the demo data's date, as the demo request's did (the sample
// events come later: a sample payment is not dated before its approval), or now for a
// request still waiting for its address to be confirmed, whose link would otherwise
// have expired.
func (s *Setup) demo(tb testing.TB, seedID string) (*seed.Request, sponsorship.Content, time.Time) {
	tb.Helper()
	for i := range s.seed.Requests {
		if d := &s.seed.Requests[i]; d.ID == seedID {
			now := s.seed.AsOf
			if d.ConfirmCode != "" {
				now = time.Now()
			}
			now = now.UTC().Truncate(time.Microsecond)
			content, err := sponsorship.Validate(d.Input, sponsorship.DefaultRules, now.Format("2006-01-02"))
			if err != nil {
				tb.Fatal(err)
			}
			return d, content, now
		}
	}
	tb.Fatalf("seed.json has no request %s", seedID)
	return nil, sponsorship.Content{}, time.Time{}
}

// Retarget points ev at request id instead of the one in its path and, when token is
// not empty, presents token as the applicant's bearer token.
func Retarget(ev *events.APIGatewayV2HTTPRequest, id, token string) {
	old := ev.PathParameters["id"]
	ev.RawPath = strings.Replace(ev.RawPath, old, id, 1)
	ev.RequestContext.HTTP.Path = strings.Replace(ev.RequestContext.HTTP.Path, old, id, 1)
	ev.PathParameters["id"] = id
	if token != "" {
		ev.Headers["authorization"] = "Bearer " + token
	}
}

// NewIdempotencyKey gives ev an Idempotency-Key no request has used.
func NewIdempotencyKey(ev *events.APIGatewayV2HTTPRequest) {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	ev.Headers["idempotency-key"] = "bench-" + hex.EncodeToString(b)
}

// NewApplicantEmail gives the submission in ev an applicant address of its own: an
// address may have only a few unconfirmed requests a day.
func NewApplicantEmail(tb testing.TB, ev *events.APIGatewayV2HTTPRequest) {
	tb.Helper()
	var body map[string]any
	if err := json.Unmarshal([]byte(ev.Body), &body); err != nil {
		tb.Fatalf("submission body: %v", err)
	}
	applicant, ok := body["applicant"].(map[string]any)
	if !ok {
		tb.Fatal("the submission has no applicant")
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	applicant["email"] = "bench-" + hex.EncodeToString(b) + "@example.org"
	raw, _ := json.Marshal(body)
	ev.Body = string(raw)
}

// Unconfirmed stores a new request like the demo request seedID, waiting for its
// address to be confirmed, and returns its id and confirmation code.
func (s *Setup) Unconfirmed(tb testing.TB, seedID string) (id, code string) {
	tb.Helper()
	_, content, now := s.demo(tb, seedID)
	id, code = sponsorship.NewID(now), randomToken()
	req := &sponsorship.Request{
		ID: id, Reference: sponsorship.ReferenceFor(id), Status: sponsorship.StatusUnconfirmed, Version: 1, Round: 1,
		FiscalYear: now.Year(), Content: content, TokenHash: sponsorship.HashSecret(randomToken()),
		SubmittedAt: now, UpdatedAt: now, Paid: money.Money{Currency: content.Amount.Currency},
		ExpiresAt: now.Add(sponsorship.DefaultConfirmWithin), ConfirmHash: sponsorship.HashSecret(code),
	}
	ev := sponsorship.AuditEvent{RequestID: id, Version: 1, Type: sponsorship.EventReceived, At: now,
		ToStatus: sponsorship.StatusUnconfirmed, Actor: sponsorship.Actor{Role: sponsorship.RoleApplicant, Name: content.Applicant.Name}}
	// Each with an address of its own, as NewApplicantEmail: the daily count stays low.
	if err := s.Store.CreateProvisional(context.Background(), req, ev, nil,
		sponsorship.PendingFor(code, "bench-"+id+"@example.org", now, sponsorship.DefaultUnconfirmedPerDay)); err != nil {
		tb.Fatalf("unconfirmed request: %v", err)
	}
	return id, code
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func readEvent(tb testing.TB, folder, name string) []byte {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join(testenv.Root(), "events", folder, name))
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// routeKeys lists the HTTP API route keys of a function in template.yaml.
func routeKeys(tb testing.TB, logicalID string) []string {
	tb.Helper()
	res, ok := testenv.Template(tb).Resources[logicalID]
	if !ok {
		tb.Fatalf("template.yaml has no %s", logicalID)
	}
	var keys []string
	for _, e := range res.Properties["Events"].(map[string]any) {
		ev := e.(map[string]any)
		if ev["Type"] != "HttpApi" {
			continue
		}
		p := ev["Properties"].(map[string]any)
		if p["Path"] == "/$default" {
			keys = append(keys, "$default")
			continue
		}
		keys = append(keys, p["Method"].(string)+" "+p["Path"].(string))
	}
	return keys
}
