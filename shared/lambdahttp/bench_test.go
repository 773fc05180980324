package lambdahttp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/dynamostore"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/lambdahttp"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// BenchmarkAdapter isolates the cost of the Lambda adapter from any storage: a handler
// that answers at once with a fixed JSON body of the given size and the headers our API
// sets, served from a real sample event through lambdahttp.Handler (via=adapter:
// JSON event in, JSON response out), through the library adapter it replaced
// (via=library) and through plain net/http (via=nethttp: an httptest request into a
// recorder). `benchstat -col /via` shows what each adapter adds.
func BenchmarkAdapter(b *testing.B) {
	for _, c := range []struct {
		name   string
		status int
		size   int
		event  string // under events/
	}{
		// A submission's receipt: a small 201 to a POST with a body.
		{"0.3KB", http.StatusCreated, 300, "submissions/post-requests-idempotent.json"},
		// A request as a reviewer sees it, to an event with JWT claims.
		{"2KB", http.StatusOK, 2 << 10, "reviews/get-review.json"},
		// A page of the review queue.
		{"16KB", http.StatusOK, 16 << 10, "reviews/get-queue.json"},
		// The size of the OpenAPI document.
		{"64KB", http.StatusOK, 64 << 10, "reviews/get-queue.json"},
	} {
		body := jsonBody(c.size)
		if c.status == http.StatusCreated {
			body = receipt
		}
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			hd := w.Header()
			hd.Set("X-Request-Id", "Ab1CdEfGhIjKlMn=")
			hd.Set("X-Content-Type-Options", "nosniff")
			hd.Set("Referrer-Policy", "no-referrer")
			hd.Set("Cache-Control", "no-store")
			hd.Set("Content-Type", "application/json")
			if c.status == http.StatusCreated {
				hd.Set("Location", "/requests/01KC0000000000000000000009")
			}
			w.WriteHeader(c.status)
			_, _ = w.Write(body)
		})
		ev := loadEvent(b, c.event)
		b.Run("body="+c.name, func(b *testing.B) {
			b.Run("via=adapter", func(b *testing.B) { viaAdapter(b, lambdahttp.Handler(h), ev, c.status) })
			b.Run("via=library", func(b *testing.B) { viaAdapter(b, libraryAdapter(h), ev, c.status) })
			b.Run("via=nethttp", func(b *testing.B) { viaNetHTTP(b, h, ev, c.status) })
		})
	}
}

// BenchmarkRouter is BenchmarkAdapter with the submissions function's real handler (its
// middleware and router) in place of the fixed one, on the routes that touch no
// storage. Its store points at an address where nothing listens: a route that read
// the table would answer 500 and fail the benchmark.
func BenchmarkRouter(b *testing.B) {
	db := dynamodb.New(dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:9"), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("none", "none", ""),
	})
	svc := sponsorship.NewService(dynamostore.New(db, "no-table"), sponsorship.Config{}, time.Now)
	log := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError})) // as LOG_LEVEL=ERROR
	h := api.NewSubmissions(svc, log)
	for _, c := range []struct {
		name   string
		event  string
		status int
	}{
		{"GET_openapi.yaml", "submissions/get-openapi.json", http.StatusOK},            // 54 KB of YAML
		{"GET_assets_file", "submissions/get-asset-script.json", http.StatusOK},        // 16 KB of JavaScript
		{"GET_root", "submissions/get-form-page.json", http.StatusOK},                  // the form page
		{"default_404", "submissions/unrouted-unknown-path.json", http.StatusNotFound}, // a problem document
		{"default_405", "submissions/unrouted-wrong-method.json", http.StatusMethodNotAllowed},
	} {
		ev := loadEvent(b, c.event)
		b.Run("route="+c.name, func(b *testing.B) {
			b.Run("via=adapter", func(b *testing.B) { viaAdapter(b, lambdahttp.Handler(h), ev, c.status) })
			b.Run("via=nethttp", func(b *testing.B) { viaNetHTTP(b, h, ev, c.status) })
		})
	}
}

// sample is a sample event, as the payload Lambda delivers and as its parts.
type sample struct {
	payload []byte
	event   events.APIGatewayV2HTTPRequest
}

