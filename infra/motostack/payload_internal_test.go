package motostack

import (
	"encoding/json"
	"strings"
	"testing"
)

// A stream batch ends at the batch size, or earlier where its event would pass
// Lambda's 6 MB invocation limit; a record alone is never held back.
func TestBatchEndKeepsEventsWithinThePayloadLimit(t *testing.T) {
	record := func(n int) map[string]any { return map[string]any{"data": strings.Repeat("x", n)} }
	var small, big []map[string]any
	for range 10 {
		small = append(small, record(10))
		big = append(big, record(2_000_000))
	}
	if end := batchEnd(small, 0, 4); end != 4 {
		t.Errorf("small records: batch ends at %d, want the batch size, 4", end)
	}
	if end := batchEnd(small, 8, 4); end != 10 {
		t.Errorf("the last small records: batch ends at %d, want 10", end)
	}
	end := batchEnd(big, 0, 10)
	if end != 3 {
		t.Errorf("2 MB records: batch ends at %d, want 3 (three fit in 6 MB, four do not)", end)
	}
	event, _ := json.Marshal(map[string]any{"Records": big[:end]})
	if len(event) > maxRequestPayload {
		t.Errorf("the event is %d bytes, over the limit", len(event))
	}
	if end := batchEnd([]map[string]any{record(7_000_000)}, 0, 10); end != 1 {
		t.Errorf("a record over the limit alone: batch ends at %d, want 1", end)
	}
}
