// Package ledger keeps the audit trail in an append-only, verifiable log: a Merkle tree
// with RFC 6962 hashing, stored and served as C2SP tlog-tiles (hash tiles of height 8
// and entry bundles) with a C2SP tlog-checkpoint signed as a C2SP signed-note.
//
// Every audit event becomes one leaf, in the order the table's stream delivers them.
// A leaf never holds private data: it holds the event's time and a salted commitment,
// SHA-256 of a random per-event salt (kept with the event) and the event's canonical
// row (the audit report's columns for it, see Row). Whoever holds the audit report and
// its salts can recompute every commitment and so prove that no event was changed,
// dropped or reordered; whoever does not learns nothing from a commitment, and erasing
// an event's personal data later leaves its leaf, and so every proof, intact. The leaf
// of a published decision also carries its public record.
//
// The Merkle arithmetic, proofs and tile coordinates are golang.org/x/mod/sumdb/tlog's
// (the Go checksum database's, compatible with Certificate Transparency), signed notes
// are golang.org/x/mod/sumdb/note's, and the checkpoint's text is
// github.com/transparency-dev/formats/log's. This package adds the leaf format, the
// storage-independent appender (one writer at a time, by a condition on the tree
// size) and the HTTP paths.
package ledger
