//go:build integration

package api_test

import (
	"context"
	"testing"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// registerRows are the cost table's rows of the public register, on the decisions the
// cost test made (fiscal year 2026): each page is one read.
func (s *staffAPI) registerRows(t *testing.T) []routeCost {
	t.Helper()
	listed := &registerCase{label: "Cost", publication: "named", outcome: "reject"}
	public := s.publicRegister("")
	get := func(path string) func() response {
		return func() response { return s.call(public, nobody, "GET", path, nil) }
	}
	return []routeCost{
		{
			operation: "the register of a fiscal year, filtered", route: "GET /register", status: 200,
			setup:    func() { s.submitCase(listed) },
			run:      get("/register?fiscalYear=2026&kind=project&outcome=approved"),
			measured: "Query 1 | read 3 | written 0",
			minimum:  "Query 1 | read 3 | written 0",
			reason: "one Query of the year's partition: its totals, its copy of the public fields and the years, and its one listed " +
				"decision here; filters apply in code, since the Query reads the partition anyway",
		},
		{
			operation: "a decision's page, before the log holds its decision", route: "GET /register/{fiscalYear}/{id}", status: 200,
			run:      func() response { return get("/register/2026/" + listed.id)() },
			measured: "BatchGetItem 2 | read 2 | written 0",
			minimum:  "BatchGetItem 1 | read 2 | written 0",
			reason: "the decision's item and the public fields, in one batch; then its decision event's leaf item, since the " +
				"ledger function has not yet written the leaf index on the entry (it does within seconds of the decision)",
		},
		{
			operation: "a decision's page", route: "GET /register/{fiscalYear}/{id}", status: 200,
			setup: func() {
				if err := s.store.MarkRegisterLeaf(context.Background(), sponsorship.RegisterKey{FiscalYear: 2026, ID: listed.id}, 7); err != nil {
					t.Fatal(err)
				}
			},
			run:      func() response { return get("/register/2026/" + listed.id)() },
			measured: "BatchGetItem 1 | read 2 | written 0",
			minimum:  "BatchGetItem 1 | read 2 | written 0",
			reason:   "the decision's item, which names its leaf in the log, and the public fields, in one batch",
		},
		{
			operation: "the JSON Feed", route: "GET /register/feed.json", status: 200, run: get("/register/feed.json"),
			measured: "Query 1 | read 2 | written 0",
			minimum:  "Query 1 | read 2 | written 0",
			reason:   "one newest-first Query of the feed's index: the register's context, then the latest listed decisions of every year (one here)",
		},
		{
			operation: "the Atom feed", route: "GET /register/feed.atom", status: 200, run: get("/register/feed.atom"),
			measured: "Query 1 | read 2 | written 0",
			minimum:  "Query 1 | read 2 | written 0",
			reason:   "the same read as the JSON Feed",
		},
		{
			operation: "a fiscal year's CSV", route: "GET /register/{fiscalYear}/decisions.csv", status: 200, run: get("/register/2026/decisions.csv"),
			measured: "Query 1 | read 3 | written 0",
			minimum:  "Query 1 | read 3 | written 0",
			reason:   "the same read as the list page",
		},
		{
			operation: "a fiscal year's totals", route: "GET /register/{fiscalYear}/totals.json", status: 200, run: get("/register/2026/totals.json"),
			measured: "GetItem 1 | read 1 | written 0",
			minimum:  "GetItem 1 | read 1 | written 0",
			reason:   "the year's totals item",
		},
	}
}
