package motostack

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/eventfilter"
)

const (
	// sqsDefaultBatch is an SQS mapping's batch size when the template sets none.
	sqsDefaultBatch = 10
	// sqsDefaultConcurrency is how many batches a mapping without
	// ScalingConfig.MaximumConcurrency has in flight at once: the five Lambda starts
	// with when messages arrive.
	sqsDefaultConcurrency = 5
)

// queuePoller is one SQS event source mapping. One receiver gathers batches and up to
// the mapping's concurrency of them are delivered at once, each to an invocation of
// the function; what the function handled is deleted, what it failed stays on the
// queue, to come back after the queue's visibility timeout and, past the queue's
// maxReceiveCount, to be moved to its dead-letter queue by the queue itself.
type queuePoller struct {
	s         *Stack
	m         *Mapping
	queueArn  string
	queueURL  string
	filter    *eventfilter.Filter
	client    *sqs.Client
	batchSize int
	window    time.Duration
	slots     chan struct{} // one per batch in flight
	carry     []sqsRecord   // received but kept for the next batch (the last reached the payload limit)

	mu       sync.Mutex
	idle     uint64 // empty receives with no batch held or in flight
	inflight int
	stats    MappingStats
}

// sqsRecord is a message as Lambda delivers it in an SQSEvent, with what the poller
// needs to delete it.
type sqsRecord struct {
	event   map[string]any
	id      string
	receipt string
	size    int // bytes the record adds to the invocation's payload
}

// startQueuePoller starts the poller of an SQS mapping, reading the queue with the
// function's own credentials, as Lambda reads it with the function's execution role.
func (s *Stack) startQueuePoller(ctx context.Context, m *Mapping, queueArn string) error {
	url := s.queueURL(queueArn)
	if url == "" {
		s.notes = append(s.notes, fmt.Sprintf("event source mapping %s reads %s, a queue outside this template, which the local stack does not poll", m.LogicalID, queueArn))
		return nil
	}
	f, err := eventfilter.Compile(m.Filters)
	if err != nil {
		return fmt.Errorf("event source mapping %s: %w", m.LogicalID, err)
	}
	props := s.model.Resources[m.LogicalID].Properties
	batch, err := s.intProperty(props["BatchSize"], sqsDefaultBatch)
	if err != nil {
		return fmt.Errorf("event source mapping %s BatchSize: %w", m.LogicalID, err)
	}
	scaling, _ := props["ScalingConfig"].(map[string]any)
	concurrency, err := s.intProperty(scaling["MaximumConcurrency"], sqsDefaultConcurrency)
	if err != nil {
		return fmt.Errorf("event source mapping %s MaximumConcurrency: %w", m.LogicalID, err)
	}
	p := &queuePoller{s: s, m: m, queueArn: queueArn, queueURL: url, filter: f,
		client: sqs.NewFromConfig(s.functionAWS(m.Function)), batchSize: max(batch, 1),
		window: time.Duration(m.BatchingWindowSec) * time.Second, slots: make(chan struct{}, max(concurrency, 1))}
	s.queues = append(s.queues, p)
	s.wg.Add(1)
	go p.run(ctx)
	return nil
}

// intProperty resolves a whole-number property (a parameter may give it), or def when
// the template leaves it out.
func (s *Stack) intProperty(v any, def int) (int, error) {
	if v == nil {
		return def, nil
	}
	r, err := s.resolver.Resolve(v)
	if err != nil {
		return 0, err
	}
	n, ok := number(r)
	if !ok {
		return 0, fmt.Errorf("%v is not a number", r)
	}
	return int(n), nil
}

// batchEnvelope is what an event of records adds to them: {"Records":[...]}.
const batchEnvelope = `{"Records":[]}`

// isQueueArn reports whether an event source is an SQS queue.
func isQueueArn(arn string) bool { return strings.HasPrefix(arn, "arn:aws:sqs:") }

