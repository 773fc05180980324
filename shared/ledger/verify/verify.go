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
	// Audited counts the report's events found in the log, and BeforeLog those it
	// shows without a salt: written before the log existed, so not in it.
	Audited, BeforeLog int
	// Problems lists every inconsistency found; none means the log checked out.
	Problems []string
	// Warnings are what deserves a look without proving anything wrong: leaves dated
	// well before leaves appended earlier, which is what inserting an event with a
	// time in the past looks like, and also what a history imported with its original
	// dates (a local stack's demo data) looks like.
	Warnings []string
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
	hashes := tlog.TileHashReader(tree, &tiles{f: f})
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
	res.inOrder(leaves)
	res.proofs(f, verifier, leaves, raw, hashes)
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

// MaxSkew is how much earlier than a leaf before it a leaf may be dated: the stream
// delivers events within seconds, per shard, and retains them for a day. A leaf dated
// further back is an event inserted with a time in the past.
const MaxSkew = 24 * time.Hour

// inOrder warns of leaves dated more than MaxSkew before a leaf appended earlier.
func (res *Result) inOrder(leaves []ledger.Leaf) {
	var latest time.Time
	for i, l := range leaves {
		at, err := time.Parse(time.RFC3339, l.At)
		if err != nil {
			res.problem("leaf %d has no readable time %q", i, l.At)
			continue
		}
		if at.Before(latest.Add(-MaxSkew)) {
			res.Warnings = append(res.Warnings, fmt.Sprintf(
				"leaf %d is dated %s, more than a day before a leaf appended earlier (%s): an event written with a time in the past",
				i, l.At, latest.Format(time.RFC3339)))
		}
		if at.After(latest) {
			latest = at
		}
	}
}

// proofs checks the inclusion proof of every public leaf twice: one of its own making
// against the checked tree, and the one the log serves, against the signed checkpoint
// it names, which must verify and be the checked tree or a tree that extends it.
func (res *Result) proofs(f *fetcher, verifier note.Verifier, leaves []ledger.Leaf, raw [][]byte, hashes tlog.HashReader) {
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
		if err := res.servedProof(f, verifier, body, index, raw[i]); err != nil {
			res.problem("public leaf %d: the served proof fails: %v", i, err)
			continue
		}
		res.Public++
	}
}

// servedProof checks a served proof of the leaf at index: its checkpoint verifies, its
// tree is the checked one or extends it, and the leaf is in that tree.
func (res *Result) servedProof(f *fetcher, verifier note.Verifier, body []byte, index int64, leaf []byte) error {
	var p ledger.Proof
	if err := json.Unmarshal(body, &p); err != nil {
		return err
	}
	if p.Index != index || p.Leaf != base64.StdEncoding.EncodeToString(leaf) {
		return errors.New("it is for another leaf")
	}
	head, err := ledger.Open([]byte(p.Checkpoint), verifier.Name(), verifier)
	if err != nil {
		return fmt.Errorf("its checkpoint does not verify: %w", err)
	}
	if head.Size != p.TreeSize {
		return fmt.Errorf("it claims a tree of %d leaves under a checkpoint of %d", p.TreeSize, head.Size)
	}
	switch {
	case head.Size < res.Head.Size:
		return fmt.Errorf("it leads to a tree of %d leaves, older than the checked one of %d", head.Size, res.Head.Size)
	case head.Size == res.Head.Size && head.Root != res.Head.Root:
		return fmt.Errorf("its checkpoint signs another tree of %d leaves: the log forked", head.Size)
	case head.Size > res.Head.Size:
		// The log grew since it was checked: the newer tree must extend the checked one.
		newer := tlog.TileHashReader(tlog.Tree{N: head.Size, Hash: head.Root}, &tiles{f: f})
		proof, err := tlog.ProveTree(head.Size, res.Head.Size, newer)
		if err == nil {
			err = tlog.CheckTree(proof, head.Size, head.Root, res.Head.Size, res.Head.Root)
		}
		if err != nil {
			return fmt.Errorf("its tree of %d leaves does not extend the checked one: %w", head.Size, err)
		}
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
		if row["salt"] == "" {
			// Written before the log existed: no commitment to look for. A leaf whose
			// event lost its salt since is still missed below.
			res.BeforeLog++
			continue
		}
		salt, err := hex.DecodeString(row["salt"])
		if err != nil || len(salt) != ledger.SaltSize {
			res.problem("report row %d (%s %s): its salt is not %d bytes in hex", n+1, row["at"], row["type"], ledger.SaltSize)
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
		at, err := time.Parse(time.RFC3339, l.At)
		if err != nil {
			continue // inOrder said so
		}
		if !matched[int64(i)] && !at.Before(from) && !at.After(to) {
			res.problem("leaf %d (an event of the hour from %s) has no row in the report: the event was dropped or changed", i, l.At)
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

// get fetches a path, waiting and trying again (up to five times) when the log asks
// for patience: 429 or 503, after Retry-After seconds if it says, else a second.
func (f *fetcher) get(path string) ([]byte, error) {
	u := f.base.ResolveReference(&url.URL{Path: path})
	for attempt := 1; ; attempt++ {
		body, status, wait, err := f.once(u.String())
		if err != nil {
			return nil, fmt.Errorf("fetch %s: %w", u, err)
		}
		if status == http.StatusOK {
			return body, nil
		}
		if (status != http.StatusTooManyRequests && status != http.StatusServiceUnavailable) || attempt == 5 {
			return nil, fmt.Errorf("fetch %s: %d: %s", u, status, bytes.TrimSpace(body[:min(len(body), 200)]))
		}
		select {
		case <-f.ctx.Done():
			return nil, f.ctx.Err()
		case <-time.After(wait):
		}
	}
}

func (f *fetcher) once(u string) (body []byte, status int, wait time.Duration, err error) {
	req, err := http.NewRequestWithContext(f.ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, 0, err
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, 0, 0, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, 1<<22))
	wait = time.Second
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 && s <= 60 {
		wait = time.Duration(s) * time.Second
	}
	return body, resp.StatusCode, wait, err
}

// tiles is a tlog.TileReader over the served tiles; TileHashReader authenticates
// them before they are used. Each tile is fetched once per run: a tile's bytes never
// change, and a proof of every public leaf reads the same few again and again.
type tiles struct {
	f     *fetcher
	cache map[string][]byte
}

func (t *tiles) Height() int { return ledger.TileHeight }

func (t *tiles) ReadTiles(ts []tlog.Tile) ([][]byte, error) {
	if t.cache == nil {
		t.cache = map[string][]byte{}
	}
	out := make([][]byte, len(ts))
	for i, tile := range ts {
		path := ledger.Path(tile)
		if data, ok := t.cache[path]; ok {
			out[i] = data
			continue
		}
		data, err := t.f.get(path)
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

// SaveTiles keeps the tiles TileHashReader found good.
func (t *tiles) SaveTiles(ts []tlog.Tile, data [][]byte) {
	if t.cache == nil {
		t.cache = map[string][]byte{}
	}
	for i, tile := range ts {
		t.cache[ledger.Path(tile)] = data[i]
	}
}
