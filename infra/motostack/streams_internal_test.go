package motostack

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	st "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// A reader that starts at TRIM_HORIZON for one mapping hands a LATEST mapping on the
// same stream only the records created from when it started, and each mapping every
// record it is to see, in order.
func TestReaderHandsALatestMappingOnlyNewerRecords(t *testing.T) {
	from := &poller{m: &Mapping{LogicalID: "From", StartingPosition: "TRIM_HORIZON"}, wake: make(chan struct{}, 1)}
	latest := &poller{m: &Mapping{LogicalID: "Latest", StartingPosition: "LATEST"}, wake: make(chan struct{}, 1)}
	r := &streamReader{streamArn: "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x", position: st.ShardIteratorTypeTrimHorizon,
		pollers: []*poller{from, latest}}
	start := time.Date(2026, 1, 2, 3, 4, 5, 678_400_000, time.UTC)
	r.started(start)
	record := func(seq string, at time.Time) st.Record {
		return st.Record{Dynamodb: &st.StreamRecord{SequenceNumber: aws.String(seq), ApproximateCreationDateTime: aws.Time(at)}}
	}
	r.hand("shard-1", []st.Record{
		record("1", start.Add(-time.Second)),
		record("2", start.Truncate(time.Millisecond)), // the same millisecond as the start: moto's precision
		record("3", start.Add(time.Second)),
	})
	seqs := func(p *poller) []string {
		var out []string
		for _, rec := range p.inbox {
			out = append(out, rec["dynamodb"].(map[string]any)["SequenceNumber"].(string))
		}
		return out
	}
	if got := seqs(from); len(got) != 3 || got[0] != "1" || got[2] != "3" || from.stats.Records != 3 || from.handed != 3 {
		t.Errorf("the TRIM_HORIZON mapping got %v (stats %+v)", got, from.stats)
	}
	if got := seqs(latest); len(got) != 2 || got[0] != "2" || got[1] != "3" || latest.stats.Records != 2 || latest.handed != 2 {
		t.Errorf("the LATEST mapping got %v (stats %+v), want 2 and 3", got, latest.stats)
	}
	if len(from.wake) != 1 || len(latest.wake) != 1 {
		t.Error("a mapping handed records was not woken")
	}
}