func (p *queuePoller) run(ctx context.Context) {
	defer p.s.wg.Done()
	for {
		select {
		case p.slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		batch := p.gather(ctx)
		if batch == nil {
			<-p.slots
			return
		}
		p.mu.Lock()
		p.inflight++
		p.mu.Unlock()
		p.s.wg.Add(1)
		go func() {
			defer p.s.wg.Done()
			p.deliver(ctx, batch)
			p.mu.Lock()
			p.inflight--
			p.mu.Unlock()
			<-p.slots
		}()
	}
}

// gather receives messages until the batch is full, or holds some and the batching
// window has passed since the first (at once without a window), and returns it; nil
// when ctx ends. Messages held then come back after the queue's visibility timeout, as
// they would from a Lambda poller that stopped. A receive finding nothing while nothing
// is held or in flight counts as an idle cycle.
func (p *queuePoller) gather(ctx context.Context) []sqsRecord {
	batch, size := p.carry, len(batchEnvelope)
	p.carry = nil
	for _, r := range batch {
		size += r.size
	}
	var first time.Time
	if len(batch) > 0 {
		first = time.Now()
	}
	for {
		if ctx.Err() != nil {
			return nil
		}
		if len(batch) >= p.batchSize || (len(batch) > 0 && time.Since(first) >= p.window) {
			return batch
		}
		got, err := p.receive(ctx, min(10, p.batchSize-len(batch)))
		if err != nil {
			if ctx.Err() == nil {
				p.s.log.Error("read queue", "mapping", p.m.LogicalID, "error", err.Error())
				sleep(ctx, time.Second)
			}
			continue
		}
		for i, r := range got {
			// A batch stays within the invocation payload limit; the rest waits for the next.
			if len(batch) > 0 && size+r.size > maxRequestPayload {
				p.carry = got[i:]
				return batch
			}
			batch, size = append(batch, r), size+r.size
		}
		if len(batch) > 0 && first.IsZero() {
			first = time.Now()
		}
		if len(got) > 0 {
			continue
		}
		wait := pollInterval
		if len(batch) > 0 {
			wait = min(wait, p.window-time.Since(first))
		} else {
			p.noteIdle()
		}
		sleep(ctx, wait)
	}
}

func (p *queuePoller) noteIdle() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inflight == 0 {
		p.idle++
	}
}

func (p *queuePoller) idleCycles() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.idle
}

func (p *queuePoller) count(f func(*MappingStats)) {
	p.mu.Lock()
	f(&p.stats)
	p.mu.Unlock()
}

// receive asks the queue for up to n messages and returns those the filter criteria
// keep; the others are deleted, as Lambda deletes the messages its filters drop.
// Lambda long-polls; here each call returns at once (a long poll would hold the
// serialising proxy, and every other call to moto, for its whole wait) and the poller
// asks again every pollInterval.
func (p *queuePoller) receive(ctx context.Context, n int) ([]sqsRecord, error) {
	out, err := p.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl: &p.queueURL, MaxNumberOfMessages: int32(n), MessageAttributeNames: []string{"All"},
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
	}, func(o *sqs.Options) { o.APIOptions = append(o.APIOptions, noWait) })
	if err != nil {
		return nil, err
	}
	var kept, dropped []sqsRecord
	for _, m := range out.Messages {
		r := p.record(m)
		if p.filter.Match(filterView(r.event)) {
			kept = append(kept, r)
		} else {
			dropped = append(dropped, r)
		}
	}
	p.count(func(s *MappingStats) { s.Records += len(out.Messages); s.Filtered += len(dropped) })
	p.delete(ctx, dropped)
	return kept, nil
}

