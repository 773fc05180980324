package motostack

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	st "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/eventfilter"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/iam"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
)

// pollInterval is how often a stream's reader asks the stream for more while records
// come; Lambda polls a DynamoDB stream about four times a second.
const pollInterval = 250 * time.Millisecond

// idleInterval is how often it asks once a second has passed without a record. Every
// poll costs moto two calls (a fresh iterator, then GetRecords), and every stream of
// every running stack is polled: at Lambda's pace, idle streams kept moto, the one
// process all stacks' AWS calls wait on, busy for nothing. The first record after a
// quiet spell is delivered up to 0.75 s later than on Lambda.
const idleInterval = time.Second

// quietPolls is how many empty polls in a row make a reader idle.
const quietPolls = 4

// pageLimit is the most records one GetRecords call returns, as on DynamoDB.
const pageLimit = 1000

// streamReader reads one DynamoDB stream for every event source mapping on it: moto
// serialises every record's images on each GetRecords, the costliest of its calls, so
// a stream with several mappings is read once and each record handed to each of them.
// A mapping filters, batches, invokes and retries on its own (poller.run), so a
// mapping whose function keeps failing holds up neither the reader nor the others.
type streamReader struct {
	s         *Stack
	streamArn string
	client    *dynamodbstreams.Client // as the first mapping's function, whose role may read it
	position  st.ShardIteratorType    // TRIM_HORIZON when any mapping starts there
	pollers   []*poller

	mu    sync.Mutex
	idle  uint64 // poll cycles that read nothing
	stats StreamStats
}

// StreamStats counts what the reader of a DynamoDB stream did.
type StreamStats struct {
	Polls   int // poll cycles: each asks every shard once
	Reads   int // GetRecords calls
	Records int // records read
}

// poller is one DynamoDB stream event source mapping: it takes the records its
// stream's reader hands it and delivers them to its function.
type poller struct {
	s         *Stack
	m         *Mapping
	streamArn string
	filter    *eventfilter.Filter
	onFailure string // destination ARN, "" when none
	wake      chan struct{}

	mu     sync.Mutex
	since  time.Time // a LATEST mapping on a stream read from TRIM_HORIZON: when it started
	inbox  []map[string]any
	handed uint64 // records the reader handed it
	done   uint64 // of those, records handled (delivered, filtered out or failed)
	stats  MappingStats
}

// MappingStats counts what an event source mapping did.
type MappingStats struct {
	Records     int // records received from the stream, or messages received from the queue (again after a failure)
	Filtered    int // records dropped by the filter criteria (messages: and deleted)
	Invocations int // function invocations, retries included
	Failed      int // records sent to the on-failure destination, or messages left on the queue by a failed batch or item
}

// streamReadActions are the calls a stream's reader makes, which IAM authorises on the
// stream.
var streamReadActions = []string{"DescribeStream", "GetShardIterator", "GetRecords"}

func (s *Stack) startPollers(ctx context.Context) error {
	readers := map[string]*streamReader{}
	for _, m := range s.model.Mappings {
		if !m.Enabled {
			continue
		}
		src, err := s.resolver.String(m.Source)
		if err != nil {
			return fmt.Errorf("event source mapping %s: %w", m.LogicalID, err)
		}
		if isQueueArn(src) {
			if err := s.startQueuePoller(ctx, m, src); err != nil {
				return err
			}
			continue
		}
		if !strings.Contains(src, ":dynamodb:") || !strings.Contains(src, "/stream/") {
			s.notes = append(s.notes, fmt.Sprintf("event source mapping %s reads %s, which the local stack does not poll (DynamoDB streams and SQS queues only)", m.LogicalID, src))
			continue
		}
		f, err := eventfilter.Compile(m.Filters)
		if err != nil {
			return fmt.Errorf("event source mapping %s: %w", m.LogicalID, err)
		}
		p := &poller{s: s, m: m, streamArn: src, filter: f, wake: make(chan struct{}, 1)}
		if m.OnFailure != nil {
			if p.onFailure, err = s.resolver.String(m.OnFailure); err != nil {
				return fmt.Errorf("event source mapping %s destination: %w", m.LogicalID, err)
			}
		}
		s.pollers = append(s.pollers, p)
		// Lambda reads the stream with the function's execution role: a mapping whose
		// role may not gets nothing, as a poller whose every read is refused.
		if err := s.mayRead(m.Function, src); err != nil {
			s.log.Error("read stream", "mapping", m.LogicalID, "error", err.Error())
			continue
		}
		r := readers[src]
		if r == nil {
			// The reader reads, as Lambda does, with a function's execution role: the
			// first mapping's, through the gate.
			r = &streamReader{s: s, streamArn: src, client: dynamodbstreams.NewFromConfig(s.functionAWS(m.Function)),
				position: st.ShardIteratorTypeLatest}
			readers[src] = r
			s.readers = append(s.readers, r)
		}
		if m.StartingPosition != "LATEST" {
			r.position = st.ShardIteratorTypeTrimHorizon
		}
		r.pollers = append(r.pollers, p)
		s.wg.Add(1)
		go p.run(ctx)
	}
	for _, r := range s.readers {
		s.wg.Add(1)
		go r.run(ctx)
	}
	return nil
}

