package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger"
)

// The verifiable log of the audit trail lives in items of its own:
//
//	item              PK                         SK
//	tree head         LOG                        HEAD        size, root
//	checkpoint        LOG                        CHECKPOINT  size, signed note
//	tile              LOG#tile/<L>/<N>           TILE        hashes (grows to 8 KiB)
//	entry bundle      LOG#tile/entries/<N>       TILE        entries (grows until full)
//	event's leaf      LEAF#<event's PK>#<SK>     LEAF        index
//
// A tile's key is its C2SP path as a full tile, so serving any tile, full or partial,
// is one GetItem. An append writes the changed tiles, one leaf item per event and the
// head in one transaction, on condition that the head is the one it started from and
// that no event has a leaf yet.
const (
	pkLog         = "LOG"
	skHead        = "HEAD"
	skCheckpoint  = "CHECKPOINT"
	skTile        = "TILE"
	skLeaf        = "LEAF"
	logTilePrefix = "LOG#"
	leafPrefix    = "LEAF#"
)

var _ ledger.Store = (*Store)(nil)
var _ ledger.Reader = (*Store)(nil)
var _ ledger.Checkpoints = (*Store)(nil)

func tileKey(t tlog.Tile) map[string]types.AttributeValue {
	t.W = ledger.TileWidth
	return key(logTilePrefix+ledger.Path(t), skTile)
}

// LogKey is the key of an audit event's leaf in the log: the event item's keys.
func LogKey(pk, sk string) string { return pk + "#" + sk }

// Head implements ledger.Store.
func (s *Store) Head(ctx context.Context) (ledger.Head, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(pkLog, skHead), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return ledger.Head{}, translate(err)
	}
	return headOf(out.Item)
}

func headOf(item map[string]types.AttributeValue) (ledger.Head, error) {
	var h ledger.Head
	if item == nil {
		return h, nil
	}
	size, _ := item["size"].(*types.AttributeValueMemberN)
	root, _ := item["root"].(*types.AttributeValueMemberB)
	if size == nil || root == nil || len(root.Value) != tlog.HashSize {
		return h, errors.New("the log's head item is malformed")
	}
	n, err := strconv.ParseInt(size.Value, 10, 64)
	if err != nil {
		return h, fmt.Errorf("the log's head size: %w", err)
	}
	h.Size = n
	copy(h.Root[:], root.Value)
	return h, nil
}

// ReadTiles implements ledger.Store and ledger.Reader: one GetItem for one tile, one
// BatchGetItem for up to 100 (a proof needs at most two per level), strongly
// consistent so that an appender reads what the head it read describes.
func (s *Store) ReadTiles(ctx context.Context, tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	if len(tiles) == 1 {
		got, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: tileKey(tiles[0]), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return nil, translate(err)
		}
		out[0] = tileData(got.Item)
		return out, nil
	}
	keys := make([]map[string]types.AttributeValue, len(tiles))
	for i, t := range tiles {
		keys[i] = tileKey(t)
	}
	items, err := s.batchGetItems(ctx, true, keys)
	if err != nil {
		return nil, fmt.Errorf("read tiles: %w", err)
	}
	for i, item := range items {
		out[i] = tileData(item)
	}
	return out, nil
}

func tileData(item map[string]types.AttributeValue) []byte {
	if b, ok := item["data"].(*types.AttributeValueMemberB); ok {
		return b.Value
	}
	return nil
}

// Indexes implements ledger.Store.
func (s *Store) Indexes(ctx context.Context, keys []string) (map[string]int64, error) {
	itemKeys := make([]map[string]types.AttributeValue, len(keys))
	for i, k := range keys {
		itemKeys[i] = key(leafPrefix+k, skLeaf)
	}
	items, err := s.batchGetItems(ctx, true, itemKeys)
	if err != nil {
		return nil, fmt.Errorf("read leaves: %w", err)
	}
	out := map[string]int64{}
	for i, item := range items {
		n, _ := item["index"].(*types.AttributeValueMemberN)
		if n == nil {
			continue
		}
		index, err := strconv.ParseInt(n.Value, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("leaf index: %w", err)
		}
		out[keys[i]] = index
	}
	return out, nil
}

