// Package verify checks a deployed log from the outside, as an auditor would: the
// checkpoint's signature against a verifier key held beforehand, that the tree served
// now extends a checkpoint saved earlier, that the served tiles and entries make the
// signed tree, every public leaf's inclusion proof, and, given an audit report with its
// salts, that every event of the report's period is in the log, unchanged and in order,
// and that the log holds no event of the period the report lacks.
package verify

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger"
)

// Options say what to check.
type Options struct {
	// Log is the log's base URL, ending in /log/.
	Log string
	// VerifierKey is the log's key in note format (name+hash+base64), obtained
	// beforehand from a channel the auditor trusts; the key's name is the log's
	// origin.
	VerifierKey string
	// Previous is a signed checkpoint saved earlier; when set, the current tree must
	// extend it.
	Previous []byte
	// Audit is an audit report's rows (its JSON export), each with its salt; when set,
	// the events of [From, To] are checked against the log.
	Audit    []map[string]string
	From, To time.Time
	// HTTP is the client to fetch with; http.DefaultClient when nil.
	HTTP *http.Client
}

// Result is what a check found.
type Result struct {
	// Checkpoint is the signed checkpoint that was checked: save it for the next run.
	Checkpoint []byte
	Head       ledger.Head
	// Public counts the leaves with a public record whose inclusion proof checked.
	Public int
	// Audited counts the report's events found in the log.
	Audited int
	// Problems lists every inconsistency found; none means the log checked out.
	Problems []string
}

// Run fetches the log and checks it. An error means the check could not be made (the
// log unreachable, a key that does not parse); a log that fails a check gives a Result
// with Problems.
func Run(ctx context.Context, o Options) (*Result, error) {
	verifier, err := note.NewVerifier(o.VerifierKey)
	if err != nil {
		return nil, fmt.Errorf("verifier key: %w", err)
	}
	base, err := url.Parse(o.Log)
	if err != nil {
		return nil, fmt.Errorf("log URL: %w", err)
	}
	f := &fetcher{ctx: ctx, base: base, client: o.HTTP}
	if f.client == nil {
		f.client = http.DefaultClient
	}
	res := &Result{}
	if res.Checkpoint, err = f.get("checkpoint"); err != nil {
		return nil, err
	}
	if res.Head, err = ledger.Open(res.Checkpoint, verifier.Name(), verifier); err != nil {
		res.Problems = append(res.Problems, "the served checkpoint does not verify: "+err.Error())
		return res, nil
	}
	tree := tlog.Tree{N: res.Head.Size, Hash: res.Head.Root}
	hashes := tlog.TileHashReader(tree, &tiles{f})
	if o.Previous != nil {
		res.consistent(o.Previous, verifier, hashes)
	}
	leaves, raw, err := res.entries(f, hashes)
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return res, nil
	}
	res.proofs(f, leaves, raw, hashes)
	if o.Audit != nil {
		res.audit(o, leaves)
	}
	return res, nil
}

func (res *Result) problem(format string, args ...any) {
	res.Problems = append(res.Problems, fmt.Sprintf(format, args...))
}

// consistent checks that the tree extends the previous checkpoint's.
func (res *Result) consistent(previous []byte, verifier note.Verifier, hashes tlog.HashReader) {
	old, err := ledger.Open(previous, verifier.Name(), verifier)
	if err != nil {
		res.problem("the saved checkpoint does not verify: %v", err)
		return
	}
	if old.Size > res.Head.Size {
		res.problem("the log shrank: the saved checkpoint has %d leaves, the served one %d", old.Size, res.Head.Size)
		return
	}
	if old.Size == 0 {
		return // every tree extends the empty one
	}
	proof, err := tlog.ProveTree(res.Head.Size, old.Size, hashes)
	if err == nil {
		err = tlog.CheckTree(proof, res.Head.Size, res.Head.Root, old.Size, old.Root)
	}
	if err != nil {
		res.problem("the served tree of %d leaves does not extend the saved one of %d: %v", res.Head.Size, old.Size, err)
	}
}

