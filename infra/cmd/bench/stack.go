package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/devstack"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
)

// Phase is one operation at one concurrency through the local gateway, with where the
// time went. The shares are means per request:
//
//	client latency = gateway (total − the invoke round trip to the emulator)
//	               + emulator (the round trip − the handler's own logged duration)
//	               + function code (the handler's duration − its time in moto)
//	               + moto (time in moto, and waiting for its one-call-at-a-time proxy)
type Phase struct {
	Operation   string  `json:"operation"`
	Route       string  `json:"route"`
	Function    string  `json:"function"`
	MemoryMB    int     `json:"memoryMB"` // the function's memory setting, for its price
	Concurrency int     `json:"concurrency"`
	Requests    int     `json:"requests"`
	Seconds     float64 `json:"seconds"`
	PerSecond   float64 `json:"perSecond"`
	P50Ms       float64 `json:"p50Ms"`
	P99Ms       float64 `json:"p99Ms"`
	MeanMs      float64 `json:"meanMs"`

	GatewayMs     float64 `json:"gatewayMs"`
	EmulatorMs    float64 `json:"emulatorMs"`
	FunctionMs    float64 `json:"functionMs"`
	MotoMs        float64 `json:"motoMs"`
	MotoQueuedMs  float64 `json:"motoQueuedMs"` // part of MotoMs spent waiting for the proxy
	HandlerMs     float64 `json:"handlerMs"`    // the handler's logged duration (mean)
	BilledMs      float64 `json:"billedMs"`     // mean of the handler's duration rounded up to 1 ms, as Lambda bills
	DynamoDBCalls float64 `json:"dynamodbCallsPerRequest"`
	ColdStarts    int     `json:"coldStarts"` // during the measured requests (0 after the warm-up)
}

// StackRun is the stack step's output.
type StackRun struct {
	Command string  `json:"command"`
	Note    string  `json:"note"`
	Phases  []Phase `json:"phases"`
}

// operation is one kind of request the step sends.
type operation struct {
	name, route, function string
	status                int
	// request builds the i-th request; next hands out what it needs (an id).
	request func(ctx context.Context, base string) (*http.Request, error)
	// done sees a successful answer (the submit phase keeps the receipts).
	done func(body []byte)
	// prepare, when set, runs before the operation's phases, unmeasured.
	prepare func(ctx context.Context) error
}

// receipts are submitted requests, handed out one at a time to the phases that need
// a request of their own (a vote is a reviewer's first vote on a request).
type receipts struct {
	mu   sync.Mutex
	list []receipt
	next atomic.Int64
}

type receipt struct {
	ID    string `json:"id"`
	Token string `json:"applicantToken"`
}

func (r *receipts) add(b []byte) {
	var rc receipt
	if json.Unmarshal(b, &rc) == nil && rc.ID != "" {
		r.mu.Lock()
		r.list = append(r.list, rc)
		r.mu.Unlock()
	}
}

// confirmAll confirms every submitted request through the API, with the code the
// confirmation mail would carry (read from the table: the stack's stream pollers, and
// so its mail, are off).
func (r *receipts) confirmAll(ctx context.Context, client *http.Client, dev *devstack.Dev) error {
	r.mu.Lock()
	list := slices.Clone(r.list)
	r.mu.Unlock()
	for _, rc := range list {
		code, err := dev.Store().ConfirmationCode(ctx, rc.ID)
		if err != nil {
			return err
		}
		body, _ := json.Marshal(map[string]string{"code": code})
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, dev.URL()+"/requests/"+rc.ID+"/confirm", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("confirm %s: %w", rc.ID, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("confirm %s: status %d", rc.ID, resp.StatusCode)
		}
	}
	return nil
}

// take hands out each receipt once; for reads, any will do.
func (r *receipts) take() (receipt, error) {
	i := int(r.next.Add(1)) - 1
	r.mu.Lock()
	defer r.mu.Unlock()
	if i >= len(r.list) {
		return receipt{}, fmt.Errorf("no submitted request left (%d used)", i)
	}
	return r.list[i], nil
}

func (r *receipts) any(i int) receipt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.list[i%len(r.list)]
}

