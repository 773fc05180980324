package motostack

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Asynchronous invocation, as the Lambda Developer Guide describes it ("Asynchronous
// invocation", https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html):
// Lambda queues the event and a separate process invokes the function. "If the function
// returns an error, Lambda attempts to run it two more times, with a one-minute wait
// between the first two attempts, and two minutes between the second and third
// attempts. Function errors include errors returned by the function's code and errors
// returned by the function's runtime, such as timeouts." The function's
// EventInvokeConfig sets the retries (0–2) and the maximum age of an event (60 s to 6 h,
// default 6 h); an event that fails every attempt or outlives its age is discarded, its
// invocation record sent to the on-failure destination and the event itself to the
// dead-letter queue, when the function has them. S3 event notifications reach their
// functions this way.

// defaultAsyncRetryDelays are Lambda's waits before the first and the second retry.
var defaultAsyncRetryDelays = []time.Duration{time.Minute, 2 * time.Minute}

// Lambda's defaults and limits for an EventInvokeConfig.
const (
	defaultAsyncRetries = 2
	defaultAsyncMaxAge  = 6 * time.Hour
)

// asyncConfig is how Lambda handles one function's asynchronous invocations.
type asyncConfig struct {
	maxRetries int
	maxAge     time.Duration
	onSuccess  string // destination ARN, "" when none
	onFailure  string
	deadLetter string // the function's DeadLetterConfig target, "" when none
}

// AsyncStats counts what asynchronous invocation did for one function.
type AsyncStats struct {
	Events      int // events queued (S3 notifications, InvokeAsync)
	Invocations int // invocations, retries included
	Succeeded   int // events the function handled
	Failed      int // events discarded: out of retries or past their maximum age
	Records     int // invocation records sent to an on-success or on-failure destination
	DeadLetters int // events sent to the dead-letter queue
	SendErrors  int // records or events a destination or dead-letter queue did not take
}

// asyncInvoker is the stack's asynchronous event queue: each event is a goroutine that
// invokes, waits and retries, then reports to the function's destinations.
type asyncInvoker struct {
	s       *Stack
	ctx     context.Context
	delays  []time.Duration
	configs map[string]*asyncConfig
	s3      *s3Notifier // the S3 event notifications that queue events here

	mu      sync.Mutex
	closed  bool
	pending int // events and notifications not yet finished
	stats   map[string]*AsyncStats
	wg      sync.WaitGroup
}

// asyncEvent is one event in the queue.
type asyncEvent struct {
	function  string
	payload   []byte
	requestID string
	queued    time.Time
	attempts  int
	last      *InvokeResult // the last attempt's result, nil before the first
	lastErr   error         // the last attempt's failure to run at all
}

// startAsync reads each function's asynchronous invocation settings, starts the queue
// and has the gate report created objects for S3 event notifications. The queue ends
// with ctx, and the stack waits for the events in flight.
func (s *Stack) startAsync(ctx context.Context) error {
	configs, err := s.asyncConfigs()
	if err != nil {
		return err
	}
	delays := s.opts.AsyncRetryDelays
	if len(delays) == 0 {
		delays = defaultAsyncRetryDelays
	}
	a := &asyncInvoker{s: s, ctx: ctx, delays: delays, configs: configs, stats: map[string]*AsyncStats{}}
	for id := range configs {
		a.stats[id] = &AsyncStats{}
	}
	if err := s.startS3Notifications(a); err != nil {
		return err
	}
	s.async = a
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		<-ctx.Done()
		a.mu.Lock()
		a.closed = true
		a.mu.Unlock()
		a.wg.Wait()
	}()
	return nil
}

