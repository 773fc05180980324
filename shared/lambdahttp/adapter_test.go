package lambdahttp_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	"github.com/google/go-cmp/cmp"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/lambdahttp"
)

// seen is what a handler saw of its request.
type seen struct {
	Method, URL, RequestURI, RemoteAddr, Body string
	Header                                    http.Header
	Gateway                                   events.APIGatewayV2HTTPRequestContext
	LambdaRequestID                           string
}

// gateway reads the API Gateway context the way each adapter passes it.
type gateway func(context.Context) (events.APIGatewayV2HTTPRequestContext, bool)

func ours(ctx context.Context) (events.APIGatewayV2HTTPRequestContext, bool) {
	rc, ok := lambdahttp.Gateway(ctx)
	if !ok {
		return events.APIGatewayV2HTTPRequestContext{}, false
	}
	return *rc, true
}

func recordingHandler(out *seen, respond func(w http.ResponseWriter), gatewayOf gateway) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		gw, _ := gatewayOf(r.Context())
		*out = seen{Method: r.Method, URL: r.URL.String(), RequestURI: r.RequestURI, RemoteAddr: r.RemoteAddr, Body: string(b),
			Header: r.Header.Clone(), Gateway: gw}
		if lc, ok := lambdacontext.FromContext(r.Context()); ok {
			out.LambdaRequestID = lc.AwsRequestID
		}
		respond(w)
	})
}

// The adapter gives the handler the request and API Gateway the response that
// aws-lambda-go-api-proxy's httpadapter does, for events and responses of every shape
// the functions meet; the two differences are by design and checked apart.
func TestAdapterMatchesTheLibraryAdapter(t *testing.T) {
	claims := &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
		Claims: map[string]string{"sub": "00000000-0000-4000-8000-000000000001", "cognito:groups": "[reviewers]"}}}
	base := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST /review/requests/{id}/votes", RawPath: "/review/requests/01KC%2F1/votes", RawQueryString: "a=1&b=%C3%A9",
		Headers: map[string]string{"content-type": "application/json", "x-forwarded-for": "203.0.113.9", "idempotency-key": "k-0123456789abcdef"},
		Cookies: []string{"a=1", "b=2"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: "gw-1", DomainName: "api.example.org", Stage: "$default",
			RouteKey: "POST /review/requests/{id}/votes", AccountID: "123456789012", APIID: "abc123", Time: "25/Nov/2026:12:00:00 +0000", TimeEpoch: 1795000000000,
			HTTP:       events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "post", Path: "/review/requests/01KC%2F1/votes", SourceIP: "203.0.113.9"},
			Authorizer: claims},
		Body: `{"choice":"approve","comment":"Ünïcode \"quoted\" \u2028 ok"}`,
	}
	binary := base
	binary.Body, binary.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 0xff, 0xfe}), true
	noRawPath := base
	noRawPath.RawPath, noRawPath.RawQueryString, noRawPath.Cookies, noRawPath.Body = "", "", nil, ""

	responses := map[string]func(w http.ResponseWriter){
		"json with our headers": func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.Header().Set("X-Request-Id", "gw-1")
			w.Header().Add("Vary", "Origin")
			w.Header().Add("Vary", "Accept")
			w.WriteHeader(http.StatusUnprocessableEntity)
			io.WriteString(w, "{\"detail\":\"tab\\t, quote \\\" and <b>é</b>\"}\n\x01\x1f")
		},
		"sniffed html": func(w http.ResponseWriter) { io.WriteString(w, "<!doctype html><p>hello</p>") },
		"binary body":  func(w http.ResponseWriter) { w.Write([]byte{0x50, 0x4b, 0x03, 0x04, 0xff, 0x00}) },
		"cookies": func(w http.ResponseWriter) {
			w.Header().Add("Set-Cookie", "s=1; HttpOnly")
			w.Header().Add("Set-Cookie", "t=2")
			w.WriteHeader(http.StatusNoContent)
		},
		"large text": func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/csv")
			io.WriteString(w, strings.Repeat("ST-AAAAA-00001,\"Title, with comma\",EUR,5000.00\r\n", 2000))
		},
	}
	for evName, ev := range map[string]events.APIGatewayV2HTTPRequest{"json": base, "base64 body": binary, "no raw path": noRawPath} {
		payload, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		for respName, respond := range responses {
			t.Run(evName+"/"+respName, func(t *testing.T) {
				ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "lambda-1"})
				var mine, theirs seen
				gotOurs := invoke(t, ctx, lambdahttp.Handler(recordingHandler(&mine, respond, ours)), payload)
				gotTheirs := invoke(t, ctx, lambda.NewHandler(httpadapter.NewV2(recordingHandler(&theirs, respond, core.GetAPIGatewayV2ContextFromContext)).ProxyWithContext), payload)
				if diff := cmp.Diff(gotTheirs, gotOurs); diff != "" {
					t.Errorf("response differs from the library's (-library +ours):\n%s", diff)
				}
				// By design: a header value arrives as the gateway sent it; the library
				// splits values on commas. None of these carries a comma, so the two agree.
				// The gateway context carries what the functions read, not the account,
				// API id and times.
				theirs.Gateway.AccountID, theirs.Gateway.APIID, theirs.Gateway.Time, theirs.Gateway.TimeEpoch = "", "", "", 0
				if diff := cmp.Diff(theirs, mine); diff != "" {
					t.Errorf("the handler's request differs (-library +ours):\n%s", diff)
				}
				if mine.Gateway.Authorizer == nil || mine.Gateway.Authorizer.JWT.Claims["sub"] == "" || mine.LambdaRequestID != "lambda-1" {
					t.Errorf("context lost: %+v", mine)
				}
			})
		}
	}
}