// noWait writes WaitTimeSeconds 0 into a ReceiveMessage request. The SDK leaves a zero
// out, and then the queue's ReceiveMessageWaitTimeSeconds applies: moto would wait
// that long behind the proxy.
func noWait(stack *middleware.Stack) error {
	return stack.Serialize.Add(middleware.SerializeMiddlewareFunc("motostackNoWait",
		func(ctx context.Context, in middleware.SerializeInput, next middleware.SerializeHandler) (middleware.SerializeOutput, middleware.Metadata, error) {
			req, ok := in.Request.(*smithyhttp.Request)
			if !ok || req.GetStream() == nil {
				return next.HandleSerialize(ctx, in)
			}
			var body map[string]any
			if err := json.NewDecoder(req.GetStream()).Decode(&body); err != nil {
				return middleware.SerializeOutput{}, middleware.Metadata{}, fmt.Errorf("rewrite ReceiveMessage: %w", err)
			}
			if _, set := body["WaitTimeSeconds"]; !set {
				body["WaitTimeSeconds"] = 0
			}
			b, _ := json.Marshal(body)
			r, err := req.SetStream(strings.NewReader(string(b)))
			if err != nil {
				return middleware.SerializeOutput{}, middleware.Metadata{}, err
			}
			in.Request = r
			return next.HandleSerialize(ctx, in)
		}), middleware.After)
}

// record is a message as Lambda delivers it: attributes as SQS returns them (receive
// count, sent and first-receive times, sender), message attributes in Lambda's
// lower-camel form.
func (p *queuePoller) record(m sqstypes.Message) sqsRecord {
	attrs := map[string]any{}
	for k, v := range m.Attributes {
		attrs[k] = v
	}
	msgAttrs := map[string]any{}
	for k, v := range m.MessageAttributes {
		a := map[string]any{"dataType": aws.ToString(v.DataType), "stringListValues": anyList(v.StringListValues), "binaryListValues": []any{}}
		if v.StringValue != nil {
			a["stringValue"] = *v.StringValue
		}
		if v.BinaryValue != nil {
			a["binaryValue"] = base64.StdEncoding.EncodeToString(v.BinaryValue)
		}
		for _, b := range v.BinaryListValues {
			a["binaryListValues"] = append(a["binaryListValues"].([]any), base64.StdEncoding.EncodeToString(b))
		}
		msgAttrs[k] = a
	}
	ev := map[string]any{
		"messageId": aws.ToString(m.MessageId), "receiptHandle": aws.ToString(m.ReceiptHandle), "body": aws.ToString(m.Body),
		"attributes": attrs, "messageAttributes": msgAttrs, "md5OfBody": aws.ToString(m.MD5OfBody),
		"eventSource": "aws:sqs", "eventSourceARN": p.queueArn, "awsRegion": strings.Split(p.queueArn, ":")[3],
	}
	if m.MD5OfMessageAttributes != nil {
		ev["md5OfMessageAttributes"] = *m.MD5OfMessageAttributes
	}
	b, _ := json.Marshal(ev)
	return sqsRecord{event: ev, id: aws.ToString(m.MessageId), receipt: aws.ToString(m.ReceiptHandle), size: len(b) + 1}
}

// filterView is a record as filter criteria see it: a body that is JSON is matched as
// JSON, any other as the string it is.
func filterView(ev map[string]any) map[string]any {
	b, _ := json.Marshal(ev)
	var view map[string]any
	_ = json.Unmarshal(b, &view)
	var body any
	if s, _ := ev["body"].(string); json.Unmarshal([]byte(s), &body) == nil {
		view["body"] = body
	}
	return view
}

// deliver invokes the function with a batch and settles it as Lambda does: the
// messages handled are deleted; after a function error or timeout the whole batch stays
// on the queue; with ReportBatchItemFailures the messages the response names stay.
func (p *queuePoller) deliver(ctx context.Context, batch []sqsRecord) {
	events := make([]map[string]any, len(batch))
	for i, r := range batch {
		events[i] = r.event
	}
	payload, _ := json.Marshal(map[string]any{"Records": events})
	p.count(func(s *MappingStats) { s.Invocations++ })
	res, err := p.s.Invoke(ctx, p.m.Function, payload)
	switch {
	case err != nil && ctx.Err() != nil: // the stack is stopping
	case err != nil:
		p.s.log.Error("invoke", "mapping", p.m.LogicalID, "error", err.Error())
		p.leave(batch, "invocation failed")
	case res.TimedOut:
		p.leave(batch, "function timed out")
	case res.FunctionError != "":
		p.leave(batch, "function error")
	default:
		failed := p.itemFailures(batch, res.Payload)
		var done, left []sqsRecord
		for _, r := range batch {
			if failed[r.id] {
				left = append(left, r)
			} else {
				done = append(done, r)
			}
		}
		p.delete(ctx, done)
		p.leave(left, "batch item failures")
	}
}

