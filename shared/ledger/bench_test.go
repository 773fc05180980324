package ledger_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger/memlog"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// BenchmarkAppend measures the appender's own work per leaf (hashing, tiles, bundles)
// on a log that already holds 100 000 leaves, in batches the size the ledger
// function's stream batches reach under load; storage is in memory, so this is the
// CPU cost on top of the DynamoDB transaction each batch makes.
func BenchmarkAppend(b *testing.B) {
	for _, batch := range []int{1, 10, 64} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			s := memlog.New()
			a := ledger.Appender{Store: s}
			ctx := context.Background()
			leaf := ledger.NewLeaf(sponsorship.AuditEvent{RequestID: "01KC0000000000000000000001", Version: 3}, ledger.NewSalt(), nil).Data()
			entries := func(from, n int) []ledger.Entry {
				out := make([]ledger.Entry, n)
				for i := range out {
					out[i] = ledger.Entry{Key: fmt.Sprint(from + i), Data: leaf}
				}
				return out
			}
			for i := 0; i < 100_000; i += 1000 {
				if _, err := a.Append(ctx, entries(i, 1000)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			next := 100_000
			for b.Loop() {
				if _, err := a.Append(ctx, entries(next, batch)); err != nil {
					b.Fatal(err)
				}
				next += batch
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/leaf")
		})
	}
}

// BenchmarkSignCheckpoint measures signing a checkpoint with an Ed25519 key in memory:
// the part of a publication that is not KMS's round trip.
func BenchmarkSignCheckpoint(b *testing.B) {
	skey, _, _ := note.GenerateKey(rand.Reader, "tracker.example/log")
	signer, _ := note.NewSigner(skey)
	head := ledger.Head{Size: 123456}
	for b.Loop() {
		if _, err := ledger.Sign("tracker.example/log", head, signer); err != nil {
			b.Fatal(err)
		}
	}
}