func invoke(t *testing.T, ctx context.Context, h lambda.Handler, payload []byte) events.APIGatewayV2HTTPResponse {
	t.Helper()
	out, err := h.Invoke(ctx, payload)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if resp.Cookies == nil {
		resp.Cookies = []string{} // the library writes [], the adapter leaves the field out
	}
	return resp
}

// Where the adapter differs from the library, on purpose: a header value with commas
// reaches the handler as one value, as the client sent it (the library splits it and
// trims spaces, so an Idempotency-Key "a, b" became "a" and "b"); a handler that writes
// nothing answers 200, as net/http does (the library fails the invocation); header
// values that are not UTF-8 are sent with U+FFFD in their place, as encoding/json does.
func TestAdapterDifferencesFromTheLibrary(t *testing.T) {
	var got seen
	h := lambdahttp.Handler(recordingHandler(&got, func(w http.ResponseWriter) {
		w.Header().Set("X-Odd", "bad \xff byte")
	}, ours))
	payload := []byte(`{"version":"2.0","rawPath":"/x","headers":{"idempotency-key":"a, b","accept":"text/html, application/json"},` +
		`"requestContext":{"http":{"method":"GET"}}}`)
	resp := invoke(t, context.Background(), h, payload)
	if want := []string{"a, b"}; !reflect.DeepEqual(got.Header["Idempotency-Key"], want) {
		t.Errorf("Idempotency-Key reached the handler as %q, want %q", got.Header["Idempotency-Key"], want)
	}
	if got.Header.Get("Accept") != "text/html, application/json" {
		t.Errorf("Accept: %q", got.Header.Get("Accept"))
	}
	if resp.StatusCode != http.StatusOK || resp.Body != "" {
		t.Errorf("a handler that wrote nothing: %d %q", resp.StatusCode, resp.Body)
	}
	if resp.Headers["X-Odd"] != "bad \ufffd byte" {
		t.Errorf("invalid UTF-8 header sent as %q", resp.Headers["X-Odd"])
	}
	if _, err := h.Invoke(context.Background(), []byte(`{"rawPath":`)); err == nil {
		t.Error("a truncated event was accepted")
	}
}

// As with net/http: a Content-Type set to nil turns sniffing off, a header without
// values is not sent, and a large body is answered whole (its buffer is not pooled).
func TestAdapterFollowsNetHTTPHeaderRules(t *testing.T) {
	big := strings.Repeat("x", 200<<10)
	h := lambdahttp.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = nil
		w.Header()["X-Empty"] = []string{}
		if r.URL.Path == "/big" {
			io.WriteString(w, big)
			return
		}
		io.WriteString(w, "<!doctype html><p>not sniffed</p>")
	}))
	for _, path := range []string{"/small", "/big", "/small"} {
		resp := invoke(t, context.Background(), h, []byte(`{"rawPath":"`+path+`","requestContext":{"http":{"method":"GET"}}}`))
		if _, ok := resp.Headers["Content-Type"]; ok {
			t.Errorf("%s: Content-Type %q was sniffed", path, resp.Headers["Content-Type"])
		}
		if _, ok := resp.Headers["X-Empty"]; ok {
			t.Errorf("%s: a header without values was sent", path)
		}
		if want := map[string]int{"/small": 33, "/big": len(big)}[path]; len(resp.Body) != want {
			t.Errorf("%s: body of %d bytes, want %d", path, len(resp.Body), want)
		}
	}
}
