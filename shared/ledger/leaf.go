package ledger

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// RowNames are the audit report's columns that an event's commitment binds, in the
// order of Row.
var RowNames = []string{
	"at", "request_id", "subject", "version", "type", "actor_role", "actor_id", "actor_name",
	"from_status", "to_status", "message", "details", "internal",
}

// SaltSize is the length of an event's salt: 256 bits, so a commitment cannot be
// opened by guessing the event it hides.
const SaltSize = 32

// NewSalt draws an event's salt.
func NewSalt() []byte {
	salt := make([]byte, SaltSize)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails
	return salt
}

// Row is an event as the audit report shows it, one cell per RowNames entry: the time
// in RFC 3339 UTC with its fractional seconds, the version of a request's event (empty
// for roster and settings events), the event's data as "key=value" pairs sorted by key
// and joined by "; ", and the fields of an edit as "changed=a|b".
func Row(ev sponsorship.AuditEvent) []string {
	keys := make([]string, 0, len(ev.Data))
	for k := range ev.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	details := make([]string, 0, len(keys)+1)
	for _, k := range keys {
		details = append(details, k+"="+ev.Data[k])
	}
	if len(ev.Changed) > 0 {
		details = append(details, "changed="+strings.Join(ev.Changed, "|"))
	}
	version := ""
	if ev.RequestID != "" {
		version = strconv.Itoa(ev.Version)
	}
	return []string{
		ev.At.UTC().Format(time.RFC3339Nano), ev.RequestID, ev.Subject, version, string(ev.Type),
		string(ev.Actor.Role), ev.Actor.ID, ev.Actor.Name, string(ev.FromStatus), string(ev.ToStatus),
		ev.Message, strings.Join(details, "; "), strconv.FormatBool(ev.Internal),
	}
}

// Canonical is the byte string a commitment covers: the row as a JSON array of
// strings, written as Go's encoding/json writes it with HTML escaping off and no
// trailing newline.
func Canonical(row []string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(row) // a []string always encodes
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// Commitment is SHA-256 of the salt followed by the row's canonical bytes.
func Commitment(salt []byte, row []string) [sha256.Size]byte {
	h := sha256.New()
	h.Write(salt)
	h.Write(Canonical(row))
	var c [sha256.Size]byte
	h.Sum(c[:0])
	return c
}

// Leaf is what the log holds for one event.
type Leaf struct {
	// At is the hour of the event (UTC, RFC 3339): an auditor checking a period's
	// report knows which leaves it must account for, and the log does not tell to the
	// second when a vote or a comment happened.
	At string `json:"at"`
	// Commitment is the hex SHA-256 commitment to the event's row and salt.
	Commitment string `json:"commitment"`
	// Public is the public record of a published decision; absent otherwise.
	Public json.RawMessage `json:"public,omitempty"`
}

// NewLeaf is the leaf of an event with its salt, and its public record if it has one.
func NewLeaf(ev sponsorship.AuditEvent, salt []byte, public json.RawMessage) Leaf {
	c := Commitment(salt, Row(ev))
	return Leaf{At: ev.At.UTC().Truncate(time.Hour).Format(time.RFC3339), Commitment: hex.EncodeToString(c[:]), Public: public}
}

// Data is the leaf's bytes in the log: its JSON object, keys in a fixed order.
func (l Leaf) Data() []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(l) // strings and raw JSON always encode
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// ParseLeaf reads a leaf's bytes back.
func ParseLeaf(data []byte) (Leaf, error) {
	var l Leaf
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return Leaf{}, fmt.Errorf("leaf: %w", err)
	}
	if _, err := hex.DecodeString(l.Commitment); err != nil || len(l.Commitment) != 2*sha256.Size {
		return Leaf{}, fmt.Errorf("leaf: commitment %q is not a hex SHA-256", l.Commitment)
	}
	return l, nil
}
