//go:build integration

package motostack_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	st "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
)

func putTTLItem(t *testing.T, db *dynamodb.Client, table, pk string, expiresAt types.AttributeValue) {
	t.Helper()
	item := map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}}
	if expiresAt != nil {
		item["expiresAt"] = expiresAt
	}
	if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: &table, Item: item}); err != nil {
		t.Fatal(err)
	}
}

func itemExists(t *testing.T, db *dynamodb.Client, table, pk string) bool {
	t.Helper()
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &table, ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item != nil
}

func epoch(t time.Time) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: fmt.Sprint(t.Unix())}
}

// TestTTLExpiresItems sweeps a table on demand and checks that only the items DynamoDB's
// TTL process deletes are gone, and that their stream records, through the Streams API
// and as a stream-triggered function gets them, name the service as the deleter.
func TestTTLExpiresItems(t *testing.T) {
	t.Parallel() // a stack of its own
	s := startStack(t, "ttl.yaml", motostack.Options{TTLSweep: -1})
	ctx := context.Background()
	cfg := localaws.Config(s.Endpoint())
	db := dynamodb.NewFromConfig(cfg)
	items, untimed := s.Physical("Items"), s.Physical("Untimed")
	now := time.Now()

	putTTLItem(t, db, items, "past", epoch(now.Add(-time.Minute)))
	putTTLItem(t, db, items, "future", epoch(now.Add(time.Hour)))
	putTTLItem(t, db, items, "none", nil)
	putTTLItem(t, db, items, "text", &types.AttributeValueMemberS{Value: fmt.Sprint(now.Add(-time.Minute).Unix())})
	putTTLItem(t, db, items, "list", &types.AttributeValueMemberNS{Value: []string{fmt.Sprint(now.Add(-time.Minute).Unix())}})
	putTTLItem(t, db, items, "ancient", epoch(now.AddDate(-6, 0, 0)))
	putTTLItem(t, db, items, "deleted", nil)
	putTTLItem(t, db, untimed, "past", epoch(now.Add(-time.Minute)))
	if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &items,
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "deleted"}}}); err != nil {
		t.Fatal(err)
	}

	expired, err := s.ExpireTTL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if expired[items] != 1 || len(expired) != 1 {
		t.Errorf("ExpireTTL = %v, want one item of %s (the table without TTL not swept)", expired, items)
	}
	if itemExists(t, db, items, "past") {
		t.Error("the item past its TTL is still there")
	}
	for _, pk := range []string{"future", "none", "text", "list", "ancient"} {
		if !itemExists(t, db, items, pk) {
			t.Errorf("%s was deleted; DynamoDB's TTL leaves it", pk)
		}
	}
	if !itemExists(t, db, untimed, "past") {
		t.Error("an item of a table without TTL was deleted")
	}

	t.Run("the Streams API names the service", func(t *testing.T) {
		removals := map[string]*st.Identity{}
		streams := dynamodbstreams.NewFromConfig(cfg)
		arn := s.Attribute("Items", "StreamArn")
		desc, err := streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: &arn})
		if err != nil {
			t.Fatal(err)
		}
		for _, sh := range desc.StreamDescription.Shards {
			it, err := streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: &arn, ShardId: sh.ShardId,
				ShardIteratorType: st.ShardIteratorTypeTrimHorizon})
			if err != nil {
				t.Fatal(err)
			}
			out, err := streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range out.Records {
				if r.EventName == st.OperationTypeRemove {
					removals[r.Dynamodb.Keys["PK"].(*st.AttributeValueMemberS).Value] = r.UserIdentity
				}
			}
		}
		if id := removals["past"]; id == nil || aws.ToString(id.Type) != "Service" || aws.ToString(id.PrincipalId) != "dynamodb.amazonaws.com" {
			t.Errorf("the TTL deletion's record has userIdentity %+v, want the DynamoDB service", id)
		}
		if id, ok := removals["deleted"]; !ok || id != nil {
			t.Errorf("a DeleteItem's record: present %v, userIdentity %+v; want one without", ok, id)
		}
	})

	t.Run("the function gets the userIdentity", func(t *testing.T) {
		drainStack(t, s)
		seen := func(pk string) map[string]types.AttributeValue {
			out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &items, ConsistentRead: aws.Bool(true),
				Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "SEEN#" + pk}}})
			if err != nil {
				t.Fatal(err)
			}
			return out.Item
		}
		str := func(item map[string]types.AttributeValue, k string) string {
			v, _ := item[k].(*types.AttributeValueMemberS)
			if v == nil {
				return ""
			}
			return v.Value
		}
		past := seen("past")
		if str(past, "eventName") != "REMOVE" || str(past, "identityType") != "Service" || str(past, "principalId") != "dynamodb.amazonaws.com" {
			t.Errorf("the function saw the TTL deletion as %v", past)
		}
		deleted := seen("deleted")
		if str(deleted, "eventName") != "REMOVE" || str(deleted, "identityType") != "" {
			t.Errorf("the function saw a DeleteItem as %v, want no userIdentity", deleted)
		}
	})
}

// TestTTLSweepsInTheBackground checks that a stack sweeps its tables by itself every
// Options.TTLSweep.
func TestTTLSweepsInTheBackground(t *testing.T) {
	t.Parallel() // a stack of its own
	s := startStack(t, "ttl.yaml", motostack.Options{TTLSweep: 200 * time.Millisecond, NoPollers: true})
	db := dynamodb.NewFromConfig(localaws.Config(s.Endpoint()))
	items := s.Physical("Items")
	putTTLItem(t, db, items, "soon", epoch(time.Now().Add(time.Second)))
	putTTLItem(t, db, items, "later", epoch(time.Now().Add(time.Hour)))
	waitUntil(t, 20*time.Second, "the item's expiry", func() bool { return !itemExists(t, db, items, "soon") })
	if !itemExists(t, db, items, "later") {
		t.Error("an item with a future TTL was deleted")
	}
}