// mayRead checks that a function's role allows every call of a stream's reader.
func (s *Stack) mayRead(functionID, streamArn string) error {
	for _, op := range streamReadActions {
		if err := s.gate.permits(functionID, op, iam.Request{Action: "dynamodb:" + op, Resource: streamArn}); err != nil {
			return err
		}
	}
	return nil
}

// MappingStats returns what each event source mapping has done so far.
func (s *Stack) MappingStats() map[string]MappingStats {
	out := map[string]MappingStats{}
	for _, p := range s.pollers {
		p.mu.Lock()
		out[p.m.LogicalID] = p.stats
		p.mu.Unlock()
	}
	s.queueStats(out)
	return out
}

// StreamStats returns what the reader of each polled DynamoDB stream has done so far,
// by stream ARN.
func (s *Stack) StreamStats() map[string]StreamStats {
	out := map[string]StreamStats{}
	for _, r := range s.readers {
		r.mu.Lock()
		out[r.streamArn] = r.stats
		r.mu.Unlock()
	}
	return out
}

// DrainStreams waits until every mapping has handled all the stream records written
// before the call (its stream's reader has had two empty poll cycles after it, and the
// mapping has handled every record the reader handed it by then), and every queue
// poller every message visible at the call (two empty receives with no batch in flight
// after it), so tests can wait for event-driven work instead of sleeping. Messages a
// failed batch left on a queue come back after the drain, when their visibility
// timeout passes.
func (s *Stack) DrainStreams(ctx context.Context) error {
	queues := s.queuesIdle()
	start := make([]uint64, len(s.readers))
	for i, r := range s.readers {
		start[i] = r.idleCycles()
	}
	wait := func(what string, done func() bool) error {
		for !done() {
			select {
			case <-ctx.Done():
				return fmt.Errorf("drain %s: %w", what, ctx.Err())
			case <-time.After(20 * time.Millisecond):
			}
		}
		return nil
	}
	for i, r := range s.readers {
		if err := wait(r.streamArn, func() bool { return r.idleCycles() >= start[i]+2 }); err != nil {
			return err
		}
		for _, p := range r.pollers {
			p.mu.Lock()
			target := p.handed
			p.mu.Unlock()
			if err := wait(p.m.LogicalID, func() bool { p.mu.Lock(); defer p.mu.Unlock(); return p.done >= target }); err != nil {
				return err
			}
		}
	}
	return s.drainQueues(ctx, queues)
}

func (r *streamReader) idleCycles() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.idle
}

func (p *poller) count(f func(*MappingStats)) {
	p.mu.Lock()
	f(&p.stats)
	p.mu.Unlock()
}

// shardState is where the reader stands in one shard.
type shardState struct {
	id       string
	iterator *string
	lastSeq  string // the last record read, "" before the first
}

