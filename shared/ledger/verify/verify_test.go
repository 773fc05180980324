package verify_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger/memlog"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger/verify"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

const origin = "sponsorship.example.org/log"

// logged is a log served over HTTP as the public function serves it, with the events
// in it and their salts, as the audit report exports them.
type logged struct {
	store  *memlog.Store
	signer note.Signer
	vkey   string
	server *httptest.Server
	rows   []map[string]string
	t0     time.Time
}

func newLogged(t *testing.T) *logged {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	l := &logged{store: memlog.New(), signer: signer, vkey: vkey, t0: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	l.server = httptest.NewServer(api.NewPublic(l.store, vkey, slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(l.server.Close)
	return l
}

// add appends n events of a request (versions from+1..from+n), the last public if
// public is set, and publishes a checkpoint.
func (l *logged) add(t *testing.T, request string, from, n int, public bool) {
	t.Helper()
	var batch []ledger.Entry
	for v := from + 1; v <= from+n; v++ {
		ev := sponsorship.AuditEvent{RequestID: request, Version: v, Type: sponsorship.EventType("vote_cast"),
			Actor: sponsorship.Actor{Role: "reviewer", ID: "r-1", Name: "Ada"}, At: l.t0.Add(time.Duration(len(l.rows)) * time.Hour),
			Message: fmt.Sprintf("comment %d on %s", v, request), Data: map[string]string{"choice": "approve"}, Internal: true}
		salt := ledger.NewSalt()
		var pub []byte
		if public && v == from+n {
			pub = []byte(`{"request":"` + request + `","outcome":"approved"}`)
		}
		batch = append(batch, ledger.Entry{Key: fmt.Sprintf("%s/%d", request, v), Data: ledger.NewLeaf(ev, salt, pub).Data()})
		row := map[string]string{"salt": fmt.Sprintf("%x", salt)}
		for i, c := range ledger.Row(ev) {
			row[ledger.RowNames[i]] = c
		}
		l.rows = append(l.rows, row)
	}
	if _, err := (&ledger.Appender{Store: l.store}).Append(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	if _, err := (ledger.Publisher{Store: l.store, Checkpoints: l.store, Signer: l.signer, Origin: origin}).Publish(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (l *logged) run(t *testing.T, o verify.Options) *verify.Result {
	t.Helper()
	o.Log = l.server.URL + "/log/"
	if o.VerifierKey == "" {
		o.VerifierKey = l.vkey
	}
	res, err := verify.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func expectProblem(t *testing.T, res *verify.Result, want string) {
	t.Helper()
	for _, p := range res.Problems {
		if strings.Contains(p, want) {
			return
		}
	}
	t.Fatalf("problems %q, want one saying %q", res.Problems, want)
}

func TestAnHonestLogChecksOut(t *testing.T) {
	l := newLogged(t)
	l.add(t, "A", 0, 3, true)
	saved := l.run(t, verify.Options{}).Checkpoint
	l.add(t, "B", 0, 300, false)
	l.add(t, "A", 3, 2, true)
	res := l.run(t, verify.Options{Previous: saved, Audit: l.rows})
	if len(res.Problems) > 0 || res.Head.Size != 305 || res.Public != 2 || res.Audited != 305 {
		t.Fatalf("an honest log: %+v", res)
	}
}

func TestAChangedEventFailsTheCheck(t *testing.T) {
	l := newLogged(t)
	l.add(t, "A", 0, 4, false)
	l.rows[2]["message"] = "a kinder comment"
	res := l.run(t, verify.Options{Audit: l.rows})
	expectProblem(t, res, `report row 3 (2026-03-01T11:00:00Z, request "A" version 3, vote_cast) is not in the log`)
	expectProblem(t, res, "leaf 2 (an event of the hour from 2026-03-01T11:00:00Z) has no row in the report")
}

func TestADroppedEventFailsTheCheck(t *testing.T) {
	l := newLogged(t)
	l.add(t, "A", 0, 4, false)
	res := l.run(t, verify.Options{Audit: append(l.rows[:1:1], l.rows[2:]...)})
	expectProblem(t, res, "leaf 1 (an event of the hour from 2026-03-01T10:00:00Z) has no row in the report")
	// A period that ends before the event does not ask for it.
	if res := l.run(t, verify.Options{Audit: l.rows[:1], To: l.t0.Add(30 * time.Minute)}); len(res.Problems) > 0 {
		t.Fatalf("the first hour's report: %q", res.Problems)
	}
}

func TestReorderedEventsFailTheCheck(t *testing.T) {
	l := newLogged(t)
	l.add(t, "A", 0, 4, false)
	// Swapping the contents of versions 2 and 3 changes both rows.
	l.rows[1]["message"], l.rows[2]["message"] = l.rows[2]["message"], l.rows[1]["message"]
	res := l.run(t, verify.Options{Audit: l.rows})
	expectProblem(t, res, "report row 2 ")
	expectProblem(t, res, "report row 3 ")
	// Swapping whole rows' versions (and so their salts' events) is caught as an order.
	l2 := newLogged(t)
	l2.add(t, "A", 0, 2, false)
	l2.add(t, "A", 2, 2, false)
	l2.rows[1], l2.rows[2] = l2.rows[2], l2.rows[1]
	l2.rows[1]["version"], l2.rows[2]["version"] = "2", "3"
	expectProblem(t, l2.run(t, verify.Options{Audit: l2.rows}), "not in the log")
}

func TestAForkedLogFailsAgainstASavedCheckpoint(t *testing.T) {
	honest := newLogged(t)
	honest.add(t, "A", 0, 5, false)
	saved := honest.run(t, verify.Options{}).Checkpoint
	// The same key signs a different history of the same events, one changed.
	fork := newLogged(t)
	fork.signer, fork.vkey = honest.signer, honest.vkey
	fork.add(t, "A", 0, 2, false)
	fork.add(t, "B", 0, 6, false)
	res := fork.run(t, verify.Options{Previous: saved})
	expectProblem(t, res, "does not extend the saved one of 5")
	// And a log that shrank.
	short := newLogged(t)
	short.signer, short.vkey = honest.signer, honest.vkey
	short.add(t, "A", 0, 2, false)
	expectProblem(t, short.run(t, verify.Options{Previous: saved}), "the log shrank")
}

func TestAnotherKeysCheckpointFails(t *testing.T) {
	l := newLogged(t)
	l.add(t, "A", 0, 2, false)
	_, otherKey, _ := note.GenerateKey(rand.Reader, origin)
	expectProblem(t, l.run(t, verify.Options{VerifierKey: otherKey}), "the served checkpoint does not verify")
}

func TestATamperedTileFails(t *testing.T) {
	l := newLogged(t)
	l.add(t, "A", 0, 20, false)
	// Storage changed behind the log's back: one entry of the bundle rewritten.
	ctx := context.Background()
	bundle, _ := l.store.ReadTiles(ctx, []tlog.Tile{{H: ledger.TileHeight, L: ledger.EntriesLevel}})
	entries, _ := ledger.SplitBundle(bundle[0])
	entries[7] = []byte(strings.Replace(string(entries[7]), `"commitment":"`, `"commitment":"0`, 1)[:len(entries[7])])
	var rewritten []byte
	for _, e := range entries {
		rewritten, _ = ledger.AppendEntry(rewritten, e)
	}
	head, _ := l.store.Head(ctx)
	u := ledger.Update{Old: head, New: head, Tiles: []ledger.TileData{{Tile: tlog.Tile{H: ledger.TileHeight, L: ledger.EntriesLevel, W: 20}, Data: rewritten}}}
	if err := l.store.Commit(ctx, u); err != nil {
		t.Fatal(err)
	}
	expectProblem(t, l.run(t, verify.Options{}), "entry 7 does not hash to its leaf")
}

func TestTheServedTilesAnswerAsC2SPSays(t *testing.T) {
	l := newLogged(t)
	l.add(t, "A", 0, 300, false)
	get := func(path string, header ...string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, l.server.URL+"/log/"+path, nil)
		if len(header) == 2 {
			req.Header.Set(header[0], header[1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp
	}
	for path, want := range map[string]int{
		"tile/0/000": 200, "tile/0/001.p/44": 200, "tile/0/001.p/45": 404, "tile/0/001": 404, "tile/1/000.p/1": 200,
		"tile/entries/000": 200, "tile/entries/001.p/10": 200, "tile/entries/001.p/45": 404, "tile/x/000": 404,
		"checkpoint": 200, "key": 200, "proof/299": 200, "proof/300": 404, "proof/-1": 404, "proof/x": 404,
	} {
		if resp := get(path); resp.StatusCode != want {
			t.Errorf("GET /log/%s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	full := get("tile/0/000")
	if cc := full.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("a tile's Cache-Control is %q; tiles never change", cc)
	}
	if again := get("tile/0/000", "If-None-Match", full.Header.Get("ETag")); again.StatusCode != http.StatusNotModified {
		t.Errorf("a tile asked for again with its ETag: %d, want 304", again.StatusCode)
	}
}

func TestTheEmptyLogsCheckpointIsExtendedByAnyGrowth(t *testing.T) {
	l := newLogged(t)
	if _, err := (ledger.Publisher{Store: l.store, Checkpoints: l.store, Signer: l.signer, Origin: origin}).Publish(context.Background()); err != nil {
		t.Fatal(err)
	}
	empty := l.run(t, verify.Options{})
	if len(empty.Problems) > 0 || empty.Head.Size != 0 {
		t.Fatalf("the empty log: %+v", empty)
	}
	l.add(t, "A", 0, 3, false)
	if res := l.run(t, verify.Options{Previous: empty.Checkpoint, Audit: l.rows}); len(res.Problems) > 0 || res.Head.Size != 3 {
		t.Fatalf("grown from empty: %+v", res)
	}
}

// TestAForgedServedProofFails: a log that serves honest tiles but forged proofs (an
// unsigned checkpoint, a checkpoint of another tree of the same size, hashes that do
// not lead to the root) fails the check on each.
func TestAForgedServedProofFails(t *testing.T) {
	honest := newLogged(t)
	honest.add(t, "A", 0, 3, true)
	fork := newLogged(t)
	fork.signer, fork.vkey = honest.signer, honest.vkey
	fork.add(t, "B", 0, 3, true)
	forkProof := func() ledger.Proof {
		var p ledger.Proof
		resp, err := http.Get(fork.server.URL + "/log/proof/2")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
			t.Fatal(err)
		}
		return p
	}()
	for name, forge := range map[string]func(p *ledger.Proof){
		"an unsigned checkpoint": func(p *ledger.Proof) {
			p.Checkpoint = "sponsorship.example.org/log\n3\n" + strings.Repeat("A", 43) + "=\n"
		},
		"another tree's checkpoint": func(p *ledger.Proof) {
			p.Checkpoint, p.TreeSize, p.Hashes = forkProof.Checkpoint, forkProof.TreeSize, forkProof.Hashes
		},
		"wrong hashes":                        func(p *ledger.Proof) { p.Hashes = []string{base64.StdEncoding.EncodeToString(make([]byte, 32))} },
		"a size its checkpoint does not sign": func(p *ledger.Proof) { p.TreeSize = 2 },
	} {
		t.Run(name, func(t *testing.T) {
			upstream := honest.server.URL
			proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				resp, err := http.Get(upstream + r.URL.Path)
				if err != nil {
					t.Error(err)
					return
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				if strings.HasPrefix(r.URL.Path, "/log/proof/") {
					var p ledger.Proof
					_ = json.Unmarshal(body, &p)
					forge(&p)
					body, _ = json.Marshal(p)
				}
				w.WriteHeader(resp.StatusCode)
				_, _ = w.Write(body)
			}))
			defer proxy.Close()
			res, err := verify.Run(context.Background(), verify.Options{Log: proxy.URL + "/log/", VerifierKey: honest.vkey})
			if err != nil {
				t.Fatal(err)
			}
			expectProblem(t, res, "the served proof fails")
			if res.Public == 2 {
				t.Fatal("forged proofs were counted as checked")
			}
		})
	}
}

func TestABackdatedEventIsAWarning(t *testing.T) {
	l := newLogged(t)
	l.add(t, "A", 0, 3, false)
	// Someone with write access inserts an event dated three days back; the stream
	// logs it after the others, and the report holds it, so it matches.
	l.t0 = l.t0.Add(-72 * time.Hour)
	l.add(t, "B", 0, 1, false)
	res := l.run(t, verify.Options{Audit: l.rows})
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "leaf 3 is dated 2026-02-26T12:00:00Z, more than a day before a leaf appended earlier") {
		t.Fatalf("warnings %q, want one about leaf 3", res.Warnings)
	}
	if res.Audited != 4 || len(res.Problems) > 0 {
		t.Fatalf("audited %d of 4, problems %q", res.Audited, res.Problems)
	}
}

func TestReportRowsWithoutASaltWereBeforeTheLog(t *testing.T) {
	l := newLogged(t)
	l.add(t, "A", 0, 2, false)
	old := map[string]string{"at": "2025-01-01T00:00:00Z", "request_id": "OLD", "version": "1", "type": "submitted", "salt": ""}
	res := l.run(t, verify.Options{Audit: append([]map[string]string{old}, l.rows...)})
	if len(res.Problems) > 0 || res.BeforeLog != 1 || res.Audited != 2 {
		t.Fatalf("a report reaching back before the log: %+v", res)
	}
	l.rows[0]["salt"] = "abcd"
	expectProblem(t, l.run(t, verify.Options{Audit: l.rows}), "its salt is not 32 bytes in hex")
}

// TestAThrottledLogIsWaitedFor: a log behind a throttle answers 429 now and then; the
// check waits as Retry-After says and passes.
func TestAThrottledLogIsWaitedFor(t *testing.T) {
	l := newLogged(t)
	l.add(t, "A", 0, 3, true)
	var mu sync.Mutex
	seen := map[string]bool{}
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		first := !seen[r.URL.Path]
		seen[r.URL.Path] = true
		mu.Unlock()
		if first {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		resp, err := http.Get(l.server.URL + r.URL.Path)
		if err != nil {
			t.Error(err)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	defer proxy.Close()
	res, err := verify.Run(context.Background(), verify.Options{Log: proxy.URL + "/log/", VerifierKey: l.vkey, Audit: l.rows})
	if err != nil || len(res.Problems) > 0 || res.Public != 1 || res.Audited != 3 {
		t.Fatalf("a throttled log: %+v, %v", res, err)
	}
}
