// Package openapitest checks HTTP responses against the API's OpenAPI document. Tests
// wrap the handler under test with Checker.Wrap, so every response any test provokes is
// held to the document: its status must be listed for the route, its headers and body
// must match the schema. Only tests import this package; no function ships it.
package openapitest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api"
)

// Checker validates responses against the embedded OpenAPI document.
type Checker struct {
	router routers.Router
}

var (
	loadOnce sync.Once
	loaded   routers.Router
	loadErr  error
)

// New loads and validates the OpenAPI document; an invalid document fails the test.
func New(t testing.TB) *Checker {
	t.Helper()
	loadOnce.Do(func() {
		// The pages and their assets are text the document describes as strings; the
		// library decodes only JSON and a few form types unless told.
		for _, ct := range []string{"text/html", "text/javascript", "text/css", "application/atom+xml"} {
			openapi3filter.RegisterBodyDecoder(ct, openapi3filter.PlainBodyDecoder)
		}
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(api.OpenAPIDocument)
		if err != nil {
			loadErr = err
			return
		}
		loaded, loadErr = legacy.NewRouter(doc) // validates the document too
	})
	if loadErr != nil {
		t.Fatalf("OpenAPI document: %v", loadErr)
	}
	return &Checker{router: loaded}
}

// Wrap returns a handler that serves h and then checks the response against the
// document, reporting any mismatch as a test error. Requests to paths the document does
// not describe must get a problem document, nothing else.
func (c *Checker) Wrap(t testing.TB, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		c.Check(t, r, rec.Code, rec.Header(), rec.Body.Bytes())
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

// Check validates one response to req.
func (c *Checker) Check(t testing.TB, req *http.Request, status int, header http.Header, body []byte) {
	t.Helper()
	route, params, err := c.router.FindRoute(greedy(req))
	if err != nil {
		// Not a documented operation: only a problem document may answer it.
		if ct := header.Get("Content-Type"); status < 400 || ct != "application/problem+json" {
			t.Errorf("%s %s is not in the OpenAPI document but answered %d %s", req.Method, req.URL.Path, status, ct)
		}
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status: status,
		Header: header,
		Body:   io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			MultiError:            true,
		},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("response to %s %s (status %d) does not match the OpenAPI document: %v\nbody: %s",
			req.Method, req.URL.Path, status, err, truncate(body))
	}
}

// greedyPrefixes are the documented paths whose last parameter, {path}, takes the rest
// of the path, slashes included, as the template's {path+} route does: OpenAPI cannot
// say so, and its routers match one segment.
var greedyPrefixes = []string{"/log/tile/"}

// greedy is req with the rest of a greedy path escaped into one segment, so that the
// router finds the documented operation.
func greedy(req *http.Request) *http.Request {
	for _, prefix := range greedyPrefixes {
		if rest, ok := strings.CutPrefix(req.URL.Path, prefix); ok && strings.Contains(rest, "/") {
			r := req.Clone(req.Context())
			r.URL.Path = prefix + strings.ReplaceAll(rest, "/", "%2F")
			r.URL.RawPath = prefix + url.PathEscape(rest)
			return r
		}
	}
	return req
}

func truncate(b []byte) string {
	s := string(b)
	if len(s) > 600 {
		s = s[:600] + "..."
	}
	return strings.TrimSpace(s)
}
