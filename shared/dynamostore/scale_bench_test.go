//go:build integration

package dynamostore

// Benchmarks of the review queue and of report pages on tables of 1 000 and 100 000
// stored requests, and the seeding they share with TestPageCostDoesNotGrowWithTheTable.
//
//	go run ./infra/cmd/local exec -- go test -run '^$' -bench 'BenchmarkQueuePage|BenchmarkReportPage' -benchtime 20x ./shared/dynamostore
//
// Each size's table is seeded once per process, straight into DynamoDB with
// BatchWriteItem (25 items a call, several goroutines), with the very items the store
// writes (toRequestRecord, marshal): submitting 100 000 requests through the store
// would take far longer and measure nothing more. Besides ns/op, every benchmark
// reports the DynamoDB work of a page, from a counting client (testenv.CountingDynamoDB):
// calls/page, items-read/page, items-scanned/page and rcu/page, which must not change
// from one size to the other. ns/op does change: moto answers a Query on an index by
// sorting every item of the table, which DynamoDB does not.
//
// On moto, seeding 100 000 requests takes about two minutes (some 780 items a second:
// moto, behind its serialising proxy, is the bottleneck), and the command above about
// five and a half; with -count above 1 give go test a -timeout beyond its 10 minutes.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// The synthetic requests: all of fiscal year 2027, submitted at even intervals over the
// year, so their order by submission is their order of generation. Request i is
//
//   - submitted when i%4 is 0 or 1, else approved (2) or rejected (3);
//   - a conference, travel or project request by i%3;
//   - voted on by r1 when i%5 is 0, by r2 and r3 when it is 1, and of r1's company
//     (Acme Compilers) when it is 2.
//
// Every pattern repeats each 60 requests, 30 of them submitted: pages that start at a
// multiple of 30 submitted requests see the same mix at any table size.
const (
	scaleYear   = 2027
	scalePeriod = 30 // submitted requests after which the mix repeats
)

var (
	scaleStart = time.Date(scaleYear, time.January, 1, 0, 0, 0, 0, time.UTC)
	scaleSpan  = 364 * 24 * time.Hour
	scaleKinds = []sponsorship.Kind{sponsorship.KindConference, sponsorship.KindTravel, sponsorship.KindProject}
	// scaleReviewer is who the filtered queue waits on.
	scaleReviewer = sponsorship.Waiter{ReviewerID: "r1", OrgKeys: sponsorship.Company{Name: "Acme Compilers Inc."}.Keys(),
		Domains: []string{"acme-compilers.example"}}
)

// scaleRequest is synthetic request i of n.
func scaleRequest(i, n int) *sponsorship.Request {
	at := scaleStart.Add(time.Duration(int64(scaleSpan) / int64(n) * int64(i))).Truncate(time.Microsecond)
	id := sponsorship.NewID(at)
	eur := func(minor int64) money.Money { return money.Money{Currency: "EUR", Minor: minor} }
	amount := eur(int64(50_000 + (i%97)*1_000))
	org := fmt.Sprintf("Example Organisation %d", i%50)
	if i%5 == 2 {
		org = "Acme Compilers"
	}
	kind := scaleKinds[i%3]
	r := &sponsorship.Request{
		ID: id, Reference: sponsorship.ReferenceFor(id), Status: sponsorship.StatusSubmitted, Version: 1, Round: 1,
		FiscalYear: scaleYear,
		Content: sponsorship.Content{
			Kind:    kind,
			Title:   fmt.Sprintf("%s request number %d for the foundation", kind, i),
			Summary: "Support for work the committee has funded before: a talk, a track or a milestone of a compiler backend, described here in a few sentences as applicants do.",
			Applicant: sponsorship.Applicant{Name: fmt.Sprintf("Applicant %d", i), Email: fmt.Sprintf("applicant%d@example.org", i%997),
				Organization: org},
			Amount: amount,
		},
		TokenHash: sponsorship.HashSecret(id), SubmittedAt: at, UpdatedAt: at, Paid: eur(0),
	}
	switch kind {
	case sponsorship.KindConference:
		r.Conference = &sponsorship.Conference{EventName: "Linux Plumbers Conference 2027", EventURL: "https://lpc.events/",
			StartDate: "2027-09-01", EndDate: "2027-09-03", Location: "Prague, CZ", Tier: "silver", ExpectedAttendees: 800}
	case sponsorship.KindTravel:
		r.Travel = &sponsorship.Travel{Traveller: r.Applicant.Name, EventName: "FOSDEM 2027", EventURL: "https://fosdem.org/2027/",
			StartDate: "2027-02-06", EndDate: "2027-02-07", TalkTitle: "Linear-time register allocation", Origin: "Boston, US",
			DepartureDate: "2027-02-05", ReturnDate: "2027-02-08"}
		r.BudgetItems = []sponsorship.BudgetItem{{Description: "Airfare", Amount: eur(amount.Minor - 20_000)}, {Description: "Lodging", Amount: eur(20_000)}}
	case sponsorship.KindProject:
		r.Project = &sponsorship.Project{Name: "Cranelift RVV", RepositoryURL: "https://github.com/example/rvv", Licence: "Apache-2.0",
			Milestones: []sponsorship.Milestone{{Title: "Integer vectors", DueDate: "2027-03-31", Amount: eur(amount.Minor / 2)},
				{Title: "Floating point", DueDate: "2027-06-30", Amount: eur(amount.Minor - amount.Minor/2)}}}
	}
	switch i % 5 {
	case 0:
		r.Voters = []string{"r1"}
	case 1:
		r.Voters = []string{"r2", "r3"}
	}
	r.Version += len(r.Voters)
	switch i % 4 {
	case 2:
		r.Status, r.Approved, r.DecidedAt = sponsorship.StatusApproved, &amount, at.Add(48*time.Hour)
		r.Voters, r.Version = []string{"r1", "r2", "r4"}, 5
	case 3:
		r.Status, r.DecidedAt = sponsorship.StatusRejected, at.Add(48*time.Hour)
		r.Voters, r.Version = []string{"r1", "r2", "r4"}, 5
	}
	return r
}

