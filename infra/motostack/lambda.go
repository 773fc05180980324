package motostack

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/proc"
)

// InvokeResult is what one invocation of a function returned.
type InvokeResult struct {
	Payload       []byte
	FunctionError string // "Unhandled" when the function failed or crashed, "" otherwise
	TimedOut      bool
	Cold          bool          // a new environment was started for this invocation
	ColdStart     time.Duration // spawn to first response, for cold invocations
	Duration      time.Duration // the invocation itself
}

// Lambda's payload limits for a synchronous invocation: the event, and the response
// (6 MB and 100 bytes, the figure Lambda's error gives).
const (
	maxRequestPayload  = 6 << 20
	maxResponsePayload = 6<<20 + 100
)

// ErrRequestTooLarge is Lambda's refusal of an event over 6 MB: the function is not
// invoked. The emulator would cut such an event short and run the function with it.
var ErrRequestTooLarge = errors.New("RequestEntityTooLargeException: Request must be smaller than 6291456 bytes for the InvokeFunction operation")

// responseTooLarge is the function error Lambda reports for a response over its limit.
const responseTooLarge = `{"errorType":"Function.ResponseSizeTooLarge","errorMessage":"Response payload size exceeded maximum allowed payload size (6291556 bytes)."}`

// Invoke runs a function once with payload, as `aws lambda invoke` would.
func (s *Stack) Invoke(ctx context.Context, functionID string, payload []byte) (*InvokeResult, error) {
	p, ok := s.pools[functionID]
	if !ok {
		return nil, fmt.Errorf("no function %s in the template", functionID)
	}
	if len(payload) > maxRequestPayload {
		return nil, fmt.Errorf("invoke %s with %d bytes: %w", functionID, len(payload), ErrRequestTooLarge)
	}
	return p.invoke(ctx, payload)
}

// ColdStart measures one cold start of a function: it starts a fresh emulator with the
// function's environment, invokes it with payload, then once more in the same
// environment, and stops it. cold runs from spawning the emulator to the first
// response, as the pool's cold starts do; warm is the second invocation, so cold − warm
// is what starting cost. With bin set, that bootstrap runs instead, in the same
// environment: a baseline measured the same way, such as a hello-world function.
func (s *Stack) ColdStart(ctx context.Context, functionID, bin string, payload []byte) (cold, warm time.Duration, first *InvokeResult, err error) {
	p, ok := s.pools[functionID]
	if !ok {
		return 0, 0, nil, fmt.Errorf("no function %s in the template", functionID)
	}
	if bin == "" {
		bin = p.bin
	}
	one := newPool(s, p.fn, bin, p.rie, p.env, 1)
	defer one.close()
	inst, err := one.spawnRetrying(ctx)
	if err != nil {
		return 0, 0, nil, err
	}
	timeout := time.Duration(p.fn.TimeoutSec) * time.Second
	if first, err = inst.invoke(ctx, payload, timeout); err != nil {
		return 0, 0, nil, err
	}
	cold = time.Since(inst.spawned)
	second, err := inst.invoke(ctx, payload, timeout)
	if err != nil {
		return 0, 0, nil, err
	}
	return cold, second.Duration, first, nil
}

// pool keeps warm emulator environments of one function. The emulator serves one
// invocation at a time, so concurrency comes from more environments, up to max.
type pool struct {
	s    *Stack
	fn   *Function
	bin  string
	rie  string
	env  []string
	sem  chan struct{}
	name string

	mu     sync.Mutex
	idle   []*instance
	all    map[*instance]bool
	closed bool
	stats  FunctionStats
}

// FunctionStats separates cold starts (process spawn to first response) from warm
// invocations, per function.
type FunctionStats struct {
	ColdStarts []time.Duration
	Warm       []time.Duration
	Errors     int
	Timeouts   int
}

func newPool(s *Stack, fn *Function, bin, rie string, env []string, max int) *pool {
	return &pool{s: s, fn: fn, bin: bin, rie: rie, env: env, sem: make(chan struct{}, max),
		all: map[*instance]bool{}, name: s.resolver.Physical[fn.LogicalID]}
}