// entries fetches every entry bundle, checks each entry's hash against the tiles
// (which TileHashReader authenticates against the signed root) and rebuilds the tree
// from the entries alone; it returns the leaves and their bytes, or nil after a
// problem.
func (res *Result) entries(f *fetcher, hashes tlog.HashReader) ([]ledger.Leaf, [][]byte, error) {
	size := res.Head.Size
	if size == 0 {
		return nil, [][]byte{}, nil // nothing to read, nothing to prove
	}
	var data [][]byte
	for n := int64(0); n*ledger.TileWidth < size; n++ {
		t := tlog.Tile{H: ledger.TileHeight, L: ledger.EntriesLevel, N: n, W: int(min(ledger.TileWidth, size-n*ledger.TileWidth))}
		bundle, err := f.get(ledger.Path(t))
		if err != nil {
			return nil, nil, err
		}
		entries, err := ledger.SplitBundle(bundle)
		if err != nil || len(entries) != t.W {
			res.problem("%s holds %d readable entries, not %d: %v", ledger.Path(t), len(entries), t.W, err)
			return nil, nil, nil
		}
		data = append(data, entries...)
	}
	indexes := make([]int64, size)
	for i := range indexes {
		indexes[i] = tlog.StoredHashIndex(0, int64(i))
	}
	leafHashes, err := hashes.ReadHashes(indexes)
	if err != nil {
		res.problem("the served tiles do not make the signed tree: %v", err)
		return nil, nil, nil
	}
	rebuilt := map[int64]tlog.Hash{}
	own := tlog.HashReaderFunc(func(ix []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(ix))
		for i, x := range ix {
			out[i] = rebuilt[x]
		}
		return out, nil
	})
	leaves := make([]ledger.Leaf, size)
	for i, d := range data {
		if tlog.RecordHash(d) != leafHashes[i] {
			res.problem("entry %d does not hash to its leaf in the served tiles", i)
			return nil, nil, nil
		}
		stored, err := tlog.StoredHashes(int64(i), d, own)
		if err != nil {
			return nil, nil, err
		}
		for j, h := range stored {
			rebuilt[tlog.StoredHashCount(int64(i))+int64(j)] = h
		}
		if leaves[i], err = ledger.ParseLeaf(d); err != nil {
			res.problem("entry %d: %v", i, err)
		}
	}
	if size > 0 {
		if root, err := tlog.TreeHash(size, own); err != nil || root != res.Head.Root {
			res.problem("the entries rebuild a tree whose root is not the signed one")
			return nil, nil, nil
		}
	}
	return leaves, data, nil
}

// proofs checks the served inclusion proof of every public leaf against the signed
// checkpoint it names, and a proof of its own making against the checked tree.
func (res *Result) proofs(f *fetcher, leaves []ledger.Leaf, raw [][]byte, hashes tlog.HashReader) {
	for i, l := range leaves {
		if l.Public == nil {
			continue
		}
		index := int64(i)
		own, err := tlog.ProveRecord(res.Head.Size, index, hashes)
		if err == nil {
			err = tlog.CheckRecord(own, res.Head.Size, res.Head.Root, index, tlog.RecordHash(raw[i]))
		}
		if err != nil {
			res.problem("public leaf %d: %v", i, err)
			continue
		}
		body, err := f.get("proof/" + strconv.FormatInt(index, 10))
		if err != nil {
			res.problem("public leaf %d: no served proof: %v", i, err)
			continue
		}
		if err := res.servedProof(body, index, raw[i]); err != nil {
			res.problem("public leaf %d: the served proof fails: %v", i, err)
			continue
		}
		res.Public++
	}
}