func (r *streamReader) run(ctx context.Context) {
	defer r.s.wg.Done()
	var shards []*shardState
	quiet := 0 // empty polls in a row
	for ctx.Err() == nil {
		if len(shards) == 0 {
			started := time.Now()
			var err error
			if shards, err = r.openShards(ctx); err != nil {
				r.s.log.Error("open stream", "stream", r.streamArn, "error", err.Error())
				sleep(ctx, time.Second)
				continue
			}
			r.started(started)
		}
		got, full := 0, false
		for _, sh := range shards {
			if err := r.refresh(ctx, sh); err != nil {
				if ctx.Err() == nil {
					r.s.log.Error("read stream", "stream", r.streamArn, "error", err.Error())
				}
				break
			}
			if sh.iterator == nil {
				continue
			}
			out, err := r.client.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: sh.iterator, Limit: aws.Int32(pageLimit)})
			r.mu.Lock()
			r.stats.Reads++
			r.mu.Unlock()
			if err != nil {
				if ctx.Err() == nil {
					r.s.log.Error("read stream", "stream", r.streamArn, "error", err.Error())
				}
				break
			}
			sh.iterator = out.NextShardIterator
			if len(out.Records) > 0 {
				sh.lastSeq = aws.ToString(out.Records[len(out.Records)-1].Dynamodb.SequenceNumber)
				r.hand(sh.id, out.Records)
			}
			got += len(out.Records)
			full = full || len(out.Records) == pageLimit
		}
		r.mu.Lock()
		r.stats.Polls++
		r.stats.Records += got
		if got == 0 {
			r.idle++
		}
		r.mu.Unlock()
		interval := pollInterval
		switch {
		case full:
			quiet = 0
			continue // more are waiting: ask again at once
		case got > 0:
			quiet = 0
		default:
			if quiet++; quiet >= quietPolls {
				interval = idleInterval
			}
		}
		sleep(ctx, interval)
	}
}

// started notes when the reader began: when it starts at TRIM_HORIZON, a LATEST
// mapping's records are those created from then on. moto dates a record to the
// millisecond (ApproximateCreationDateTime), and its sequence numbers only say where
// the shard stood, not when, so the date is what tells them apart.
func (r *streamReader) started(at time.Time) {
	if r.position != st.ShardIteratorTypeTrimHorizon {
		return // the LATEST iterator marked where to start
	}
	for _, p := range r.pollers {
		if p.m.StartingPosition == "LATEST" {
			p.mu.Lock()
			p.since = at.Truncate(time.Millisecond)
			p.mu.Unlock()
		}
	}
}

// hand gives each mapping of the stream the records it is to see, in order, and wakes
// it. It never waits on a mapping.
func (r *streamReader) hand(shardID string, records []st.Record) {
	converted := make([]map[string]any, len(records))
	for i, rec := range records {
		converted[i] = lambdaRecord(r.streamArn, shardID, rec)
	}
	for _, p := range r.pollers {
		p.mu.Lock()
		n := 0
		for i, rec := range records {
			if !p.since.IsZero() && rec.Dynamodb != nil && rec.Dynamodb.ApproximateCreationDateTime != nil &&
				rec.Dynamodb.ApproximateCreationDateTime.Before(p.since) {
				continue // written before a LATEST mapping started
			}
			p.inbox = append(p.inbox, converted[i])
			n++
		}
		p.handed += uint64(n)
		p.stats.Records += n
		p.mu.Unlock()
		if n > 0 {
			select {
			case p.wake <- struct{}{}:
			default:
			}
		}
	}
}

// run delivers the records the reader hands the mapping: in batches of its size, after
// its batching window, one batch after another.
func (p *poller) run(ctx context.Context) {
	defer p.s.wg.Done()
	var pending []map[string]any
	var firstPending time.Time
	window := time.Duration(p.m.BatchingWindowSec) * time.Second
	for ctx.Err() == nil {
		p.mu.Lock()
		in := p.inbox
		p.inbox = nil
		p.mu.Unlock()
		if len(in) > 0 && len(pending) == 0 {
			firstPending = time.Now()
		}
		pending = append(pending, in...)
		if len(pending) > 0 && (len(pending) >= p.m.BatchSize || time.Since(firstPending) >= window) {
			p.process(ctx, pending)
			p.mu.Lock()
			p.done += uint64(len(pending))
			p.mu.Unlock()
			pending, firstPending = nil, time.Time{}
			continue
		}
		var windowEnds <-chan time.Time
		if len(pending) > 0 {
			windowEnds = time.After(window - time.Since(firstPending))
		}
		select {
		case <-ctx.Done():
		case <-p.wake:
		case <-windowEnds:
		}
	}
}

