//go:build integration

package ddbcount_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/ddbcount"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/mototest"
)

func TestMain(m *testing.M) { os.Exit(mototest.Main(m)) }

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

// item builds an item of the table whose size is exactly size bytes: keys PK and SK,
// and a string attribute "data" filling the rest; extra attributes (index keys) count
// towards size.
func item(pk, sk string, size int, extra ...string) map[string]types.AttributeValue {
	it := map[string]types.AttributeValue{"PK": s(pk), "SK": s(sk)}
	for i := 0; i+1 < len(extra); i += 2 {
		it[extra[i]] = s(extra[i+1])
	}
	fill := size - ddbcount.ItemSize(it) - len("data")
	if fill < 0 {
		panic("item too small for its keys")
	}
	it["data"] = s(strings.Repeat("x", fill))
	return it
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"PK": s(pk), "SK": s(sk)}
}

// countingTable is a fresh table of the template's shape, a client that counts, and
// the counter, told the table's indexes.
func countingTable(t *testing.T) (*dynamodb.Client, string, *ddbcount.Counter) {
	t.Helper()
	plain, table := mototest.TestTable(t)
	desc, err := plain.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	counter := ddbcount.New().Describe(desc.Table)
	return dynamodb.NewFromConfig(localaws.Config(mototest.Endpoint(t)), ddbcount.Into(counter)), table, counter
}

