package ledger

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// TileHeight is C2SP tlog-tiles' height: a full tile holds 256 hashes or entries.
const TileHeight = 8

// TileWidth is the number of hashes or entries in a full tile.
const TileWidth = 1 << TileHeight

// EntriesLevel is tlog's level of the tiles that hold entries rather than hashes.
const EntriesLevel = -1

// MaxEntrySize is the longest entry an entry bundle can hold: its length prefix is
// two bytes.
const MaxEntrySize = 1<<16 - 1

// Path is a tile's path under the log's prefix in C2SP tlog-tiles:
// tile/<L>/<N>[.p/<W>] for hashes and tile/entries/<N>[.p/<W>] for entry bundles,
// with N written in groups of three digits as tlog writes it. The path of the go.sum
// database's tiles is the same but for the height after "tile/" and "data" for
// "entries".
func Path(t tlog.Tile) string {
	p := strings.TrimPrefix(t.Path(), fmt.Sprintf("tile/%d/", TileHeight))
	if rest, ok := strings.CutPrefix(p, "data/"); ok {
		return "tile/entries/" + rest
	}
	return "tile/" + p
}

// ParsePath reads a tile's C2SP path back; the width of a full tile is TileWidth.
func ParsePath(path string) (tlog.Tile, error) {
	rest, ok := strings.CutPrefix(path, "tile/")
	if !ok {
		return tlog.Tile{}, fmt.Errorf("tile path %q does not start with tile/", path)
	}
	if r, ok := strings.CutPrefix(rest, "entries/"); ok {
		rest = "data/" + r
	}
	t, err := tlog.ParseTilePath(fmt.Sprintf("tile/%d/%s", TileHeight, rest))
	if err != nil {
		return tlog.Tile{}, fmt.Errorf("tile path %q: %w", path, err)
	}
	return t, nil
}

// AppendEntry adds one entry to an entry bundle: its length as two big-endian bytes,
// then its bytes.
func AppendEntry(bundle, entry []byte) ([]byte, error) {
	if len(entry) > MaxEntrySize {
		return nil, fmt.Errorf("an entry of %d bytes is longer than a bundle holds (%d)", len(entry), MaxEntrySize)
	}
	bundle = binary.BigEndian.AppendUint16(bundle, uint16(len(entry)))
	return append(bundle, entry...), nil
}

// SplitBundle reads an entry bundle's entries.
func SplitBundle(bundle []byte) ([][]byte, error) {
	var out [][]byte
	for len(bundle) > 0 {
		if len(bundle) < 2 {
			return nil, errors.New("entry bundle: a length prefix is cut short")
		}
		n := int(binary.BigEndian.Uint16(bundle))
		if len(bundle) < 2+n {
			return nil, fmt.Errorf("entry bundle: entry %d is cut short", len(out))
		}
		out = append(out, bundle[2:2+n])
		bundle = bundle[2+n:]
	}
	return out, nil
}
