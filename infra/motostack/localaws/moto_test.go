//go:build integration

package localaws_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	st "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/mototest"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/samtemplate"
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

// canon writes an attribute value with its type, sets sorted (they have no order), so
// that two values compare as DynamoDB compares them.
func canon(v types.AttributeValue) string {
	sorted := func(xs []string) string { xs = slices.Clone(xs); slices.Sort(xs); return strings.Join(xs, ",") }
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return "S:" + v.Value
	case *types.AttributeValueMemberN:
		return "N:" + v.Value
	case *types.AttributeValueMemberB:
		return fmt.Sprintf("B:%x", v.Value)
	case *types.AttributeValueMemberBOOL:
		return fmt.Sprint("BOOL:", v.Value)
	case *types.AttributeValueMemberNULL:
		return "NULL"
	case *types.AttributeValueMemberSS:
		return "SS:" + sorted(v.Value)
	case *types.AttributeValueMemberNS:
		return "NS:" + sorted(v.Value)
	case *types.AttributeValueMemberBS:
		var xs []string
		for _, b := range v.Value {
			xs = append(xs, fmt.Sprintf("%x", b))
		}
		return "BS:" + sorted(xs)
	case *types.AttributeValueMemberL:
		var xs []string
		for _, x := range v.Value {
			xs = append(xs, canon(x))
		}
		return "L:[" + strings.Join(xs, ";") + "]"
	case *types.AttributeValueMemberM:
		return "M:" + canonItem(v.Value)
	}
	return fmt.Sprintf("?%T", v)
}

func canonItem(item map[string]types.AttributeValue) string {
	var xs []string
	for k, v := range item {
		xs = append(xs, k+"="+canon(v))
	}
	slices.Sort(xs)
	return "{" + strings.Join(xs, ";") + "}"
}

