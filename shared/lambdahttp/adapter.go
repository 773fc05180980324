// Package lambdahttp serves an http.Handler as a Lambda function behind an API Gateway
// HTTP API (payload format 2.0), and carries the gateway's request context to the
// handler. It knows nothing of the product: the API's handlers are plain net/http.
package lambdahttp

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Handler turns h into a Lambda handler for API Gateway HTTP API events (payload
// format 2.0; see httpAPIHandler). Tests invoke it with the sample events to exercise
// exactly what runs.
func Handler(h http.Handler) lambda.Handler {
	return httpAPIHandler{h: h}
}

// httpAPIHandler serves an http.Handler as a Lambda function behind an API Gateway HTTP
// API (payload format 2.0). It does what aws-lambda-go-api-proxy's httpadapter did
// here — the same request for the handler, the same response for API Gateway, checked
// against it by a test — at a fraction of the cost (BENCHMARKS.md, "Per request, in
// process"): the event is decoded once with go-json-experiment/json (what becomes
// encoding/json/v2) instead of twice through encoding/json's reflection, the request is
// built once, and the response is written once into one buffer. The gateway's request
// context travels in the request's context (Gateway).
type httpAPIHandler struct {
	h http.Handler
}

// lenient decoding: API Gateway sends well-formed JSON, but a header with invalid UTF-8
// or a repeated name must not turn a request into a function error.
var decodeOptions = json.JoinOptions(jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))