func loadEvent(b *testing.B, name string) sample {
	b.Helper()
	payload, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		b.Fatal(err)
	}
	s := sample{payload: payload}
	if err := json.Unmarshal(payload, &s.event); err != nil {
		b.Fatalf("%s: %v", name, err)
	}
	return s
}

// invocationContext is the context the runtime gives an invocation.
func invocationContext() context.Context {
	return lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "bench"})
}

// libraryAdapter is aws-lambda-go-api-proxy's httpadapter behind aws-lambda-go's
// reflective handler, which lambdahttp.Handler replaced: kept as the comparison.
func libraryAdapter(h http.Handler) lambda.Handler {
	return lambda.NewHandler(httpadapter.NewV2(h).ProxyWithContext)
}

func viaAdapter(b *testing.B, handler lambda.Handler, s sample, status int) {
	ctx := invocationContext()
	want := fmt.Appendf(nil, `{"statusCode":%d,`, status)
	b.ReportAllocs()
	for b.Loop() {
		out, err := handler.Invoke(ctx, s.payload)
		if err != nil {
			b.Fatalf("invoke: %v", err)
		}
		if !bytes.HasPrefix(out, want) {
			b.Fatalf("want status %d, got %.400s", status, out)
		}
	}
}

func viaNetHTTP(b *testing.B, h http.Handler, s sample, status int) {
	ev := s.event
	// The request's context carries the API Gateway request context (claims, request
	// id) as it does behind the adapter; building it is not part of what is measured.
	ctx := lambdahttp.WithGateway(invocationContext(), &ev.RequestContext)
	target := "https://" + ev.RequestContext.DomainName + ev.RawPath
	if ev.RawQueryString != "" {
		target += "?" + ev.RawQueryString
	}
	header := map[string]string{}
	for k, v := range ev.Headers {
		header[http.CanonicalHeaderKey(k)] = v
	}
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequestWithContext(ctx, ev.RequestContext.HTTP.Method, target, strings.NewReader(ev.Body))
		for k, v := range header {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != status {
			b.Fatalf("want status %d, got %d: %.400s", status, w.Code, w.Body)
		}
	}
}

// receipt is a submission's answer.
var receipt = []byte(`{"id":"01KC0000000000000000000009","reference":"ST-00000-00009","status":"submitted",` +
	`"submittedAt":"2026-11-25T12:00:00.123456Z","applicantToken":"q9Xb2kz0VvYl3m8c1R5t7uWnA4sDfGhJkLpZxCvBnM0",` +
	`"links":{"self":"/requests/01KC0000000000000000000009","status":"/status#01KC0000000000000000000009"}}` + "\n")

// jsonBody is a JSON document of about size bytes shaped like our responses: objects
// of short strings, ids, amounts and dates, and some longer free text.
func jsonBody(size int) []byte {
	type amount struct {
		Currency string `json:"currency"`
		Value    string `json:"value"`
	}
	type item struct {
		ID          string            `json:"id"`
		Reference   string            `json:"reference"`
		Kind        string            `json:"kind"`
		Status      string            `json:"status"`
		Title       string            `json:"title"`
		Summary     string            `json:"summary"`
		Amount      amount            `json:"amount"`
		SubmittedAt string            `json:"submittedAt"`
		Links       map[string]string `json:"links"`
	}
	it := item{
		ID: "01KC0000000000000000000001", Reference: "ST-00000-00001", Kind: "conference", Status: "submitted",
		Title:       "Sponsor the toolchains track at Linux Plumbers",
		Summary:     `A silver sponsorship for the toolchains microconference, which covers GCC, LLVM and Rust — "the" place to meet.`,
		Amount:      amount{Currency: "EUR", Value: "5000.00"},
		SubmittedAt: "2026-11-25T12:00:00.123456Z",
		Links:       map[string]string{"self": "/review/requests/01KC0000000000000000000001"},
	}
	var page struct {
		Items []item `json:"items"`
		Next  string `json:"next,omitempty"`
	}
	for {
		out, _ := json.Marshal(page)
		if len(out) >= size {
			return append(out, '\n')
		}
		page.Items = append(page.Items, it)
	}
}
