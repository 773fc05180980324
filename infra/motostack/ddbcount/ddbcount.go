// Package ddbcount counts what a program's DynamoDB calls cost: calls, items read and
// written, and the read and write capacity units DynamoDB would bill for them. It is an
// AWS SDK v2 middleware, for tests and benchmarks:
//
//	counter := ddbcount.New()
//	db := dynamodb.NewFromConfig(cfg, ddbcount.Into(counter))
//	... use db ...
//	snap := counter.Take() // what was spent since the last Take or Reset
//
// # What is counted
//
// Calls are counted once per operation the program makes (the SDK's own retries are
// not calls of their own). Items read: GetItem one when an item came back; Query and
// Scan the Count of their output (ScannedCount is kept as ItemsScanned);
// BatchGetItem and TransactGetItems the items returned. Items written: PutItem,
// UpdateItem and DeleteItem one; BatchWriteItem its processed requests;
// TransactWriteItems its puts, updates and deletes, with its condition checks counted
// apart.
//
// # Capacity units
//
// Capacity is computed from item sizes as DynamoDB sizes items (see ItemSize) and rounds
// them (reads in 4 KB units, writes in 1 KB units):
//
//   - GetItem: the item's size in 4 KB units, at least one (a missing item costs one),
//     halved unless ConsistentRead; BatchGetItem: the same for each item on its own.
//   - Query and Scan: the total size of the items evaluated in 4 KB units, at least one,
//     halved unless ConsistentRead (always, on a global secondary index). Items a filter
//     dropped are not in the answer: they are charged at the mean size of the items
//     returned (exact when nothing was filtered; when everything was, only the minimum).
//   - TransactGetItems: twice the strongly consistent GetItem cost of each item.
//   - PutItem: the larger of the new item and, when returned, the old one, in 1 KB
//     units. BatchWriteItem: the same for each processed put; a delete one unit.
//   - UpdateItem and DeleteItem: DynamoDB bills the larger of the item before and after,
//     which the call does not show unless it asks for ReturnValues ALL_NEW or ALL_OLD;
//     without them the size of the key and the values the expression sets is used, a
//     lower bound (exact for items under 1 KB).
//   - TransactWriteItems: twice the cost of each action as a single write; a condition
//     check costs like a write of its key (two units for an item under 1 KB).
//
// A write refused by its condition (ConditionalCheckFailedException, a cancelled
// transaction) is billed by DynamoDB, so its capacity is counted, though its items are
// not counted as written. Any other failed call counts as a call and an error only.
//
// Writes also cost capacity in every global secondary index the written item is part
// of. A Counter told a table's indexes (Describe) counts, for each item a put writes,
// one index write per index whose key attributes the new item carries, at the size of
// what the index projects (IndexWCU). It sees only the new image, so IndexWCU is an
// estimate: DynamoDB skips an index when an overwrite changed none of the attributes
// it projects, and writes twice where the item's index key changed (the old entry is
// deleted); updates (UpdateItem, a transaction's Update) are not counted in indexes.
package ddbcount