// expect runs one step and compares what the counter saw with want, by operation.
func expect(t *testing.T, counter *ddbcount.Counter, name string, want map[string]ddbcount.Counts, step func() error) {
	t.Helper()
	counter.Reset()
	if err := step(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if diff := cmp.Diff(want, counter.Take().ByOperation); diff != "" {
		t.Errorf("%s: counts differ (-want +got):\n%s", name, diff)
	}
}

func TestCountsRealCallsAgainstMoto(t *testing.T) {
	ctx := context.Background()
	db, table, counter := countingTable(t)
	tn := aws.String(table)
	put := func(it map[string]types.AttributeValue) error {
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: tn, Item: it})
		return err
	}

	// Puts: table units by 1 KB, index units for each index whose keys the item has.
	expect(t, counter, "put 1500 bytes, in no index", map[string]ddbcount.Counts{
		"PutItem": {Calls: 1, ItemsWritten: 1, WCU: 2},
	}, func() error { return put(item("A", "1", 1500)) })
	expect(t, counter, "put 300 bytes, in GSI1 and GSI2 (projecting all)", map[string]ddbcount.Counts{
		"PutItem": {Calls: 1, ItemsWritten: 1, WCU: 1, IndexWCU: 2},
	}, func() error {
		return put(item("A", "2", 300, "GSI1PK", "STATUS#x", "GSI1SK", "1", "GSI2PK", "FY#1", "GSI2SK", "1"))
	})
	expect(t, counter, "put 3000 bytes, in GSI3 (projecting keys and a few attributes)", map[string]ddbcount.Counts{
		"PutItem": {Calls: 1, ItemsWritten: 1, WCU: 3, IndexWCU: 1},
	}, func() error { return put(item("A", "3", 3000, "GSI3PK", "EMAIL#a", "GSI3SK", "1", "title", "T")) })

	// Gets: a strongly consistent read of an item under 4 KB is one unit; a missing
	// item read eventually consistently costs half a unit and reads nothing.
	expect(t, counter, "get", map[string]ddbcount.Counts{
		"GetItem": {Calls: 2, ItemsRead: 1, ItemsScanned: 1, RCU: 1.5},
	}, func() error {
		if out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: tn, Key: key("A", "1"), ConsistentRead: aws.Bool(true)}); err != nil || out.Item == nil {
			return fmt.Errorf("get A/1: %v %v", out, err)
		}
		_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: tn, Key: key("A", "missing")})
		return err
	})

	// Five items of 1000 bytes in one partition: 5000 bytes are two 4 KB units.
	expect(t, counter, "batch write", map[string]ddbcount.Counts{
		"BatchWriteItem": {Calls: 1, ItemsWritten: 5, WCU: 5},
	}, func() error {
		var reqs []types.WriteRequest
		for i := range 5 {
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: item("Q", fmt.Sprint(i), 1000, "n", fmt.Sprint(i%2))}}) // n: 0 1 0 1 0
		}
		_, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: reqs}})
		return err
	})
	query := func(in dynamodb.QueryInput) func() error {
		return func() error {
			in.TableName = tn
			in.KeyConditionExpression = aws.String("PK = :pk")
			if in.ExpressionAttributeValues == nil {
				in.ExpressionAttributeValues = map[string]types.AttributeValue{}
			}
			in.ExpressionAttributeValues[":pk"] = s("Q")
			_, err := db.Query(ctx, &in)
			return err
		}
	}
	expect(t, counter, "query the partition", map[string]ddbcount.Counts{
		"Query": {Calls: 1, ItemsRead: 5, ItemsScanned: 5, RCU: 2},
	}, query(dynamodb.QueryInput{ConsistentRead: aws.Bool(true)}))
	expect(t, counter, "query three, eventually consistent", map[string]ddbcount.Counts{
		"Query": {Calls: 1, ItemsRead: 3, ItemsScanned: 3, RCU: 0.5},
	}, query(dynamodb.QueryInput{Limit: aws.Int32(3)}))
	// The filter drops two of five: all five are paid for.
	expect(t, counter, "query with a filter", map[string]ddbcount.Counts{
		"Query": {Calls: 1, ItemsRead: 3, ItemsScanned: 5, RCU: 2},
	}, query(dynamodb.QueryInput{ConsistentRead: aws.Bool(true), FilterExpression: aws.String("n = :zero"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":zero": s("0")}}))
	expect(t, counter, "query an index", map[string]ddbcount.Counts{
		"Query": {Calls: 1, ItemsRead: 1, ItemsScanned: 1, RCU: 0.5},
	}, func() error {
		_, err := db.Query(ctx, &dynamodb.QueryInput{TableName: tn, IndexName: aws.String("GSI1"),
			KeyConditionExpression:    aws.String("GSI1PK = :s"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":s": s("STATUS#x")}})
		return err
	})
	expect(t, counter, "scan a page", map[string]ddbcount.Counts{
		"Scan": {Calls: 1, ItemsRead: 1, ItemsScanned: 1, RCU: 0.5},
	}, func() error {
		_, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: tn, Limit: aws.Int32(1)})
		return err
	})

	// Batch gets cost each item on its own, missing ones included.
	expect(t, counter, "batch get", map[string]ddbcount.Counts{
		"BatchGetItem": {Calls: 1, ItemsRead: 2, ItemsScanned: 2, RCU: 3},
	}, func() error {
		_, err := db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
			table: {Keys: []map[string]types.AttributeValue{key("A", "1"), key("Q", "0"), key("A", "missing")}, ConsistentRead: aws.Bool(true)},
		}})
		return err
	})
	expect(t, counter, "transaction read", map[string]ddbcount.Counts{
		"TransactGetItems": {Calls: 1, ItemsRead: 1, ItemsScanned: 1, RCU: 4},
	}, func() error {
		_, err := db.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
			{Get: &types.Get{TableName: tn, Key: key("A", "1")}}, {Get: &types.Get{TableName: tn, Key: key("A", "missing")}},
		}})
		return err
	})

	// A transaction costs twice each action: put (1.5 KB: 2 units), update, delete,
	// condition check (1 unit each).
	expect(t, counter, "transaction write", map[string]ddbcount.Counts{
		"TransactWriteItems": {Calls: 1, ItemsWritten: 3, ConditionChecks: 1, WCU: 10, IndexWCU: 2},
	}, func() error {
		_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{TableName: tn, Item: item("T", "1", 1500, "GSI2PK", "FY#1", "GSI2SK", "2")}},
			{Update: &types.Update{TableName: tn, Key: key("Q", "0"), UpdateExpression: aws.String("SET n = :n"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":n": s("9")}}},
			{Delete: &types.Delete{TableName: tn, Key: key("Q", "1")}},
			{ConditionCheck: &types.ConditionCheck{TableName: tn, Key: key("A", "1"), ConditionExpression: aws.String("attribute_exists(PK)")}},
		}})
		return err
	})
	expect(t, counter, "update and delete", map[string]ddbcount.Counts{
		"UpdateItem": {Calls: 1, ItemsWritten: 1, WCU: 1},
		"DeleteItem": {Calls: 1, ItemsWritten: 1, WCU: 2}, // ALL_OLD shows the 1500 bytes it deleted
	}, func() error {
		if _, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: tn, Key: key("Q", "2"), UpdateExpression: aws.String("SET n = :n"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":n": s("7")}}); err != nil {
			return err
		}
		_, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: tn, Key: key("T", "1"), ReturnValues: types.ReturnValueAllOld})
		return err
	})

	// Writes refused by their condition are billed, write nothing and are errors.
	expect(t, counter, "refused writes", map[string]ddbcount.Counts{
		"PutItem":            {Calls: 1, Errors: 1, WCU: 1},
		"TransactWriteItems": {Calls: 1, Errors: 1, WCU: 4},
	}, func() error {
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: tn, Item: key("A", "1"), ConditionExpression: aws.String("attribute_not_exists(PK)")})
		var ccf *types.ConditionalCheckFailedException
		if !errors.As(err, &ccf) {
			return fmt.Errorf("conditional put: %v", err)
		}
		_, err = db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{TableName: tn, Item: key("A", "new")}},
			{Put: &types.Put{TableName: tn, Item: key("A", "1"), ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		}})
		var tce *types.TransactionCanceledException
		if !errors.As(err, &tce) {
			return fmt.Errorf("cancelled transaction: %v", err)
		}
		return nil
	})
}

