package ledger_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger/memlog"
)

func entries(from, to int) []ledger.Entry {
	var out []ledger.Entry
	for i := from; i < to; i++ {
		out = append(out, ledger.Entry{Key: fmt.Sprintf("event-%d", i), Data: fmt.Appendf(nil, `{"n":%d}`, i)})
	}
	return out
}

// independentRoot is the RFC 6962 root of the entries, computed by transparency-dev's
// merkle package rather than the tlog package the appender uses.
func independentRoot(t *testing.T, data [][]byte) []byte {
	t.Helper()
	rf := compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	r := rf.NewEmptyRange(0)
	for _, d := range data {
		if err := r.Append(rfc6962.DefaultHasher.HashLeaf(d), nil); err != nil {
			t.Fatal(err)
		}
	}
	root, err := r.GetRootHash(nil)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// storedEntries reads every entry back from the stored bundles.
func storedEntries(t *testing.T, s *memlog.Store, size int64) [][]byte {
	t.Helper()
	var out [][]byte
	for n := int64(0); n*ledger.TileWidth < size; n++ {
		data, _ := s.ReadTiles(context.Background(), []tlog.Tile{{H: ledger.TileHeight, L: ledger.EntriesLevel, N: n}})
		got, err := ledger.SplitBundle(data[0])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, got...)
	}
	if int64(len(out)) != size {
		t.Fatalf("the bundles hold %d entries, the head says %d", len(out), size)
	}
	return out
}

// checkLog checks a log against the entries it should hold, in order: the head's root
// against an independent computation, every stored entry, and every leaf's inclusion
// proof (made by tlog from the stored tiles) with transparency-dev's verifier.
func checkLog(t *testing.T, s *memlog.Store, want []ledger.Entry) {
	t.Helper()
	ctx := context.Background()
	head, _ := s.Head(ctx)
	if head.Size != int64(len(want)) {
		t.Fatalf("the log holds %d leaves, want %d", head.Size, len(want))
	}
	got := storedEntries(t, s, head.Size)
	var data [][]byte
	for i, e := range want {
		if string(got[i]) != string(e.Data) {
			t.Fatalf("leaf %d is %s, want %s", i, got[i], e.Data)
		}
		data = append(data, e.Data)
	}
	if root := independentRoot(t, data); string(root) != string(head.Root[:]) {
		t.Fatalf("root %x, an independent computation says %x", head.Root, root)
	}
	if err := s.PutCheckpoint(ctx, head.Size, []byte("signed")); err != nil && !errors.Is(err, ledger.ErrRaced) {
		t.Fatal(err)
	}
	for _, i := range []int64{0, head.Size / 2, head.Size - 1} {
		p, err := ledger.Prove(ctx, s, i)
		if err != nil || p == nil {
			t.Fatalf("prove %d: %v", i, err)
		}
		hashes := make([][]byte, len(p.Hashes))
		for j, h := range p.Hashes {
			hashes[j] = decode64(t, h)
		}
		leaf := rfc6962.DefaultHasher.HashLeaf(decode64(t, p.Leaf))
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(i), uint64(head.Size), leaf, hashes, head.Root[:]); err != nil {
			t.Fatalf("leaf %d's proof: %v", i, err)
		}
	}
}

func TestAppendBuildsTheTreeOfItsEntriesAcrossTiles(t *testing.T) {
	for _, batches := range [][]int{{1}, {7, 1, 300}, {255, 1, 1}, {256, 256, 3}, {600}, {100, 100, 100, 100, 100, 100}} {
		t.Run(fmt.Sprint(batches), func(t *testing.T) {
			s := memlog.New()
			a := ledger.Appender{Store: s, MaxBatch: 64}
			var all []ledger.Entry
			for _, n := range batches {
				next := entries(len(all), len(all)+n)
				res, err := a.Append(context.Background(), next)
				if err != nil {
					t.Fatal(err)
				}
				for i, e := range next {
					if res.Indexes[e.Key] != int64(len(all)+i) {
						t.Fatalf("%s got leaf %d, want %d", e.Key, res.Indexes[e.Key], len(all)+i)
					}
				}
				all = append(all, next...)
				checkLog(t, s, all)
			}
		})
	}
}

