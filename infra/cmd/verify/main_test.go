package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger/memlog"
)

// A log served as the public function serves it, grown by append.
type served struct {
	store  *memlog.Store
	signer note.Signer
	url    string
	n      int
}

func newServed(t *testing.T) (*served, string) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "tracker.example/log")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	s := &served{store: memlog.New(), signer: signer}
	srv := httptest.NewServer(api.NewPublic(s.store, vkey, slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(srv.Close)
	s.url = srv.URL + "/log"
	return s, vkey
}

func (s *served) append(t *testing.T, n int) {
	t.Helper()
	var entries []ledger.Entry
	for range n {
		s.n++
		leaf := ledger.Leaf{At: "2026-03-01T09:00:00Z", Commitment: strings.Repeat("ab", 32)}
		entries = append(entries, ledger.Entry{Key: string(rune('a' + s.n)), Data: leaf.Data()})
	}
	if _, err := (&ledger.Appender{Store: s.store}).Append(context.Background(), entries); err != nil {
		t.Fatal(err)
	}
	if _, err := (ledger.Publisher{Store: s.store, Checkpoints: s.store, Signer: s.signer, Origin: "tracker.example/log"}).Publish(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestTheCommandSavesOnlyACheckpointThatChecked(t *testing.T) {
	dir := t.TempDir()
	saved := filepath.Join(dir, "checkpoint.txt")
	keyFile := filepath.Join(dir, "key.txt")
	s, vkey := newServed(t)
	if err := os.WriteFile(keyFile, []byte(vkey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.append(t, 3)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-log", s.url, "-key", "@" + keyFile, "-save", saved}, &out); err != nil {
		t.Fatalf("an honest log: %v\n%s", err, &out)
	}
	first, _ := os.ReadFile(saved)
	if !strings.Contains(out.String(), "checkpoint: 3 leaves") || !strings.HasSuffix(out.String(), "OK\n") {
		t.Fatalf("output:\n%s", &out)
	}

	// A second log under the same key, shorter than the saved checkpoint: refused, and
	// the trusted checkpoint stays.
	other, _ := newServed(t)
	other.signer = s.signer
	other.append(t, 2)
	out.Reset()
	err := run(context.Background(), []string{"-log", other.url, "-key", vkey, "-previous", saved, "-save", saved}, &out)
	if !errors.Is(err, errFailed) || !strings.Contains(out.String(), "PROBLEM: the log shrank") {
		t.Fatalf("a shrunken log: %v\n%s", err, &out)
	}
	if now, _ := os.ReadFile(saved); !bytes.Equal(now, first) {
		t.Fatal("a failed check replaced the saved checkpoint")
	}

	// The honest log grows; the check against the saved checkpoint passes and moves it.
	s.append(t, 5)
	out.Reset()
	if err := run(context.Background(), []string{"-log", s.url + "/", "-key", vkey, "-previous", saved, "-save", saved}, &out); err != nil {
		t.Fatalf("a grown log: %v\n%s", err, &out)
	}
	if now, _ := os.ReadFile(saved); bytes.Equal(now, first) {
		t.Fatal("the checked checkpoint was not saved")
	}
}

func TestTheCommandSaysWhatItNeeds(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-log", "http://x/log/"}, &out); err == nil || !strings.Contains(err.Error(), "-key") {
		t.Fatalf("without a key: %v", err)
	}
	if err := run(context.Background(), []string{"-log", "http://x/log/", "-key", "not a key"}, &out); err == nil || errors.Is(err, errFailed) {
		t.Fatalf("a bad key is a usage error, not a failed check: %v", err)
	}
}