// scaleTable is a table holding n synthetic requests, with where the pages the
// benchmarks read start.
type scaleTable struct {
	name      string
	n         int
	submitted int
	// queueStarts are queue cursors (the first "" for the first page) at about 0, 1/4,
	// 1/2 and 3/4 of the submitted requests, each at a multiple of scalePeriod, where
	// the rest of the queue holds a whole page.
	queueStarts []string
	// reportFrom are submission dates from which a whole report page remains: the
	// year's start, and the days of the requests at 1/8, 1/4 and 3/8 of the table.
	reportFrom []string
	seeding    time.Duration
}

// seedScaleTable writes n synthetic requests into a table with BatchWriteItem.
func seedScaleTable(ctx context.Context, db *dynamodb.Client, table string, n int) (*scaleTable, error) {
	st := &scaleTable{name: table, n: n}
	for i := range n {
		if i%4 < 2 {
			st.submitted++
		}
	}
	// Pages start where a whole page remains: for the queue, enough for a filtered page
	// to read the most it may (maxQueueReads Queries of limit+1 requests).
	starts := map[int]bool{} // by position among the submitted, of the first request of a page
	for _, f := range []int{0, 1, 2, 3} {
		if k := st.submitted * f / 4 / scalePeriod * scalePeriod; k+maxQueueReads*(sponsorship.DefaultQueueLimit+1) <= st.submitted {
			starts[k] = true
		}
	}
	cursorAfter := map[int]string{} // by position among the submitted: a cursor to continue after it
	for _, f := range []int{0, 1, 2, 3} {
		if j := n * f / 8; n-j >= reportPage {
			st.reportFrom = append(st.reportFrom, scaleRequest(j, n).SubmittedAt.Format("2006-01-02"))
		}
	}
	batches := make(chan []types.WriteRequest)
	g, gctx := errgroup.WithContext(ctx)
	for range 4 {
		g.Go(func() error {
			for batch := range batches {
				if err := batchWrite(gctx, db, table, batch); err != nil {
					return err
				}
			}
			return nil
		})
	}
	began := time.Now()
	g.Go(func() error {
		defer close(batches)
		var batch []types.WriteRequest
		submitted := 0
		for i := range n {
			r := scaleRequest(i, n)
			rec := toRequestRecord(r)
			if r.Status == sponsorship.StatusSubmitted {
				if starts[submitted+1] {
					cursorAfter[submitted] = encodeCursor(r.Status, map[string]types.AttributeValue{
						attrPK: sv(rec.PK), attrSK: sv(rec.SK), attrGSI1PK: sv(rec.GSI1PK), attrGSI1SK: sv(rec.GSI1SK)})
				}
				submitted++
			}
			item, err := marshal(rec)
			if err != nil {
				return err
			}
			batch = append(batch, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
			if len(batch) == 25 || i == n-1 {
				select {
				case batches <- batch:
				case <-gctx.Done():
					return gctx.Err()
				}
				batch = nil
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("seed %d requests: %w", n, err)
	}
	st.seeding = time.Since(began)
	for _, k := range slices.Sorted(maps.Keys(starts)) {
		if k == 0 {
			st.queueStarts = append(st.queueStarts, "")
		} else {
			st.queueStarts = append(st.queueStarts, cursorAfter[k-1])
		}
	}
	return st, nil
}

// batchWrite writes up to 25 items, retrying what DynamoDB leaves unprocessed.
func batchWrite(ctx context.Context, db *dynamodb.Client, table string, batch []types.WriteRequest) error {
	for attempt := 0; len(batch) > 0; attempt++ {
		if attempt == 10 {
			return fmt.Errorf("%d items still unprocessed", len(batch))
		}
		out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: batch}})
		if err != nil {
			return err
		}
		batch = out.UnprocessedItems[table]
		if len(batch) > 0 {
			time.Sleep(time.Duration(attempt+1) * 50 * time.Millisecond)
		}
	}
	return nil
}

// pageCost reads pages and adds up their DynamoDB work.
type pageCost struct {
	counter *testenv.Counter
	pages   int
	total   testenv.Counts
	first   testenv.Counts
	varies  bool
}

// measure reads one page and adds what it cost.
func (p *pageCost) measure(read func() error) error {
	p.counter.Reset()
	if err := read(); err != nil {
		return err
	}
	c := p.counter.Take().Total()
	if p.pages == 0 {
		p.first = c
	} else if c.Calls != p.first.Calls || c.ItemsRead != p.first.ItemsRead || c.ItemsScanned != p.first.ItemsScanned {
		p.varies = true
	}
	p.pages++
	p.total = p.total.Add(c)
	return nil
}

func (p *pageCost) report(b *testing.B) {
	if p.pages == 0 {
		return
	}
	n := float64(p.pages)
	b.ReportMetric(float64(p.total.Calls)/n, "calls/page")
	b.ReportMetric(float64(p.total.ItemsRead)/n, "items-read/page")
	b.ReportMetric(float64(p.total.ItemsScanned)/n, "items-scanned/page")
	b.ReportMetric(p.total.RCU/n, "rcu/page")
	if p.varies {
		b.Logf("the pages' DynamoDB work varies from page to page (first page: %+v)", p.first)
	}
}

// countingStore is a Store on the table whose client counts every call.
func countingStore(tb testing.TB, table string) (*Store, *testenv.Counter) {
	counter := testenv.NewCounter()
	db := testenv.CountingDynamoDB(tb, counter)
	return New(db, table), counter
}

// queuePage reads the queue page that starts at a cursor: the first page of the status
// index, or a later one.
func queuePage(ctx context.Context, s *Store, cursor string, filtered bool) error {
	q := sponsorship.QueueQuery{Status: sponsorship.StatusSubmitted, Limit: sponsorship.DefaultQueueLimit, Cursor: cursor}
	if filtered {
		q.Kind, q.WaitingOn = sponsorship.KindProject, &scaleReviewer
	}
	page, err := s.Queue(ctx, q)
	if err != nil {
		return err
	}
	if !filtered && len(page.Items) != sponsorship.DefaultQueueLimit {
		return fmt.Errorf("a queue page of %d requests, want %d", len(page.Items), sponsorship.DefaultQueueLimit)
	}
	return nil
}

// errPageRead stops a report after its first page.
var errPageRead = errors.New("one page read")

// readReportPage reads one page of the requests report (the report's own page size) from
// a submission date, as the finance reports read the table.
func readReportPage(ctx context.Context, s *Store, from string) error {
	rows := 0
	err := s.EachRequest(ctx, scaleYear, from, "", func(*sponsorship.Request) error {
		if rows++; rows == reportPage {
			return errPageRead
		}
		return nil
	})
	if !errors.Is(err, errPageRead) {
		return fmt.Errorf("report page from %s: %d rows, want %d (%v)", from, rows, reportPage, err)
	}
	return nil
}

// Table sizes the benchmarks compare.
var scaleSizes = []int{1_000, 100_000}

// BenchmarkQueuePage reads review queue pages (submitted requests, oldest first, 25 a
// page), starting at the first request and at a quarter, half and three quarters of
// the queue.
func BenchmarkQueuePage(b *testing.B) {
	benchQueue(b, false)
}

// BenchmarkQueuePageFiltered reads review queue pages of one kind waiting on a
// reviewer: the filter keeps about one request in five, so a page takes the most
// Queries a page may make (4), at any table size.
func BenchmarkQueuePageFiltered(b *testing.B) {
	benchQueue(b, true)
}

func benchQueue(b *testing.B, filtered bool) {
	releaseScaleTablesAfter(b)
	ctx := context.Background()
	for _, n := range scaleSizes {
		b.Run(fmt.Sprintf("stored=%d", n), func(b *testing.B) {
			st := scaleTableOf(b, n)
			s, counter := countingStore(b, st.name)
			p := &pageCost{counter: counter}
			for i := 0; b.Loop(); i++ {
				if err := p.measure(func() error { return queuePage(ctx, s, st.queueStarts[i%len(st.queueStarts)], filtered) }); err != nil {
					b.Fatal(err)
				}
			}
			p.report(b)
		})
	}
}

// BenchmarkReportPage reads pages of the requests report (EachRequest, 500 requests a
// Query) from the start of the fiscal year and from three later dates.
func BenchmarkReportPage(b *testing.B) {
	releaseScaleTablesAfter(b)
	ctx := context.Background()
	for _, n := range scaleSizes {
		b.Run(fmt.Sprintf("stored=%d", n), func(b *testing.B) {
			st := scaleTableOf(b, n)
			s, counter := countingStore(b, st.name)
			p := &pageCost{counter: counter}
			for i := 0; b.Loop(); i++ {
				if err := p.measure(func() error { return readReportPage(ctx, s, st.reportFrom[i%len(st.reportFrom)]) }); err != nil {
					b.Fatal(err)
				}
			}
			p.report(b)
		})
	}
}

// The seeded tables of this process, by size: seeded once, shared by the benchmarks.
var scaleTables = struct {
	sync.Mutex
	byN map[int]*scaleTable
}{byN: map[int]*scaleTable{}}

// scaleTableOf returns the table of n requests, seeding it the first time.
func scaleTableOf(b *testing.B, n int) *scaleTable {
	b.Helper()
	scaleTables.Lock()
	defer scaleTables.Unlock()
	if st := scaleTables.byN[n]; st != nil {
		return st
	}
	ctx := context.Background()
	db := testenv.DynamoDB(b)
	name := fmt.Sprintf("bench-%d-%d", n, time.Now().UnixNano())
	if err := testenv.CreateTable(ctx, b, db, name); err != nil {
		b.Fatal(err)
	}
	st, err := seedScaleTable(ctx, db, name, n)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d requests (%d submitted) in %s: %.0f items/s", n, st.submitted, st.seeding.Round(time.Millisecond), float64(n)/st.seeding.Seconds())
	scaleTables.byN[n] = st
	return st
}

// scaleBenchmarks share the seeded tables; go test runs them in this (source) order.
var scaleBenchmarks = []string{"BenchmarkQueuePage", "BenchmarkQueuePageFiltered", "BenchmarkReportPage"}

// releaseScaleTablesAfter deletes the seeded tables when b, a top-level benchmark, ends,
// unless a later benchmark that reads them is going to run. A large table left in the
// shared moto would hold its memory until moto stops.
func releaseScaleTablesAfter(b *testing.B) {
	b.Cleanup(func() {
		if laterScaleBenchmark(b.Name()) {
			return
		}
		scaleTables.Lock()
		defer scaleTables.Unlock()
		db := testenv.DynamoDB(b)
		for n, st := range scaleTables.byN {
			if _, err := db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(st.name)}); err != nil {
				b.Logf("delete the table of %d requests: %v", n, err)
			}
			delete(scaleTables.byN, n)
		}
	})
}

// laterScaleBenchmark reports whether a benchmark after name in scaleBenchmarks matches
// -test.bench, and so will still read the tables. When unsure it answers yes: the
// tables then stay until moto stops.
func laterScaleBenchmark(name string) bool {
	f := flag.Lookup("test.bench")
	if f == nil {
		return true
	}
	top := topLevelPattern(f.Value.String())
	re, err := regexp.Compile(top)
	if err != nil {
		return true
	}
	i := slices.Index(scaleBenchmarks, name)
	if i < 0 {
		return true
	}
	for _, later := range scaleBenchmarks[i+1:] {
		if re.MatchString(later) {
			return true
		}
	}
	return false
}

// topLevelPattern is the part of a -bench pattern that selects top-level benchmarks:
// up to the first slash outside brackets and parentheses.
func topLevelPattern(p string) string {
	depth := 0
	for i, c := range p {
		switch c {
		case '(', '[':
			depth++
		case ')', ']':
			depth--
		case '/':
			if depth == 0 {
				return p[:i]
			}
		}
	}
	return strings.TrimSpace(p)
}
