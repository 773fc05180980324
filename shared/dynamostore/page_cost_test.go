//go:build integration

package dynamostore

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// pageWork is the DynamoDB work of a page that must not depend on the table's size.
type pageWork struct {
	Calls, ItemsRead, ItemsScanned int
}

func workOf(c testenv.Counts) pageWork {
	return pageWork{Calls: c.Calls, ItemsRead: c.ItemsRead, ItemsScanned: c.ItemsScanned}
}

// TestPageCostDoesNotGrowWithTheTable is the cheap guard of BenchmarkQueuePage and
// BenchmarkReportPage: a review queue page and a report page cost the same DynamoDB
// calls and items on a table of 600 requests and on one of 1 200, on the first page
// and on a later one, and as much as their design says.
func TestPageCostDoesNotGrowWithTheTable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	queue := sponsorship.DefaultQueueLimit + 1 // a page reads one more, to know whether another follows
	want := map[string]pageWork{
		// One Query of the status index.
		"queue": {Calls: 1, ItemsRead: queue, ItemsScanned: queue},
		// About one request in five passes the filter: a page takes the most Queries a
		// page may make, each evaluating limit+1 requests.
		"queue, one kind, waiting on a reviewer": {Calls: maxQueueReads, ItemsRead: 14, ItemsScanned: 79},
		// One Query of the period index.
		"report": {Calls: 1, ItemsRead: reportPage, ItemsScanned: reportPage},
	}
	for _, n := range []int{600, 1200} {
		t.Run(fmt.Sprintf("stored=%d", n), func(t *testing.T) {
			t.Parallel()
			db, table := testenv.Table(t)
			st, err := seedScaleTable(ctx, db, table, n)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("seeded %d requests in %s", n, st.seeding)
			if len(st.queueStarts) < 2 || len(st.reportFrom) < 2 {
				t.Fatalf("too few pages to compare: queue from %d places, report from %d", len(st.queueStarts), len(st.reportFrom))
			}
			s, counter := countingStore(t, table)
			// The first page and the last full one: what lies before a page is what
			// must not matter.
			queueStarts := []string{st.queueStarts[0], st.queueStarts[len(st.queueStarts)-1]}
			reportFrom := []string{st.reportFrom[0], st.reportFrom[len(st.reportFrom)-1]}
			pages := map[string][]func() error{}
			for _, c := range queueStarts {
				pages["queue"] = append(pages["queue"], func() error { return queuePage(ctx, s, c, false) })
				pages["queue, one kind, waiting on a reviewer"] = append(pages["queue, one kind, waiting on a reviewer"],
					func() error { return queuePage(ctx, s, c, true) })
			}
			for _, from := range reportFrom {
				pages["report"] = append(pages["report"], func() error { return readReportPage(ctx, s, from) })
			}
			for name, reads := range pages {
				for i, read := range reads {
					counter.Reset()
					if err := read(); err != nil {
						t.Fatalf("%s, page %d: %v", name, i, err)
					}
					got := counter.Take().Total()
					if diff := cmp.Diff(want[name], workOf(got)); diff != "" {
						t.Errorf("%s page %d of %d stored requests (-want +got):\n%s", name, i, n, diff)
					}
					t.Logf("%s page %d: %d calls, %d items read, %d scanned, %.1f RCU", name, i, got.Calls, got.ItemsRead, got.ItemsScanned, got.RCU)
				}
			}
		})
	}
}
