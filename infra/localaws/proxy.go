package localaws

import (
	"io"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
)

// Proxy forwards requests to moto one at a time. moto is not safe under concurrent
// writes: a failing TransactWriteItems restores a deep copy of every table, which can
// silently undo another request's acknowledged write. Serialising every call removes
// the race at the cost of parallelism, which a local stack does not need.
type Proxy struct {
	mu      sync.Mutex
	forward *httputil.ReverseProxy
}

// NewProxy returns a Proxy to the moto server at upstream.
func NewProxy(upstream string) *Proxy {
	u, err := url.Parse(upstream)
	if err != nil {
		panic("localaws: bad upstream " + upstream) // callers build it from a port number
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	// A client that goes away mid-call (a stopping stack) is not worth a log line.
	rp.ErrorLog = log.New(io.Discard, "", 0)
	return &Proxy{forward: rp}
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.forward.ServeHTTP(w, r)
}
