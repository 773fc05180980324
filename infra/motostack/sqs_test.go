//go:build integration

package motostack_test

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/mototest"
)

// startStack starts a stack of its own from a template in testdata, on the run's moto,
// and stops it when the test ends.
func startStack(t *testing.T, template string, opts motostack.Options) *motostack.Stack {
	t.Helper()
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	opts.Root = mototest.Root()
	opts.Template = filepath.Join(mototest.Root(), "testdata", template)
	opts.StackName = fmt.Sprintf("%s-%s", template[:len(template)-len(filepath.Ext(template))], hex.EncodeToString(b))
	opts.Addr, opts.Endpoint = "127.0.0.1:0", os.Getenv("AWS_ENDPOINT_URL")
	if opts.Log == nil {
		opts.Log = testLog()
	}
	s, err := motostack.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// waitUntil checks cond until it holds, failing the test if it does not within limit.
func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func drainStack(t *testing.T, s *motostack.Stack) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := s.DrainStreams(ctx); err != nil {
		t.Fatal(err)
	}
}

// delivery is what the consumer function recorded of a message.
type delivery struct {
	Count    int
	Batches  []int // the size of each batch the message came in
	Receives []int // its receive count each time
	Record   map[string]any
}

func deliveryOf(t *testing.T, s *motostack.Stack, db *dynamodb.Client, key string) delivery {
	t.Helper()
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(s.Physical("Deliveries")), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: key}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var d delivery
	num := func(v types.AttributeValue) int {
		var n int
		fmt.Sscan(v.(*types.AttributeValueMemberN).Value, &n)
		return n
	}
	if v, ok := out.Item["deliveries"]; ok {
		d.Count = num(v)
	}
	if l, ok := out.Item["batches"].(*types.AttributeValueMemberL); ok {
		for _, v := range l.Value {
			d.Batches = append(d.Batches, num(v))
		}
	}
	if l, ok := out.Item["receives"].(*types.AttributeValueMemberL); ok {
		for _, v := range l.Value {
			d.Receives = append(d.Receives, num(v))
		}
	}
	if r, ok := out.Item["lastRecord"].(*types.AttributeValueMemberS); ok {
		_ = json.Unmarshal([]byte(r.Value), &d.Record)
	}
	return d
}

// sendBatch sends bodies to a queue in one call, so a receive sees all or none of them,
// and returns their message ids.
func sendBatch(t *testing.T, q *sqs.Client, queueURL string, bodies ...string) []string {
	t.Helper()
	var entries []sqstypes.SendMessageBatchRequestEntry
	for i, b := range bodies {
		entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), MessageBody: aws.String(b)})
	}
	out, err := q.SendMessageBatch(context.Background(), &sqs.SendMessageBatchInput{QueueUrl: &queueURL, Entries: entries})
	if err != nil || len(out.Failed) > 0 {
		t.Fatalf("send: %v %+v", err, out)
	}
	ids := make([]string, len(bodies))
	for _, ok := range out.Successful {
		var i int
		fmt.Sscan(aws.ToString(ok.Id), &i)
		ids[i] = aws.ToString(ok.MessageId)
	}
	return ids
}

func work(id, mode string) string { return fmt.Sprintf(`{"kind":"work","id":%q,"mode":%q}`, id, mode) }

// queueDepth is how many messages a queue holds, visible or in flight.
func queueDepth(t *testing.T, q *sqs.Client, queueURL string) int {
	t.Helper()
	out, err := q.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: &queueURL,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatal(err)
	}
	var visible, hidden int
	fmt.Sscan(out.Attributes["ApproximateNumberOfMessages"], &visible)
	fmt.Sscan(out.Attributes["ApproximateNumberOfMessagesNotVisible"], &hidden)
	return visible + hidden
}