import (
	"context"
	"errors"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// Counts is what a set of DynamoDB calls cost.
type Counts struct {
	Calls  int `json:"calls"`
	Errors int `json:"errors,omitempty"`
	// ItemsRead are the items the calls returned.
	ItemsRead int `json:"itemsRead"`
	// ItemsScanned are the items DynamoDB evaluated to answer: a Query's or Scan's
	// ScannedCount (before its filter), otherwise the items read.
	ItemsScanned int `json:"itemsScanned"`
	// ItemsWritten are the items put, updated or deleted.
	ItemsWritten int `json:"itemsWritten"`
	// ConditionChecks are TransactWriteItems' condition checks.
	ConditionChecks int `json:"conditionChecks,omitempty"`
	// RCU and WCU are the read and write capacity units of the table's own items.
	RCU float64 `json:"rcu"`
	WCU float64 `json:"wcu"`
	// IndexWCU are the write units spent keeping global secondary indexes up to date
	// (for tables the Counter was told about with Describe).
	IndexWCU float64 `json:"indexWcu,omitempty"`
}

// Add returns the sum of two Counts.
func (c Counts) Add(o Counts) Counts {
	return Counts{
		Calls: c.Calls + o.Calls, Errors: c.Errors + o.Errors,
		ItemsRead: c.ItemsRead + o.ItemsRead, ItemsScanned: c.ItemsScanned + o.ItemsScanned,
		ItemsWritten: c.ItemsWritten + o.ItemsWritten, ConditionChecks: c.ConditionChecks + o.ConditionChecks,
		RCU: c.RCU + o.RCU, WCU: c.WCU + o.WCU, IndexWCU: c.IndexWCU + o.IndexWCU,
	}
}

// Snapshot is the counts at one moment, by operation ("GetItem", "Query", ...).
type Snapshot struct {
	ByOperation map[string]Counts `json:"byOperation"`
}

// Total adds up every operation.
func (s Snapshot) Total() Counts {
	var t Counts
	for _, c := range s.ByOperation {
		t = t.Add(c)
	}
	return t
}

// Operations lists the operations called, sorted.
func (s Snapshot) Operations() []string {
	ops := make([]string, 0, len(s.ByOperation))
	for op := range s.ByOperation {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	return ops
}

// Calls is how many times an operation was called.
func (s Snapshot) Calls(op string) int { return s.ByOperation[op].Calls }

// Sub returns what was spent between an earlier snapshot and this one.
func (s Snapshot) Sub(earlier Snapshot) Snapshot {
	out := Snapshot{ByOperation: map[string]Counts{}}
	for op, c := range s.ByOperation {
		e := earlier.ByOperation[op]
		d := Counts{
			Calls: c.Calls - e.Calls, Errors: c.Errors - e.Errors,
			ItemsRead: c.ItemsRead - e.ItemsRead, ItemsScanned: c.ItemsScanned - e.ItemsScanned,
			ItemsWritten: c.ItemsWritten - e.ItemsWritten, ConditionChecks: c.ConditionChecks - e.ConditionChecks,
			RCU: c.RCU - e.RCU, WCU: c.WCU - e.WCU, IndexWCU: c.IndexWCU - e.IndexWCU,
		}
		if d != (Counts{}) {
			out.ByOperation[op] = d
		}
	}
	return out
}

// Index is a global secondary index, as far as counting its writes needs.
type Index struct {
	Name string
	// Keys are the index's key attributes (partition key, then sort key if any); an
	// item is in the index only when it has all of them.
	Keys []string
	// TableKeys are the table's key attributes, which every index projects.
	TableKeys []string
	// Projection is ALL, KEYS_ONLY or INCLUDE (with NonKeyAttributes).
	Projection       types.ProjectionType
	NonKeyAttributes []string
}

// Counter counts DynamoDB calls made through clients it was added to. It is safe for
// concurrent use.
type Counter struct {
	mu      sync.Mutex
	by      map[string]*Counts
	indexes map[string][]Index // by table name
}

// New returns an empty Counter.
func New() *Counter {
	return &Counter{by: map[string]*Counts{}, indexes: map[string][]Index{}}
}

// Into returns the client option that adds the counter to a DynamoDB client:
//
//	dynamodb.NewFromConfig(cfg, ddbcount.Into(counter))
func Into(c *Counter) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, c.AddMiddleware)
	}
}

// AddMiddleware adds the counting middleware to an operation's stack; it is what Into
// puts in the client's APIOptions.
func (c *Counter) AddMiddleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("ddbcount.Counter", c.handle), middleware.After)
}

// Describe tells the counter a table's global secondary indexes (from DescribeTable),
// so that it counts the index writes of the table's puts. It returns the counter.
func (c *Counter) Describe(t *types.TableDescription) *Counter {
	if t == nil || t.TableName == nil {
		return c
	}
	var tableKeys []string
	for _, k := range t.KeySchema {
		tableKeys = append(tableKeys, aws.ToString(k.AttributeName))
	}
	var idx []Index
	for _, g := range t.GlobalSecondaryIndexes {
		ix := Index{Name: aws.ToString(g.IndexName), TableKeys: tableKeys}
		for _, k := range g.KeySchema {
			ix.Keys = append(ix.Keys, aws.ToString(k.AttributeName))
		}
		if p := g.Projection; p != nil {
			ix.Projection, ix.NonKeyAttributes = p.ProjectionType, p.NonKeyAttributes
		}
		idx = append(idx, ix)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.indexes[*t.TableName] = idx
	return c
}

// Snapshot returns the counts so far.
func (c *Counter) Snapshot() Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.snapshot()
}

func (c *Counter) snapshot() Snapshot {
	s := Snapshot{ByOperation: make(map[string]Counts, len(c.by))}
	for op, n := range c.by {
		s.ByOperation[op] = *n
	}
	return s
}

// Reset forgets every count.
func (c *Counter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.by)
}

// Take returns the counts so far and resets the counter, at once.
func (c *Counter) Take() Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.snapshot()
	clear(c.by)
	return s
}