func throughStack(ctx context.Context, root, dir string, perLevel int) error {
	logs := &logLines{seen: map[string]int{}, expected: map[string]int{}}
	fmt.Fprintln(os.Stderr, "stack: starting a local stack (no throttling, no stream pollers) ...")
	dev, err := devstack.Start(ctx, devstack.Options{Root: root, Addr: "127.0.0.1:0", Log: logs,
		StackName: "bench-stack", NoPollers: true, NoThrottle: true, MaxEnvironments: 32})
	if err != nil {
		return err
	}
	defer dev.Stop()
	tok, err := dev.SignIn(ctx, "rita.reviewer@example.org", dev.Seed.Password)
	if err != nil {
		return err
	}
	reviewer := "Bearer " + tok.Access
	var rc receipts
	var seq atomic.Int64

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 60 * time.Second}
	ops := []operation{
		{name: "submit", route: "POST /requests", function: "SubmissionsFunction", status: 201,
			request: func(ctx context.Context, base string) (*http.Request, error) {
				i := seq.Add(1)
				body, _ := json.Marshal(benchApplication(i))
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/requests", bytes.NewReader(body))
				if err == nil {
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Idempotency-Key", fmt.Sprintf("bench-submission-%09d", i))
				}
				return req, err
			},
			done: rc.add},
		{name: "read", route: "GET /requests/{id}", function: "SubmissionsFunction", status: 200,
			request: func(ctx context.Context, base string) (*http.Request, error) {
				r := rc.any(int(seq.Add(1)))
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/requests/"+r.ID, nil)
				if err == nil {
					req.Header.Set("Authorization", "Bearer "+r.Token)
				}
				return req, err
			}},
		{name: "queue", route: "GET /review/requests", function: "ReviewsFunction", status: 200,
			request: func(ctx context.Context, base string) (*http.Request, error) {
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/review/requests?limit=25", nil)
				if err == nil {
					req.Header.Set("Authorization", reviewer)
				}
				return req, err
			}},
		{name: "vote", route: "POST /review/requests/{id}/votes", function: "ReviewsFunction", status: 200,
			// Reviewers see a request once its applicant's address is confirmed.
			prepare: func(ctx context.Context) error { return rc.confirmAll(ctx, client, dev) },
			request: func(ctx context.Context, base string) (*http.Request, error) {
				r, err := rc.take()
				if err != nil {
					return nil, err
				}
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/review/requests/"+r.ID+"/votes",
					strings.NewReader(`{"choice":"approve","comment":"Benchmark vote."}`))
				if err == nil {
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Authorization", reviewer)
				}
				return req, err
			}},
	}
	run := StackRun{
		Command: fmt.Sprintf("go run ./infra/cmd/bench -requests %d stack", perLevel),
		Note: "Local stack on this machine: gateway and emulator in Go, DynamoDB is moto (Python) behind a proxy that " +
			"serves one call at a time. Stream pollers off, stage throttling off, up to 32 environments per function.",
	}
	for _, op := range ops {
		if op.prepare != nil {
			if err := op.prepare(ctx); err != nil {
				return err
			}
		}
		for _, c := range []int{1, 8, 32} {
			n := perLevel * map[int]int{1: 1, 8: 2, 32: 4}[c] / 2
			// Warm-up: c environments started and used once, not measured.
			if _, err := send(ctx, client, dev.URL(), op, c, c); err != nil {
				return err
			}
			// The functions' logs arrive through pipes, after their answers: wait for
			// the warm-up's lines, so the phase reads only its own.
			if err := logs.waitFor(op.route, c); err != nil {
				return err
			}
			ph, err := measure(ctx, client, dev, logs, op, c, n)
			if err != nil {
				return err
			}
			run.Phases = append(run.Phases, ph)
			fmt.Printf("%-7s c=%-3d %5d req %7.1f/s  p50 %6.1f ms  p99 %6.1f ms | gateway %5.1f  emulator %5.1f  function %5.1f  moto %5.1f (queued %5.1f) ms, %.1f calls\n",
				op.name, c, n, ph.PerSecond, ph.P50Ms, ph.P99Ms, ph.GatewayMs, ph.EmulatorMs, ph.FunctionMs, ph.MotoMs, ph.MotoQueuedMs, ph.DynamoDBCalls)
		}
	}
	return writeJSON(dir, "stack.json", run)
}

