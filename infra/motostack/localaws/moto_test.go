//go:build integration

package localaws_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	st "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/mototest"
)

func TestMain(m *testing.M) { os.Exit(mototest.Main(m)) }

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"PK": s(pk), "SK": s(sk)}
}

// streamKeys lists the event name and key of every record on the table's stream.
func streamKeys(t *testing.T, db *dynamodb.Client, table string) []string {
	t.Helper()
	ctx := context.Background()
	d, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	sc := dynamodbstreams.NewFromConfig(localaws.Config(os.Getenv("AWS_ENDPOINT_URL")))
	ds, err := sc.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: d.Table.LatestStreamArn})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, shard := range ds.StreamDescription.Shards {
		it, err := sc.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: d.Table.LatestStreamArn,
			ShardId: shard.ShardId, ShardIteratorType: st.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		recs, err := sc.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs.Records {
			k := r.Dynamodb.Keys
			out = append(out, string(r.EventName)+" "+k["PK"].(*st.AttributeValueMemberS).Value+"/"+k["SK"].(*st.AttributeValueMemberS).Value)
		}
	}
	return out
}

// A transaction that fails leaves no trace: not in the items it wrote before the failing
// condition, not in the ones after it, not on the stream. The local moto undoes only
// what a transaction touched (motoserver.py), so this is what holds it to DynamoDB's
// all-or-nothing.
func TestFailedTransactionLeavesNoTrace(t *testing.T) {
	ctx := context.Background()
	db, table := mototest.TestTable(t)
	put := func(pk, sk, v string) {
		item := key(pk, sk)
		item["V"] = s(v)
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	put("A", "1", "kept")
	put("D", "1", "kept")
	before := streamKeys(t, db, table)

	newItem := key("B", "1")
	newItem["V"] = s("new")
	_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &table, Item: newItem}},
		{Update: &types.Update{TableName: &table, Key: key("A", "1"), UpdateExpression: aws.String("SET V = :v"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": s("changed")}}},
		{ConditionCheck: &types.ConditionCheck{TableName: &table, Key: key("C", "1"), ConditionExpression: aws.String("attribute_exists(PK)")}},
		{Delete: &types.Delete{TableName: &table, Key: key("D", "1")}},
	}})
	var cancelled *types.TransactionCanceledException
	if !errors.As(err, &cancelled) {
		t.Fatalf("want the transaction cancelled, got %v", err)
	}
	get := func(pk, sk string) map[string]types.AttributeValue {
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: key(pk, sk), ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Item
	}
	if got := get("B", "1"); got != nil {
		t.Errorf("the failed transaction's put stayed: %v", got)
	}
	if got := get("A", "1"); got == nil || got["V"].(*types.AttributeValueMemberS).Value != "kept" {
		t.Errorf("the failed transaction's update stayed: %v", got)
	}
	if got := get("D", "1"); got == nil {
		t.Error("the failed transaction's delete stayed")
	}
	if after := streamKeys(t, db, table); len(after) != len(before) {
		t.Errorf("the failed transaction left stream records: before %v, after %v", before, after)
	}

	// The table still works as usual, stream included.
	_, err = db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &table, Item: newItem}},
		{Delete: &types.Delete{TableName: &table, Key: key("D", "1")}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if get("B", "1") == nil || get("D", "1") != nil {
		t.Error("a successful transaction did not apply")
	}
	after := streamKeys(t, db, table)
	if len(after) != len(before)+2 || after[len(after)-2] != "INSERT B/1" || after[len(after)-1] != "REMOVE D/1" {
		t.Errorf("stream after a successful transaction: %v", after)
	}
}

