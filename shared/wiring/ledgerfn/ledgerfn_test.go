package ledgerfn

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger/memlog"
)

// flakyKey signs with an in-memory key, or fails while down is set, as KMS would when
// throttled or unreachable.
type flakyKey struct {
	signer note.Signer
	down   bool
}

func (k *flakyKey) Signer(context.Context) note.Signer { return flakySigner{k} }

type flakySigner struct{ k *flakyKey }

func (s flakySigner) Name() string    { return s.k.signer.Name() }
func (s flakySigner) KeyHash() uint32 { return s.k.signer.KeyHash() }
func (s flakySigner) Sign(msg []byte) ([]byte, error) {
	if s.k.down {
		return nil, errors.New("KMS is unreachable")
	}
	return s.k.signer.Sign(msg)
}

func sample(t *testing.T, name string) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "events", "ledger", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTheHourlyRunSignsWhatAnAppendCouldNot: the events go in even when signing
// fails, and the schedule's next run signs the checkpoint the append could not.
func TestTheHourlyRunSignsWhatAnAppendCouldNot(t *testing.T) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "tracker.example/log")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	key := &flakyKey{signer: signer, down: true}
	store := memlog.New()
	h := NewHandler(store, key, "tracker.example/log", slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()

	if _, err := h(ctx, sample(t, "dynamodb-stream-events.json")); err != nil {
		t.Fatalf("a batch whose checkpoint could not be signed failed: %v", err)
	}
	if head, _ := store.Head(ctx); head.Size != 2 {
		t.Fatalf("the log holds %d leaves, want the batch's 2 logged events", head.Size)
	}
	if signed, _, _ := store.Checkpoint(ctx); signed != nil {
		t.Fatal("a checkpoint was stored though signing failed")
	}
	// The hourly run while KMS is still down fails (the schedule retries it)...
	if _, err := h(ctx, sample(t, "scheduled-event.json")); err == nil {
		t.Fatal("the hourly run reported success without a checkpoint")
	}
	// ...and signs once KMS answers.
	key.down = false
	if _, err := h(ctx, sample(t, "scheduled-event.json")); err != nil {
		t.Fatal(err)
	}
	signed, size, _ := store.Checkpoint(ctx)
	if size != 2 {
		t.Fatalf("the hourly run's checkpoint covers %d leaves, want 2", size)
	}
	v, _ := note.NewVerifier(vkey)
	if _, err := ledger.Open(signed, "tracker.example/log", v); err != nil {
		t.Fatalf("the hourly checkpoint does not verify: %v", err)
	}
	// A second hourly run with nothing new signs nothing more.
	before := signed
	if _, err := h(ctx, sample(t, "scheduled-event.json")); err != nil {
		t.Fatal(err)
	}
	if after, _, _ := store.Checkpoint(ctx); string(after) != string(before) {
		t.Fatal("an hourly run re-signed a tree that had not grown")
	}
}
