// Package memlog keeps a log in memory, for tests and benchmarks about the log's
// logic rather than its storage.
package memlog

import (
	"context"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger"
)

// Store is an in-memory ledger.Store and ledger.Reader, safe for concurrent use.
type Store struct {
	mu         sync.Mutex
	head       ledger.Head
	tiles      map[[2]int64][]byte
	leaves     map[string]int64
	checkpoint []byte
	signedSize int64
	// BeforeCommit, when set, runs at the start of every Commit; an error it returns
	// is Commit's, with nothing written (a test's failing storage).
	BeforeCommit func(ledger.Update) error
}

// New returns an empty log.
func New() *Store {
	return &Store{tiles: map[[2]int64][]byte{}, leaves: map[string]int64{}}
}

// Head implements ledger.Store.
func (s *Store) Head(context.Context) (ledger.Head, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.head, nil
}

// ReadTiles implements ledger.Store.
func (s *Store) ReadTiles(_ context.Context, tiles []tlog.Tile) ([][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		if data, ok := s.tiles[[2]int64{int64(t.L), t.N}]; ok {
			out[i] = append([]byte(nil), data...)
		}
	}
	return out, nil
}

// Indexes implements ledger.Store.
func (s *Store) Indexes(_ context.Context, keys []string) (map[string]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int64{}
	for _, k := range keys {
		if i, ok := s.leaves[k]; ok {
			out[k] = i
		}
	}
	return out, nil
}

// Commit implements ledger.Store.
func (s *Store) Commit(_ context.Context, u ledger.Update) error {
	if s.BeforeCommit != nil {
		if err := s.BeforeCommit(u); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.head != u.Old {
		return ledger.ErrRaced
	}
	for k := range u.Leaves {
		if _, ok := s.leaves[k]; ok {
			return ledger.ErrRaced
		}
	}
	for _, t := range u.Tiles {
		s.tiles[[2]int64{int64(t.Tile.L), t.Tile.N}] = append([]byte(nil), t.Data...)
	}
	for k, i := range u.Leaves {
		s.leaves[k] = i
	}
	s.head = u.New
	return nil
}

// Checkpoint implements ledger.Reader.
func (s *Store) Checkpoint(context.Context) ([]byte, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.checkpoint, s.signedSize, nil
}

// PutCheckpoint implements ledger.Checkpoints: it keeps the checkpoint of the larger
// tree.
func (s *Store) PutCheckpoint(_ context.Context, size int64, signed []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if size <= s.signedSize && s.checkpoint != nil {
		return ledger.ErrRaced
	}
	s.checkpoint, s.signedSize = signed, size
	return nil
}