// send sends n requests of op from c clients and returns each one's latency.
func send(ctx context.Context, client *http.Client, base string, op operation, c, n int) ([]time.Duration, error) {
	lat := make([]time.Duration, n)
	jobs := make(chan int)
	var wg sync.WaitGroup
	var firstErr error
	var once sync.Once
	for range c {
		wg.Go(func() {
			for i := range jobs {
				if err := one(ctx, client, base, op, &lat[i]); err != nil {
					once.Do(func() { firstErr = err })
				}
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return lat, firstErr
}

func one(ctx context.Context, client *http.Client, base string, op operation, lat *time.Duration) error {
	req, err := op.request(ctx, base)
	if err != nil {
		return err
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", op.name, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	*lat = time.Since(start)
	if err != nil {
		return err
	}
	if resp.StatusCode != op.status {
		return fmt.Errorf("%s: status %d, want %d: %s", op.name, resp.StatusCode, op.status, body)
	}
	if op.done != nil {
		op.done(body)
	}
	return nil
}

func measure(ctx context.Context, client *http.Client, dev *devstack.Dev, logs *logLines, op operation, c, n int) (Phase, error) {
	ph := Phase{Operation: op.name, Route: op.route, Function: op.function, Concurrency: c, Requests: n,
		MemoryMB: dev.Function(op.function).MemoryMB}
	motoBefore, err := localaws.ReadStats(ctx, dev.Endpoint())
	if err != nil {
		return ph, err
	}
	before := dev.Stats()[op.function]
	mark := logs.mark()
	start := time.Now()
	lat, err := send(ctx, client, dev.URL(), op, c, n)
	if err != nil {
		return ph, err
	}
	elapsed := time.Since(start)
	motoAfter, err := localaws.ReadStats(ctx, dev.Endpoint())
	if err != nil {
		return ph, err
	}
	after := dev.Stats()[op.function]

	slices.Sort(lat)
	at := func(p float64) float64 { return ms(lat[int(p*float64(len(lat)-1))]) }
	ph.Seconds, ph.PerSecond = elapsed.Seconds(), float64(n)/elapsed.Seconds()
	ph.P50Ms, ph.P99Ms, ph.MeanMs = at(0.5), at(0.99), meanMs(lat)
	ph.ColdStarts = len(after.ColdStarts) - len(before.ColdStarts)
	invoke := meanMs(after.Warm[len(before.Warm):])

	if err := logs.waitFor(op.route, n); err != nil {
		return ph, err
	}
	handler := logs.durations(mark, op.route)
	if len(handler) != n {
		return ph, fmt.Errorf("%s: %d access-log lines for %d requests", op.name, len(handler), n)
	}
	var billed float64
	for _, d := range handler {
		ph.HandlerMs += d
		billed += math.Ceil(d)
	}
	ph.HandlerMs /= float64(n)
	ph.BilledMs = billed / float64(n)
	var moto, queued time.Duration
	calls := 0
	for name, st := range localaws.Since(motoBefore, motoAfter) {
		if strings.HasPrefix(name, "DynamoDB_") {
			moto += st.Total + st.Queued
			queued += st.Queued
			calls += st.Calls
		}
	}
	ph.MotoMs = ms(moto) / float64(n)
	ph.MotoQueuedMs = ms(queued) / float64(n)
	ph.DynamoDBCalls = float64(calls) / float64(n)
	ph.GatewayMs = ph.MeanMs - invoke
	ph.EmulatorMs = invoke - ph.HandlerMs
	ph.FunctionMs = ph.HandlerMs - ph.MotoMs
	return ph, nil
}

func meanMs(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return 0
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return ms(sum) / float64(len(ds))
}

// benchApplication is the i-th submission: a travel grant from an organisation no
// reviewer works for, so every reviewer may vote on it.
func benchApplication(i int64) map[string]any {
	return map[string]any{
		"kind": "travel", "title": fmt.Sprintf("Benchmark travel grant %06d", i),
		"summary":   "Airfare and lodging for an accepted talk, sent by the benchmark.",
		"applicant": map[string]any{"name": "Bench Tester", "email": fmt.Sprintf("bench-%06d@example.org", i), "organization": "Bench Org"},
		"amount":    map[string]any{"currency": "EUR", "value": "950.00"},
		"travel": map[string]any{"traveller": "Bench Tester", "eventName": "BenchConf 2031", "eventUrl": "https://benchconf.example/",
			"startDate": "2031-09-01", "endDate": "2031-09-03", "talkTitle": "Measuring twice", "origin": "Porto, PT"},
	}
}

// logLines reads the stack's log output as it comes and keeps each access-log line's
// route and duration, parsed once, so a phase can read its functions' durations.
type logLines struct {
	mu       sync.Mutex
	partial  []byte
	access   []accessLine
	seen     map[string]int // access-log lines so far, by route
	expected map[string]int // access-log lines waited for, by route
}

type accessLine struct {
	route      string
	durationMs float64
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		if a, ok := parseAccessLine(l.partial[:i]); ok {
			l.access = append(l.access, a)
			l.seen[a.route]++
		}
		l.partial = l.partial[i+1:]
	}
	return len(p), nil
}

// parseAccessLine reads a function's access-log line: "[name] {json}" with msg
// "request", the route pattern and durationMs.
func parseAccessLine(line []byte) (accessLine, bool) {
	i := bytes.IndexByte(line, '{')
	if i < 0 {
		return accessLine{}, false
	}
	var entry struct {
		Msg        string   `json:"msg"`
		Route      string   `json:"route"`
		DurationMs *float64 `json:"durationMs"`
	}
	if json.Unmarshal(line[i:], &entry) != nil || entry.Msg != "request" || entry.DurationMs == nil {
		return accessLine{}, false
	}
	return accessLine{route: entry.Route, durationMs: *entry.DurationMs}, true
}

// waitFor waits until n more access-log lines of route have arrived than were waited
// for before (the warm-up's and each phase's, in turn).
func (l *logLines) waitFor(route string, n int) error {
	l.mu.Lock()
	l.expected[route] += n
	want := l.expected[route]
	l.mu.Unlock()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		l.mu.Lock()
		got := l.seen[route]
		l.mu.Unlock()
		switch {
		case got >= want:
			return nil
		case time.Now().After(deadline):
			return fmt.Errorf("%s: %d access-log lines after 10 s, want %d", route, got, want)
		}
	}
}

func (l *logLines) mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.access)
}

// durations are the durationMs of access-log lines for route written since mark.
func (l *logLines) durations(mark int, route string) []float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []float64
	for _, a := range l.access[mark:] {
		if a.route == route {
			out = append(out, a.durationMs)
		}
	}
	return out
}
