package localaws

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Proxy forwards requests to moto one at a time. moto is not safe under concurrent
// writes: a failing TransactWriteItems restores a deep copy of every table, which can
// silently undo another request's acknowledged write. Serialising every call removes
// the race at the cost of parallelism, which a local stack does not need.
//
// The proxy can also inject faults, so tests can see what the system does when AWS
// throttles, fails or is slow: see Fault. Faults are set through Go (Inject) or over
// HTTP on the proxy itself (POST /_proxy/faults with a Fault as JSON, DELETE to clear),
// so a test can reach a moto another process started.
type Proxy struct {
	mu      sync.Mutex
	forward *httputil.ReverseProxy

	fmu    sync.Mutex
	faults []*Fault

	smu   sync.Mutex
	stats map[string]*CallStats
}

// CallStats counts the calls of one operation through the proxy and the time moto took
// to answer them (waiting for the proxy's turn not included).
type CallStats struct {
	Calls   int           `json:"calls"`
	Total   time.Duration `json:"totalNs"`
	Slowest time.Duration `json:"slowestNs"`
	// Queued is the time calls waited for the one before them to finish: moto serves
	// one call at a time behind this proxy.
	Queued time.Duration `json:"queuedNs"`
}

// Fault makes matching calls fail or wait. A call matches when its X-Amz-Target header
// or URL path contains Target and its body contains Body (empty matches anything).
type Fault struct {
	Target string `json:"target"`
	Body   string `json:"body"`
	// Status and ErrorType shape the error answer (e.g. 400
	// ProvisionedThroughputExceededException); Status 0 lets the call through after Delay.
	Status    int    `json:"status"`
	ErrorType string `json:"errorType"`
	Message   string `json:"message"`
	// Response, when set, is the whole JSON body of the error answer, for errors that
	// carry more than a message (a TransactionCanceledException's CancellationReasons).
	Response json.RawMessage `json:"response,omitempty"`
	// DelayMS holds the call first. A caller that gives up during the delay (a function
	// past its timeout) is never forwarded: the call does not reach moto.
	DelayMS int `json:"delayMs"`
	// Times limits how many calls the fault hits; 0 means every call.
	Times int `json:"times"`
	hits  int
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

// Inject adds a fault.
func (p *Proxy) Inject(f Fault) {
	p.fmu.Lock()
	defer p.fmu.Unlock()
	p.faults = append(p.faults, &f)
}

// ClearFaults removes every fault.
func (p *Proxy) ClearFaults() {
	p.fmu.Lock()
	defer p.fmu.Unlock()
	p.faults = nil
}

// match returns the fault for a call, counting the hit, or nil.
func (p *Proxy) match(r *http.Request, body []byte) *Fault {
	p.fmu.Lock()
	defer p.fmu.Unlock()
	target := r.Header.Get("X-Amz-Target") + " " + r.URL.Path
	for _, f := range p.faults {
		if (f.Times > 0 && f.hits >= f.Times) || !strings.Contains(target, f.Target) || !bytes.Contains(body, []byte(f.Body)) {
			continue
		}
		f.hits++
		copy := *f
		return &copy
	}
	return nil
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/_proxy/faults":
		p.serveFaults(w, r)
		return
	case "/_proxy/stats":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(p.Stats())
		return
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if f := p.match(r, body); f != nil {
		select {
		case <-time.After(time.Duration(f.DelayMS) * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		if f.Status != 0 {
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			w.Header().Set("X-Amzn-ErrorType", f.ErrorType)
			w.WriteHeader(f.Status)
			if len(f.Response) > 0 {
				_, _ = w.Write(f.Response)
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]string{"__type": f.ErrorType, "message": f.Message, "Message": f.Message})
			return
		}
	}
	arrived := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	start := time.Now()
	p.forward.ServeHTTP(w, r)
	p.count(operation(r), time.Since(start), start.Sub(arrived))
}

// operation names a call: the JSON protocols' X-Amz-Target (DynamoDB_20120810.Query),
// else the query protocols' Action, else the method and path's first segment.
func operation(r *http.Request) string {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		return t
	}
	if a := r.URL.Query().Get("Action"); a != "" {
		return a
	}
	first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	return r.Method + " /" + first
}

func (p *Proxy) count(op string, d, queued time.Duration) {
	p.smu.Lock()
	defer p.smu.Unlock()
	if p.stats == nil {
		p.stats = map[string]*CallStats{}
	}
	st := p.stats[op]
	if st == nil {
		st = &CallStats{}
		p.stats[op] = st
	}
	st.Calls++
	st.Total += d
	st.Queued += queued
	st.Slowest = max(st.Slowest, d)
}

// Stats returns the calls so far by operation.
func (p *Proxy) Stats() map[string]CallStats {
	p.smu.Lock()
	defer p.smu.Unlock()
	out := make(map[string]CallStats, len(p.stats))
	for op, st := range p.stats {
		out[op] = *st
	}
	return out
}

func (p *Proxy) serveFaults(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		var f Fault
		if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		p.Inject(f)
		w.WriteHeader(http.StatusNoContent)
	case http.MethodDelete:
		p.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	default:
		http.Error(w, "POST a fault or DELETE them all", http.StatusMethodNotAllowed)
	}
}

// ReadStats asks the proxy at endpoint for its calls so far, by operation.
func ReadStats(ctx context.Context, endpoint string) (map[string]CallStats, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/_proxy/stats", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("read the moto proxy's stats: %w", err)
	}
	defer resp.Body.Close()
	var stats map[string]CallStats
	if err := json.NewDecoder(resp.Body).Decode(&stats); err != nil {
		return nil, fmt.Errorf("read the moto proxy's stats: %w", err)
	}
	return stats, nil
}

// Since is what happened between two readings of the stats: per operation, the calls
// and times added since before. Slowest stays the slowest call so far, not since before.
func Since(before, after map[string]CallStats) map[string]CallStats {
	out := map[string]CallStats{}
	for op, a := range after {
		b := before[op]
		if a.Calls > b.Calls {
			out[op] = CallStats{Calls: a.Calls - b.Calls, Total: a.Total - b.Total, Queued: a.Queued - b.Queued, Slowest: a.Slowest}
		}
	}
	return out
}