// Stats returns each function's invocation figures so far.
func (s *Stack) Stats() map[string]FunctionStats {
	out := map[string]FunctionStats{}
	for id, p := range s.pools {
		p.mu.Lock()
		st := p.stats
		st.ColdStarts = append([]time.Duration(nil), st.ColdStarts...)
		st.Warm = append([]time.Duration(nil), st.Warm...)
		p.mu.Unlock()
		out[id] = st
	}
	return out
}

// Median is the middle of a list of durations (0 for none).
func Median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func (p *pool) invoke(ctx context.Context, payload []byte) (*InvokeResult, error) {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-p.sem }()
	inst, cold := p.takeIdle(), false
	if inst == nil {
		var err error
		if inst, err = p.spawnRetrying(ctx); err != nil {
			return nil, err
		}
		cold = true
	}
	res, err := inst.invoke(ctx, payload, time.Duration(p.fn.TimeoutSec)*time.Second)
	if err != nil || res.TimedOut || res.FunctionError != "" {
		// A timed-out or crashed environment is not reused: the next invocation gets a
		// fresh one, as on Lambda.
		p.discard(inst)
	} else {
		p.putIdle(inst)
	}
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", p.fn.LogicalID, err)
	}
	res.Cold = cold
	p.mu.Lock()
	if cold {
		res.ColdStart = time.Since(inst.spawned)
		p.stats.ColdStarts = append(p.stats.ColdStarts, res.ColdStart)
	} else {
		p.stats.Warm = append(p.stats.Warm, res.Duration)
	}
	if res.FunctionError != "" {
		p.stats.Errors++
	}
	if res.TimedOut {
		p.stats.Timeouts++
	}
	p.mu.Unlock()
	return res, nil
}

func (p *pool) takeIdle() *instance {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.idle) > 0 {
		inst := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if inst.alive() {
			return inst
		}
		delete(p.all, inst)
	}
	return nil
}

func (p *pool) putIdle(inst *instance) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		inst.kill()
		return
	}
	p.idle = append(p.idle, inst)
}

func (p *pool) discard(inst *instance) {
	inst.kill()
	p.mu.Lock()
	delete(p.all, inst)
	p.mu.Unlock()
}

func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	all := p.all
	p.all, p.idle = map[*instance]bool{}, nil
	p.mu.Unlock()
	for inst := range all {
		inst.kill()
	}
}

// instance is one emulator process with its function.
type instance struct {
	cmd     *exec.Cmd
	url     string
	spawned time.Time
	exited  chan struct{}
	out     *lineWriter
}

// spawnRetrying starts an environment. An emulator that exits at start lost its port
// to another process between our choosing the port and its binding it; a fresh pair of
// ports fixes that, so it is tried up to three times.
func (p *pool) spawnRetrying(ctx context.Context) (inst *instance, err error) {
	for attempt := 1; ; attempt++ {
		inst, err = p.spawn(ctx)
		if err == nil || !errors.Is(err, errExitedAtStart) || attempt == 3 {
			return inst, err
		}
	}
}

func (p *pool) spawn(ctx context.Context) (*instance, error) {
	emuAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	apiAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(p.rie,
		"--runtime-interface-emulator-address", emuAddr, "--runtime-api-address", apiAddr, "--log-level", "error", p.bin)
	cmd.Dir = filepath.Dir(p.bin)
	cmd.Env = append(p.env, "LAMBDA_TASK_ROOT="+cmd.Dir)
	out := &lineWriter{prefix: p.name, w: p.s.logOut}
	cmd.Stdout, cmd.Stderr = out, out
	proc.Group(cmd)
	inst := &instance{cmd: cmd, url: "http://" + emuAddr + "/2015-03-31/functions/function/invocations",
		spawned: time.Now(), exited: make(chan struct{}), out: out}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start emulator for %s: %w", p.fn.LogicalID, err)
	}
	go func() { _ = cmd.Wait(); out.flush(); close(inst.exited) }()
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		inst.kill()
		return nil, errors.New("stack is stopping")
	}
	p.all[inst] = true
	p.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", emuAddr, 200*time.Millisecond)
		if err == nil {
			conn.Close()
			return inst, nil
		}
		select {
		case <-inst.exited:
			p.discard(inst)
			return nil, fmt.Errorf("emulator for %s: %w", p.fn.LogicalID, errExitedAtStart)
		case <-ctx.Done():
			p.discard(inst)
			return nil, ctx.Err()
		case <-time.After(time.Millisecond): // cold starts are measured to this grain
		}
		if time.Now().After(deadline) {
			p.discard(inst)
			return nil, fmt.Errorf("emulator for %s did not listen within 10s", p.fn.LogicalID)
		}
	}
}

