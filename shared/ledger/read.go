package ledger

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// TileReader reads stored tiles; see Store.ReadTiles.
type TileReader interface {
	ReadTiles(ctx context.Context, tiles []tlog.Tile) ([][]byte, error)
}

// Reader is what serving the log needs: its tiles and latest checkpoint.
type Reader interface {
	TileReader
	Checkpoint(ctx context.Context) (signed []byte, size int64, err error)
}

// TilePrefix is the tile t (of width t.W) as served from the stored bytes of its
// level and number: the first t.W hashes or entries. It is false when fewer are
// stored.
func TilePrefix(t tlog.Tile, stored []byte) ([]byte, bool) {
	if stored == nil {
		return nil, false
	}
	if t.L != EntriesLevel {
		n := t.W * tlog.HashSize
		if len(stored) < n {
			return nil, false
		}
		return stored[:n:n], true
	}
	end := 0
	for range t.W {
		if len(stored) < end+2 {
			return nil, false
		}
		end += 2 + int(binary.BigEndian.Uint16(stored[end:]))
	}
	if end > len(stored) {
		return nil, false
	}
	return stored[:end:end], true
}

// Proof is a leaf with its inclusion proof in the tree of a signed checkpoint.
type Proof struct {
	Index    int64 `json:"index"`
	TreeSize int64 `json:"treeSize"`
	// Checkpoint is the signed checkpoint the proof leads to.
	Checkpoint string `json:"checkpoint"`
	// Leaf is the leaf's bytes, base64.
	Leaf string `json:"leaf"`
	// Hashes are the proof's hashes, base64, from the leaf's sibling up (RFC 6962's
	// audit path).
	Hashes []string `json:"hashes"`
}

// Prove is the leaf at index with its inclusion proof in the latest checkpoint's tree,
// nil when that tree has no such leaf.
func Prove(ctx context.Context, r Reader, index int64) (*Proof, error) {
	signed, size, err := r.Checkpoint(ctx)
	if err != nil || signed == nil || index < 0 || index >= size {
		return nil, err
	}
	hr := newStoredHashes(ctx, r)
	proof, err := tlog.ProveRecord(size, index, hr)
	if err != nil {
		return nil, fmt.Errorf("prove leaf %d: %w", index, err)
	}
	bundle, err := hr.tile(tlog.Tile{H: TileHeight, L: EntriesLevel, N: index / TileWidth, W: TileWidth})
	if err != nil {
		return nil, err
	}
	entries, err := SplitBundle(bundle)
	if err != nil || int64(len(entries)) <= index%TileWidth {
		return nil, fmt.Errorf("leaf %d: its entry bundle is short or unreadable: %v", index, err)
	}
	p := &Proof{Index: index, TreeSize: size, Checkpoint: string(signed),
		Leaf: base64.StdEncoding.EncodeToString(entries[index%TileWidth]), Hashes: make([]string, len(proof))}
	for i, h := range proof {
		p.Hashes[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return p, nil
}
