//go:build integration

package dynamostore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/dynamostore"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// ignoreSalt compares events as written with events read back: the store draws each
// event's salt (tests check its length).
var ignoreSalt = cmpopts.IgnoreFields(sponsorship.AuditEvent{}, "Salt")

func logEntries(from, to int) []ledger.Entry {
	var out []ledger.Entry
	for i := from; i < to; i++ {
		out = append(out, ledger.Entry{Key: fmt.Sprintf("REQ#%03d#EVENT#1", i), Data: fmt.Appendf(nil, `{"event":%d}`, i)})
	}
	return out
}

// readLog reads every leaf back through the tiles as a verifier would, checking each
// against the head's root with tlog's authenticated reader.
func readLog(t *testing.T, s *dynamostore.Store) []string {
	t.Helper()
	ctx := context.Background()
	head, err := s.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hashes := tlog.TileHashReader(tlog.Tree{N: head.Size, Hash: head.Root}, tileReader{s})
	var out []string
	for n := int64(0); n*ledger.TileWidth < head.Size; n++ {
		data, err := s.ReadTiles(ctx, []tlog.Tile{{H: ledger.TileHeight, L: ledger.EntriesLevel, N: n}})
		if err != nil {
			t.Fatal(err)
		}
		entries, err := ledger.SplitBundle(data[0])
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range entries {
			index := n*ledger.TileWidth + int64(i)
			want, err := hashes.ReadHashes([]int64{tlog.StoredHashIndex(0, index)})
			if err != nil {
				t.Fatalf("leaf %d: the tiles do not make the head's tree: %v", index, err)
			}
			if tlog.RecordHash(e) != want[0] {
				t.Fatalf("entry %d is not the leaf the tree holds", index)
			}
			out = append(out, string(e))
		}
	}
	if int64(len(out)) != head.Size {
		t.Fatalf("%d entries for a tree of %d", len(out), head.Size)
	}
	return out
}

type tileReader struct{ s *dynamostore.Store }

func (r tileReader) Height() int { return ledger.TileHeight }
func (r tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	data, err := r.s.ReadTiles(context.Background(), tiles)
	for i := range data {
		data[i], _ = ledger.TilePrefix(tiles[i], data[i])
	}
	return data, err
}
func (r tileReader) SaveTiles([]tlog.Tile, [][]byte) {}

func TestTheLogInTheTableTakesConcurrentRedeliveredAppendsOnce(t *testing.T) {
	db, table := testenv.Table(t)
	s := dynamostore.New(db, table)
	ctx := context.Background()
	// Three writers append overlapping ranges that cross a tile boundary, as a retried
	// batch and a second shard would.
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for w := range 3 {
		wg.Go(func() {
			_, errs[w] = (&ledger.Appender{Store: s, MaxBatch: 40, Attempts: 200}).Append(ctx, logEntries(w*100, w*100+200))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	got := readLog(t, s)
	seen := map[string]bool{}
	for _, e := range got {
		if seen[e] {
			t.Fatalf("%s is in the log twice", e)
		}
		seen[e] = true
	}
	if len(got) != 400 {
		t.Fatalf("the log holds %d events, want the 400 distinct ones", len(got))
	}
	// Redelivered later, they change nothing.
	res, err := (&ledger.Appender{Store: s}).Append(ctx, logEntries(350, 400))
	if err != nil || res.New != 0 || res.Head.Size != 400 {
		t.Fatalf("a redelivery appended %d (head %d): %v", res.New, res.Head.Size, err)
	}
}

// failingTransactions fails the next TransactWriteItems, as a throttled or unreachable
// table would.
type failingTransactions struct {
	*dynamodb.Client
	fail bool
}

func (f *failingTransactions) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	if f.fail {
		f.fail = false
		return nil, errors.New("the table is unreachable")
	}
	return f.Client.TransactWriteItems(ctx, in, opts...)
}

func TestAFailedAppendToTheTableLeavesNoTrace(t *testing.T) {
	db, table := testenv.Table(t)
	flaky := &failingTransactions{Client: db}
	s := dynamostore.New(flaky, table)
	ctx := context.Background()
	a := &ledger.Appender{Store: s}
	if _, err := a.Append(ctx, logEntries(0, 300)); err != nil {
		t.Fatal(err)
	}
	before, _ := s.Head(ctx)
	flaky.fail = true
	if _, err := a.Append(ctx, logEntries(300, 310)); err == nil {
		t.Fatal("an append whose transaction failed succeeded")
	}
	if after, _ := s.Head(ctx); after != before {
		t.Fatalf("a failed append moved the head from %d to %d", before.Size, after.Size)
	}
	if idx, _ := s.Indexes(ctx, []string{logEntries(300, 301)[0].Key}); len(idx) != 0 {
		t.Fatal("a failed append left a leaf behind")
	}
	// The retry (Lambda's, of the same batch) appends them once.
	if _, err := a.Append(ctx, logEntries(300, 310)); err != nil {
		t.Fatal(err)
	}
	if got := readLog(t, s); len(got) != 310 || got[305] != `{"event":305}` {
		t.Fatalf("after the retry the log holds %d events", len(got))
	}
}

func TestACheckpointIsReplacedOnlyByALargerTree(t *testing.T) {
	db, table := testenv.Table(t)
	s := dynamostore.New(db, table)
	ctx := context.Background()
	if signed, _, err := s.Checkpoint(ctx); err != nil || signed != nil {
		t.Fatalf("a new table's checkpoint: %q, %v", signed, err)
	}
	if err := s.PutCheckpoint(ctx, 5, []byte("five")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCheckpoint(ctx, 4, []byte("four")); !errors.Is(err, ledger.ErrRaced) {
		t.Fatalf("an older checkpoint replaced a newer: %v", err)
	}
	if err := s.PutCheckpoint(ctx, 5, []byte("five again")); !errors.Is(err, ledger.ErrRaced) {
		t.Fatalf("a checkpoint of the same size replaced the stored one: %v", err)
	}
	if signed, size, _ := s.Checkpoint(ctx); string(signed) != "five" || size != 5 {
		t.Fatalf("the stored checkpoint is %q of %d", signed, size)
	}
}