func (i *instance) alive() bool {
	select {
	case <-i.exited:
		return false
	default:
		return true
	}
}

func (i *instance) kill() {
	i.out.silence() // what a killed runtime says on its way out is noise
	if i.cmd.Process != nil {
		_ = proc.Signal(i.cmd.Process, os.Kill)
	}
	<-i.exited
}

// invoke sends one event. The emulator answers a timeout with 200 and "Task timed out
// after N seconds", and a function error with 502 or an error object: both are failures.
func (i *instance) invoke(ctx context.Context, payload []byte, timeout time.Duration) (*InvokeResult, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout+5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, i.url, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	res := &InvokeResult{Payload: body, Duration: time.Since(start)}
	switch {
	case len(body) > maxResponsePayload: // the emulator refuses it already; Lambda does too
		res.Payload, res.FunctionError = []byte(responseTooLarge), "Unhandled"
	case resp.StatusCode == http.StatusOK && bytes.HasPrefix(body, []byte("Task timed out after")):
		res.TimedOut = true
	case resp.StatusCode == http.StatusOK && isErrorObject(body):
		res.FunctionError = "Unhandled"
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusBadGateway:
		res.FunctionError = "Unhandled"
	default:
		return nil, fmt.Errorf("emulator answered %d: %.200s", resp.StatusCode, body)
	}
	return res, nil
}

// isErrorObject recognises the {"errorMessage": ..., "errorType": ...} a Go handler's
// returned error becomes.
func isErrorObject(body []byte) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return false
	}
	_, msg := m["errorMessage"]
	_, typ := m["errorType"]
	_, status := m["statusCode"]
	return msg && typ && !status
}

// lineWriter prefixes each line of a function's output with its name, and drops the
// emulator's START/END/REPORT lines (their init duration is wrong; the stack measures
// cold starts itself).
type lineWriter struct {
	prefix string
	w      io.Writer
	mu     sync.Mutex
	buf    []byte
	quiet  bool
}

func (l *lineWriter) silence() {
	l.mu.Lock()
	l.quiet = true
	l.mu.Unlock()
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		l.emit(string(l.buf[:i]))
		l.buf = l.buf[i+1:]
	}
	return len(p), nil
}

func (l *lineWriter) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		l.emit(string(l.buf))
		l.buf = nil
	}
}

func (l *lineWriter) emit(line string) {
	if l.quiet {
		return
	}
	for _, skip := range []string{"START RequestId:", "END RequestId:", "REPORT RequestId:"} {
		if strings.HasPrefix(line, skip) {
			return
		}
	}
	if strings.TrimSpace(line) == "" {
		return
	}
	sc := bufio.NewScanner(strings.NewReader(line))
	for sc.Scan() {
		fmt.Fprintf(l.w, "[%s] %s\n", l.prefix, sc.Text())
	}
}

// errExitedAtStart is an emulator that quit before listening, most often because its
// port was taken in the meantime.
var errExitedAtStart = errors.New("exited at start")

// handedOut remembers the ports freeAddr gave out lately: the kernel may offer a port
// again as soon as it is closed, before the emulator it was chosen for has bound it.
var handedOut = struct {
	sync.Mutex
	at map[string]time.Time
}{at: map[string]time.Time{}}

// freeAddr finds a local port that is free now and was not handed out in the last
// minute.
func freeAddr() (string, error) {
	handedOut.Lock()
	defer handedOut.Unlock()
	for k, t := range handedOut.at {
		if time.Since(t) > time.Minute {
			delete(handedOut.at, k)
		}
	}
	for range 50 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", fmt.Errorf("find a free port: %w", err)
		}
		addr := ln.Addr().String()
		ln.Close()
		if _, recent := handedOut.at[addr]; !recent {
			handedOut.at[addr] = time.Now()
			return addr, nil
		}
	}
	return "", errors.New("find a free port: every port offered was handed out lately")
}
