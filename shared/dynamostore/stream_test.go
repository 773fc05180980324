package dynamostore_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/dynamostore"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// streamImage reads an item back as the stream delivers it: DynamoDB JSON decoded by
// aws-lambda-go's event types.
func streamImage(t *testing.T, item map[string]types.AttributeValue) map[string]events.DynamoDBAttributeValue {
	t.Helper()
	var toJSON func(v types.AttributeValue) any
	toJSON = func(v types.AttributeValue) any {
		switch x := v.(type) {
		case *types.AttributeValueMemberS:
			return map[string]any{"S": x.Value}
		case *types.AttributeValueMemberN:
			return map[string]any{"N": x.Value}
		case *types.AttributeValueMemberBOOL:
			return map[string]any{"BOOL": x.Value}
		case *types.AttributeValueMemberB:
			return map[string]any{"B": x.Value} // encoding/json writes []byte as base64, as the stream does
		case *types.AttributeValueMemberSS:
			return map[string]any{"SS": x.Value}
		case *types.AttributeValueMemberL:
			l := []any{} // an empty list is [] in the stream's JSON, not null
			for _, e := range x.Value {
				l = append(l, toJSON(e))
			}
			return map[string]any{"L": l}
		case *types.AttributeValueMemberM:
			m := map[string]any{}
			for k, e := range x.Value {
				m[k] = toJSON(e)
			}
			return map[string]any{"M": m}
		}
		t.Fatalf("unexpected attribute %T", v)
		return nil
	}
	raw := map[string]any{}
	for k, v := range item {
		raw[k] = toJSON(v)
	}
	b, _ := json.Marshal(raw)
	var img map[string]events.DynamoDBAttributeValue
	if err := json.Unmarshal(b, &img); err != nil {
		t.Fatal(err)
	}
	return img
}

// FuzzEventFromStream feeds the decoder arbitrary stream images and the images of
// events the store wrote. It never panics; an image decodes to an event with a type, or
// to an error. An event the store wrote, read back as the stream delivers it, is the
// event (its time to the microsecond the store keeps), and a decoded event written again
// decodes to itself.
func FuzzEventFromStream(f *testing.F) {
	f.Add(`{"entity":{"S":"event"},"type":{"S":"submitted"},"requestId":{"S":"x"},"version":{"N":"1"},"actor":{"M":{"role":{"S":"applicant"}}},"at":{"S":"2026-11-25T00:00:00.000000Z"}}`,
		"submitted", 1, int64(1_790_000_000_123_456_789), false)
	f.Add(`{"data":{"M":{"k":{"L":[{"NULL":true},{"B":"AAE="},{"BS":["AA=="]}]}}},"version":{"N":"1e999"}}`, "", 0, int64(0), true)
	f.Add(`{"x":{"NS":["1","x"]},"y":{"SS":[]},"z":{"M":{"a":{"M":{"b":{"M":{}}}}}}}`, "vote_cast", -3, int64(-1), false)
	f.Add(`{"entity":{"S":"event"},"type":{"S":"approved"},"changed":{"L":[]},"data":{"M":{}},"at":{"S":"yesterday"},"internal":{"BOOL":true}}`,
		"\u2028<b>\"x\"</b>", 1<<40, int64(-1<<62), true)
	f.Add(`{"entity":{"S":"event"},"type":{"S":"x"},"version":{"S":"1"}}`, "\xff", 2, int64(1), false)
	f.Fuzz(func(t *testing.T, raw, text string, version int, nanos int64, internal bool) {
		var img map[string]events.DynamoDBAttributeValue
		if json.Unmarshal([]byte(raw), &img) == nil {
			ev, err := dynamostore.EventFromStream(img)
			if err == nil {
				if ev.Type == "" {
					t.Fatalf("%s decodes to an event without a type", raw)
				}
				checkStreamRoundTrip(t, ev)
			}
		}
		if !utf8.ValidString(text) { // DynamoDB strings are UTF-8
			return
		}
		ev := sponsorship.AuditEvent{
			RequestID: text, Subject: text, Version: version, Type: sponsorship.EventType(text),
			Actor: sponsorship.Actor{Role: sponsorship.Role(text), ID: text, Name: text},
			At:    time.Unix(0, nanos).UTC().Truncate(time.Microsecond), FromStatus: sponsorship.Status(text), ToStatus: sponsorship.Status(text),
			Message: text, Changed: []string{text}, Data: map[string]string{"k" + text: text}, Internal: internal,
		}
		if text == "" {
			item, err := dynamostore.EventItem(ev)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := dynamostore.EventFromStream(streamImage(t, item)); !errors.Is(err, dynamostore.ErrNotAnEvent) {
				t.Fatalf("an event without a type decodes: %v", err)
			}
			return
		}
		checkStreamRoundTrip(t, ev)
	})
}

// checkStreamRoundTrip writes ev as the store does and reads it back from a stream image.
func checkStreamRoundTrip(t *testing.T, ev sponsorship.AuditEvent) {
	t.Helper()
	item, err := dynamostore.EventItem(ev)
	if err != nil {
		t.Fatalf("store %+v: %v", ev, err)
	}
	got, err := dynamostore.EventFromStream(streamImage(t, item))
	if err != nil {
		t.Fatalf("the image of %+v does not decode: %v", ev, err)
	}
	if ev.Salt == nil {
		// The store draws the salt of the event's commitment in the log.
		if len(got.Salt) != ledger.SaltSize {
			t.Fatalf("an event written without a salt reads back with %d bytes of salt, want %d", len(got.Salt), ledger.SaltSize)
		}
		ev.Salt = got.Salt
	}
	if diff := cmp.Diff(ev, got, cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("event read back from the stream (-wrote +read):\n%s", diff)
	}
}
