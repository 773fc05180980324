package api

import "net/http"

// handlerFunc is a route handler that returns its failure instead of writing it, so
// that one place (writeProblem) decides what every failure looks like.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// router is a ServeMux whose unknown routes and wrong methods answer with problem
// documents like every other failure.
type router struct {
	mux *http.ServeMux
	// api, when set, holds every route of the API (all functions'), so that a request
	// no route took can be told a wrong method (405) from an unknown path (404).
	api *http.ServeMux
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
		if h, pattern := rt.api.Handler(r); pattern == "" {
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

// everyRoute is a mux of the whole API's routes, with no service behind them: only for
// asking which paths and methods exist.
func everyRoute() *http.ServeMux {
	rt := newRouter()
	submissionRoutes(rt, &submissions{})
	reviewRoutes(rt, &reviews{})
	adminRoutes(rt, &admin{})
	financeRoutes(rt, &financeAPI{})
	return rt.mux
}

// probeWriter captures the status and headers the mux's fallback handler would send.
type probeWriter struct {
	header http.Header
	code   int
}

func (p *probeWriter) Header() http.Header         { return p.header }
func (p *probeWriter) Write(b []byte) (int, error) { return len(b), nil }
func (p *probeWriter) WriteHeader(code int)        { p.code = code }