// TestSQSEventSource runs a queue mapping as Lambda does: batches of the configured
// size, deletion of what the function handled, partial batch responses, whole-batch
// failures, the queue's own redrive to its dead-letter queue, filters and a disabled
// mapping. The subtests share the queue, so they run in order.
func TestSQSEventSource(t *testing.T) {
	t.Parallel() // a stack of its own: its waits overlap the other tests'
	s := startStack(t, "sqs.yaml", motostack.Options{MaxEnvironments: 2})
	ctx := context.Background()
	cfg := localaws.Config(s.Endpoint())
	q, db := sqs.NewFromConfig(cfg), dynamodb.NewFromConfig(cfg)
	queue, deadLetters := s.Physical("Work"), s.Physical("WorkDeadLetters")

	t.Run("each message is delivered once, in batches of the configured size, and deleted", func(t *testing.T) {
		bodies := make([]string, 10)
		for i := range bodies {
			bodies[i] = work(fmt.Sprintf("good-%d", i), "")
		}
		ids := sendBatch(t, q, queue, bodies...)
		drainStack(t, s)
		for i := range bodies {
			d := deliveryOf(t, s, db, fmt.Sprintf("MSG#good-%d", i))
			if d.Count != 1 || !slices.Equal(d.Batches, []int{5}) {
				t.Errorf("good-%d: delivered %d times in batches %v, want once in a batch of 5", i, d.Count, d.Batches)
			}
		}
		if n := queueDepth(t, q, queue); n != 0 {
			t.Errorf("%d messages left on the queue, want every one deleted", n)
		}
		// The record as Lambda delivers it.
		r := deliveryOf(t, s, db, "MSG#good-0").Record
		sum := md5.Sum([]byte(bodies[0]))
		want := map[string]any{"messageId": ids[0], "body": bodies[0], "md5OfBody": hex.EncodeToString(sum[:]),
			"eventSource": "aws:sqs", "eventSourceARN": s.Attribute("Work", "Arn"), "awsRegion": "us-east-1"}
		for k, v := range want {
			if r[k] != v {
				t.Errorf("record %s = %v, want %v", k, r[k], v)
			}
		}
		attrs, _ := r["attributes"].(map[string]any)
		for _, k := range []string{"ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"} {
			if attrs[k] == nil || attrs[k] == "" {
				t.Errorf("record attributes lack %s: %v", k, attrs)
			}
		}
		if attrs["ApproximateReceiveCount"] != "1" || r["receiptHandle"] == "" {
			t.Errorf("record %v", r)
		}
	})

	t.Run("message attributes reach the function", func(t *testing.T) {
		_, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &queue, MessageBody: aws.String(work("attributed", "")),
			MessageAttributes: map[string]sqstypes.MessageAttributeValue{"origin": {DataType: aws.String("String"), StringValue: aws.String("test")}}})
		if err != nil {
			t.Fatal(err)
		}
		drainStack(t, s)
		d := deliveryOf(t, s, db, "MSG#attributed")
		origin, _ := d.Record["messageAttributes"].(map[string]any)["origin"].(map[string]any)
		if d.Count != 1 || origin["stringValue"] != "test" || origin["dataType"] != "String" {
			t.Errorf("delivered %d times with message attributes %v", d.Count, d.Record["messageAttributes"])
		}
	})

	t.Run("a message reported failed is retried alone", func(t *testing.T) {
		sendBatch(t, q, queue, work("ok-a", ""), work("once", "fail-once"), work("ok-b", ""))
		waitUntil(t, 30*time.Second, "the failed message's retry", func() bool { return deliveryOf(t, s, db, "MSG#once").Count >= 2 })
		drainStack(t, s)
		for _, k := range []string{"ok-a", "ok-b"} {
			if d := deliveryOf(t, s, db, "MSG#"+k); d.Count != 1 || !slices.Equal(d.Batches, []int{3}) {
				t.Errorf("%s: delivered %d times in batches %v, want once in the batch of 3", k, d.Count, d.Batches)
			}
		}
		if d := deliveryOf(t, s, db, "MSG#once"); d.Count != 2 || !slices.Equal(d.Batches, []int{3, 1}) || !slices.Equal(d.Receives, []int{1, 2}) {
			t.Errorf("once: delivered %d times in batches %v with receive counts %v, want with the others, then alone", d.Count, d.Batches, d.Receives)
		}
		if n := queueDepth(t, q, queue); n != 0 {
			t.Errorf("%d messages left on the queue", n)
		}
	})

	for _, mode := range []string{"crash-once", "bogus-once"} {
		// A function error, or a response naming a message not in the batch, fails it all.
		t.Run("a whole batch is retried after "+mode, func(t *testing.T) {
			sendBatch(t, q, queue, work(mode, mode), work(mode+"-bystander", ""))
			waitUntil(t, 30*time.Second, "the batch's retry", func() bool {
				return deliveryOf(t, s, db, "MSG#"+mode).Count >= 2 && deliveryOf(t, s, db, "MSG#"+mode+"-bystander").Count >= 2
			})
			drainStack(t, s)
			for _, k := range []string{mode, mode + "-bystander"} {
				if d := deliveryOf(t, s, db, "MSG#"+k); d.Count != 2 || !slices.Equal(d.Receives, []int{1, 2}) {
					t.Errorf("%s: delivered %d times with receive counts %v, want twice", k, d.Count, d.Receives)
				}
			}
			if n := queueDepth(t, q, queue); n != 0 {
				t.Errorf("%d messages left on the queue", n)
			}
		})
	}

	t.Run("a message that always fails ends in the dead-letter queue", func(t *testing.T) {
		sendBatch(t, q, queue, work("poison", "fail-always"))
		var dead []sqstypes.Message
		waitUntil(t, 40*time.Second, "the dead letter", func() bool {
			out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &deadLetters, MaxNumberOfMessages: 10})
			if err != nil {
				t.Fatal(err)
			}
			dead = append(dead, out.Messages...)
			return len(dead) > 0
		})
		if len(dead) != 1 || aws.ToString(dead[0].Body) != work("poison", "fail-always") {
			t.Fatalf("dead letters %+v", dead)
		}
		_, _ = q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &deadLetters, ReceiptHandle: dead[0].ReceiptHandle})
		if d := deliveryOf(t, s, db, "MSG#poison"); d.Count != 2 || !slices.Equal(d.Receives, []int{1, 2}) {
			t.Errorf("poison: delivered %d times with receive counts %v, want maxReceiveCount (2) times", d.Count, d.Receives)
		}
		if n := queueDepth(t, q, queue); n != 0 {
			t.Errorf("%d messages left on the queue", n)
		}
	})

	t.Run("messages the filter drops are deleted unseen", func(t *testing.T) {
		before := s.MappingStats()["ConsumerFunctionWork"].Filtered
		sendBatch(t, q, queue, `{"kind":"noise","id":"noise"}`, "plain words")
		drainStack(t, s)
		if d := deliveryOf(t, s, db, "MSG#noise"); d.Count != 0 {
			t.Errorf("a JSON body the filter drops was delivered %d times", d.Count)
		}
		if d := deliveryOf(t, s, db, "RAW#plain words"); d.Count != 0 {
			t.Errorf("a body that is no JSON was delivered %d times", d.Count)
		}
		if n := queueDepth(t, q, queue); n != 0 {
			t.Errorf("%d messages left on the queue, want the filtered ones deleted", n)
		}
		if n := queueDepth(t, q, deadLetters); n != 0 {
			t.Errorf("%d dead letters, want none", n)
		}
		if got := s.MappingStats()["ConsumerFunctionWork"].Filtered - before; got != 2 {
			t.Errorf("%d messages counted as filtered, want 2", got)
		}
	})

	t.Run("a disabled mapping leaves its queue alone", func(t *testing.T) {
		held := s.Physical("Held")
		sendBatch(t, q, held, work("held", ""))
		drainStack(t, s)
		if n := queueDepth(t, q, held); n != 1 {
			t.Errorf("the disabled mapping's queue holds %d messages, want 1", n)
		}
		if _, ok := s.MappingStats()["ConsumerFunctionHeld"]; ok {
			t.Error("the disabled mapping is polled")
		}
	})

	st := s.MappingStats()["ConsumerFunctionWork"]
	if st.Records < 20 || st.Invocations < 8 || st.Failed < 6 {
		t.Errorf("mapping stats %+v: want the messages received, the invocations and the messages left counted", st)
	}
}
