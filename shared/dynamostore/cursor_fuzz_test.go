package dynamostore

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// EventItem is the item the store writes for an audit event, for the external tests
// that read it back as the table's stream delivers it.
func EventItem(ev sponsorship.AuditEvent) (map[string]types.AttributeValue, error) {
	return marshal(toEventRecord(ev))
}

// FuzzDecodeCursor checks the review queue's cursor. Any string decodes to an error
// (sponsorship.ErrBadCursor, nothing else) or to the index keys of a request in the
// status asked for, which encode and decode again to the same keys. The cursor of a
// page's last request decodes to that request's keys exactly, whenever the keys fit the
// cursor's limits (always, for the store's ids), and only for the status it was made for.
func FuzzDecodeCursor(f *testing.F) {
	const id = "01KC0000000000000000000001"
	submitted := &sponsorship.Request{ID: id, Status: sponsorship.StatusSubmitted, SubmittedAt: time.Unix(1_790_000_000, 0)}
	valid := encodeCursor(sponsorship.StatusSubmitted, lastItem([]*sponsorship.Request{submitted}))
	f.Add(string(sponsorship.StatusSubmitted), string(sponsorship.StatusApproved), valid, id, int64(1_790_000_000_123_456_789))
	f.Add(string(sponsorship.StatusApproved), string(sponsorship.StatusSubmitted), valid, "x#y", int64(-1))
	f.Add("submitted", "submitted ", "eyJzIjoic3VibWl0dGVkIiwiayI6e319", "\xff", int64(0))
	f.Add("", "changes_requested", "e30", strings.Repeat("é", 200), int64(1<<62))
	f.Add("paid", "Paid", strings.Repeat("A", 1025), "\u2028<&>\"", int64(-1<<62))
	f.Fuzz(func(t *testing.T, status, other, cursor, id string, nanos int64) {
		st := sponsorship.Status(status)

		key, err := DecodeCursor(st, cursor)
		if err != nil {
			if !errors.Is(err, sponsorship.ErrBadCursor) || key != nil {
				t.Fatalf("DecodeCursor(%q) = %v, %v; want nil, ErrBadCursor", cursor, key, err)
			}
		} else {
			checkQueueKey(t, st, key)
			again, err := DecodeCursor(st, encodeCursor(st, key))
			if diff := cmp.Diff(cursorKey(key), cursorKey(again)); err != nil || diff != "" {
				t.Fatalf("%q decodes to keys that do not encode and decode again (%v):\n%s", cursor, err, diff)
			}
		}

		// DynamoDB strings are UTF-8, so a request's keys are.
		if !utf8.ValidString(status) || !utf8.ValidString(id) {
			return
		}
		r := &sponsorship.Request{ID: id, Status: st, SubmittedAt: time.Unix(0, nanos)}
		item := lastItem([]*sponsorship.Request{r})
		made := encodeCursor(st, item)
		fits := len(made) <= 1024
		for _, v := range cursorKey(item) {
			fits = fits && v != "" && len(v) <= 256
		}
		got, err := DecodeCursor(st, made)
		switch {
		case fits && err != nil:
			t.Fatalf("the cursor of %+v is refused: %v", item, err)
		case err == nil && !cmp.Equal(cursorKey(item), cursorKey(got)):
			t.Fatalf("the cursor of %v decodes to %v", cursorKey(item), cursorKey(got))
		case !fits && !errors.Is(err, sponsorship.ErrBadCursor):
			t.Fatalf("a cursor past its limits (%d bytes) decodes: %v", len(made), err)
		}
		if _, err := DecodeCursor(sponsorship.Status(other), made); other != status && !errors.Is(err, sponsorship.ErrBadCursor) {
			t.Fatalf("a cursor made for %q is accepted for %q", status, other)
		}
		// The store's ids are ULIDs: their cursors always fit.
		if st.Valid() {
			r.ID = sponsorship.NewID(time.Unix(0, nanos&math.MaxInt64))
			if _, err := DecodeCursor(st, encodeCursor(st, lastItem([]*sponsorship.Request{r}))); err != nil {
				t.Fatalf("the cursor of request %s in %s is refused: %v", r.ID, st, err)
			}
		}
	})
}

// checkQueueKey checks decoded keys: the four index keys of a request in status.
func checkQueueKey(t *testing.T, status sponsorship.Status, key map[string]types.AttributeValue) {
	t.Helper()
	k := cursorKey(key)
	if len(key) != len(queueKeyAttrs) || len(k) != len(queueKeyAttrs) || k[attrGSI1PK] != statusPK(status) ||
		!strings.HasPrefix(k[attrPK], "REQ#") || k[attrSK] != skRequest || k[attrGSI1SK] == "" {
		t.Fatalf("decoded keys %v are not a request's in %q", k, status)
	}
}

// cursorKey is the string value of each string attribute of key.
func cursorKey(key map[string]types.AttributeValue) map[string]string {
	out := map[string]string{}
	for a, v := range key {
		if s, ok := v.(*types.AttributeValueMemberS); ok {
			out[a] = s.Value
		}
	}
	return out
}
