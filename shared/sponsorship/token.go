package sponsorship

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"time"

	"github.com/oklog/ulid/v2"
)

// tokenBytes is the applicant token's size: 256 bits, far above the 128 the design asks.
const tokenBytes = 32

// newToken returns a fresh random applicant token, base64url without padding.
func newToken() string {
	b := make([]byte, tokenBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux (it panics rather than return short)
	return base64.RawURLEncoding.EncodeToString(b)
}

// deriveToken recomputes the token of a submission made with an Idempotency-Key: an
// HMAC of a random salt under the key. Only someone who holds the key (the original
// client) can recompute it, and the store keeps neither key nor token.
func deriveToken(idempotencyKey string, salt []byte) string {
	m := hmac.New(sha256.New, []byte(idempotencyKey))
	m.Write([]byte("applicant-token\x00"))
	m.Write(salt)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// HashSecret returns the hex SHA-256 of a token or key. Tokens are 256 random bits, so
// a fast hash is enough: there is nothing to brute-force.
func HashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// tokenMatches compares a presented token with a stored hash in constant time.
func tokenMatches(token, hash string) bool {
	h := HashSecret(token)
	return subtle.ConstantTimeCompare([]byte(h), []byte(hash)) == 1
}

// NewID returns a new request id: a ULID, sortable by creation time, with 80 random bits.
func NewID(now time.Time) string {
	return ulid.MustNew(ulid.Timestamp(now), rand.Reader).String()
}

// ValidID reports whether s has the form of a request id, so malformed ids never reach
// storage.
func ValidID(s string) bool {
	_, err := ulid.ParseStrict(s)
	return err == nil && len(s) == ulid.EncodedSize
}

// ReferenceFor derives the short reference people quote ("ST-7ZQ4M-K2P9X") from the
// id's last ten characters: 50 random bits, so that among a hundred thousand requests
// the chance of any two sharing a reference is about one in two hundred thousand. The
// id, not the reference, is the key.
func ReferenceFor(id string) string {
	if len(id) < 10 {
		return "ST-" + id
	}
	tail := id[len(id)-10:]
	return "ST-" + tail[:5] + "-" + tail[5:]
}