func TestAppendTakesARedeliveredEventOnce(t *testing.T) {
	s := memlog.New()
	a := ledger.Appender{Store: s}
	ctx := context.Background()
	first := entries(0, 10)
	if _, err := a.Append(ctx, first); err != nil {
		t.Fatal(err)
	}
	// The stream delivers events 5..14 again after a retry, one of them twice.
	again := append(entries(5, 15), entries(12, 13)...)
	res, err := a.Append(ctx, again)
	if err != nil {
		t.Fatal(err)
	}
	if res.New != 5 || res.Indexes["event-5"] != 5 || res.Indexes["event-14"] != 14 {
		t.Fatalf("redelivery appended %d and placed event-5 at %d, event-14 at %d; want 5 new, 5 and 14",
			res.New, res.Indexes["event-5"], res.Indexes["event-14"])
	}
	checkLog(t, s, entries(0, 15))
}

func TestConcurrentAppendersNeitherForkNorDuplicate(t *testing.T) {
	s := memlog.New()
	ctx := context.Background()
	// Four writers each append overlapping ranges, as shards or retried invocations
	// would: every event once, no gaps, and each writer's order kept.
	var wg sync.WaitGroup
	results := make([]ledger.Appended, 4)
	errs := make([]error, 4)
	for w := range 4 {
		wg.Go(func() {
			a := ledger.Appender{Store: s, MaxBatch: 5, Attempts: 1000}
			results[w], errs[w] = a.Append(ctx, entries(w*20, w*20+60))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	head, _ := s.Head(ctx)
	if head.Size != 120 {
		t.Fatalf("the log holds %d leaves, want 120 distinct events", head.Size)
	}
	seen := map[int64]string{}
	for w, res := range results {
		last := int64(-1)
		for _, e := range entries(w*20, w*20+60) {
			i, ok := res.Indexes[e.Key]
			if !ok {
				t.Fatalf("writer %d has no leaf for %s", w, e.Key)
			}
			if other, dup := seen[i]; dup && other != e.Key {
				t.Fatalf("leaf %d is both %s and %s", i, other, e.Key)
			}
			seen[i] = e.Key
			if i < last {
				// Another writer may have appended a later event of this range first;
				// only this writer's own new entries must keep its order.
				continue
			}
			last = i
		}
	}
	// The log's content is exactly the set of events, each once, in the order stored.
	got := storedEntries(t, s, head.Size)
	var want []ledger.Entry
	for i := range head.Size {
		want = append(want, ledger.Entry{Key: seen[i], Data: got[i]})
	}
	checkLog(t, s, want)
	if len(seen) != 120 {
		t.Fatalf("%d distinct leaves, want 120", len(seen))
	}
}

func TestAFailedCommitLeavesTheLogAsItWas(t *testing.T) {
	s := memlog.New()
	ctx := context.Background()
	a := ledger.Appender{Store: s}
	if _, err := a.Append(ctx, entries(0, 3)); err != nil {
		t.Fatal(err)
	}
	broken := errors.New("the table is unreachable")
	s.BeforeCommit = func(ledger.Update) error { return broken }
	if _, err := a.Append(ctx, entries(3, 8)); !errors.Is(err, broken) {
		t.Fatalf("append over failing storage: %v, want the storage's error", err)
	}
	checkLog(t, s, entries(0, 3))
	s.BeforeCommit = nil
	if _, err := a.Append(ctx, entries(3, 8)); err != nil {
		t.Fatal(err)
	}
	checkLog(t, s, entries(0, 8))
}

func TestTilePathsAreC2SPs(t *testing.T) {
	for _, c := range []struct {
		tile tlog.Tile
		path string
	}{
		{tlog.Tile{H: 8, L: 0, N: 0, W: 256}, "tile/0/000"},
		{tlog.Tile{H: 8, L: 0, N: 1234067, W: 256}, "tile/0/x001/x234/067"},
		{tlog.Tile{H: 8, L: 1, N: 5, W: 17}, "tile/1/005.p/17"},
		{tlog.Tile{H: 8, L: -1, N: 0, W: 3}, "tile/entries/000.p/3"},
		{tlog.Tile{H: 8, L: -1, N: 1000, W: 256}, "tile/entries/x001/000"},
	} {
		if got := ledger.Path(c.tile); got != c.path {
			t.Errorf("Path(%+v) = %q, want %q", c.tile, got, c.path)
		}
		if back, err := ledger.ParsePath(c.path); err != nil || back != c.tile {
			t.Errorf("ParsePath(%q) = %+v, %v; want %+v", c.path, back, err, c.tile)
		}
	}
	for _, bad := range []string{"tile/8/0/000", "tile/0/1", "tiles/0/000", "tile/0/000.p/256", "tile/entries/000.p/0", "tile/0/-01"} {
		if _, err := ledger.ParsePath(bad); err == nil {
			t.Errorf("ParsePath(%q) accepted a path C2SP does not define", bad)
		}
	}
}

// TestThePublisherRefusesToSignARewrittenLog: tiles and head rewritten in storage (a
// different history, longer than the signed one) are refused before the key signs.
func TestThePublisherRefusesToSignARewrittenLog(t *testing.T) {
	ctx := context.Background()
	skey, _, _ := note.GenerateKey(rand.Reader, "tracker.example/log")
	signer, _ := note.NewSigner(skey)
	s := memlog.New()
	p := ledger.Publisher{Store: s, Checkpoints: s, Signer: signer, Origin: "tracker.example/log"}
	if _, err := (&ledger.Appender{Store: s}).Append(ctx, entries(0, 5)); err != nil {
		t.Fatal(err)
	}
	if ok, err := p.Publish(ctx); !ok || err != nil {
		t.Fatalf("first checkpoint: %v %v", ok, err)
	}
	// Another history of 8 events, its first one changed, copied over the stored one.
	other := memlog.New()
	forged := append([]ledger.Entry{{Key: "x", Data: []byte(`{"n":"changed"}`)}}, entries(1, 8)...)
	if _, err := (&ledger.Appender{Store: other}).Append(ctx, forged); err != nil {
		t.Fatal(err)
	}
	head, _ := s.Head(ctx)
	forgedHead, _ := other.Head(ctx)
	var tiles []ledger.TileData
	for _, tile := range []tlog.Tile{{H: 8, L: 0, N: 0, W: 8}, {H: 8, L: ledger.EntriesLevel, N: 0, W: 8}} {
		data, _ := other.ReadTiles(ctx, []tlog.Tile{tile})
		tiles = append(tiles, ledger.TileData{Tile: tile, Data: data[0]})
	}
	if err := s.Commit(ctx, ledger.Update{Old: head, New: forgedHead, Tiles: tiles}); err != nil {
		t.Fatal(err)
	}
	if ok, err := p.Publish(ctx); ok || !errors.Is(err, ledger.ErrFork) {
		t.Fatalf("publishing a rewritten log: %v, %v; want a refusal", ok, err)
	}
	// An honest append after the signed checkpoint is signed.
	honest := memlog.New()
	hp := ledger.Publisher{Store: honest, Checkpoints: honest, Signer: signer, Origin: "tracker.example/log"}
	for _, n := range []int{5, 300} {
		if _, err := (&ledger.Appender{Store: honest}).Append(ctx, entries(0, n)); err != nil {
			t.Fatal(err)
		}
		if ok, err := hp.Publish(ctx); !ok || err != nil {
			t.Fatalf("an honest log of %d: %v %v", n, ok, err)
		}
	}
}