// A Query on the table's key reads its partition only (motoserver.py), with moto's
// ranges, order, pages and filters as before.
func TestQueryReadsItsPartitionInOrder(t *testing.T) {
	ctx := context.Background()
	db, table := mototest.TestTable(t)
	for _, k := range []struct{ pk, sk string }{{"P1", "b"}, {"P2", "a"}, {"P1", "a"}, {"P1", "d"}, {"P3", "a"}, {"P1", "c"}, {"P1", "x#1"}, {"P2", "b"}} {
		item := key(k.pk, k.sk)
		item["V"] = s(k.pk + k.sk)
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	query := func(in *dynamodb.QueryInput) []string {
		in.TableName = &table
		var out []string
		for {
			page, err := db.Query(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			for _, item := range page.Items {
				out = append(out, item["SK"].(*types.AttributeValueMemberS).Value)
			}
			if page.LastEvaluatedKey == nil {
				return out
			}
			in.ExclusiveStartKey = page.LastEvaluatedKey
		}
	}
	p1 := map[string]types.AttributeValue{":pk": s("P1")}
	for name, c := range map[string]struct {
		in   *dynamodb.QueryInput
		want string
	}{
		"partition":    {&dynamodb.QueryInput{KeyConditionExpression: aws.String("PK = :pk"), ExpressionAttributeValues: p1}, "a b c d x#1"},
		"pages of two": {&dynamodb.QueryInput{KeyConditionExpression: aws.String("PK = :pk"), ExpressionAttributeValues: p1, Limit: aws.Int32(2)}, "a b c d x#1"},
		"backwards":    {&dynamodb.QueryInput{KeyConditionExpression: aws.String("PK = :pk"), ExpressionAttributeValues: p1, ScanIndexForward: aws.Bool(false), Limit: aws.Int32(3)}, "x#1 d c b a"},
		"range":        {&dynamodb.QueryInput{KeyConditionExpression: aws.String("PK = :pk AND SK BETWEEN :a AND :b"), ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s("P1"), ":a": s("b"), ":b": s("d")}}, "b c d"},
		"prefix":       {&dynamodb.QueryInput{KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :x)"), ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s("P1"), ":x": s("x#")}}, "x#1"},
		"filter":       {&dynamodb.QueryInput{KeyConditionExpression: aws.String("PK = :pk"), FilterExpression: aws.String("V <> :v"), ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s("P1"), ":v": s("P1c")}}, "a b d x#1"},
		"other":        {&dynamodb.QueryInput{KeyConditionExpression: aws.String("PK = :pk"), ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s("P2")}}, "a b"},
		"empty":        {&dynamodb.QueryInput{KeyConditionExpression: aws.String("PK = :pk"), ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s("P9")}}, ""},
	} {
		if got := strings.Join(query(c.in), " "); got != c.want {
			t.Errorf("%s: %q, want %q", name, got, c.want)
		}
	}
}

// A Query on an index reads the items of its index partition only (motoserver.py), in
// the index's order, with pages, filters and sparse items as DynamoDB has them; an item
// whose index key is changed moves to its new partition.
func TestIndexQueryReadsItsPartitionInOrder(t *testing.T) {
	ctx := context.Background()
	db, table := mototest.TestTable(t)
	for _, it := range []struct{ pk, gpk, gsk string }{
		{"R1", "Q1", "2031-03"}, {"R2", "Q2", "2031-01"}, {"R3", "Q1", "2031-01"}, {"R4", "Q1", "2031-02"},
		{"R5", "", ""}, {"R6", "Q1", ""}, {"R7", "Q1", "2031-02"}, {"R8", "Q10", "2031-01"}, {"R9", "Q2", "2031-04"},
	} {
		item := key(it.pk, "META")
		if it.gpk != "" {
			item["GSI1PK"] = s(it.gpk)
		}
		if it.gsk != "" {
			item["GSI1SK"] = s(it.gsk)
		}
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	// R9 leaves Q2 for Q1 through an update of its index key.
	if _, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &table, Key: key("R9", "META"),
		UpdateExpression: aws.String("SET GSI1PK = :q"), ExpressionAttributeValues: map[string]types.AttributeValue{":q": s("Q1")}}); err != nil {
		t.Fatal(err)
	}
	query := func(in *dynamodb.QueryInput) string {
		in.TableName, in.IndexName = &table, aws.String("GSI1")
		var out []string
		for {
			page, err := db.Query(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			for _, item := range page.Items {
				out = append(out, item["PK"].(*types.AttributeValueMemberS).Value)
			}
			if page.LastEvaluatedKey == nil {
				return strings.Join(out, " ")
			}
			in.ExclusiveStartKey = page.LastEvaluatedKey
		}
	}
	q := func(v string) map[string]types.AttributeValue { return map[string]types.AttributeValue{":q": s(v)} }
	for name, c := range map[string]struct {
		in   *dynamodb.QueryInput
		want string
	}{
		"partition in index order": {&dynamodb.QueryInput{KeyConditionExpression: aws.String("GSI1PK = :q"), ExpressionAttributeValues: q("Q1")}, "R3 R4 R7 R1 R9"},
		"pages of two":             {&dynamodb.QueryInput{KeyConditionExpression: aws.String("GSI1PK = :q"), ExpressionAttributeValues: q("Q1"), Limit: aws.Int32(2)}, "R3 R4 R7 R1 R9"},
		"backwards":                {&dynamodb.QueryInput{KeyConditionExpression: aws.String("GSI1PK = :q"), ExpressionAttributeValues: q("Q1"), ScanIndexForward: aws.Bool(false), Limit: aws.Int32(3)}, "R9 R1 R7 R4 R3"},
		"range": {&dynamodb.QueryInput{KeyConditionExpression: aws.String("GSI1PK = :q AND GSI1SK < :k"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":q": s("Q1"), ":k": s("2031-03")}}, "R3 R4 R7"},
		"filter": {&dynamodb.QueryInput{KeyConditionExpression: aws.String("GSI1PK = :q"), FilterExpression: aws.String("PK <> :r"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":q": s("Q1"), ":r": s("R4")}}, "R3 R7 R1 R9"},
		"moved away": {&dynamodb.QueryInput{KeyConditionExpression: aws.String("GSI1PK = :q"), ExpressionAttributeValues: q("Q2")}, "R2"},
		"no prefix":  {&dynamodb.QueryInput{KeyConditionExpression: aws.String("GSI1PK = :q"), ExpressionAttributeValues: q("Q10")}, "R8"},
		"empty":      {&dynamodb.QueryInput{KeyConditionExpression: aws.String("GSI1PK = :q"), ExpressionAttributeValues: q("Q9")}, ""},
	} {
		if got := query(c.in); got != c.want {
			t.Errorf("%s: %q, want %q", name, got, c.want)
		}
	}
}

