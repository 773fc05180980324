//go:build integration

package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api/openapitest"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/dynamostore"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/exports"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/identity"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/vault"
)

// dbCost is what an API operation spends in DynamoDB, written as
// "GetItem 1, TransactWriteItems 1 | read 0 | written 3": the calls of each DynamoDB
// operation, the items read (returned) and the items written.
type dbCost struct {
	calls         map[string]int
	read, written int
}

func (c dbCost) totalCalls() int {
	n := 0
	for _, k := range c.calls {
		n += k
	}
	return n
}

func (c dbCost) String() string {
	ops := make([]string, 0, len(c.calls))
	for op, n := range c.calls {
		ops = append(ops, fmt.Sprintf("%s %d", op, n))
	}
	sort.Strings(ops)
	calls := strings.Join(ops, ", ")
	if calls == "" {
		calls = "none"
	}
	return fmt.Sprintf("%s | read %d | written %d", calls, c.read, c.written)
}

func parseCost(t *testing.T, s string) dbCost {
	t.Helper()
	parts := strings.Split(s, " | ")
	c := dbCost{calls: map[string]int{}}
	bad := func() { t.Fatalf("cost %q: want \"Op n, Op n | read n | written n\"", s) }
	if len(parts) != 3 {
		bad()
	}
	if parts[0] != "none" {
		for _, op := range strings.Split(parts[0], ", ") {
			name, n, ok := strings.Cut(op, " ")
			k, err := strconv.Atoi(n)
			if !ok || err != nil {
				bad()
			}
			c.calls[name] = k
		}
	}
	var err1, err2 error
	r, ok1 := strings.CutPrefix(parts[1], "read ")
	w, ok2 := strings.CutPrefix(parts[2], "written ")
	c.read, err1 = strconv.Atoi(r)
	c.written, err2 = strconv.Atoi(w)
	if !ok1 || !ok2 || err1 != nil || err2 != nil {
		bad()
	}
	return c
}

func costOf(s testenv.Snapshot) dbCost {
	c := dbCost{calls: map[string]int{}}
	for op, n := range s.ByOperation {
		if n.Calls > 0 {
			c.calls[op] = n.Calls
		}
		c.read += n.ItemsRead
		c.written += n.ItemsWritten
	}
	return c
}

// newCountedAPI is newStaffAPI on a store whose DynamoDB client counts every call.
func newCountedAPI(t *testing.T) (*staffAPI, *testenv.Counter) {
	t.Helper()
	plain, table := testenv.Table(t)
	desc, err := plain.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	counter := testenv.NewCounter().Describe(desc.Table)
	store := dynamostore.New(testenv.CountingDynamoDB(t, counter), table)
	log := slog.New(slog.NewJSONHandler(&testenv.LogBuffer{}, nil))
	clock := func() time.Time { return now }
	pool := testenv.NewUserPool(t)
	s3c := s3.NewFromConfig(testenv.AWSConfig(t), func(o *s3.Options) { o.UsePathStyle = true })
	bucket := fmt.Sprintf("evidence-%d", time.Now().UnixNano())
	if _, err := s3c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	evidence := sponsorship.NewEvidence(store, exports.Evidence{Client: s3c, Bucket: bucket}, clock)
	payouts := sponsorship.NewPayouts(store, vault.KMS{Client: kms.NewFromConfig(testenv.AWSConfig(t)), KeyID: testenv.KMSKey(t)}, clock)
	return &staffAPI{
		t: t, store: store, checker: openapitest.New(t), evidence: evidence, evidenceBucket: bucket, payouts: payouts,
		applic: api.NewSubmissions(sponsorship.NewService(store, sponsorship.Config{}, clock), log, api.WithEvidence(evidence),
			api.WithPayouts(payouts), api.WithPublicFields(store)),
		reviews: api.NewReviews(sponsorship.NewReviewService(store, clock), evidence, log),
		admin:   api.NewAdmin(sponsorship.NewAdminService(store, clock), sponsorship.NewStaffService(store, identity.New(pool.Client, pool.ID), clock), log),
		pool:    pool,
	}, counter
}

// acceptedFile opens an upload slot on a request as its applicant and records its
// check as passed, as the evidence function would: a file downloads can serve.
func (s *staffAPI) acceptedFile(id, token string) string {
	s.t.Helper()
	up := s.must(s.callApplicantBody("POST", "/requests/"+id+"/attachments", token,
		map[string]any{"name": "quote.pdf", "type": "application/pdf", "size": 1000, "purpose": "quote"}), 201)
	att := up["attachment"].(map[string]any)["id"].(string)
	if _, err := s.evidence.Checked(context.Background(), "requests/"+id+"/"+att,
		sponsorship.Verdict{Accepted: true, Type: "application/pdf", Size: 1000, SHA256: strings.Repeat("0", 64)}); err != nil {
		s.t.Fatal(err)
	}
	return att
}

// routeCost is one row of the cost table: an API operation, what it costs now, and the
// least its access pattern needs.
type routeCost struct {
	operation string
	route     string
	setup     func() // uncounted steps that put the data in the state the row needs
	run       func() response
	status    int
	measured  string // the cost this row must keep; change it deliberately
	minimum   string // the least the access pattern needs
	reason    string // what the minimum is made of, and why the measured cost is above it
}

// costRecord is a row of $BENCH_OUT/dynamodb-cost.json. wcu is what DynamoDB bills for
// the writes: the table's own units (wcuTable) and those of the global secondary
// indexes the written items are in (wcuIndexes, an estimate: one write per index the
// new item is in; DynamoDB skips an index none of whose projected attributes changed,
// and writes twice where the item's index key changed). rcu covers the items
// evaluated, filtered ones included.
type costRecord struct {
	Operation    string                    `json:"operation"`
	Route        string                    `json:"route"`
	Status       int                       `json:"status"`
	Calls        int                       `json:"calls"`
	ItemsRead    int                       `json:"itemsRead"`
	ItemsScanned int                       `json:"itemsScanned"`
	ItemsWritten int                       `json:"itemsWritten"`
	RCU          float64                   `json:"rcu"`
	WCU          float64                   `json:"wcu"`
	WCUTable     float64                   `json:"wcuTable"`
	WCUIndexes   float64                   `json:"wcuIndexes"`
	Measured     string                    `json:"measured"`
	Minimum      string                    `json:"minimum"`
	Reason       string                    `json:"reason"`
	ByOperation  map[string]testenv.Counts `json:"byOperation"`
}