func (c *Counter) add(op string, n Counts) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cur := c.by[op]
	if cur == nil {
		cur = &Counts{}
		c.by[op] = cur
	}
	*cur = cur.Add(n)
}

func (c *Counter) tableIndexes(table *string) []Index {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.indexes[aws.ToString(table)]
}

func (c *Counter) handle(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleInitialize(ctx, in)
	if op, n, ok := c.measure(in.Parameters, out.Result, err); ok {
		c.add(op, n)
	}
	return out, md, err
}

// refused reports whether a failed write was refused by its condition, which DynamoDB
// bills like the write.
func refused(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	var tce *types.TransactionCanceledException
	return errors.As(err, &ccf) || errors.As(err, &tce)
}

// measure works out what one call cost from its input and output.
func (c *Counter) measure(params, result any, err error) (string, Counts, bool) {
	n := Counts{Calls: 1}
	if err != nil {
		n.Errors = 1
	}
	switch in := params.(type) {
	case *dynamodb.GetItemInput:
		out, _ := result.(*dynamodb.GetItemOutput)
		if err == nil && out != nil {
			if out.Item != nil {
				n.ItemsRead, n.ItemsScanned = 1, 1
			}
			n.RCU = readUnits(ItemSize(out.Item), aws.ToBool(in.ConsistentRead))
		}
		return "GetItem", n, true

	case *dynamodb.QueryInput:
		if out, _ := result.(*dynamodb.QueryOutput); err == nil && out != nil {
			c.readPage(&n, out.Items, out.Count, out.ScannedCount, aws.ToBool(in.ConsistentRead))
		}
		return "Query", n, true

	case *dynamodb.ScanInput:
		if out, _ := result.(*dynamodb.ScanOutput); err == nil && out != nil {
			c.readPage(&n, out.Items, out.Count, out.ScannedCount, aws.ToBool(in.ConsistentRead))
		}
		return "Scan", n, true

	case *dynamodb.BatchGetItemInput:
		out, _ := result.(*dynamodb.BatchGetItemOutput)
		if err != nil || out == nil {
			return "BatchGetItem", n, true
		}
		for table, ka := range in.RequestItems {
			consistent := aws.ToBool(ka.ConsistentRead)
			requested := len(ka.Keys)
			if u, ok := out.UnprocessedKeys[table]; ok {
				requested -= len(u.Keys)
			}
			got := out.Responses[table]
			for _, item := range got {
				n.RCU += readUnits(ItemSize(item), consistent)
			}
			n.ItemsRead += len(got)
			n.ItemsScanned += len(got)
			n.RCU += float64(max(0, requested-len(got))) * readUnits(0, consistent) // missing items
		}
		return "BatchGetItem", n, true

	case *dynamodb.TransactGetItemsInput:
		out, _ := result.(*dynamodb.TransactGetItemsOutput)
		if err != nil || out == nil {
			return "TransactGetItems", n, true
		}
		for i := range in.TransactItems {
			var item map[string]types.AttributeValue
			if i < len(out.Responses) {
				item = out.Responses[i].Item
			}
			if item != nil {
				n.ItemsRead++
				n.ItemsScanned++
			}
			n.RCU += 2 * readUnits(ItemSize(item), true)
		}
		return "TransactGetItems", n, true

	case *dynamodb.PutItemInput:
		out, _ := result.(*dynamodb.PutItemOutput)
		if err != nil && !refused(err) {
			return "PutItem", n, true
		}
		size := ItemSize(in.Item)
		if out != nil {
			size = max(size, ItemSize(out.Attributes))
		}
		n.WCU = writeUnits(size)
		if err == nil {
			n.ItemsWritten = 1
			n.IndexWCU = c.indexWrites(in.TableName, in.Item)
		}
		return "PutItem", n, true

	case *dynamodb.UpdateItemInput:
		out, _ := result.(*dynamodb.UpdateItemOutput)
		if err != nil && !refused(err) {
			return "UpdateItem", n, true
		}
		size := ItemSize(in.Key) + valuesSize(in.ExpressionAttributeValues)
		if out != nil && (in.ReturnValues == types.ReturnValueAllNew || in.ReturnValues == types.ReturnValueAllOld) {
			size = max(size, ItemSize(out.Attributes))
		}
		n.WCU = writeUnits(size)
		if err == nil {
			n.ItemsWritten = 1
		}
		return "UpdateItem", n, true

	case *dynamodb.DeleteItemInput:
		out, _ := result.(*dynamodb.DeleteItemOutput)
		if err != nil && !refused(err) {
			return "DeleteItem", n, true
		}
		size := ItemSize(in.Key)
		if out != nil {
			size = max(size, ItemSize(out.Attributes))
		}
		n.WCU = writeUnits(size)
		if err == nil {
			n.ItemsWritten = 1
		}
		return "DeleteItem", n, true

	case *dynamodb.BatchWriteItemInput:
		out, _ := result.(*dynamodb.BatchWriteItemOutput)
		if err != nil || out == nil {
			return "BatchWriteItem", n, true
		}
		for table, reqs := range in.RequestItems {
			wcu, idx := c.batchWrites(table, reqs)
			undoneWCU, undoneIdx := c.batchWrites(table, out.UnprocessedItems[table])
			n.ItemsWritten += len(reqs) - len(out.UnprocessedItems[table])
			n.WCU += wcu - undoneWCU
			n.IndexWCU += idx - undoneIdx
		}
		return "BatchWriteItem", n, true

	case *dynamodb.TransactWriteItemsInput:
		if err != nil && !refused(err) {
			return "TransactWriteItems", n, true
		}
		for _, it := range in.TransactItems {
			switch {
			case it.Put != nil:
				n.WCU += 2 * writeUnits(ItemSize(it.Put.Item))
				if err == nil {
					n.ItemsWritten++
					n.IndexWCU += c.indexWrites(it.Put.TableName, it.Put.Item)
				}
			case it.Update != nil:
				n.WCU += 2 * writeUnits(ItemSize(it.Update.Key)+valuesSize(it.Update.ExpressionAttributeValues))
				if err == nil {
					n.ItemsWritten++
				}
			case it.Delete != nil:
				n.WCU += 2 * writeUnits(ItemSize(it.Delete.Key))
				if err == nil {
					n.ItemsWritten++
				}
			case it.ConditionCheck != nil:
				n.WCU += 2 * writeUnits(ItemSize(it.ConditionCheck.Key))
				n.ConditionChecks++
			}
		}
		return "TransactWriteItems", n, true
	}
	return "", Counts{}, false // not an operation on items (CreateTable, DescribeTable, ...)
}