// moto keeps no DynamoDB item versions, stream records, shard iterators or S3 objects
// for its /moto-api/data.json (motoserver.py): the process does not grow with every
// write, reading the dump does not serialise every item ever written, and a copied
// object no longer breaks it.
func TestWritesAreNotTrackedForTheDataDump(t *testing.T) {
	ctx := context.Background()
	db, table := mototest.TestTable(t)
	for i := range 20 {
		item := key("T", fmt.Sprint(i))
		item["V"] = s("v")
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	if len(streamKeys(t, db, table)) < 20 {
		t.Fatal("the writes are not on the stream")
	}
	s3c := s3.NewFromConfig(localaws.Config(os.Getenv("AWS_ENDPOINT_URL")), func(o *s3.Options) { o.UsePathStyle = true })
	bucket := strings.ToLower(strings.ReplaceAll(table, "_", "-"))
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("a"), Body: strings.NewReader("a")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &bucket, Key: aws.String("b"), CopySource: aws.String(bucket + "/a")}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(os.Getenv("AWS_ENDPOINT_URL") + "/moto-api/data.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("data.json: %s", resp.Status)
	}
	var data map[string]map[string][]json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&data); err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct{ service, model string }{{"dynamodb", "Item"}, {"dynamodb", "StreamRecord"}, {"dynamodbstreams", "ShardIterator"}, {"s3", "FakeKey"}} {
		if n := len(data[m.service][m.model]); n != 0 {
			t.Errorf("data.json lists %d %s.%s instances; want none", n, m.service, m.model)
		}
	}
	if _, ok := data["dynamodb"]["Table"]; !ok {
		t.Error("data.json no longer lists the tables: the other models must stay tracked")
	}
}

// The sent mail is read apart from moto's whole-state dump, from any index on, oldest
// first, and holds what /moto-api/data.json holds.
func TestSentMailFromAnIndex(t *testing.T) {
	ctx := context.Background()
	endpoint := os.Getenv("AWS_ENDPOINT_URL")
	ses := sesv2.NewFromConfig(localaws.Config(endpoint))
	from := "sender-" + t.Name() + "@example.org"
	if _, err := ses.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: &from}); err != nil {
		t.Fatal(err)
	}
	before, err := localaws.SentMail(ctx, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	for _, subject := range []string{"first", "second"} {
		_, err := ses.SendEmail(ctx, &sesv2.SendEmailInput{
			FromEmailAddress: &from,
			Destination:      &sestypes.Destination{ToAddresses: []string{"reader@example.org"}},
			Content: &sestypes.EmailContent{Simple: &sestypes.Message{
				Subject: &sestypes.Content{Data: aws.String(subject)},
				Body:    &sestypes.Body{Text: &sestypes.Content{Data: aws.String("body of " + subject)}}}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := localaws.SentMailFrom(ctx, endpoint, len(before))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Subject != "first" || got[1].Subject != "second" || got[1].Source != from ||
		got[1].To() != "reader@example.org" || !strings.Contains(got[1].Body, "body of second") {
		t.Fatalf("mail from %d: %+v", len(before), got)
	}
	if rest, err := localaws.SentMailFrom(ctx, endpoint, len(before)+2); err != nil || len(rest) != 0 {
		t.Fatalf("mail past the end: %v, %v", rest, err)
	}

	resp, err := http.Get(endpoint + "/moto-api/data.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var data struct {
		SES struct {
			Message []localaws.Mail `json:"Message"`
		} `json:"ses"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&data); err != nil {
		t.Fatal(err)
	}
	all, err := localaws.SentMail(ctx, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(data.SES.Message) || all[len(all)-1].ID != data.SES.Message[len(all)-1].ID {
		t.Errorf("sent mail: %d messages, data.json %d", len(all), len(data.SES.Message))
	}
}
