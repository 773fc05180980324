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
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
)

// pollInterval is how often a poller asks the stream for more while records come;
// Lambda polls a DynamoDB stream about four times a second.
const pollInterval = 250 * time.Millisecond

// idleInterval is how often it asks once a second has passed without a record. Every
// poll costs moto two calls (a fresh iterator, then GetRecords), and every mapping of
// every running stack polls: at Lambda's pace, idle mappings kept moto, the one
// process all stacks' AWS calls wait on, busy for nothing. The first record after a
// quiet spell is delivered up to 0.75 s later than on Lambda.
const idleInterval = time.Second

// quietPolls is how many empty polls in a row make a poller idle.
const quietPolls = 4

// poller is one DynamoDB stream event source mapping.
type poller struct {
	s         *Stack
	m         *Mapping
	streamArn string
	filter    *eventfilter.Filter
	onFailure string // destination ARN, "" when none
	client    *dynamodbstreams.Client

	mu    sync.Mutex
	idle  uint64 // poll cycles that found nothing to do
	stats MappingStats
}

// MappingStats counts what an event source mapping did.
type MappingStats struct {
	Records     int // records read from the stream, or messages received from the queue (again after a failure)
	Filtered    int // records dropped by the filter criteria (messages: and deleted)
	Invocations int // function invocations, retries included
	Failed      int // records sent to the on-failure destination, or messages left on the queue by a failed batch or item
}

func (s *Stack) startPollers(ctx context.Context) error {
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
		// Lambda reads the stream and sends to the destination with the function's
		// execution role: so does the poller, through the gate.
		p := &poller{s: s, m: m, streamArn: src, filter: f, client: dynamodbstreams.NewFromConfig(s.functionAWS(m.Function))}
		if m.OnFailure != nil {
			if p.onFailure, err = s.resolver.String(m.OnFailure); err != nil {
				return fmt.Errorf("event source mapping %s destination: %w", m.LogicalID, err)
			}
		}
		s.pollers = append(s.pollers, p)
		s.wg.Add(1)
		go p.run(ctx)
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

// DrainStreams waits until every poller has handled all the stream records written
// before the call (two empty poll cycles after it), and every queue poller every
// message visible at the call (two empty receives with no batch in flight after it),
// so tests can wait for event-driven work instead of sleeping. Messages a failed batch
// left on a queue come back after the drain, when their visibility timeout passes.
func (s *Stack) DrainStreams(ctx context.Context) error {
	queues := s.queuesIdle()
	start := make([]uint64, len(s.pollers))
	for i, p := range s.pollers {
		start[i] = p.idleCycles()
	}
	for i, p := range s.pollers {
		for p.idleCycles() < start[i]+2 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("drain %s: %w", p.m.LogicalID, ctx.Err())
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	return s.drainQueues(ctx, queues)
}

func (p *poller) idleCycles() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.idle
}

func (p *poller) count(f func(*MappingStats)) {
	p.mu.Lock()
	f(&p.stats)
	p.mu.Unlock()
}

// shardState is where the poller stands in one shard.
type shardState struct {
	id       string
	iterator *string
	lastSeq  string // the last record read, "" before the first
}

func (p *poller) run(ctx context.Context) {
	defer p.s.wg.Done()
	var shards []*shardState
	var pending []map[string]any
	var firstPending time.Time
	quiet := 0 // empty polls in a row
	for ctx.Err() == nil {
		if len(shards) == 0 {
			var err error
			if shards, err = p.openShards(ctx); err != nil {
				p.s.log.Error("open stream", "mapping", p.m.LogicalID, "error", err.Error())
				sleep(ctx, time.Second)
				continue
			}
		}
		got := 0
		for _, sh := range shards {
			if err := p.refresh(ctx, sh); err != nil {
				if ctx.Err() == nil {
					p.s.log.Error("read stream", "mapping", p.m.LogicalID, "error", err.Error())
				}
				break
			}
			if sh.iterator == nil {
				continue
			}
			out, err := p.client.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: sh.iterator, Limit: aws.Int32(1000)})
			if err != nil {
				if ctx.Err() == nil {
					p.s.log.Error("read stream", "mapping", p.m.LogicalID, "error", err.Error())
				}
				break
			}
			sh.iterator = out.NextShardIterator
			for _, rec := range out.Records {
				pending = append(pending, p.lambdaRecord(sh.id, rec))
				sh.lastSeq = aws.ToString(rec.Dynamodb.SequenceNumber)
			}
			got += len(out.Records)
		}
		if got > 0 {
			quiet = 0
			if firstPending.IsZero() {
				firstPending = time.Now()
			}
		}
		p.count(func(s *MappingStats) { s.Records += got })
		window := time.Duration(p.m.BatchingWindowSec) * time.Second
		if len(pending) > 0 && (len(pending) >= p.m.BatchSize || time.Since(firstPending) >= window) {
			p.process(ctx, pending)
			pending, firstPending = nil, time.Time{}
			continue
		}
		interval := pollInterval
		if len(pending) == 0 {
			p.mu.Lock()
			p.idle++
			p.mu.Unlock()
			if quiet++; quiet >= quietPolls {
				interval = idleInterval
			}
		}
		sleep(ctx, interval)
	}
}

// refresh asks for a new iterator after the last record read. moto replaces a table
// with a copy when a transaction on it fails, and an old iterator keeps reading the
// discarded copy's stream, missing every record after that: asking afresh each cycle
// always reads the table's current stream.
func (p *poller) refresh(ctx context.Context, sh *shardState) error {
	if sh.lastSeq == "" && p.m.StartingPosition == "LATEST" {
		return nil // nothing read yet: the LATEST iterator still marks where to start
	}
	in := &dynamodbstreams.GetShardIteratorInput{StreamArn: &p.streamArn, ShardId: &sh.id, ShardIteratorType: st.ShardIteratorTypeTrimHorizon}
	if sh.lastSeq != "" {
		in.ShardIteratorType, in.SequenceNumber = st.ShardIteratorTypeAfterSequenceNumber, &sh.lastSeq
	}
	it, err := p.client.GetShardIterator(ctx, in)
	if err != nil {
		return err
	}
	sh.iterator = it.ShardIterator
	return nil
}

func (p *poller) openShards(ctx context.Context) ([]*shardState, error) {
	desc, err := p.client.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: &p.streamArn})
	if err != nil {
		return nil, err
	}
	position := st.ShardIteratorTypeTrimHorizon
	if p.m.StartingPosition == "LATEST" {
		position = st.ShardIteratorTypeLatest
	}
	var shards []*shardState
	for _, sh := range desc.StreamDescription.Shards {
		it, err := p.client.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{
			StreamArn: &p.streamArn, ShardId: sh.ShardId, ShardIteratorType: position,
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
func (p *poller) lambdaRecord(shardID string, r st.Record) map[string]any {
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
		"dynamodb": d, "eventSourceARN": p.streamArn, "shardId": shardID,
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
	p := &poller{s: s, m: &Mapping{}, streamArn: arn, client: dynamodbstreams.NewFromConfig(localaws.Config(s.endpoint))}
	shards, err := p.openShards(ctx)
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for _, sh := range shards {
		for sh.iterator != nil {
			page, err := p.client.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: sh.iterator, Limit: aws.Int32(1000)})
			if err != nil {
				return nil, err
			}
			for _, rec := range page.Records {
				out = append(out, p.lambdaRecord(sh.id, rec))
			}
			if len(page.Records) == 0 {
				break
			}
			sh.iterator = page.NextShardIterator
		}
	}
	return out, nil
}