// refresh asks for a new iterator after the last record read. moto replaces a table
// with a copy when a transaction on it fails, and an old iterator keeps reading the
// discarded copy's stream, missing every record after that: asking afresh each cycle
// always reads the table's current stream.
func (r *streamReader) refresh(ctx context.Context, sh *shardState) error {
	if sh.lastSeq == "" && r.position == st.ShardIteratorTypeLatest {
		return nil // nothing read yet: the LATEST iterator still marks where to start
	}
	in := &dynamodbstreams.GetShardIteratorInput{StreamArn: &r.streamArn, ShardId: &sh.id, ShardIteratorType: st.ShardIteratorTypeTrimHorizon}
	if sh.lastSeq != "" {
		in.ShardIteratorType, in.SequenceNumber = st.ShardIteratorTypeAfterSequenceNumber, &sh.lastSeq
	}
	it, err := r.client.GetShardIterator(ctx, in)
	if err != nil {
		return err
	}
	sh.iterator = it.ShardIterator
	return nil
}

func (r *streamReader) openShards(ctx context.Context) ([]*shardState, error) {
	desc, err := r.client.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: &r.streamArn})
	if err != nil {
		return nil, err
	}
	var shards []*shardState
	for _, sh := range desc.StreamDescription.Shards {
		it, err := r.client.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{
			StreamArn: &r.streamArn, ShardId: sh.ShardId, ShardIteratorType: r.position,
		})
		if err != nil {
			return nil, err
		}
		shards = append(shards, &shardState{id: aws.ToString(sh.ShardId), iterator: it.ShardIterator})
	}
	return shards, nil
}

// process filters the records (those filtered out count as handled, as on Lambda) and
// delivers them in batches, in order, each within the invocation payload limit.
func (p *poller) process(ctx context.Context, records []map[string]any) {
	var kept []map[string]any
	for _, r := range records {
		if p.filter.Match(r) {
			kept = append(kept, r)
		}
	}
	p.count(func(s *MappingStats) { s.Filtered += len(records) - len(kept) })
	for start := 0; start < len(kept) && ctx.Err() == nil; {
		end := batchEnd(kept, start, p.m.BatchSize)
		p.deliver(ctx, kept[start:end], 0)
		start = end
	}
}

// batchEnd is where a batch of records from start ends: after at most size records,
// and before the event would pass Lambda's invocation payload limit, as Lambda cuts its
// batches.
func batchEnd(records []map[string]any, start, size int) int {
	n, end := len(batchEnvelope), start
	for end < len(records) && end-start < size {
		b, _ := json.Marshal(records[end])
		if end > start && n+len(b)+1 > maxRequestPayload {
			break
		}
		n, end = n+len(b)+1, end+1
	}
	return end
}

// deliver invokes the function with a batch, and handles failure as Lambda does: a
// partial batch response retries from the first failed record; a function error
// bisects the batch when configured, else retries it; records past the retry limit or
// the maximum age go to the on-failure destination, so a poison record never blocks
// the records behind it.
func (p *poller) deliver(ctx context.Context, batch []map[string]any, attempt int) {
	if len(batch) == 0 || ctx.Err() != nil {
		return
	}
	if p.m.MaxRecordAgeSec >= 0 {
		cutoff := float64(time.Now().Add(-time.Duration(p.m.MaxRecordAgeSec) * time.Second).Unix())
		var fresh []map[string]any
		for _, r := range batch {
			if created, _ := r["dynamodb"].(map[string]any)["ApproximateCreationDateTime"].(float64); created != 0 && created < cutoff {
				p.fail(ctx, []map[string]any{r}, "RecordAgeExceeded", attempt)
				continue
			}
			fresh = append(fresh, r)
		}
		if batch = fresh; len(batch) == 0 {
			return
		}
	}
	payload, _ := json.Marshal(map[string]any{"Records": batch})
	p.count(func(s *MappingStats) { s.Invocations++ })
	res, err := p.s.Invoke(ctx, p.m.Function, payload)
	if err == nil && res.FunctionError == "" && !res.TimedOut {
		failedFrom := p.firstFailure(batch, res.Payload)
		if failedFrom < 0 {
			return
		}
		p.retry(ctx, batch[failedFrom:], attempt)
		return
	}
	if err != nil && ctx.Err() != nil {
		return
	}
	if p.m.Bisect && len(batch) > 1 {
		half := len(batch) / 2
		p.deliver(ctx, batch[:half], attempt+1)
		p.deliver(ctx, batch[half:], attempt+1)
		return
	}
	p.retry(ctx, batch, attempt)
}