func (res *Result) servedProof(body []byte, index int64, leaf []byte) error {
	var p ledger.Proof
	if err := json.Unmarshal(body, &p); err != nil {
		return err
	}
	if p.Index != index || p.Leaf != base64.StdEncoding.EncodeToString(leaf) {
		return errors.New("it is for another leaf")
	}
	// The proof may lead to a newer checkpoint than the one checked: its size and
	// root come from its own signed checkpoint, and at the checked size it must agree.
	head := res.Head
	if p.Checkpoint != string(res.Checkpoint) {
		if p.TreeSize < res.Head.Size {
			return fmt.Errorf("it leads to a tree of %d leaves, older than the checked one", p.TreeSize)
		}
		return nil // checked against our own proof above; a newer tree is the next run's
	}
	proof := make(tlog.RecordProof, len(p.Hashes))
	for i, s := range p.Hashes {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) != tlog.HashSize {
			return fmt.Errorf("hash %d is not a base64 SHA-256", i)
		}
		copy(proof[i][:], b)
	}
	return tlog.CheckRecord(proof, head.Size, head.Root, index, tlog.RecordHash(leaf))
}

// audit matches the report's events with the log's commitments.
func (res *Result) audit(o Options, leaves []ledger.Leaf) {
	from, to := o.From, o.To
	if to.IsZero() {
		to = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	}
	byCommitment := make(map[string]int64, len(leaves))
	for i, l := range leaves {
		byCommitment[l.Commitment] = int64(i)
	}
	type placed struct {
		version int
		leaf    int64
	}
	requests := map[string][]placed{}
	matched := map[int64]bool{}
	for n, row := range o.Audit {
		cells := make([]string, len(ledger.RowNames))
		for i, name := range ledger.RowNames {
			cells[i] = row[name]
		}
		salt, err := hex.DecodeString(row["salt"])
		if err != nil || len(salt) == 0 {
			res.problem("report row %d (%s %s): no salt", n+1, row["at"], row["type"])
			continue
		}
		c := ledger.Commitment(salt, cells)
		leaf, ok := byCommitment[hex.EncodeToString(c[:])]
		if !ok {
			res.problem("report row %d (%s, request %q version %s, %s) is not in the log: the event was changed, or the log lost it",
				n+1, row["at"], row["request_id"], row["version"], row["type"])
			continue
		}
		if matched[leaf] {
			res.problem("report row %d matches leaf %d twice", n+1, leaf)
			continue
		}
		matched[leaf] = true
		res.Audited++
		if v, err := strconv.Atoi(row["version"]); err == nil && row["request_id"] != "" {
			requests[row["request_id"]] = append(requests[row["request_id"]], placed{v, leaf})
		}
	}
	for i, l := range leaves {
		at, err := time.Parse(time.RFC3339Nano, l.At)
		if err != nil {
			res.problem("leaf %d has no readable time %q", i, l.At)
			continue
		}
		if !matched[int64(i)] && !at.Before(from) && !at.After(to) {
			res.problem("leaf %d (an event at %s) has no row in the report: the event was dropped or changed", i, l.At)
		}
	}
	ids := make([]string, 0, len(requests))
	for id := range requests {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		events := requests[id]
		sort.Slice(events, func(a, b int) bool { return events[a].version < events[b].version })
		for k := 1; k < len(events); k++ {
			if events[k].leaf < events[k-1].leaf {
				res.problem("request %s: version %d was logged after version %d: its events were reordered",
					id, events[k-1].version, events[k].version)
			}
		}
	}
}

// fetcher GETs paths under the log's base URL.
type fetcher struct {
	ctx    context.Context
	base   *url.URL
	client *http.Client
}

func (f *fetcher) get(path string) ([]byte, error) {
	u := f.base.ResolveReference(&url.URL{Path: path})
	req, err := http.NewRequestWithContext(f.ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<22))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch %s: %s: %s", u, resp.Status, bytes.TrimSpace(body[:min(len(body), 200)]))
	}
	return body, nil
}

// tiles is a tlog.TileReader over the served tiles; TileHashReader authenticates
// them before they are used.
type tiles struct{ f *fetcher }

func (t *tiles) Height() int { return ledger.TileHeight }

func (t *tiles) ReadTiles(ts []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(ts))
	for i, tile := range ts {
		data, err := t.f.get(ledger.Path(tile))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (t *tiles) SaveTiles([]tlog.Tile, [][]byte) {}
