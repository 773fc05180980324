//go:build integration

package api_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger"
)

// logRows are the cost table's rows of the public log, on a log of 300 leaves (two
// level-0 tiles, the second partial) with a signed checkpoint.
func (s *staffAPI) logRows(t *testing.T) []routeCost {
	t.Helper()
	var entries []ledger.Entry
	for i := range 300 {
		entries = append(entries, ledger.Entry{Key: fmt.Sprintf("cost#%d", i), Data: fmt.Appendf(nil, `{"n":%d}`, i)})
	}
	vkey := s.signedLog(t, entries)
	public := api.NewPublic(s.store, vkey, slog.New(slog.DiscardHandler))
	get := func(path string) func() response {
		return func() response { return s.call(public, nobody, "GET", path, nil) }
	}
	return []routeCost{
		{
			operation: "the log's checkpoint", route: "GET /log/checkpoint", status: 200, run: get("/log/checkpoint"),
			measured: "GetItem 1 | read 1 | written 0",
			minimum:  "GetItem 1 | read 1 | written 0",
			reason:   "the signed checkpoint is one item",
		},
		{
			operation: "the log's verifier key", route: "GET /log/key", status: 200, run: get("/log/key"),
			measured: "none | read 0 | written 0",
			minimum:  "none | read 0 | written 0",
			reason:   "read from KMS once, when the function starts",
		},
		{
			operation: "a partial hash tile", route: "GET /log/tile/{path+}", status: 200, run: get("/log/tile/0/001.p/44"),
			measured: "GetItem 1 | read 1 | written 0",
			minimum:  "GetItem 1 | read 1 | written 0",
			reason:   "a tile is one item, keyed by its path as a full tile; a partial one is its prefix",
		},
		{
			operation: "an entry bundle", route: "GET /log/tile/{path+}", status: 200, run: get("/log/tile/entries/000"),
			measured: "GetItem 1 | read 1 | written 0",
			minimum:  "GetItem 1 | read 1 | written 0",
			reason:   "an entry bundle is one item",
		},
		{
			operation: "a leaf's inclusion proof", route: "GET /log/proof/{index}", status: 200, run: get("/log/proof/7"),
			measured: "BatchGetItem 1, GetItem 2 | read 4 | written 0",
			minimum:  "BatchGetItem 1, GetItem 1 | read 3 | written 0",
			reason: "the checkpoint, then the proof's tiles (the full level-0 tile of the leaf and the partial one beside it) in one batch; " +
				"the entry bundle is a second GetItem, though it could join the batch",
		},
	}
}

// signedLog appends entries to the table's log and signs a checkpoint of it with a
// fresh key, whose verifier key it returns.
func (s *staffAPI) signedLog(t *testing.T, entries []ledger.Entry) string {
	t.Helper()
	ctx := context.Background()
	skey, vkey, err := note.GenerateKey(rand.Reader, "tracker.example/log")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	if _, err := (&ledger.Appender{Store: s.store}).Append(ctx, entries); err != nil {
		t.Fatal(err)
	}
	if _, err := (ledger.Publisher{Store: s.store, Checkpoints: s.store, Signer: signer, Origin: "tracker.example/log"}).Publish(ctx); err != nil {
		t.Fatal(err)
	}
	return vkey
}