func (p *poller) retry(ctx context.Context, batch []map[string]any, attempt int) {
	if p.m.MaxRetries >= 0 && attempt >= p.m.MaxRetries {
		p.fail(ctx, batch, "RetryAttemptsExhausted", attempt+1)
		return
	}
	sleep(ctx, min(time.Duration(1<<min(attempt, 5))*100*time.Millisecond, 3*time.Second))
	p.deliver(ctx, batch, attempt+1)
}

// firstFailure reads a partial batch response and returns the index of the earliest
// failed record, or -1 when every record succeeded. An identifier that names no record
// of the batch fails the whole batch, as on Lambda.
func (p *poller) firstFailure(batch []map[string]any, payload []byte) int {
	if !p.m.ReportItemFailures {
		return -1
	}
	var resp struct {
		BatchItemFailures []struct {
			ItemIdentifier string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	if json.Unmarshal(payload, &resp) != nil || len(resp.BatchItemFailures) == 0 {
		return -1
	}
	first := len(batch)
	for _, f := range resp.BatchItemFailures {
		found := false
		for i, r := range batch {
			if seq, _ := r["dynamodb"].(map[string]any)["SequenceNumber"].(string); seq == f.ItemIdentifier {
				first, found = min(first, i), true
			}
		}
		if !found {
			return 0
		}
	}
	return first
}

// fail sends a record range to the on-failure destination in Lambda's format: the
// batch's place in the stream, not its records.
func (p *poller) fail(ctx context.Context, batch []map[string]any, condition string, invokes int) {
	p.count(func(s *MappingStats) { s.Failed += len(batch) })
	p.s.log.Warn("records discarded", "mapping", p.m.LogicalID, "records", len(batch), "condition", condition)
	if p.onFailure == "" || len(batch) == 0 {
		return
	}
	first, last := batch[0], batch[len(batch)-1]
	seq := func(r map[string]any) string {
		s, _ := r["dynamodb"].(map[string]any)["SequenceNumber"].(string)
		return s
	}
	at := func(r map[string]any) string {
		f, _ := r["dynamodb"].(map[string]any)["ApproximateCreationDateTime"].(float64)
		return time.Unix(int64(f), 0).UTC().Format(time.RFC3339)
	}
	msg, _ := json.Marshal(map[string]any{
		"version": "1.0", "timestamp": time.Now().UTC().Format(time.RFC3339Nano),
		"requestContext": map[string]any{
			"requestId": newGatewayRequestID(), "functionArn": p.s.resolver.Attrs[p.m.Function]["Arn"],
			"condition": condition, "approximateInvokeCount": invokes,
		},
		"responseContext": map[string]any{"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
		"DDBStreamBatchInfo": map[string]any{
			"shardId": first["shardId"], "startSequenceNumber": seq(first), "endSequenceNumber": seq(last),
			"approximateArrivalOfFirstRecord": at(first), "approximateArrivalOfLastRecord": at(last),
			"batchSize": len(batch), "streamArn": p.streamArn,
		},
	})
	var err error
	if strings.Contains(p.onFailure, ":sqs:") || strings.Contains(p.onFailure, ":sns:") {
		err = p.s.sendAs(ctx, p.m.Function, p.onFailure, msg, nil)
	} else {
		err = fmt.Errorf("destination %s is not a queue or topic", p.onFailure)
	}
	if err != nil {
		p.s.log.Error("on-failure destination", "mapping", p.m.LogicalID, "error", err.Error())
	}
}

// queueURL finds the URL of a local queue by its ARN.
func (s *Stack) queueURL(arn string) string {
	for _, attrs := range s.resolver.Attrs {
		if attrs["Arn"] == arn && attrs["QueueUrl"] != "" {
			return attrs["QueueUrl"]
		}
	}
	return ""
}

// lambdaRecord is a stream record as Lambda delivers it in a DynamoDBEvent.
func lambdaRecord(streamArn, shardID string, r st.Record) map[string]any {
	d := map[string]any{}
	if sr := r.Dynamodb; sr != nil {
		if sr.ApproximateCreationDateTime != nil {
			d["ApproximateCreationDateTime"] = float64(sr.ApproximateCreationDateTime.Unix())
		}
		if sr.Keys != nil {
			d["Keys"] = attrMap(sr.Keys)
		}
		if sr.NewImage != nil {
			d["NewImage"] = attrMap(sr.NewImage)
		}
		if sr.OldImage != nil {
			d["OldImage"] = attrMap(sr.OldImage)
		}
		d["SequenceNumber"] = aws.ToString(sr.SequenceNumber)
		if sr.SizeBytes != nil {
			d["SizeBytes"] = float64(*sr.SizeBytes)
		}
		d["StreamViewType"] = string(sr.StreamViewType)
	}
	rec := map[string]any{
		"eventID": aws.ToString(r.EventID), "eventName": string(r.EventName), "eventVersion": aws.ToString(r.EventVersion),
		"eventSource": aws.ToString(r.EventSource), "awsRegion": aws.ToString(r.AwsRegion),
		"dynamodb": d, "eventSourceARN": streamArn, "shardId": shardID,
	}
	// A deletion by the table's TTL names the service that made it.
	if id := r.UserIdentity; id != nil {
		rec["userIdentity"] = map[string]any{"type": aws.ToString(id.Type), "principalId": aws.ToString(id.PrincipalId)}
	}
	return rec
}

func attrMap(m map[string]st.AttributeValue) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = attrJSON(v)
	}
	return out
}

// attrJSON writes an attribute value in DynamoDB's JSON form ({"S": "..."}).
func attrJSON(v st.AttributeValue) map[string]any {
	switch t := v.(type) {
	case *st.AttributeValueMemberS:
		return map[string]any{"S": t.Value}
	case *st.AttributeValueMemberN:
		return map[string]any{"N": t.Value}
	case *st.AttributeValueMemberB:
		return map[string]any{"B": base64.StdEncoding.EncodeToString(t.Value)}
	case *st.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": t.Value}
	case *st.AttributeValueMemberNULL:
		return map[string]any{"NULL": t.Value}
	case *st.AttributeValueMemberSS:
		return map[string]any{"SS": anyList(t.Value)}
	case *st.AttributeValueMemberNS:
		return map[string]any{"NS": anyList(t.Value)}
	case *st.AttributeValueMemberBS:
		var l []any
		for _, b := range t.Value {
			l = append(l, base64.StdEncoding.EncodeToString(b))
		}
		return map[string]any{"BS": l}
	case *st.AttributeValueMemberM:
		return map[string]any{"M": attrMap(t.Value)}
	case *st.AttributeValueMemberL:
		l := make([]any, 0, len(t.Value))
		for _, x := range t.Value {
			l = append(l, attrJSON(x))
		}
		return map[string]any{"L": l}
	}
	return map[string]any{"NULL": true}
}

func anyList(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// ReadStream returns every record of a table's stream so far, as Lambda delivers them,
// so a test can replay a batch to a function.
func (s *Stack) ReadStream(ctx context.Context, tableID string) ([]map[string]any, error) {
	arn := s.resolver.Attrs[tableID]["StreamArn"]
	if arn == "" {
		return nil, fmt.Errorf("table %s has no stream", tableID)
	}
	r := &streamReader{s: s, streamArn: arn, client: dynamodbstreams.NewFromConfig(localaws.Config(s.endpoint)), position: st.ShardIteratorTypeTrimHorizon}
	shards, err := r.openShards(ctx)
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for _, sh := range shards {
		for sh.iterator != nil {
			page, err := r.client.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: sh.iterator, Limit: aws.Int32(pageLimit)})
			if err != nil {
				return nil, err
			}
			for _, rec := range page.Records {
				out = append(out, lambdaRecord(arn, sh.id, rec))
			}
			if len(page.Records) == 0 {
				break
			}
			sh.iterator = page.NextShardIterator
		}
	}
	return out, nil
}