// Answers are written by motoserver.py without moto's per-member alias search where the
// answer is a plain dictionary. Every kind of attribute value comes back as written
// through every read that returns items (GetItem, BatchGetItem, TransactGetItems, Query
// on the table and on an index, UpdateItem's new and a failed condition's old image, the
// stream's images), and moto's own lookup, run beside it here
// (MOTOSTACK_CHECK_ANSWERS), finds no member where the direct lookup found another.
func TestAnswersKeepEveryAttributeType(t *testing.T) {
	ctx := context.Background()
	differences := t.TempDir() + "/differences.txt"
	t.Setenv("MOTOSTACK_CHECK_ANSWERS", differences)
	var motoLog mototest.LogBuffer
	moto, err := localaws.StartMoto(ctx, localaws.MotoOptions{Root: mototest.Root(), Log: &motoLog})
	if err != nil {
		t.Fatal(err)
	}
	defer moto.Stop()
	db := dynamodb.NewFromConfig(localaws.Config(moto.Endpoint))
	tmpl, err := samtemplate.Load(filepath.Join(mototest.Root(), "testdata", "tables.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	table := "answers"
	if err := localaws.CreateTable(ctx, db, tmpl, "Table", table); err != nil {
		t.Fatal(err)
	}

	item := key("P", "1")
	for k, v := range map[string]types.AttributeValue{
		"GSI1PK": s("index"), "GSI1SK": s("1"),
		"str": s("zwölf ✓"), "num": &types.AttributeValueMemberN{Value: "-12.5e3"},
		"bin": &types.AttributeValueMemberB{Value: []byte{0, 1, 2, 0xff}}, "yes": &types.AttributeValueMemberBOOL{Value: true},
		"no": &types.AttributeValueMemberBOOL{Value: false}, "nothing": &types.AttributeValueMemberNULL{Value: true},
		"strs": &types.AttributeValueMemberSS{Value: []string{"b", "a"}}, "nums": &types.AttributeValueMemberNS{Value: []string{"1", "2.5"}},
		"bins": &types.AttributeValueMemberBS{Value: [][]byte{{1}, {2, 3}}},
		"list": &types.AttributeValueMemberL{Value: []types.AttributeValue{s("x"), &types.AttributeValueMemberN{Value: "0"},
			&types.AttributeValueMemberL{Value: nil}, &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}}}},
		"map": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"S": s("a key named as a type"),
			"Item": s("a key named as a member"), "inner": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
				"bin": &types.AttributeValueMemberB{Value: []byte("ok")}}}}},
	} {
		item[k] = v
	}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: item}); err != nil {
		t.Fatal(err)
	}
	want := canonItem(item)
	check := func(what string, got map[string]types.AttributeValue) {
		t.Helper()
		if c := canonItem(got); c != want {
			t.Errorf("%s:\n got %s\nwant %s", what, c, want)
		}
	}

	got, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: key("P", "1")})
	if err != nil {
		t.Fatal(err)
	}
	check("GetItem", got.Item)
	batch, err := db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
		table: {Keys: []map[string]types.AttributeValue{key("P", "1")}}}})
	if err != nil || len(batch.Responses[table]) != 1 {
		t.Fatalf("BatchGetItem: %v, %v", batch, err)
	}
	check("BatchGetItem", batch.Responses[table][0])
	tget, err := db.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
		{Get: &types.Get{TableName: &table, Key: key("P", "1")}}}})
	if err != nil || len(tget.Responses) != 1 {
		t.Fatalf("TransactGetItems: %v, %v", tget, err)
	}
	check("TransactGetItems", tget.Responses[0].Item)
	for _, in := range []*dynamodb.QueryInput{
		{TableName: &table, KeyConditionExpression: aws.String("PK = :p"), ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("P")}},
		{TableName: &table, IndexName: aws.String("GSI1"), KeyConditionExpression: aws.String("GSI1PK = :p"), ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("index")}},
	} {
		q, err := db.Query(ctx, in)
		if err != nil || len(q.Items) != 1 || q.Count != 1 {
			t.Fatalf("Query %s: %v, %v", aws.ToString(in.IndexName), q, err)
		}
		check("Query "+aws.ToString(in.IndexName), q.Items[0])
	}
	up, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &table, Key: key("P", "1"),
		UpdateExpression: aws.String("SET num = num"), ReturnValues: types.ReturnValueAllNew})
	if err != nil {
		t.Fatal(err)
	}
	check("UpdateItem ALL_NEW", up.Attributes)
	_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: key("P", "1"),
		ConditionExpression: aws.String("attribute_not_exists(PK)"), ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	var failed *types.ConditionalCheckFailedException
	if !errors.As(err, &failed) {
		t.Fatalf("want the condition to fail, got %v", err)
	}
	check("a failed condition's old item", failed.Item)

	d, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &table})
	if err != nil || aws.ToString(d.Table.TableName) != table || len(d.Table.GlobalSecondaryIndexes) != 3 {
		t.Fatalf("DescribeTable: %+v, %v", d, err)
	}
	sc := dynamodbstreams.NewFromConfig(localaws.Config(moto.Endpoint))
	ds, err := sc.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: d.Table.LatestStreamArn})
	if err != nil || len(ds.StreamDescription.Shards) == 0 {
		t.Fatalf("DescribeStream: %v, %v", ds, err)
	}
	it, err := sc.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: d.Table.LatestStreamArn,
		ShardId: ds.StreamDescription.Shards[0].ShardId, ShardIteratorType: st.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := sc.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil || len(recs.Records) == 0 {
		t.Fatalf("GetRecords: %v, %v", recs, err)
	}
	image, err := attributevalue.FromDynamoDBStreamsMap(recs.Records[0].Dynamodb.NewImage)
	if err != nil {
		t.Fatal(err)
	}
	check("the stream's new image", image)
	if recs.Records[0].Dynamodb.ApproximateCreationDateTime == nil || recs.Records[0].EventName != st.OperationTypeInsert {
		t.Errorf("stream record: %+v", recs.Records[0])
	}

	if b, err := os.ReadFile(differences); err == nil {
		t.Errorf("moto's own lookup found other members:\n%s", b)
	}
	// The launcher changed this moto's answers: an unfamiliar moto would be left as it
	// is, and the checks above would pass without testing anything.
	for _, line := range strings.Split(motoLog.String(), "\n") {
		if strings.Contains(line, "unfamiliar moto") {
			t.Errorf("the launcher did not change moto: %s", line)
		}
	}
}