// httpAPIEvent is the part of a payload 2.0 event the adapter uses; the decoder skips
// the rest (path parameters, account and API ids, times) without building it.
type httpAPIEvent struct {
	RawPath         string            `json:"rawPath"`
	RawQueryString  string            `json:"rawQueryString"`
	Cookies         []string          `json:"cookies"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	RequestContext  struct {
		RouteKey   string                                                      `json:"routeKey"`
		Stage      string                                                      `json:"stage"`
		RequestID  string                                                      `json:"requestId"`
		DomainName string                                                      `json:"domainName"`
		HTTP       events.APIGatewayV2HTTPRequestContextHTTPDescription        `json:"http"`
		Authorizer *events.APIGatewayV2HTTPRequestContextAuthorizerDescription `json:"authorizer"`
	} `json:"requestContext"`
}

// Invoke handles one event.
func (a httpAPIHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var ev httpAPIEvent
	if err := json.Unmarshal(payload, &ev, decodeOptions); err != nil {
		return nil, fmt.Errorf("decode the API Gateway event: %w", err)
	}
	r, err := request(ctx, &ev)
	if err != nil {
		return nil, err
	}
	w := &responseWriter{header: make(http.Header, 8), body: bodies.Get().(*bytes.Buffer)}
	defer func() {
		if w.body.Cap() <= maxPooledBody { // a large inline report is not kept
			w.body.Reset()
			bodies.Put(w.body)
		}
	}()
	a.h.ServeHTTP(w, r)
	return w.appendResponse(make([]byte, 0, w.body.Len()+w.body.Len()/8+512)), nil
}

// bodies keeps response buffers for the next invocation: the answer is copied out of
// them, so they are free once Invoke returns.
var bodies = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledBody = 64 << 10

type gatewayKey struct{}

// WithGateway returns ctx carrying an API Gateway request context, as the adapter
// passes it to the handler (tests that serve a handler directly use it too).
func WithGateway(ctx context.Context, rc *events.APIGatewayV2HTTPRequestContext) context.Context {
	return context.WithValue(ctx, gatewayKey{}, rc)
}

// Gateway returns the API Gateway request context of the request being served, with
// the parts the functions read: route key, stage, request id, domain, the HTTP
// description and, behind the JWT authorizer, the verified claims.
func Gateway(ctx context.Context) (*events.APIGatewayV2HTTPRequestContext, bool) {
	rc, ok := ctx.Value(gatewayKey{}).(*events.APIGatewayV2HTTPRequestContext)
	return rc, ok && rc != nil
}

// request builds the handler's request from the event: method, raw path and query,
// headers (one value each, as the gateway joined them), cookies, the body (decoded when
// the gateway base64-encoded it), the caller's address, and in its context the gateway's
// request context.
func request(ctx context.Context, ev *httpAPIEvent) (*http.Request, error) {
	var err error
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		if body, err = base64.StdEncoding.DecodeString(ev.Body); err != nil {
			return nil, fmt.Errorf("decode the base64 body: %w", err)
		}
	}
	path := ev.RawPath
	if path == "" {
		path = ev.RequestContext.HTTP.Path
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	target := "https://" + ev.RequestContext.DomainName + path
	if ev.RawQueryString != "" {
		target += "?" + ev.RawQueryString
	}
	rc := ev.RequestContext
	gw := &events.APIGatewayV2HTTPRequestContext{RouteKey: rc.RouteKey, Stage: rc.Stage, RequestID: rc.RequestID,
		DomainName: rc.DomainName, HTTP: rc.HTTP, Authorizer: rc.Authorizer}
	r, err := http.NewRequestWithContext(WithGateway(ctx, gw), strings.ToUpper(ev.RequestContext.HTTP.Method), target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build the request for %s %s: %w", ev.RequestContext.HTTP.Method, path, err)
	}
	r.RemoteAddr = ev.RequestContext.HTTP.SourceIP
	r.RequestURI = r.URL.RequestURI()
	for k, v := range ev.Headers {
		r.Header[http.CanonicalHeaderKey(k)] = []string{v}
	}
	if len(ev.Cookies) > 0 {
		r.Header["Cookie"] = ev.Cookies // one value per cookie, as the gateway lists them
	}
	return r, nil
}

// responseWriter collects the handler's response in memory, as net/http would send it:
// the status defaults to 200 and a missing Content-Type is sniffed from the first write.
type responseWriter struct {
	header http.Header
	status int
	body   *bytes.Buffer
}

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if _, set := w.header["Content-Type"]; !set { // present but empty: no sniffing, as net/http
		w.header.Set("Content-Type", http.DetectContentType(b))
	}
	return w.body.Write(b)
}

// appendResponse writes the API Gateway v2 response: repeated headers joined with
// commas, Set-Cookie as cookies, a body that is not UTF-8 base64-encoded.
func (w *responseWriter) appendResponse(b []byte) []byte {
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	b = append(b, `{"statusCode":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"headers":{`...)
	var cookies []string
	first := true
	for k, v := range w.header {
		if strings.EqualFold(k, "Set-Cookie") {
			cookies = append(cookies, v...)
			continue
		}
		if len(v) == 0 {
			continue // net/http sends no line for a header without values
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendHeaderString(b, k)
		b = append(b, ':')
		if len(v) == 1 {
			b = appendHeaderString(b, v[0])
		} else {
			b = appendHeaderString(b, strings.Join(v, ","))
		}
	}
	b = append(b, `},"body":`...)
	body := w.body.Bytes()
	encoded := !utf8.Valid(body)
	if encoded {
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, body)
		b = append(b, '"')
	} else {
		b = appendJSONString(b, body)
	}
	if encoded {
		b = append(b, `,"isBase64Encoded":true`...)
	}
	if len(cookies) > 0 {
		b = append(b, `,"cookies":[`...)
		for i, c := range cookies {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendHeaderString(b, c)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// plain marks the bytes a JSON string holds as they are: not a quote, a backslash or a
// control character. Bytes of multi-byte UTF-8 sequences are plain.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendJSONString appends s, which must be valid UTF-8, as a JSON string: quotes,
// backslashes and control characters escaped; U+2028 and U+2029 are left as they are
// (this JSON is never read as JavaScript).
func appendJSONString[S string | []byte](b []byte, s S) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if plain[c] {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendHeaderString appends a header name or value as a JSON string, each run of
// bytes that are not UTF-8 replaced by one U+FFFD.
func appendHeaderString(b []byte, s string) []byte {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\ufffd")
	}
	return appendJSONString(b, s)
}