func TestCounterIsSafeForConcurrentUse(t *testing.T) {
	ctx := context.Background()
	db, table, counter := countingTable(t)
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item("C", "1", 100)}); err != nil {
		t.Fatal(err)
	}
	before := counter.Snapshot()
	var wg sync.WaitGroup
	const workers, each = 8, 5
	for range workers {
		wg.Go(func() {
			for range each {
				if _, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key("C", "1"), ConsistentRead: aws.Bool(true)}); err != nil {
					t.Error(err)
				}
				_ = counter.Snapshot()
			}
		})
	}
	wg.Wait()
	got := counter.Snapshot().Sub(before)
	want := ddbcount.Counts{Calls: workers * each, ItemsRead: workers * each, ItemsScanned: workers * each, RCU: workers * each}
	if diff := cmp.Diff(map[string]ddbcount.Counts{"GetItem": want}, got.ByOperation); diff != "" {
		t.Errorf("concurrent gets (-want +got):\n%s", diff)
	}
	if total := counter.Take().Total(); total.Calls != workers*each+1 || total.ItemsWritten != 1 {
		t.Errorf("total before the reset: %+v", total)
	}
	if after := counter.Snapshot(); len(after.ByOperation) != 0 {
		t.Errorf("counts after Take: %+v", after)
	}
}

func TestItemSize(t *testing.T) {
	n := func(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }
	for _, c := range []struct {
		name string
		item map[string]types.AttributeValue
		want int
	}{
		{"string", map[string]types.AttributeValue{"name": s("héllo")}, 4 + 6},
		{"number: one byte per two significant digits, plus one", map[string]types.AttributeValue{"n": n("12345")}, 1 + 3 + 1},
		{"number: outer zeros, sign and point do not count", map[string]types.AttributeValue{"n": n("-003000.500")}, 1 + 3 + 1}, // 30005
		{"zero", map[string]types.AttributeValue{"n": n("0")}, 1 + 2},
		{"bool and null", map[string]types.AttributeValue{"b": &types.AttributeValueMemberBOOL{Value: true}, "z": &types.AttributeValueMemberNULL{Value: true}}, 2 + 2},
		{"binary", map[string]types.AttributeValue{"bin": &types.AttributeValueMemberB{Value: make([]byte, 32)}}, 3 + 32},
		{"string set", map[string]types.AttributeValue{"ss": &types.AttributeValueMemberSS{Value: []string{"ab", "cde"}}}, 2 + 5},
		{"empty map", map[string]types.AttributeValue{"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}}}, 1 + 3},
		{"map: 3 bytes, and per element 1 byte, its key and value", map[string]types.AttributeValue{"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k": s("vv")}}}, 1 + 3 + (1 + 1 + 2)},
		{"list", map[string]types.AttributeValue{"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{s("a"), n("7")}}}, 1 + 3 + (1 + 1) + (1 + 2)},
	} {
		if got := ddbcount.ItemSize(c.item); got != c.want {
			t.Errorf("%s: size %d, want %d", c.name, got, c.want)
		}
	}
}