// readPage counts one page of a Query or Scan.
func (c *Counter) readPage(n *Counts, items []map[string]types.AttributeValue, count, scanned int32, consistent bool) {
	size := 0
	for _, item := range items {
		size += ItemSize(item)
	}
	if len(items) > 0 && int(scanned) > len(items) {
		// Items the filter dropped were read too; the answer does not show their size.
		size += (int(scanned) - len(items)) * size / len(items)
	}
	n.ItemsRead = int(count)
	n.ItemsScanned = int(scanned)
	n.RCU = readUnits(size, consistent)
}

// batchWrites is what a list of BatchWriteItem requests costs.
func (c *Counter) batchWrites(table string, reqs []types.WriteRequest) (wcu, index float64) {
	for _, r := range reqs {
		switch {
		case r.PutRequest != nil:
			wcu += writeUnits(ItemSize(r.PutRequest.Item))
			index += c.indexWrites(&table, r.PutRequest.Item)
		case r.DeleteRequest != nil:
			wcu += writeUnits(ItemSize(r.DeleteRequest.Key))
		}
	}
	return wcu, index
}

// indexWrites is what writing item costs in the table's indexes: one write per index
// the item is part of, at the size the index projects.
func (c *Counter) indexWrites(table *string, item map[string]types.AttributeValue) float64 {
	units := 0.0
	for _, ix := range c.tableIndexes(table) {
		if p, ok := ix.project(item); ok {
			units += writeUnits(ItemSize(p))
		}
	}
	return units
}

// project returns what the index holds of an item, and whether the item is in it.
func (ix Index) project(item map[string]types.AttributeValue) (map[string]types.AttributeValue, bool) {
	for _, k := range ix.Keys {
		if _, ok := item[k]; !ok {
			return nil, false
		}
	}
	if ix.Projection == types.ProjectionTypeAll || ix.Projection == "" {
		return item, true
	}
	names := [][]string{ix.TableKeys, ix.Keys}
	if ix.Projection == types.ProjectionTypeInclude {
		names = append(names, ix.NonKeyAttributes)
	}
	p := map[string]types.AttributeValue{}
	for _, list := range names {
		for _, k := range list {
			if v, ok := item[k]; ok {
				p[k] = v
			}
		}
	}
	return p, true
}

// valuesSize is the size of an expression's values, without names: what an update
// writes at least.
func valuesSize(values map[string]types.AttributeValue) int {
	n := 0
	for _, v := range values {
		n += valueSize(v)
	}
	return n
}
