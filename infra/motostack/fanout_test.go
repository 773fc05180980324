//go:build integration

package motostack_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
)

// Three mappings on one stream: the stream is read once a cycle for all of them, each
// gets every record through its own filter, and one whose function keeps failing holds
// up neither the reader nor the others.
func TestStreamReadOnceForEveryMapping(t *testing.T) {
	s := startStack(t, "fanout.yaml", motostack.Options{})
	db := dynamodb.NewFromConfig(localaws.Config(s.Endpoint()))
	arn := s.Attribute("Items", "StreamArn")
	put := func(pk string, attrs map[string]types.AttributeValue) {
		t.Helper()
		putInto(t, db, s.Physical("Items"), pk, attrs)
	}
	count := func(table, key string) int { t.Helper(); return deliveriesIn(t, db, s.Physical(table), key) }
	marked := map[string]types.AttributeValue{"marked": &types.AttributeValueMemberBOOL{Value: true}}

	for i := range 10 {
		var attrs map[string]types.AttributeValue
		if i%2 == 0 {
			attrs = marked
		}
		put(fmt.Sprintf("IN#r%d", i), attrs)
	}
	put("OTHER#1", marked) // the marked mapping's only, by its filter
	drainStack(t, s)
	for i := range 10 {
		key := fmt.Sprintf("r%d", i)
		if n := count("AllCounts", key); n != 1 {
			t.Errorf("the first mapping got %s %d times, want 1", key, n)
		}
		want := 1 - i%2
		if n := count("MarkedCounts", key); n != want {
			t.Errorf("the marked mapping got %s %d times, want %d", key, n, want)
		}
	}
	if n := count("MarkedCounts", "OTHER#1"); n != 1 {
		t.Errorf("the marked mapping got OTHER#1 %d times, want 1", n)
	}
	rs := s.StreamStats()[arn]
	if rs.Records != 11 || rs.Reads == 0 || rs.Reads != rs.Polls {
		t.Errorf("stream reader %+v: want 11 records read, and one GetRecords a poll cycle for all three mappings", rs)
	}
	ms := s.MappingStats()
	for id, filtered := range map[string]int{"AllFunctionItems": 1, "MarkedFunctionItems": 5, "StuckFunctionItems": 11} {
		if got := ms[id]; got.Records != 11 || got.Filtered != filtered {
			t.Errorf("mapping %s %+v: want every one of the 11 records received, %d filtered", id, got, filtered)
		}
	}

	// The stuck mapping's function fails on this record every time, and it retries
	// without limit: records after it still reach the others.
	put("STUCK#1", map[string]types.AttributeValue{"crash": &types.AttributeValueMemberBOOL{Value: true}})
	waitUntil(t, 20*time.Second, "the stuck mapping retries", func() bool { return s.MappingStats()["StuckFunctionItems"].Invocations >= 2 })
	for i := range 3 {
		put(fmt.Sprintf("IN#after%d", i), marked)
	}
	waitUntil(t, 20*time.Second, "the records after the stuck one reach the other mappings", func() bool {
		for i := range 3 {
			key := fmt.Sprintf("after%d", i)
			if count("AllCounts", key) != 1 || count("MarkedCounts", key) != 1 {
				return false
			}
		}
		return true
	})
	if st := s.MappingStats()["StuckFunctionItems"]; st.Failed != 0 || st.Records != 15 {
		t.Errorf("stuck mapping %+v: want it still retrying (nothing failed) and every record received", st)
	}
}