// itemFailures reads a partial batch response: the ids of the messages it reports
// failed. Lambda takes the whole batch as failed when the response is not JSON, or an
// entry's itemIdentifier is missing, empty, or names no message of the batch.
func (p *queuePoller) itemFailures(batch []sqsRecord, payload []byte) map[string]bool {
	if !p.m.ReportItemFailures {
		return nil
	}
	all := func() map[string]bool {
		out := map[string]bool{}
		for _, r := range batch {
			out[r.id] = true
		}
		return out
	}
	if !json.Valid(payload) {
		return all()
	}
	var resp map[string]json.RawMessage
	if json.Unmarshal(payload, &resp) != nil || resp["batchItemFailures"] == nil {
		return nil // null, an empty object or anything but an object: all handled
	}
	var items []map[string]any
	if err := json.Unmarshal(resp["batchItemFailures"], &items); err != nil {
		return all()
	}
	failed := map[string]bool{}
	for _, item := range items {
		id, _ := item["itemIdentifier"].(string)
		found := false
		for _, r := range batch {
			found = found || r.id == id
		}
		if id == "" || !found {
			return all()
		}
		failed[id] = true
	}
	return failed
}

// leave lets messages be: they come back once the queue's visibility timeout passes.
func (p *queuePoller) leave(batch []sqsRecord, reason string) {
	if len(batch) == 0 {
		return
	}
	p.count(func(s *MappingStats) { s.Failed += len(batch) })
	p.s.log.Warn("messages left on the queue", "mapping", p.m.LogicalID, "messages", len(batch), "reason", reason)
}

// delete removes handled messages from the queue, ten to a call.
func (p *queuePoller) delete(ctx context.Context, batch []sqsRecord) {
	for start := 0; start < len(batch); start += 10 {
		var entries []sqstypes.DeleteMessageBatchRequestEntry
		for i, r := range batch[start:min(start+10, len(batch))] {
			entries = append(entries, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(r.receipt)})
		}
		out, err := p.client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &p.queueURL, Entries: entries})
		switch {
		case err != nil && ctx.Err() == nil:
			p.s.log.Error("delete messages", "mapping", p.m.LogicalID, "error", err.Error())
		case err == nil && len(out.Failed) > 0:
			p.s.log.Error("delete messages", "mapping", p.m.LogicalID, "failed", len(out.Failed), "error", aws.ToString(out.Failed[0].Message))
		}
	}
}

// queuesIdle is how many idle cycles each queue poller has had so far.
func (s *Stack) queuesIdle() []uint64 {
	out := make([]uint64, len(s.queues))
	for i, p := range s.queues {
		out[i] = p.idleCycles()
	}
	return out
}

// drainQueues waits until each queue poller has had two idle cycles since start: every
// message visible then has been received and its batch settled.
func (s *Stack) drainQueues(ctx context.Context, start []uint64) error {
	for i, p := range s.queues {
		for p.idleCycles() < start[i]+2 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("drain %s: %w", p.m.LogicalID, ctx.Err())
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	return nil
}

// queueStats adds what each queue mapping did to out.
func (s *Stack) queueStats(out map[string]MappingStats) {
	for _, p := range s.queues {
		p.mu.Lock()
		out[p.m.LogicalID] = p.stats
		p.mu.Unlock()
	}
}

// queuePending reports whether arn names a queue of the template not created yet.
func (s *Stack) queuePending(arn string) bool {
	for id, res := range s.model.Resources {
		if res.Type == "AWS::SQS::Queue" && s.resolver.Attrs[id]["Arn"] == arn && s.resolver.Attrs[id]["QueueUrl"] == "" {
			return true
		}
	}
	return false
}
