package ledger

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// Head is the log's tree: its size and root hash. The empty log's head is the zero
// Head.
type Head struct {
	Size int64
	Root tlog.Hash
}

// Entry is one leaf to append. Key names the event it records, so that an event
// delivered twice is appended once; Data is the leaf's bytes.
type Entry struct {
	Key  string
	Data []byte
}

// TileData is a tile with the bytes it holds: hashes for levels 0 and up, an entry
// bundle for EntriesLevel.
type TileData struct {
	Tile tlog.Tile
	Data []byte
}

// Update is one append as the store must write it, all or nothing: the tiles that
// changed, each event's leaf index, and the new head, on condition that the head is
// still Old and no key has a leaf yet.
type Update struct {
	Old, New Head
	Tiles    []TileData
	Leaves   map[string]int64
}

// ErrRaced is what Store.Commit returns when its condition failed: another writer
// moved the head or appended one of the keys first.
var ErrRaced = errors.New("the log changed while this append was prepared")

// Store is where the log lives.
type Store interface {
	// Head returns the current head.
	Head(ctx context.Context) (Head, error)
	// ReadTiles returns the stored bytes of each tile at its level and number,
	// whatever its width (a partial tile grows in place); nil for a tile not stored.
	ReadTiles(ctx context.Context, tiles []tlog.Tile) ([][]byte, error)
	// Indexes returns the leaf index of each key that already has one.
	Indexes(ctx context.Context, keys []string) (map[string]int64, error)
	// Commit writes an update atomically, or returns ErrRaced and writes nothing.
	Commit(ctx context.Context, u Update) error
}

// Appender appends entries to a log, exactly once each and in the order given. Any
// number of appenders may share a store: each append is conditional on the head it
// started from, and one that loses a race starts again from the new head.
type Appender struct {
	Store Store
	// MaxBatch bounds the entries of one Update (a DynamoDB transaction holds at most
	// 100 items: the entries' index records, a few tiles and the head).
	MaxBatch int
	// Attempts bounds how often one batch is tried when other writers win.
	Attempts int
}

// Appended says where an Append left the log.
type Appended struct {
	Head Head
	// Indexes is each entry's leaf index, whether this call or an earlier one
	// appended it.
	Indexes map[string]int64
	// New counts the entries this call appended.
	New int
}

// Append appends the entries that are not in the log yet, in order. An entry whose key
// appears twice is appended once.
func (a *Appender) Append(ctx context.Context, entries []Entry) (Appended, error) {
	out := Appended{Indexes: make(map[string]int64, len(entries))}
	batch := a.MaxBatch
	if batch <= 0 {
		batch = 64
	}
	var unique []Entry
	seen := make(map[string]bool, len(entries))
	for _, e := range entries {
		if !seen[e.Key] {
			seen[e.Key] = true
			unique = append(unique, e)
		}
	}
	for len(unique) > 0 {
		n := min(batch, len(unique))
		if err := a.appendBatch(ctx, unique[:n], &out); err != nil {
			return out, err
		}
		unique = unique[n:]
	}
	if out.New == 0 {
		h, err := a.Store.Head(ctx)
		if err != nil {
			return out, err
		}
		out.Head = h
	}
	return out, nil
}

func (a *Appender) appendBatch(ctx context.Context, entries []Entry, out *Appended) error {
	attempts := a.Attempts
	if attempts <= 0 {
		attempts = 8
	}
	for attempt := 1; ; attempt++ {
		u, err := a.prepare(ctx, entries, out)
		if err != nil || u == nil {
			return err
		}
		err = a.Store.Commit(ctx, *u)
		if err == nil {
			for k, i := range u.Leaves {
				out.Indexes[k] = i
			}
			out.New += len(u.Leaves)
			out.Head = u.New
			return nil
		}
		if !errors.Is(err, ErrRaced) || attempt == attempts {
			return fmt.Errorf("append %d entries: %w", len(entries), err)
		}
		// Another writer won: wait a little, less alike than in step, and start over.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt)*10*time.Millisecond + rand.N(10*time.Millisecond)):
		}
	}
}