// TestDynamoDBCostPerRoute runs every API operation of every function once, through
// the real handler on a seeded table, with a DynamoDB client that counts, and holds
// each to the calls and items of its row: a route that starts to cost more, or less,
// fails until its row is updated deliberately. Each row also states the least its
// access pattern needs and why the measured cost is what it is. With BENCH_OUT set to
// a directory the rows, with their capacity units, go to dynamodb-cost.json there.
func TestDynamoDBCostPerRoute(t *testing.T) {
	s, counter := newCountedAPI(t)
	fin := s.financeAPI(0)
	capped := s.financeAPIWith(0, map[string]int{"requests": 3}) // reports with a ceiling the data exceeds

	// The data: the committee (a1 and a2 of Acme, b, c, d, and x of the applicant's
	// company), a project budget, and requests in the states the rows need. Projects
	// are Example Labs GmbH's, in euros, fiscal year 2026.
	s.committee()
	s.budget(2026, "project", "EUR", "5000.00")
	s.budget(2027, "conference", "EUR", "50000.00")
	busy, busyToken := s.submitProject("1000.00") // in review: two votes, a comment, a recusal
	s.must(s.vote("a1", busy, approve()), 200)
	s.must(s.vote("b", busy, map[string]any{"choice": "reject"}), 200)
	s.must(s.call(s.reviews, reviewerP("c"), "POST", "/review/requests/"+busy+"/comments", map[string]any{"text": "Check the licence."}), 201)
	s.must(s.call(s.reviews, reviewerP("d"), "POST", "/review/requests/"+busy+"/recusal", map[string]any{"reason": "I advised them."}), 200)
	changes, changesToken := s.submitProject("200.00")
	withdraw, withdrawToken := s.submitProject("300.00")
	decide, decideToken := s.submitProject("1500.00")
	recuse, _ := s.submitProject("400.00")
	over, _ := s.submitProject("4000.00")
	fresh, freshToken := s.submitProject("50.00")
	nearBody := project() // from a near match of Acme's name: a possible conflict for a1 and a2
	nearBody["applicant"].(map[string]any)["organization"] = "Acme Compilers Europe"
	near := s.must(s.call(s.applic, nobody, "POST", "/requests", nearBody), 201)["id"].(string)
	s.confirm(near)
	namedBody := project() // to be published with the applicant's name, until they narrow it
	namedBody["publication"] = "named"
	named := s.must(s.call(s.applic, nobody, "POST", "/requests", namedBody), 201)
	namedID, namedToken := named["id"].(string), named["applicantToken"].(string)

	review := func(who, method, path string, body any) func() response {
		return func() response { return s.call(s.reviews, reviewerP(who), method, path, body) }
	}
	adminCall := func(method, path string, body any) func() response {
		return func() response { return s.call(s.admin, adminUser, method, path, body) }
	}
	var fileID string // the accepted file the download rows serve
	financeCall := func(who person, method, path string) func() response {
		return func() response { return s.call(fin, who, method, path, nil) }
	}
	const idemKey = "5d0c6c1e-7f7e-4b8e-9d3f-2a1b0c9d8e7f"
	const payKey = "k-cost-payment-0000000001"
	var paymentID, newcomer string
	newcomerBody := map[string]any{"name": "Nora Newcomer", "email": uniqueEmail("nora"), "roles": []string{"reviewer"}, "companyId": "delta"}
	var unconfirmed string
	var confirmation map[string]any
	edited := project()
	edited["amount"] = map[string]any{"currency": "EUR", "value": "250.00"}
	edited["project"].(map[string]any)["milestones"] = []any{map[string]any{"title": "All", "dueDate": "2027-06-30",
		"amount": map[string]any{"currency": "EUR", "value": "250.00"}}}

	rows := []routeCost{
		// --- submissions function ---
		{
			operation: "submit", route: "POST /requests", status: 201,
			run:      func() response { return s.call(s.applic, nobody, "POST", "/requests", conference()) },
			measured: "TransactWriteItems 1 | read 0 | written 4",
			minimum:  "TransactWriteItems 1 | read 0 | written 4",
			reason: "one transaction: the request, its audit event and the plain confirmation code, each conditional on being new, " +
				"and the address's count of unconfirmed requests of the day, conditional on being under the limit",
		},
		{
			operation: "submit with an Idempotency-Key", route: "POST /requests", status: 201,
			run: func() response {
				return s.callHeader(s.applic, nobody, "POST", "/requests", travel(), "idempotency-key", idemKey)
			},
			measured: "GetItem 1, TransactWriteItems 1 | read 0 | written 5",
			minimum:  "TransactWriteItems 1 | read 0 | written 5",
			reason: "the transaction also writes the key's record; the GetItem first looks for an earlier use of the key, " +
				"which a first submission could skip by reading only after the transaction is cancelled (a replay would then pay for a failed transaction)",
		},
		{
			operation: "submit replayed (same key, same body)", route: "POST /requests", status: 201,
			run: func() response {
				return s.callHeader(s.applic, nobody, "POST", "/requests", travel(), "idempotency-key", idemKey)
			},
			measured: "GetItem 1 | read 1 | written 0",
			minimum:  "GetItem 1 | read 1 | written 0",
			reason:   "the key's record holds the first answer; nothing is written",
		},
		{
			operation: "get own request (just submitted)", route: "GET /requests/{id}", status: 200,
			run:      func() response { return s.callApplicant("GET", "/requests/"+fresh, freshToken) },
			measured: "Query 1 | read 3 | written 0",
			minimum:  "Query 1 | read 3 | written 0",
			reason:   "one Query of the request's partition: the request and its history (received, submitted)",
		},
		{
			operation: "get own request (in review: votes, a comment, a recusal)", route: "GET /requests/{id}", status: 200,
			run:      func() response { return s.callApplicant("GET", "/requests/"+busy, busyToken) },
			measured: "Query 1 | read 8 | written 0",
			minimum:  "Query 1 | read 3 | written 0",
			reason: "the applicant sees the request, its public events and payments (2 items here); the Query's key range (EVENT# to REQUEST) " +
				"leaves the committee's votes and comments out, but internal events and recusals sort inside it and are read and dropped",
		},
		{
			operation: "request changes", route: "POST /review/requests/{id}/changes", status: 200,
			run:      review("c", "POST", "/review/requests/"+changes+"/changes", map[string]any{"message": "Add a milestone plan."}),
			measured: "Query 2, TransactWriteItems 1 | read 14 | written 2",
			minimum:  "GetItem 1, Query 1, TransactWriteItems 1 | read 2 | written 2",
			reason: "the roster with the companies (is the caller recused, or in a possible conflict?) and the request with its ballots, " +
				"then the request and its event in one transaction; the ROSTER partition (8 staff, 5 companies) is read whole to judge the caller's company",
		},
		{
			operation: "edit and resubmit", route: "PUT /requests/{id}", status: 200,
			run:      func() response { return s.callApplicantBody("PUT", "/requests/"+changes, changesToken, edited) },
			measured: "GetItem 1, TransactWriteItems 1 | read 1 | written 2",
			minimum:  "GetItem 1, TransactWriteItems 1 | read 1 | written 2",
			reason:   "read the request (token, status, version), then the request and its event in one transaction conditional on the version",
		},
		{
			operation: "narrow the publication", route: "PUT /requests/{id}/publication", status: 200,
			run: func() response {
				return s.callApplicantBody("PUT", "/requests/"+namedID+"/publication", namedToken, map[string]any{"publication": "anonymous"})
			},
			measured: "GetItem 1, TransactWriteItems 1 | read 1 | written 2",
			minimum:  "GetItem 1, TransactWriteItems 1 | read 1 | written 2",
			reason:   "read the request (token, current choice, version), then the request and its event in one transaction conditional on the version",
		},
		{
			operation: "the same publication again", route: "PUT /requests/{id}/publication", status: 200,
			run: func() response {
				return s.callApplicantBody("PUT", "/requests/"+namedID+"/publication", namedToken, map[string]any{"publication": "anonymous"})
			},
			measured: "GetItem 1 | read 1 | written 0",
			minimum:  "GetItem 1 | read 1 | written 0",
			reason:   "read the request: the choice is already this one, so nothing is written",
		},
		{
			operation: "public fields (the form's preview)", route: "GET /publication", status: 200,
			run:      func() response { return s.call(s.applic, nobody, "GET", "/publication", nil) },
			measured: "GetItem 1 | read 0 | written 0",
			minimum:  "GetItem 1 | read 0 | written 0",
			reason:   "one GetItem of the settings (none saved yet: the catalogue's defaults)",
		},
		{
			operation: "withdraw", route: "POST /requests/{id}/withdraw", status: 200,
			run: func() response {
				return s.callApplicantBody("POST", "/requests/"+withdraw+"/withdraw", withdrawToken, map[string]any{"reason": "Funded elsewhere."})
			},
			measured: "GetItem 1, TransactWriteItems 1 | read 1 | written 2",
			minimum:  "GetItem 1, TransactWriteItems 1 | read 1 | written 2",
			reason:   "read the request, then the request and its event in one conditional transaction",
		},
		{
			operation: "open an upload slot", route: "POST /requests/{id}/attachments", status: 201,
			run: func() response {
				return s.callApplicantBody("POST", "/requests/"+fresh+"/attachments", freshToken,
					map[string]any{"name": "quote.pdf", "type": "application/pdf", "size": 1000, "purpose": "quote"})
			},
			measured: "GetItem 1, Query 1, TransactWriteItems 1 | read 1 | written 2",
			minimum:  "GetItem 1, Query 1, TransactWriteItems 1 | read 1 | written 2",
			reason:   "read the request (token, status, version) and its files (the limit counts them; none yet), then the request's version and the pending file in one transaction",
		},
		{
			operation: "list files (applicant)", route: "GET /requests/{id}/attachments", status: 200,
			run:      func() response { return s.callApplicantBody("GET", "/requests/"+fresh+"/attachments", freshToken, nil) },
			measured: "GetItem 1, Query 1 | read 2 | written 0",
			minimum:  "GetItem 1, Query 1 | read 2 | written 0",
			reason:   "the request (the token) and one Query of its files' key range (one file)",
		},
		{
			operation: "download link (applicant)", route: "GET /requests/{id}/attachments/{attachment}/download", status: 200,
			setup: func() { fileID = s.acceptedFile(fresh, freshToken) },
			run: func() response {
				return s.callApplicantBody("GET", "/requests/"+fresh+"/attachments/"+fileID+"/download", freshToken, nil)
			},
			measured: "GetItem 1, Query 1 | read 3 | written 0",
			minimum:  "GetItem 2 | read 2 | written 0",
			reason:   "the request (the token) and the file's item would do; the file is found in one Query of the request's files (two here), which the list shares; the link is signed without a call",
		},

		// --- reviews function ---
		{
			operation: "open an upload slot (reviewer)", route: "POST /review/requests/{id}/attachments", status: 201,
			run: review("c", "POST", "/review/requests/"+fresh+"/attachments",
				map[string]any{"name": "notes.pdf", "type": "application/pdf", "size": 1000}),
			measured: "GetItem 1, Query 3, TransactWriteItems 1 | read 17 | written 2",
			minimum:  "Query 3, TransactWriteItems 1 | read 16 | written 2",
			reason:   "the roster (13 items) and the request's ballots (is the caller a reviewer not recused from it), the request's files (the limit), then the version and the pending file in one transaction; the request is read twice, by the admission and by the files' service",
		},
		{
			operation: "list files (reviewer)", route: "GET /review/requests/{id}/attachments", status: 200,
			run:      review("c", "GET", "/review/requests/"+fresh+"/attachments", nil),
			measured: "GetItem 1, Query 3 | read 18 | written 0",
			minimum:  "Query 3 | read 17 | written 0",
			reason:   "the roster and the request's ballots (admission), then one Query of the request's files; the request is read twice, as above",
		},
		{
			operation: "download link (reviewer)", route: "GET /review/requests/{id}/attachments/{attachment}/download", status: 200,
			run: func() response {
				return review("c", "GET", "/review/requests/"+fresh+"/attachments/"+fileID+"/download", nil)()
			},
			measured: "GetItem 1, Query 3 | read 18 | written 0",
			minimum:  "Query 2, GetItem 1 | read 15 | written 0",
			reason:   "admission as above, then the file's item would do; it is found in one Query of the request's files, which the list shares",
		},
		{
			operation: "queue page", route: "GET /review/requests", status: 200,
			run:      review("a1", "GET", "/review/requests", nil),
			measured: "Query 2 | read 20 | written 0",
			minimum:  "GetItem 1, Query 1 | read 8 | written 0",
			reason: "one Query of the status index for the page (up to limit+1 items, to know whether there is a next page; 7 submitted here; the unconfirmed ones are not in the index) " +
				"and the roster with the companies, to mark each request the caller's company is or may be (13 items)",
		},
		{
			operation: "queue page, filtered (waiting on me, one kind)", route: "GET /review/requests", status: 200,
			run:      review("a1", "GET", "/review/requests?waiting=me&kind=project", nil),
			measured: "Query 2 | read 19 | written 0",
			minimum:  "GetItem 1, Query 1 | read 7 | written 0",
			reason: "as the queue page; the filter drops the request a1 voted on, the other kinds and the requests of a1's company (by name key " +
				"and e-mail domain) after they were read (9 items scanned, 6 returned), and a thin page may take up to 4 Queries, " +
				"a bound that does not grow with the table",
		},
		{
			operation: "get review dossier", route: "GET /review/requests/{id}", status: 200,
			run:      review("a2", "GET", "/review/requests/"+busy, nil),
			measured: "GetItem 1, Query 2 | read 24 | written 0",
			minimum:  "GetItem 1, Query 2 | read 24 | written 0",
			reason:   "the roster with the companies (membership, conflicts, and seats for the tally; 13), the request's whole partition (11) and the governance settings",
		},
		{
			operation: "vote by a reviewer of the applicant's company (refused, automatic recusal recorded)", route: "POST /review/requests/{id}/votes", status: 403,
			run:      review("x", "POST", "/review/requests/"+decide+"/votes", approve()),
			measured: "GetItem 1, Query 2, TransactWriteItems 1 | read 14 | written 3",
			minimum:  "GetItem 1, Query 2, TransactWriteItems 1 | read 14 | written 3",
			reason: "roster with companies, governance and the request's ballots, then the request, the recusal and its event in one transaction; " +
				"governance is read before it is known to be needed (one 0.5-unit GetItem, kept for a simpler ballot)",
		},
		{
			operation: "vote (not deciding)", route: "POST /review/requests/{id}/votes", status: 200,
			run:      review("a1", "POST", "/review/requests/"+decide+"/votes", map[string]any{"choice": "approve", "amount": map[string]any{"currency": "EUR", "value": "1200.00"}}),
			measured: "GetItem 1, Query 2, TransactWriteItems 1 | read 15 | written 3",
			minimum:  "GetItem 1, Query 2, TransactWriteItems 1 | read 15 | written 3",
			reason: "roster with companies and governance (the rule), the request with its votes, recusals and declarations (one Query of a key range), then the request, " +
				"the vote and its event in one transaction",
		},
		{
			operation: "vote (deciding: approves and commits the budget)", route: "POST /review/requests/{id}/votes", status: 200,
			setup:    func() { s.must(s.vote("b", decide, approve()), 200) },
			run:      review("c", "POST", "/review/requests/"+decide+"/votes", approve()),
			measured: "GetItem 4, Query 2, TransactWriteItems 2 | read 18 | written 9",
			minimum:  "GetItem 2, Query 2, TransactWriteItems 1 | read 18 | written 7",
			reason: "as a vote, and the transaction also writes the decision's event, commits the amount to the budget " +
				"(conditional on what remains), and counts the decision in its year's register totals and list of years " +
				"(a decision its applicant chose to publish also puts its register item: one more); then a read of the year's " +
				"register context, and, this being the year's first decision, the public fields and the years and their copy " +
				"into the year's context and the feed's in a second transaction (a later decision of the year only reads it)",
		},
		{
			operation: "vote (deciding, refused: over the budget)", route: "POST /review/requests/{id}/votes", status: 409,
			setup: func() {
				s.must(s.vote("a1", over, approve()), 200)
				s.must(s.vote("b", over, approve()), 200)
			},
			run:      review("c", "POST", "/review/requests/"+over+"/votes", approve()),
			measured: "GetItem 1, Query 3, TransactWriteItems 2 | read 19 | written 2",
			minimum:  "GetItem 1, Query 3, TransactWriteItems 2 | read 19 | written 2",
			reason: "as a deciding vote, whose transaction is cancelled by the budget's condition (billed, writes nothing); " +
				"then the request is read again and the refusal's event written with it",
		},
		{
			operation: "recusal", route: "POST /review/requests/{id}/recusal", status: 200,
			run:      review("d", "POST", "/review/requests/"+recuse+"/recusal", map[string]any{"reason": "I mentor the applicant."}),
			measured: "GetItem 1, Query 2, TransactWriteItems 1 | read 14 | written 3",
			minimum:  "GetItem 1, Query 2, TransactWriteItems 1 | read 14 | written 3",
			reason: "as a vote: the request, the recusal and its event in one transaction (and the deletion of the reviewer's vote, " +
				"only when they have one)",
		},
		{
			operation: "declaration of no conflict", route: "POST /review/requests/{id}/no-conflict", status: 200,
			run: review("a1", "POST", "/review/requests/"+near+"/no-conflict",
				map[string]any{"reason": "Acme Compilers Europe is an unrelated association."}),
			measured: "GetItem 1, Query 2, TransactWriteItems 1 | read 14 | written 3",
			minimum:  "GetItem 1, Query 2, TransactWriteItems 1 | read 14 | written 3",
			reason: "as a recusal: the request, the declaration and its event in one transaction, the rule applied again " +
				"(a vote the reviewer cast before may now count)",
		},
		{
			operation: "comment", route: "POST /review/requests/{id}/comments", status: 201,
			run:      review("a2", "POST", "/review/requests/"+recuse+"/comments", map[string]any{"text": "Looks fine to me."}),
			measured: "Query 2, TransactWriteItems 1 | read 15 | written 3",
			minimum:  "GetItem 1, Query 1, TransactWriteItems 1 | read 3 | written 3",
			reason: "the roster with the companies and the request's ballots (is the caller recused, or in a possible conflict?), then the request " +
				"(its version numbers the event), the comment and its event in one transaction; the ROSTER partition is read whole to judge the caller's company",
		},

		// --- finance function ---
		{
			operation: "open an upload slot (finance)", route: "POST /finance/requests/{id}/attachments", status: 201,
			run: func() response {
				return s.call(fin, financeP, "POST", "/finance/requests/"+fresh+"/attachments",
					map[string]any{"name": "invoice.pdf", "type": "application/pdf", "size": 1000, "purpose": "invoice"})
			},
			measured: "GetItem 1, Query 1, TransactWriteItems 1 | read 4 | written 2",
			minimum:  "GetItem 1, Query 1, TransactWriteItems 1 | read 4 | written 2",
			reason:   "the request and its files (three here: the limit counts them), then the version and the pending file in one transaction",
		},
		{
			operation: "list files (finance)", route: "GET /finance/requests/{id}/attachments", status: 200,
			run:      financeCall(financeP, "GET", "/finance/requests/"+fresh+"/attachments"),
			measured: "GetItem 1, Query 1 | read 5 | written 0",
			minimum:  "GetItem 1, Query 1 | read 5 | written 0",
			reason:   "the request and one Query of its files (four here)",
		},
		{
			operation: "download link (finance)", route: "GET /finance/requests/{id}/attachments/{attachment}/download", status: 200,
			run: func() response {
				return s.call(fin, financeP, "GET", "/finance/requests/"+fresh+"/attachments/"+fileID+"/download", nil)
			},
			measured: "GetItem 1, Query 1 | read 5 | written 0",
			minimum:  "GetItem 2 | read 2 | written 0",
			reason:   "the request and the file's item would do; the file is found in one Query of the request's files, which the list shares",
		},
		{
			operation: "evidence a request owes (applicant)", route: "GET /requests/{id}/evidence", status: 200,
			run:      func() response { return s.callApplicant("GET", "/requests/"+decide+"/evidence", decideToken) },
			measured: "GetItem 1, Query 1 | read 1 | written 0",
			minimum:  "GetItem 1, Query 1 | read 1 | written 0",
			reason:   "the request (its reports are on it) and one Query of its files for the checklist (none yet)",
		},
		{
			operation: "submit a report", route: "POST /requests/{id}/reports/{report}", status: 200,
			setup: func() { s.milestoneFiles(decide, decideToken) },
			run: func() response {
				return s.callApplicantBody("POST", "/requests/"+decide+"/reports/0", decideToken,
					map[string]any{"text": "The milestone is done and released."})
			},
			measured: "GetItem 1, Query 1, TransactWriteItems 1 | read 3 | written 2",
			minimum:  "GetItem 1, Query 1, TransactWriteItems 1 | read 3 | written 2",
			reason:   "the request, one Query of its files (the deliverable and invoice the report stands on), then the request and its event in one transaction",
		},
		{
			operation: "evidence a request owes (reviewer)", route: "GET /review/requests/{id}/evidence", status: 200,
			run:      review("a2", "GET", "/review/requests/"+decide+"/evidence", nil),
			measured: "GetItem 1, Query 3 | read 21 | written 0",
			minimum:  "GetItem 1, Query 2 | read 5 | written 0",
			reason:   "the roster and the request's ballots admit the reviewer (not recused), as for its files; then the request and its files",
		},
		{
			operation: "ask for changes to a report (reviewer)", route: "POST /review/requests/{id}/reports/{report}/changes", status: 200,
			run:      review("a2", "POST", "/review/requests/"+decide+"/reports/0/changes", map[string]any{"message": "Link the release."}),
			measured: "GetItem 1, Query 3, TransactWriteItems 1 | read 21 | written 2",
			minimum:  "GetItem 1, Query 2, TransactWriteItems 1 | read 5 | written 2",
			reason:   "the reviewer's admission (roster and ballots), the request, then the request and its event in one transaction; the files are read for the answer",
		},
		{
			operation: "accept a report (finance)", route: "POST /finance/requests/{id}/reports/{report}/accept", status: 200,
			setup: func() {
				s.must(s.callApplicantBody("POST", "/requests/"+decide+"/reports/0", decideToken,
					map[string]any{"text": "The milestone is done; the release is linked.", "deliverableUrl": "https://example.org/release/1"}), 200)
			},
			run:      financeCall(financeP, "POST", "/finance/requests/"+decide+"/reports/0/accept"),
			measured: "GetItem 1, Query 3, TransactWriteItems 1 | read 21 | written 2",
			minimum:  "GetItem 1, Query 3, TransactWriteItems 1 | read 21 | written 2",
			reason: "the roster and the request's votes and recusals admit the judge as they would a payer (separation of duties), the request, " +
				"then the request and its event in one transaction, and its files for the checklist in the answer",
		},
		{
			operation: "accept a report already accepted (reviewer, refused 409)", route: "POST /review/requests/{id}/reports/{report}/accept", status: 409,
			run:      review("a2", "POST", "/review/requests/"+decide+"/reports/0/accept", nil),
			measured: "GetItem 1, Query 2 | read 19 | written 0",
			minimum:  "GetItem 1, Query 2 | read 19 | written 0",
			reason:   "the reviewer's admission (roster and ballots) and the request, whose report is accepted: nothing is written",
		},
		{
			operation: "ask for changes to an accepted report (finance, refused 409)", route: "POST /finance/requests/{id}/reports/{report}/changes", status: 409,
			run: func() response {
				return s.call(fin, financeP, "POST", "/finance/requests/"+decide+"/reports/0/changes", map[string]any{"message": "Too late."})
			},
			measured: "GetItem 1, Query 2 | read 19 | written 0",
			minimum:  "GetItem 1, Query 2 | read 19 | written 0",
			reason:   "the judge's admission (the roster, the request's votes and recusals) and the request, whose report is accepted: nothing is written",
		},
		{
			operation: "evidence archive (finance)", route: "GET /finance/requests/{id}/archive", status: 200,
			run:      financeCall(financeP, "GET", "/finance/requests/"+recuse+"/archive"),
			measured: "GetItem 1, Query 1 | read 1 | written 0",
			minimum:  "GetItem 1, Query 1 | read 1 | written 0",
			reason:   "the request (its reference names the archive) and one Query of its files (none here: the files' bytes come from S3, not DynamoDB)",
		},
		{
			operation: "evidence archive of a fiscal year (finance)", route: "GET /finance/archive", status: 200,
			run:      financeCall(financeP, "GET", "/finance/archive?fiscalYear=2049"),
			measured: "Query 1 | read 0 | written 0",
			minimum:  "Query 1 | read 0 | written 0",
			reason:   "one Query of the year's payments in the period index (none here); then, per request paid, its request and one Query of its files",
		},
		{
			operation: "evidence a request owes (finance)", route: "GET /finance/requests/{id}/evidence", status: 200,
			run:      financeCall(financeP, "GET", "/finance/requests/"+decide+"/evidence"),
			measured: "GetItem 1, Query 1 | read 3 | written 0",
			minimum:  "GetItem 1, Query 1 | read 3 | written 0",
			reason:   "the request and one Query of its files",
		},
		{
			operation: "give payout details (the first)", route: "PUT /requests/{id}/payout", status: 200,
			run: func() response {
				return s.callApplicantBody("PUT", "/requests/"+decide+"/payout", decideToken, map[string]any{"method": "bank_transfer",
					"accountHolder": "Example Labs GmbH", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX"})
			},
			measured: "GetItem 1, TransactWriteItems 1 | read 1 | written 3",
			minimum:  "GetItem 1, TransactWriteItems 1 | read 1 | written 3",
			reason:   "the request (token, status, version), then the request, its event and the sealed details in one transaction (and one KMS call for the data key)",
		},
		{
			operation: "where payout details stand (applicant)", route: "GET /requests/{id}/payout", status: 200,
			run:      func() response { return s.callApplicant("GET", "/requests/"+decide+"/payout", decideToken) },
			measured: "GetItem 1 | read 1 | written 0",
			minimum:  "GetItem 1 | read 1 | written 0",
			reason:   "the request, which says where its details stand without them",
		},
		{
			operation: "confirm a payout change with a wrong code (refused 404)", route: "POST /requests/{id}/payout/confirm", status: 404,
			run: func() response {
				return s.call(s.applic, nobody, "POST", "/requests/"+decide+"/payout/confirm", map[string]any{"code": "not-the-code"})
			},
			measured: "GetItem 1 | read 1 | written 0",
			minimum:  "GetItem 1 | read 1 | written 0",
			reason:   "the request, whose change's code hash does not match: nothing is written",
		},
		{
			operation: "payout details (finance)", route: "GET /finance/requests/{id}/payout", status: 200,
			run:      financeCall(financeP, "GET", "/finance/requests/"+decide+"/payout"),
			measured: "GetItem 2, Query 2 | read 20 | written 0",
			minimum:  "GetItem 2, Query 2 | read 20 | written 0",
			reason: "the roster and the request's votes and recusals admit the reader as they would a payer (separation of duties), " +
				"then the request and the sealed details in force (and one KMS call to open them)",
		},
		{
			operation: "verify payout details", route: "POST /finance/requests/{id}/payout/verify", status: 200,
			run: func() response {
				return s.call(fin, financeP, "POST", "/finance/requests/"+decide+"/payout/verify", map[string]any{"details": 1})
			},
			measured: "GetItem 1, Query 2, TransactWriteItems 1 | read 19 | written 2",
			minimum:  "GetItem 1, Query 2, TransactWriteItems 1 | read 19 | written 2",
			reason:   "the admission (roster, votes and recusals), the request, then the request and its event in one transaction",
		},
		{
			operation: "record payment (with Idempotency-Key)", route: "POST /finance/requests/{id}/payments", status: 201,
			run: func() response {
				r := s.callHeader(fin, financeP, "POST", "/finance/requests/"+decide+"/payments", pay("500.00", "EUR"), "idempotency-key", payKey)
				if r.status == 201 {
					paymentID, _ = r.json(t)["payment"].(map[string]any)["id"].(string)
				}
				return r
			},
			measured: "GetItem 1, Query 3, TransactWriteItems 1 | read 20 | written 6",
			minimum:  "GetItem 1, Query 3, TransactWriteItems 1 | read 20 | written 6",
			reason: "the key's record (a replay?), the roster with the companies (the payer's name and e-mail, and their company against the " +
				"applicant's: separation of duties), the request with its payments, recusals and the votes of every round (one Query of the key range " +
				"PAYMENT# to VOTE#), the request's files (one Query: the evidence the payment stands on, two here), then the request, the payment, " +
				"its event, the budget (committed to paid), the key's record and the year's register totals in one transaction " +
				"(and the register item of a published decision: one more)",
		},
		{
			operation: "record payment replayed (same key, same body)", route: "POST /finance/requests/{id}/payments", status: 201,
			run: func() response {
				return s.callHeader(fin, financeP, "POST", "/finance/requests/"+decide+"/payments", pay("500.00", "EUR"), "idempotency-key", payKey)
			},
			measured: "GetItem 1, Query 1 | read 4 | written 0",
			minimum:  "GetItem 1, Query 1 | read 3 | written 0",
			reason:   "the key's record, then the request with its payments to answer as the first time; nothing is written",
		},
		{
			operation: "reversal of a payment", route: "POST /finance/requests/{id}/payments", status: 201,
			run: func() response {
				return s.callHeader(fin, financeP, "POST", "/finance/requests/"+decide+"/payments",
					map[string]any{"reverses": paymentID, "date": "2026-11-25", "method": "other", "note": "Sent twice."}, "idempotency-key", payKey+"-reversal")
			},
			measured: "GetItem 1, Query 2, TransactWriteItems 1 | read 19 | written 6",
			minimum:  "GetItem 1, Query 2, TransactWriteItems 1 | read 19 | written 6",
			reason:   "as a payment: the reversing entry, the request, its event, the budget, the key's record and the register totals in one transaction",
		},
		{
			operation: "requests to pay", route: "GET /finance/requests", status: 200,
			run:      financeCall(financeP, "GET", "/finance/requests?status=approved"),
			measured: "Query 1 | read 1 | written 0",
			minimum:  "Query 1 | read 1 | written 0",
			reason:   "one Query of the status index for the page (up to limit+1 items); finance is not on the committee, so no roster is read",
		},
		{
			operation: "payments of a request (ledger)", route: "GET /finance/requests/{id}/payments", status: 200,
			run:      financeCall(financeP, "GET", "/finance/requests/"+decide+"/payments"),
			measured: "Query 1 | read 4 | written 0",
			minimum:  "Query 1 | read 3 | written 0",
			reason:   "one Query of the key range PAYMENT#..REQUEST: the request and its payments, and the recusals that sort between them",
		},
		{
			operation: "finance budgets", route: "GET /finance/budgets", status: 200,
			run:      financeCall(financeP, "GET", "/finance/budgets?fiscalYear=2026"),
			measured: "Query 1 | read 1 | written 0",
			minimum:  "Query 1 | read 1 | written 0",
			reason:   "one Query of the BUDGETS partition, one fiscal year's key range",
		},
		{
			operation: "report: requests", route: "GET /finance/reports/{report}", status: 200,
			run:      financeCall(financeP, "GET", "/finance/reports/requests?fiscalYear=2026&format=json"),
			measured: "Query 1 | read 8 | written 0",
			minimum:  "Query 1 | read 8 | written 0",
			reason: "one Query of the period index per 500 requests of the fiscal year (8 here): a page's cost does not grow with the table; " +
				"a call reads at most 20 000 requests (41 Queries), its ceiling",
		},
		{
			operation: "report: payments", route: "GET /finance/reports/{report}", status: 200,
			run:      financeCall(financeP, "GET", "/finance/reports/payments?fiscalYear=2026&format=csv"),
			measured: "Query 1 | read 2 | written 0",
			minimum:  "Query 1 | read 2 | written 0",
			reason:   "one Query of the period index per 500 payments of the fiscal year; a call reads at most 20 000 payments (41 Queries), its ceiling",
		},
		{
			operation: "report: summary", route: "GET /finance/reports/{report}", status: 200,
			run:      financeCall(financeP, "GET", "/finance/reports/summary?fiscalYear=2026&format=csv"),
			measured: "Query 3 | read 11 | written 0",
			minimum:  "Query 3 | read 11 | written 0",
			reason: "the requests and the payments of the year (a Query per 500 of each) and the year's budgets; " +
				"a call reads at most 40 000 items (83 Queries), its ceiling",
		},
		{
			operation: "report: audit trail of a fiscal year", route: "GET /finance/reports/{report}", status: 200,
			run:      financeCall(financeP, "GET", "/finance/reports/audit?fiscalYear=2026&format=csv"),
			measured: "Query 12 | read 52 | written 0",
			minimum:  "Query 12 | read 52 | written 0",
			reason: "audit events are partitioned by month in the period index: one Query per month of the year (empty months too), and one per 500 events; " +
				"a period is at most 366 days (13 months) and a call reads at most 50 000 events (113 Queries), its ceiling; " +
				"the events of requests still unconfirmed are not in it",
		},
		{
			operation: "report: requests over its ceiling (refused, 422)", route: "GET /finance/reports/{report}", status: 422,
			run: func() response {
				return s.call(capped, financeP, "GET", "/finance/reports/requests?fiscalYear=2026&format=xlsx", nil)
			},
			measured: "Query 1 | read 8 | written 0",
			minimum:  "Query 1 | read 4 | written 0",
			reason: "the ceiling (lowered to 3 here; 20 000 by default) counts items as the store hands them over and refuses the first past it; " +
				"the page that item came in (up to 500) is already read, so a refused report reads at most one page past its ceiling",
		},
		{
			operation: "report: audit period over 366 days (refused, 422)", route: "GET /finance/reports/{report}", status: 422,
			run:      financeCall(financeP, "GET", "/finance/reports/audit?from=2026-01-01&to=2027-01-02&format=csv"),
			measured: "none | read 0 | written 0",
			minimum:  "none | read 0 | written 0",
			reason:   "the period is checked before anything is read",
		},

		// --- admin function ---
		{
			operation: "admin: roster", route: "GET /admin/reviewers", status: 200,
			run:      adminCall("GET", "/admin/reviewers", nil),
			measured: "Query 1 | read 13 | written 0",
			minimum:  "Query 1 | read 13 | written 0",
			reason:   "one Query of the ROSTER partition: the staff (8) and the companies (5)",
		},
		{
			operation: "admin: companies", route: "GET /admin/companies", status: 200,
			run:      adminCall("GET", "/admin/companies", nil),
			measured: "Query 1 | read 13 | written 0",
			minimum:  "Query 1 | read 13 | written 0",
			reason:   "one Query of the ROSTER partition: the companies, and the staff to list each company's members",
		},
		{
			operation: "admin: add a company", route: "PUT /admin/companies/{id}", status: 200,
			run: adminCall("PUT", "/admin/companies/epsilon", map[string]any{"name": "Epsilon Systems", "aliases": []string{"Epsilon"},
				"domains": []string{"epsilon.example"}}),
			measured: "Query 1, TransactWriteItems 1 | read 13 | written 5",
			minimum:  "Query 1, TransactWriteItems 1 | read 13 | written 5",
			reason: "the roster with the companies (is a name or domain another company's?), then the company, its event and a claim on each " +
				"name key and domain (3) in one transaction, each claim conditional on being free: the claims are what keep one company from two seats",
		},
		{
			operation: "admin: add a reviewer", route: "PUT /admin/reviewers/{id}", status: 200,
			run:      adminCall("PUT", "/admin/reviewers/e", map[string]any{"name": "Reviewer E", "email": "e@committee.example", "companyId": "delta"}),
			measured: "Query 1, TransactWriteItems 1 | read 14 | written 2",
			minimum:  "GetItem 1, TransactWriteItems 1 | read 1 | written 2",
			reason: "the member's current entry (its version) and their company (does it exist?), then the entry and its audit event in one " +
				"transaction conditional on the version; the ROSTER partition (14 by then) is read whole to find them, where a GetItem of the entry " +
				"and a condition on the company in the transaction would do",
		},
		{
			operation: "admin: budgets", route: "GET /admin/budgets", status: 200,
			run:      adminCall("GET", "/admin/budgets", nil),
			measured: "Query 1 | read 2 | written 0",
			minimum:  "Query 1 | read 2 | written 0",
			reason:   "one Query of the BUDGETS partition (every year)",
		},
		{
			operation: "admin: change a budget", route: "PUT /admin/budgets/{fiscalYear}/{category}/{currency}", status: 200,
			run:      adminCall("PUT", "/admin/budgets/2026/project/EUR", map[string]any{"allocated": "6000.00"}),
			measured: "GetItem 1, Query 1, TransactWriteItems 1 | read 2 | written 2",
			minimum:  "GetItem 2, TransactWriteItems 1 | read 2 | written 2",
			reason: "the admin's roster entry (their name on the record), the budget's current state (version, what is spent), then the update and its audit event in one conditional transaction; " +
				"the year's budgets are read to find one (a Query of a key range, as cheap as a GetItem while a year has few budgets)",
		},
		{
			operation: "admin: settings", route: "GET /admin/settings", status: 200,
			run:      adminCall("GET", "/admin/settings", nil),
			measured: "GetItem 1 | read 0 | written 0",
			minimum:  "GetItem 1 | read 0 | written 0",
			reason:   "one GetItem (none saved yet: the defaults)",
		},
		{
			operation: "admin: change settings", route: "PUT /admin/settings", status: 200,
			run:      adminCall("PUT", "/admin/settings", map[string]any{"quorumPercent": 50}),
			measured: "GetItem 2, TransactWriteItems 1 | read 1 | written 2",
			minimum:  "GetItem 2, TransactWriteItems 1 | read 1 | written 2",
			reason:   "the admin's roster entry (their name on the record) and the current settings (version, previous value for the audit event), then the settings and the event in one conditional transaction",
		},
		{
			operation: "admin: public fields", route: "GET /admin/publication", status: 200,
			run:      adminCall("GET", "/admin/publication", nil),
			measured: "GetItem 1 | read 0 | written 0",
			minimum:  "GetItem 1 | read 0 | written 0",
			reason:   "one GetItem (none saved yet: the defaults)",
		},
		{
			operation: "admin: change the public fields", route: "PUT /admin/publication", status: 200,
			run:      adminCall("PUT", "/admin/publication", map[string]any{"fields": []string{"kind", "title", "approvedAmount"}}),
			measured: "GetItem 4, TransactWriteItems 1 | read 2 | written 4",
			minimum:  "GetItem 4, TransactWriteItems 1 | read 2 | written 4",
			reason: "the current public fields (version, previous list for the audit event) and the admin's roster entry (their name on the record), " +
				"then, strongly consistent, the fields and the register's years again, and the fields, the event and their copy into the feed's " +
				"register context and each year's (one year here) in one transaction, conditional on the version and on the years being as read",
		},
		{
			operation: "admin: staff with their sign-in", route: "GET /admin/staff", status: 200,
			run:      adminCall("GET", "/admin/staff", nil),
			measured: "Query 1 | read 15 | written 0",
			minimum:  "Query 1 | read 15 | written 0",
			reason:   "one Query of the ROSTER partition (9 staff, 6 companies); Cognito's view of every user comes from ListUsers (one call per 60 users), not from DynamoDB",
		},
		{
			operation: "admin: onboard a colleague", route: "POST /admin/staff", status: 201,
			run: func() response {
				r := s.call(s.admin, adminUser, "POST", "/admin/staff", newcomerBody)
				if r.status == 201 {
					newcomer, _ = r.json(t)["id"].(string)
				}
				return r
			},
			measured: "Query 1, TransactWriteItems 1 | read 15 | written 2",
			minimum:  "Query 1, TransactWriteItems 1 | read 15 | written 2",
			reason: "the roster with the companies (does the company exist? is the person on the staff already, and are they active?), then, after Cognito " +
				"(AdminGetUser, AdminCreateUser, AdminListGroupsForUser, AdminAddUserToGroup), the entry and its audit event in one transaction, on condition that the entry is new",
		},
		{
			operation: "admin: onboard again (a retry that finds it all done)", route: "POST /admin/staff", status: 201,
			run:      adminCall("POST", "/admin/staff", newcomerBody),
			measured: "Query 1 | read 16 | written 0",
			minimum:  "Query 1 | read 16 | written 0",
			reason:   "the roster shows the entry as asked, Cognito the user in their groups: nothing is written, nothing is recorded",
		},
		{
			operation: "admin: change a member of staff's roles", route: "PUT /admin/staff/{id}", status: 200,
			run: func() response {
				return s.call(s.admin, adminUser, "PUT", "/admin/staff/"+newcomer, map[string]any{"name": "Nora Newcomer", "roles": []string{"reviewer", "finance"}, "companyId": "delta"})
			},
			measured: "Query 1, TransactWriteItems 1 | read 16 | written 2",
			minimum:  "Query 1, TransactWriteItems 1 | read 16 | written 2",
			reason:   "the roster with the companies (the company, the entry's version), then, after Cognito's groups, the entry and its event in one transaction conditional on the version",
		},
		{
			operation: "admin: send the invitation again", route: "POST /admin/staff/{id}/invitation", status: 200,
			run: func() response {
				return s.call(s.admin, adminUser, "POST", "/admin/staff/"+newcomer+"/invitation", nil)
			},
			measured: "PutItem 1, Query 1 | read 16 | written 1",
			minimum:  "GetItem 1, PutItem 1 | read 1 | written 1",
			reason: "the roster (is the entry there and active? the admin's name for the record), Cognito's resend, then the audit event on its own; " +
				"the ROSTER partition is read whole where the entry and the admin's would do",
		},
		{
			operation: "admin: deactivate a member of staff", route: "POST /admin/staff/{id}/deactivate", status: 200,
			run: func() response {
				return s.call(s.admin, adminUser, "POST", "/admin/staff/"+newcomer+"/deactivate", nil)
			},
			measured: "PutItem 1, Query 1, TransactWriteItems 1 | read 16 | written 3",
			minimum:  "PutItem 1, Query 1, TransactWriteItems 1 | read 16 | written 3",
			reason: "the roster, the entry made inactive with its event in one transaction (first: it takes effect at once), then Cognito's sign-out and " +
				"disabling, recorded by an event of their own: the roster's event cannot wait for them",
		},
		{
			operation: "admin: reactivate a member of staff", route: "POST /admin/staff/{id}/reactivate", status: 200,
			run: func() response {
				return s.call(s.admin, adminUser, "POST", "/admin/staff/"+newcomer+"/reactivate", nil)
			},
			measured: "Query 1, TransactWriteItems 1 | read 16 | written 2",
			minimum:  "Query 1, TransactWriteItems 1 | read 16 | written 2",
			reason:   "the roster, then, after Cognito (groups, enabling), the entry made active with its event (every step listed) in one transaction",
		},

		// --- documents and pages ---
		{
			operation: "OpenAPI document", route: "GET /openapi.yaml", status: 200,
			run:      func() response { return s.call(s.applic, nobody, "GET", "/openapi.yaml", nil) },
			measured: "none | read 0 | written 0",
			minimum:  "none | read 0 | written 0",
			reason:   "embedded in the binary",
		},
		{
			operation: "applicant form", route: "GET /", status: 200,
			run:      func() response { return s.call(s.applic, nobody, "GET", "/", nil) },
			measured: "none | read 0 | written 0",
			minimum:  "none | read 0 | written 0",
			reason:   "a static page",
		},
		{
			operation: "confirmation page", route: "GET /confirm", status: 200,
			run:      func() response { return s.call(s.applic, nobody, "GET", "/confirm", nil) },
			measured: "none | read 0 | written 0",
			minimum:  "none | read 0 | written 0",
			reason:   "a static page; it sends the code to POST /requests/{id}/confirm",
		},
		{
			operation: "status page", route: "GET /status", status: 200,
			run:      func() response { return s.call(s.applic, nobody, "GET", "/status", nil) },
			measured: "none | read 0 | written 0",
			minimum:  "none | read 0 | written 0",
			reason:   "a static page; it reads the request through GET /requests/{id}",
		},
		{
			operation: "page asset", route: "GET /assets/{file}", status: 200,
			run:      func() response { return s.call(s.applic, nobody, "GET", "/assets/form.js", nil) },
			measured: "none | read 0 | written 0",
			minimum:  "none | read 0 | written 0",
			reason:   "embedded in the binary",
		},
		{
			operation: "console's sign-in configuration", route: "GET /console/config.json", status: 200,
			run: func() response {
				console := api.NewConsoleConfig("https://tracker.auth.us-east-1.amazoncognito.com", "console-client", "https://tracker.example")
				return s.call(api.NewSubmissions(sponsorship.NewService(s.store, sponsorship.Config{}, time.Now), slog.New(slog.DiscardHandler),
					api.WithConsole(console)), nobody, "GET", "/console/config.json", nil)
			},
			measured: "none | read 0 | written 0",
			minimum:  "none | read 0 | written 0",
			reason:   "from the function's environment",
		},
		{
			operation: "the staff console's page", route: "GET /console", status: 200,
			run: func() response {
				console := api.NewConsoleConfig("https://tracker.auth.us-east-1.amazoncognito.com", "console-client", "https://tracker.example")
				return s.call(api.NewSubmissions(sponsorship.NewService(s.store, sponsorship.Config{}, time.Now), slog.New(slog.DiscardHandler),
					api.WithConsole(console)), nobody, "GET", "/console/", nil)
			},
			measured: "none | read 0 | written 0",
			minimum:  "none | read 0 | written 0",
			reason:   "embedded in the binary; the staff routes it calls are rows of their own",
		},
		{
			operation: "no such route", route: "$default", status: 404,
			run:      func() response { return s.call(s.applic, nobody, "GET", "/nothing/here", nil) },
			measured: "none | read 0 | written 0",
			minimum:  "none | read 0 | written 0",
			reason:   "answered by the router",
		},
		// Last, so that the request it confirms is in no other row's figures.
		{
			operation: "confirm the e-mail address", route: "POST /requests/{id}/confirm", status: 200,
			setup: func() {
				unconfirmed, _ = s.submitUnconfirmed("60.00")
				code, _ := s.store.ConfirmationCode(context.Background(), unconfirmed)
				confirmation = map[string]any{"code": code}
			},
			run: func() response {
				return s.call(s.applic, nobody, "POST", "/requests/"+unconfirmed+"/confirm", confirmation)
			},
			measured: "GetItem 1, TransactWriteItems 1 | read 1 | written 5",
			minimum:  "GetItem 1, TransactWriteItems 1 | read 1 | written 5",
			reason: "read the request (code, status, version), then one transaction conditional on the version: the request and its " +
				"new event, the first event kept for good (its expiry removed), the plain code deleted, the address's count given back",
		},
		{
			operation: "confirm again (the link opened twice)", route: "POST /requests/{id}/confirm", status: 200,
			run: func() response {
				return s.call(s.applic, nobody, "POST", "/requests/"+unconfirmed+"/confirm", confirmation)
			},
			measured: "GetItem 1 | read 1 | written 0",
			minimum:  "GetItem 1 | read 1 | written 0",
			reason:   "the request says it is confirmed; nothing is written",
		},
	}
	rows = append(rows, s.logRows(t)...)
	rows = append(rows, s.registerRows(t)...)
	checkEveryRouteHasACost(t, rows)

	var records []costRecord
	for _, row := range rows {
		if row.setup != nil {
			row.setup()
		}
		counter.Reset()
		r := row.run()
		snap := counter.Take()
		if r.status != row.status {
			t.Errorf("%s (%s): status %d, want %d: %s", row.operation, row.route, r.status, row.status, r.body)
		}
		got := costOf(snap)
		want, least := parseCost(t, row.measured), parseCost(t, row.minimum)
		if got.String() != want.String() {
			t.Errorf("%s (%s) costs %q, its row says %q: update the row deliberately, with the reason", row.operation, row.route, got, want)
		}
		if got.totalCalls() < least.totalCalls() || got.read < least.read || got.written < least.written {
			t.Errorf("%s (%s) costs %q, less than its stated minimum %q: the minimum is wrong", row.operation, row.route, got, least)
		}
		total := snap.Total()
		records = append(records, costRecord{
			Operation: row.operation, Route: row.route, Status: r.status,
			Calls: total.Calls, ItemsRead: total.ItemsRead, ItemsScanned: total.ItemsScanned, ItemsWritten: total.ItemsWritten,
			RCU: total.RCU, WCU: total.WCU + total.IndexWCU, WCUTable: total.WCU, WCUIndexes: total.IndexWCU,
			Measured: got.String(), Minimum: row.minimum, Reason: row.reason, ByOperation: snap.ByOperation,
		})
		t.Logf("%-70s %-60s rcu %4.1f wcu %4.1f (+%4.1f in indexes)  minimum: %s", row.operation, got, total.RCU, total.WCU, total.IndexWCU, row.minimum)
	}

	if dir := os.Getenv("BENCH_OUT"); dir != "" {
		b, err := json.MarshalIndent(records, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "dynamodb-cost.json"), append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// checkEveryRouteHasACost keeps the cost table complete: every HTTP API route of every
// function in template.yaml has at least one row.
func checkEveryRouteHasACost(t *testing.T, rows []routeCost) {
	t.Helper()
	covered := map[string]bool{}
	for _, r := range rows {
		covered[r.route] = true
	}
	var missing []string
	for id, res := range testenv.Template(t).Resources {
		evs, _ := res.Properties["Events"].(map[string]any)
		for _, e := range evs {
			ev, _ := e.(map[string]any)
			if ev["Type"] != "HttpApi" {
				continue
			}
			p, _ := ev["Properties"].(map[string]any)
			route := fmt.Sprint(p["Method"], " ", p["Path"])
			if p["Path"] == "/$default" {
				route = "$default"
			}
			if !covered[route] {
				missing = append(missing, id+": "+route)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("routes without a row in the DynamoDB cost table: %v", missing)
	}
}
