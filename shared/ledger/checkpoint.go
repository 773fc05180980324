package ledger

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"

	tlogformats "github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoints keeps the latest signed checkpoint.
type Checkpoints interface {
	// Checkpoint returns the latest signed checkpoint and its tree size; nil before
	// the first.
	Checkpoint(ctx context.Context) (signed []byte, size int64, err error)
	// PutCheckpoint stores a signed checkpoint of a larger tree than the stored one's,
	// or returns ErrRaced and keeps the stored one.
	PutCheckpoint(ctx context.Context, size int64, signed []byte) error
}

// EmptyRoot is RFC 6962's root hash of the empty tree: SHA-256 of nothing.
var EmptyRoot = sha256.Sum256(nil)

// Publisher signs checkpoints of the log's head.
type Publisher struct {
	Store       Store
	Checkpoints Checkpoints
	Signer      note.Signer
	// Origin is the checkpoint's first line, the log's name: a schema-less URL such
	// as sponsorship.example.org/log. It is also the signing key's name.
	Origin string
}

// Publish signs and stores a checkpoint of the head when none covers it yet; it says
// whether it stored one. A writer that stored a larger one meanwhile wins.
func (p Publisher) Publish(ctx context.Context) (bool, error) {
	head, err := p.Store.Head(ctx)
	if err != nil {
		return false, err
	}
	stored, size, err := p.Checkpoints.Checkpoint(ctx)
	if err != nil {
		return false, err
	}
	if stored != nil && head.Size <= size {
		return false, nil
	}
	if err := p.extends(ctx, stored, head); err != nil {
		return false, err
	}
	signed, err := Sign(p.Origin, head, p.Signer)
	if err != nil {
		return false, err
	}
	if err := p.Checkpoints.PutCheckpoint(ctx, head.Size, signed); err != nil {
		if errors.Is(err, ErrRaced) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// ErrFork is Publish's refusal to sign a head whose tree does not extend the last signed
// checkpoint's: the stored tiles or head were changed behind the appender's back.
var ErrFork = errors.New("the stored tree does not extend the last signed checkpoint: refusing to sign a forked log")

// extends checks, over the stored tiles, that the head's tree extends the tree of the
// stored checkpoint, so that the key never signs a rewritten history.
func (p Publisher) extends(ctx context.Context, stored []byte, head Head) error {
	if stored == nil {
		return nil
	}
	text, _, _ := strings.Cut(string(stored), "\n\n")
	var old tlogformats.Checkpoint
	if _, err := old.Unmarshal([]byte(text + "\n")); err != nil {
		return fmt.Errorf("the stored checkpoint: %w", err)
	}
	if old.Size == 0 {
		return nil
	}
	var oldRoot tlog.Hash
	copy(oldRoot[:], old.Hash)
	r := newStoredHashes(ctx, p.Store)
	proof, err := tlog.ProveTree(head.Size, int64(old.Size), r)
	if err == nil {
		err = tlog.CheckTree(proof, head.Size, head.Root, int64(old.Size), oldRoot)
	}
	if err != nil {
		return fmt.Errorf("%w (%d leaves signed, %d now): %v", ErrFork, old.Size, head.Size, err)
	}
	return nil
}

// Sign is the C2SP signed note of a checkpoint of the head: the origin, the tree size
// in decimal and the root hash in base64, one per line, then the signature.
func Sign(origin string, head Head, signer note.Signer) ([]byte, error) {
	root := head.Root
	if head.Size == 0 {
		root = EmptyRoot
	}
	body := tlogformats.Checkpoint{Origin: origin, Size: uint64(head.Size), Hash: root[:]}.Marshal()
	signed, err := note.Sign(&note.Note{Text: string(body)}, signer)
	if err != nil {
		return nil, fmt.Errorf("sign the checkpoint: %w", err)
	}
	return signed, nil
}

// Open checks a signed checkpoint against the log's verifier key and origin and
// returns its head.
func Open(signed []byte, origin string, verifier note.Verifier) (Head, error) {
	cp, _, _, err := tlogformats.ParseCheckpoint(signed, origin, verifier)
	if err != nil {
		return Head{}, fmt.Errorf("checkpoint: %w", err)
	}
	if len(cp.Hash) != sha256.Size {
		return Head{}, fmt.Errorf("checkpoint: a root hash of %d bytes", len(cp.Hash))
	}
	var h Head
	h.Size = int64(cp.Size)
	copy(h.Root[:], cp.Hash)
	return h, nil
}