// prepare computes the update that appends the entries not yet in the log to the
// current head; nil when every entry is already there.
func (a *Appender) prepare(ctx context.Context, entries []Entry, out *Appended) (*Update, error) {
	head, err := a.Store.Head(ctx)
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(entries))
	for i, e := range entries {
		keys[i] = e.Key
	}
	have, err := a.Store.Indexes(ctx, keys)
	if err != nil {
		return nil, err
	}
	var fresh []Entry
	for _, e := range entries {
		if i, ok := have[e.Key]; ok {
			out.Indexes[e.Key] = i
		} else {
			fresh = append(fresh, e)
		}
	}
	if len(fresh) == 0 {
		return nil, nil
	}
	r := newStoredHashes(ctx, a.Store)
	u := &Update{Old: head, Leaves: make(map[string]int64, len(fresh))}
	for i, e := range fresh {
		n := head.Size + int64(i)
		hashes, err := tlog.StoredHashes(n, e.Data, r)
		if err != nil {
			return nil, fmt.Errorf("hash leaf %d: %w", n, err)
		}
		base := tlog.StoredHashCount(n)
		for j, h := range hashes {
			r.fresh[base+int64(j)] = h
		}
		u.Leaves[e.Key] = n
	}
	size := head.Size + int64(len(fresh))
	for _, t := range tlog.NewTiles(TileHeight, head.Size, size) {
		data, err := tlog.ReadTileData(t, r)
		if err != nil {
			return nil, fmt.Errorf("tile %s: %w", Path(t), err)
		}
		u.Tiles = append(u.Tiles, TileData{Tile: t, Data: data})
		if t.L == 0 {
			bundle, err := a.bundle(ctx, t, head.Size, fresh, r)
			if err != nil {
				return nil, err
			}
			u.Tiles = append(u.Tiles, bundle)
		}
	}
	root, err := tlog.TreeHash(size, r)
	if err != nil {
		return nil, fmt.Errorf("tree hash: %w", err)
	}
	u.New = Head{Size: size, Root: root}
	return u, nil
}

// bundle is the entry bundle beside level-0 tile t: the entries stored before the
// append, then the new ones that fall in it.
func (a *Appender) bundle(ctx context.Context, t tlog.Tile, oldSize int64, fresh []Entry, r *storedHashes) (TileData, error) {
	start := t.N * TileWidth
	bt := tlog.Tile{H: t.H, L: EntriesLevel, N: t.N, W: t.W}
	var bundle []byte
	if oldSize > start {
		data, err := r.tile(bt)
		if err != nil {
			return TileData{}, err
		}
		stored, err := SplitBundle(data)
		if err != nil {
			return TileData{}, fmt.Errorf("%s: %w", Path(bt), err)
		}
		// A writer that committed after the head was read may have extended the
		// bundle: its first entries are still those of the head read, and the commit's
		// condition on that head will fail.
		keep := oldSize - start
		if int64(len(stored)) < keep {
			return TileData{}, fmt.Errorf("%s holds %d entries where the head says %d", Path(bt), len(stored), keep)
		}
		prefix, _ := TilePrefix(tlog.Tile{H: bt.H, L: EntriesLevel, N: bt.N, W: int(keep)}, data)
		bundle = append(bundle, prefix...)
	}
	for i := max(start, oldSize); i < start+int64(t.W); i++ {
		var err error
		if bundle, err = AppendEntry(bundle, fresh[i-oldSize].Data); err != nil {
			return TileData{}, fmt.Errorf("leaf %d: %w", i, err)
		}
	}
	return TileData{Tile: bt, Data: bundle}, nil
}

// storedHashes reads the tree's stored hashes: those this append computed, else from
// the stored tiles, each tile read once.
type storedHashes struct {
	ctx   context.Context
	store TileReader
	tiles map[[2]int64][]byte
	fresh map[int64]tlog.Hash
}

func newStoredHashes(ctx context.Context, store TileReader) *storedHashes {
	return &storedHashes{ctx: ctx, store: store, tiles: map[[2]int64][]byte{}, fresh: map[int64]tlog.Hash{}}
}

func (r *storedHashes) tile(t tlog.Tile) ([]byte, error) {
	key := [2]int64{int64(t.L), t.N}
	if data, ok := r.tiles[key]; ok {
		return data, nil
	}
	data, err := r.store.ReadTiles(r.ctx, []tlog.Tile{t})
	if err != nil {
		return nil, err
	}
	if data[0] == nil {
		return nil, fmt.Errorf("%s is missing", Path(t))
	}
	r.tiles[key] = data[0]
	return data[0], nil
}

// ReadHashes implements tlog.HashReader.
func (r *storedHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	// Read every tile the fresh hashes do not cover in one call.
	var missing []tlog.Tile
	wanted := map[[2]int64]bool{}
	for _, i := range indexes {
		if _, ok := r.fresh[i]; ok {
			continue
		}
		t := tlog.TileForIndex(TileHeight, i)
		key := [2]int64{int64(t.L), t.N}
		if _, ok := r.tiles[key]; !ok && !wanted[key] {
			wanted[key] = true
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		data, err := r.store.ReadTiles(r.ctx, missing)
		if err != nil {
			return nil, err
		}
		for j, t := range missing {
			if data[j] == nil {
				return nil, fmt.Errorf("%s is missing", Path(t))
			}
			r.tiles[[2]int64{int64(t.L), t.N}] = data[j]
		}
	}
	out := make([]tlog.Hash, len(indexes))
	for j, i := range indexes {
		if h, ok := r.fresh[i]; ok {
			out[j] = h
			continue
		}
		t := tlog.TileForIndex(TileHeight, i)
		h, err := tlog.HashFromTile(t, r.tiles[[2]int64{int64(t.L), t.N}], i)
		if err != nil {
			return nil, fmt.Errorf("stored hash %d: %w", i, err)
		}
		out[j] = h
	}
	return out, nil
}