// Commit implements ledger.Store: one transaction of the tiles, the leaves and the
// head, conditional on the old head and on the leaves' absence.
func (s *Store) Commit(ctx context.Context, u ledger.Update) error {
	var items []types.TransactWriteItem
	for _, t := range u.Tiles {
		item := tileKey(t.Tile)
		item["data"] = &types.AttributeValueMemberB{Value: t.Data}
		item["entity"] = &types.AttributeValueMemberS{Value: "logTile"}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: item}})
	}
	for k, i := range u.Leaves {
		item := key(leafPrefix+k, skLeaf)
		item["index"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(i, 10)}
		item["entity"] = &types.AttributeValueMemberS{Value: "logLeaf"}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: item,
			ConditionExpression: aws.String("attribute_not_exists(PK)")}})
	}
	head := key(pkLog, skHead)
	head["size"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(u.New.Size, 10)}
	head["root"] = &types.AttributeValueMemberB{Value: u.New.Root[:]}
	head["entity"] = &types.AttributeValueMemberS{Value: "logHead"}
	put := &types.Put{TableName: &s.table, Item: head}
	if u.Old.Size == 0 {
		put.ConditionExpression = aws.String("attribute_not_exists(PK)")
	} else {
		put.ConditionExpression = aws.String("#size = :size AND #root = :root")
		put.ExpressionAttributeNames = map[string]string{"#size": "size", "#root": "root"}
		put.ExpressionAttributeValues = map[string]types.AttributeValue{
			":size": &types.AttributeValueMemberN{Value: strconv.FormatInt(u.Old.Size, 10)},
			":root": &types.AttributeValueMemberB{Value: u.Old.Root[:]},
		}
	}
	items = append(items, types.TransactWriteItem{Put: put})
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var cancelled *types.TransactionCanceledException
	// Another writer's head condition failed ours, or its transaction on the head was
	// in flight (DynamoDB cancels ours with TransactionConflict): either way, start again.
	if errors.As(err, &cancelled) && anyReason(cancelled, "ConditionalCheckFailed", "TransactionConflict") {
		return ledger.ErrRaced
	}
	if err != nil {
		return fmt.Errorf("append to the log: %w", translate(err))
	}
	return nil
}

// Checkpoint implements ledger.Reader and ledger.Checkpoints.
func (s *Store) Checkpoint(ctx context.Context) ([]byte, int64, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(pkLog, skCheckpoint)})
	if err != nil {
		return nil, 0, translate(err)
	}
	signed, _ := out.Item["note"].(*types.AttributeValueMemberB)
	size, _ := out.Item["size"].(*types.AttributeValueMemberN)
	if signed == nil || size == nil {
		return nil, 0, nil
	}
	n, err := strconv.ParseInt(size.Value, 10, 64)
	if err != nil {
		return nil, 0, fmt.Errorf("the checkpoint's size: %w", err)
	}
	return signed.Value, n, nil
}

// PutCheckpoint implements ledger.Checkpoints: the stored checkpoint is replaced only
// by one of a larger tree.
func (s *Store) PutCheckpoint(ctx context.Context, size int64, signed []byte) error {
	item := key(pkLog, skCheckpoint)
	item["note"] = &types.AttributeValueMemberB{Value: signed}
	item["size"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(size, 10)}
	item["entity"] = &types.AttributeValueMemberS{Value: "logCheckpoint"}
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item,
		ConditionExpression:       aws.String("attribute_not_exists(PK) OR #size < :size"),
		ExpressionAttributeNames:  map[string]string{"#size": "size"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":size": item["size"]}})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return ledger.ErrRaced
	}
	if err != nil {
		return fmt.Errorf("store the checkpoint: %w", translate(err))
	}
	return nil
}
