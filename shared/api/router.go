package api

import (
	"net/http"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// handlerFunc is a route handler that returns its failure instead of writing it, so
// that one place (writeProblem) decides what every failure looks like.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// router is a ServeMux whose unknown routes and wrong methods answer with problem
// documents like every other failure.
type router struct {
	mux *http.ServeMux
	// api, when set, returns every route of the API (all functions'), so that a
	// request no route took can be told a wrong method (405) from an unknown path (404).
	api func() *http.ServeMux
}

func newRouter() *router { return &router{mux: http.NewServeMux()} }

// handle registers a pattern such as "POST /requests/{id}/withdraw".
func (rt *router) handle(pattern string, h handlerFunc) {
	rt.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeProblem(w, r, err)
		}
	}))
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, pattern := rt.mux.Handler(r)
	if pattern != "" {
		rt.mux.ServeHTTP(w, r)
		return
	}
	// The mux would answer 404 or 405 in plain text; ask it which, then answer properly.
	probe := &probeWriter{header: http.Header{}}
	h.ServeHTTP(probe, r)
	if probe.code == http.StatusNotFound && rt.api != nil {
		probe = &probeWriter{header: http.Header{}}
		if h, pattern := rt.api().Handler(r); pattern == "" {
			h.ServeHTTP(probe, r)
		}
	}
	if probe.code == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.header.Get("Allow"))
		writeProblem(w, r, newHTTPError(http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed",
			"This path does not accept "+r.Method+"; see the Allow header."))
		return
	}
	if probe.code >= 300 && probe.code < 400 {
		// The mux redirects unclean paths ("/requests/../x") to their clean form.
		w.Header().Set("Location", probe.header.Get("Location"))
		w.WriteHeader(probe.code)
		return
	}
	writeProblem(w, r, newHTTPError(http.StatusNotFound, "not-found", "Not found", "There is nothing at this path."))
}

// everyRoute is a mux of the API's routes as the OpenAPI document lists them, with
// nothing behind them: only for asking which paths and methods exist. It is built from
// the embedded document on the first request no route of a function took, not at
// start-up, and so no function links the others' handlers to answer it.
var everyRoute = sync.OnceValue(func() *http.ServeMux {
	var doc struct {
		Paths map[string]map[string]yaml.Node `yaml:"paths"`
	}
	if err := yaml.Unmarshal(OpenAPIDocument, &doc); err != nil {
		panic("api: the embedded OpenAPI document does not parse: " + err.Error()) // a test parses it too
	}
	mux := http.NewServeMux()
	nothing := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	for path, ops := range doc.Paths {
		if path == "/" {
			path = "/{$}" // the document's root, not every path
		}
		// A last parameter that holds slashes (a log tile's path) says so, since
		// OpenAPI's path parameters are one segment.
		if n, ok := ops["x-rest-of-path"]; ok {
			var name string
			if err := n.Decode(&name); err != nil || !strings.HasSuffix(path, "{"+name+"}") {
				panic("api: x-rest-of-path of " + path + " does not name its last parameter")
			}
			path = strings.TrimSuffix(path, "}") + "...}"
		}
		for method := range ops {
			if m := strings.ToUpper(method); slices.Contains(operations, m) {
				mux.Handle(m+" "+path, nothing)
			}
		}
	}
	return mux
})

// operations are the keys of an OpenAPI path item that name a method.
var operations = []string{"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}

// probeWriter captures the status and headers the mux's fallback handler would send.
type probeWriter struct {
	header http.Header
	code   int
}

func (p *probeWriter) Header() http.Header         { return p.header }
func (p *probeWriter) Write(b []byte) (int, error) { return len(b), nil }
func (p *probeWriter) WriteHeader(code int)        { p.code = code }