// asyncConfigs are the functions' EventInvokeConfig resources and dead-letter queues,
// with Lambda's defaults where the template sets nothing.
func (s *Stack) asyncConfigs() (map[string]*asyncConfig, error) {
	out := map[string]*asyncConfig{}
	for id := range s.model.Functions {
		out[id] = &asyncConfig{maxRetries: defaultAsyncRetries, maxAge: defaultAsyncMaxAge}
		dlq := mapOf(s.model.Resources[id].Properties["DeadLetterConfig"])
		if dlq["TargetArn"] == nil {
			continue
		}
		target, err := s.resolver.String(dlq["TargetArn"])
		if err != nil {
			return nil, fmt.Errorf("function %s dead-letter queue: %w", id, err)
		}
		out[id].deadLetter = s.asyncTarget(id, "dead-letter queue", target)
	}
	for _, id := range sortedKeys(s.model.Resources) {
		r := s.model.Resources[id]
		if r.Type != "AWS::Lambda::EventInvokeConfig" {
			continue
		}
		if ok, err := s.exists(id); err != nil || !ok {
			continue
		}
		fn := refName(r.Properties["FunctionName"])
		cfg := out[fn]
		if cfg == nil {
			s.notes = append(s.notes, fmt.Sprintf("%s configures %v, which is not a function of this template; ignored", id, r.Properties["FunctionName"]))
			continue
		}
		if err := s.readEventInvokeConfig(id, r, fn, cfg); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readEventInvokeConfig applies one AWS::Lambda::EventInvokeConfig to a function's
// settings.
func (s *Stack) readEventInvokeConfig(id string, r Resource, fn string, cfg *asyncConfig) error {
	v, err := s.resolver.Resolve(r.Properties)
	if err != nil {
		return fmt.Errorf("%s: %w", id, err)
	}
	p := mapOf(v)
	if q := str(p["Qualifier"]); q != "" && q != "$LATEST" {
		s.notes = append(s.notes, fmt.Sprintf("%s applies to %s:%s; the local stack runs only $LATEST and applies it there", id, fn, q))
	}
	if n, ok := number(p["MaximumRetryAttempts"]); ok {
		cfg.maxRetries = int(n)
	}
	if n, ok := number(p["MaximumEventAgeInSeconds"]); ok {
		cfg.maxAge = time.Duration(n) * time.Second
	}
	dc := mapOf(p["DestinationConfig"])
	if d := str(mapOf(dc["OnSuccess"])["Destination"]); d != "" {
		cfg.onSuccess = s.asyncTarget(fn, "on-success destination", d)
	}
	if d := str(mapOf(dc["OnFailure"])["Destination"]); d != "" {
		cfg.onFailure = s.asyncTarget(fn, "on-failure destination", d)
	}
	return nil
}

// asyncTarget keeps a destination the local stack can deliver to (an SQS queue or SNS
// topic), and notes any other (a function, an event bus, a bucket) as not delivered.
func (s *Stack) asyncTarget(fn, what, arn string) string {
	if strings.HasPrefix(arn, "arn:aws:sqs:") || strings.HasPrefix(arn, "arn:aws:sns:") {
		return arn
	}
	s.notes = append(s.notes, fmt.Sprintf("function %s: %s %s is not a queue or topic; the local stack does not deliver to it", fn, what, arn))
	return ""
}

// InvokeAsync queues an event for a function, as `aws lambda invoke --invocation-type
// Event` does, and returns the invocation's request id. The function runs, is retried and
// reports to its destinations as on Lambda; DrainAsync waits for that.
func (s *Stack) InvokeAsync(functionID string, payload []byte) (string, error) {
	if _, ok := s.pools[functionID]; !ok {
		return "", fmt.Errorf("no function %s in the template", functionID)
	}
	if !json.Valid(payload) {
		return "", fmt.Errorf("InvalidRequestContentException: could not parse request body into json")
	}
	ev := &asyncEvent{function: functionID, payload: payload, requestID: newInvocationID(), queued: time.Now()}
	if !s.async.enqueue(ev) {
		return "", fmt.Errorf("the stack is stopping")
	}
	return ev.requestID, nil
}

// DrainAsync waits until every asynchronous event queued so far, and every S3
// notification under way, has finished: invoked, retried as configured, and reported to
// its destinations, so tests can wait for them instead of sleeping.
func (s *Stack) DrainAsync(ctx context.Context) error {
	for {
		s.async.mu.Lock()
		n := s.async.pending
		s.async.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("drain asynchronous invocations (%d under way): %w", n, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// AsyncStats returns what asynchronous invocation has done for each function so far.
func (s *Stack) AsyncStats() map[string]AsyncStats {
	s.async.mu.Lock()
	defer s.async.mu.Unlock()
	out := map[string]AsyncStats{}
	for id, st := range s.async.stats {
		out[id] = *st
	}
	return out
}

// begin counts work under way (an event, or a notification being prepared) and tells
// whether the queue still takes it.
func (a *asyncInvoker) begin() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return false
	}
	a.pending++
	a.wg.Add(1)
	return true
}

func (a *asyncInvoker) end() {
	a.mu.Lock()
	a.pending--
	a.mu.Unlock()
	a.wg.Done()
}

func (a *asyncInvoker) count(fn string, f func(*AsyncStats)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	f(a.stats[fn])
}

// enqueue accepts an event and runs it; false when the stack is stopping.
func (a *asyncInvoker) enqueue(ev *asyncEvent) bool {
	if !a.begin() {
		return false
	}
	a.count(ev.function, func(st *AsyncStats) { st.Events++ })
	go func() {
		defer a.end()
		a.run(ev)
	}()
	return true
}

// run invokes the event until it succeeds, runs out of retries or outlives its age.
func (a *asyncInvoker) run(ev *asyncEvent) {
	cfg := a.configs[ev.function]
	for a.ctx.Err() == nil {
		if time.Since(ev.queued) > cfg.maxAge {
			a.fail(ev, cfg, "EventAgeExceeded")
			return
		}
		ev.last, ev.lastErr = a.s.Invoke(a.ctx, ev.function, ev.payload)
		if a.ctx.Err() != nil {
			return // the stack is stopping: the event goes with it, as a queue would
		}
		ev.attempts++
		a.count(ev.function, func(st *AsyncStats) { st.Invocations++ })
		ok := ev.lastErr == nil && ev.last.FunctionError == "" && !ev.last.TimedOut
		wait, condition := asyncStep(cfg, ev.attempts, ok, time.Since(ev.queued), a.delays)
		switch condition {
		case "Success":
			a.count(ev.function, func(st *AsyncStats) { st.Succeeded++ })
			a.sendRecord(ev, cfg.onSuccess, "Success")
			return
		case "RetriesExhausted":
			a.fail(ev, cfg, condition)
			return
		}
		a.s.log.Info("async retry", "function", ev.function, "requestId", ev.requestID, "attempt", ev.attempts, "wait", wait.String())
		sleep(a.ctx, wait)
		if condition == "EventAgeExceeded" && a.ctx.Err() == nil {
			a.fail(ev, cfg, condition)
			return
		}
	}
}

// asyncStep decides what follows an attempt: "Success"; "RetriesExhausted" after the
// last retry; else a retry after the configured delay, or, when the event would outlive
// its maximum age before then, "EventAgeExceeded" once it does.
func asyncStep(cfg *asyncConfig, attempts int, ok bool, age time.Duration, delays []time.Duration) (time.Duration, string) {
	if ok {
		return 0, "Success"
	}
	if attempts > cfg.maxRetries {
		return 0, "RetriesExhausted"
	}
	wait := delays[min(attempts, len(delays))-1]
	if age+wait > cfg.maxAge {
		return max(cfg.maxAge-age, 0), "EventAgeExceeded"
	}
	return wait, ""
}

// fail discards an event: its record goes to the on-failure destination and the event
// itself to the dead-letter queue, each when configured ("You can configure destinations
// in addition to or instead of a dead-letter queue", Lambda API reference,
// PutFunctionEventInvokeConfig).
func (a *asyncInvoker) fail(ev *asyncEvent, cfg *asyncConfig, condition string) {
	a.count(ev.function, func(st *AsyncStats) { st.Failed++ })
	a.s.log.Warn("async event discarded", "function", ev.function, "requestId", ev.requestID, "condition", condition, "attempts", ev.attempts)
	a.sendRecord(ev, cfg.onFailure, condition)
	a.sendDeadLetter(ev, cfg.deadLetter)
}

// record is the invocation record Lambda sends to a destination, in the Developer
// Guide's format ("Configuring destinations for asynchronous invocation", example
// invocation record): the request, the condition that sent it, and the function's
// response.
func (a *asyncInvoker) record(ev *asyncEvent, condition string) []byte {
	response := map[string]any{"statusCode": 200, "executedVersion": "$LATEST"}
	if condition != "Success" && ev.attempts > 0 {
		response["functionError"] = "Unhandled"
	}
	rec := map[string]any{
		"version": "1.0", "timestamp": time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"requestContext": map[string]any{
			"requestId": ev.requestID, "functionArn": a.s.resolver.Attrs[ev.function]["Arn"] + ":$LATEST",
			"condition": condition, "approximateInvokeCount": ev.attempts,
		},
		"requestPayload":  json.RawMessage(ev.payload),
		"responseContext": response,
	}
	if ev.attempts > 0 {
		rec["responsePayload"] = a.responsePayload(ev)
	}
	b, _ := json.Marshal(rec)
	return b
}

// responsePayload is what the last attempt returned: the function's result or error
// object, or the error Lambda reports for a timeout.
func (a *asyncInvoker) responsePayload(ev *asyncEvent) any {
	switch {
	case ev.lastErr != nil:
		return map[string]any{"errorMessage": "RequestId: " + ev.requestID + " Error: " + ev.lastErr.Error(), "errorType": "Runtime.Unknown"}
	case ev.last.TimedOut:
		timeout := a.s.model.Functions[ev.function].TimeoutSec
		return map[string]any{"errorMessage": fmt.Sprintf("RequestId: %s Error: Task timed out after %d.00 seconds", ev.requestID, timeout),
			"errorType": "Sandbox.Timedout"}
	case json.Valid(ev.last.Payload):
		return json.RawMessage(ev.last.Payload)
	}
	return string(ev.last.Payload)
}

// errorMessage is the last attempt's error message, for the dead-letter queue.
func (a *asyncInvoker) errorMessage(ev *asyncEvent) string {
	var m struct {
		ErrorMessage string `json:"errorMessage"`
	}
	b, _ := json.Marshal(a.responsePayload(ev))
	_ = json.Unmarshal(b, &m)
	if len(m.ErrorMessage) > 1024 {
		return m.ErrorMessage[:1024] // "The first 1 KB of the error message"
	}
	return m.ErrorMessage
}

func (a *asyncInvoker) sendRecord(ev *asyncEvent, destination, condition string) {
	if destination == "" {
		return
	}
	err := a.s.sendAs(a.ctx, ev.function, destination, a.record(ev, condition), nil)
	a.sent(ev, destination, err, func(st *AsyncStats) { st.Records++ })
}

// sendDeadLetter sends the event as it came, with the attributes the Developer Guide
// lists ("Dead-letter queues": RequestID, ErrorCode, ErrorMessage).
func (a *asyncInvoker) sendDeadLetter(ev *asyncEvent, target string) {
	if target == "" {
		return
	}
	attrs := map[string][2]string{
		"RequestID": {"String", ev.requestID}, "ErrorCode": {"Number", "200"}, "ErrorMessage": {"String", a.errorMessage(ev)},
	}
	if attrs["ErrorMessage"][1] == "" {
		delete(attrs, "ErrorMessage") // SQS and SNS take no empty attribute
	}
	err := a.s.sendAs(a.ctx, ev.function, target, ev.payload, attrs)
	a.sent(ev, target, err, func(st *AsyncStats) { st.DeadLetters++ })
}

// sent counts a delivery, or logs and counts its failure: Lambda then drops the record
// and emits DestinationDeliveryFailures or DeadLetterErrors.
func (a *asyncInvoker) sent(ev *asyncEvent, target string, err error, ok func(*AsyncStats)) {
	if err != nil {
		a.s.log.Error("async destination", "function", ev.function, "destination", target, "error", err.Error())
		a.count(ev.function, func(st *AsyncStats) { st.SendErrors++ })
		return
	}
	a.count(ev.function, ok)
}

// newInvocationID is a request id in Lambda's form, a random UUID.
func newInvocationID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
