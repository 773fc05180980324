//go:build integration

package api_test

import (
	"testing"
)

// registerRows are the cost table's rows of the public register, on the decisions the
// cost test made (fiscal year 2026): each page is one read of its partition, beside
// one small batch of the public fields.
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
			measured: "BatchGetItem 1, Query 1 | read 4 | written 0",
			minimum:  "BatchGetItem 1, Query 1 | read 4 | written 0",
			reason: "one Query of the year's partition (its totals and its one listed decision here), and at the same time one batch of " +
				"the public fields and the list of years; filters apply in code, since the Query reads the partition anyway",
		},
		{
			operation: "a decision's page", route: "GET /register/{fiscalYear}/{id}", status: 200, run: func() response { return get("/register/2026/" + listed.id)() },
			measured: "BatchGetItem 2 | read 2 | written 0",
			minimum:  "BatchGetItem 1 | read 2 | written 0",
			reason: "the decision's item and the public fields, in one batch; then its decision event's leaf index in the log " +
				"(not logged here): the item names the event, and the ledger function writes the leaf after the decision",
		},
		{
			operation: "the JSON Feed", route: "GET /register/feed.json", status: 200, run: get("/register/feed.json"),
			measured: "BatchGetItem 1, Query 1 | read 4 | written 0",
			minimum:  "BatchGetItem 1, Query 1 | read 4 | written 0",
			reason:   "the current fiscal year's partition, with the public fields",
		},
		{
			operation: "the Atom feed", route: "GET /register/feed.atom", status: 200, run: get("/register/feed.atom"),
			measured: "BatchGetItem 1, Query 1 | read 4 | written 0",
			minimum:  "BatchGetItem 1, Query 1 | read 4 | written 0",
			reason:   "the same read as the JSON Feed",
		},
		{
			operation: "a fiscal year's CSV", route: "GET /register/{fiscalYear}/decisions.csv", status: 200, run: get("/register/2026/decisions.csv"),
			measured: "BatchGetItem 1, Query 1 | read 4 | written 0",
			minimum:  "BatchGetItem 1, Query 1 | read 4 | written 0",
			reason:   "the same read as the list page",
		},
		{
			operation: "a fiscal year's totals", route: "GET /register/{fiscalYear}/totals.json", status: 200, run: get("/register/2026/totals.json"),
			measured: "BatchGetItem 1, Query 1 | read 4 | written 0",
			minimum:  "GetItem 1 | read 1 | written 0",
			reason:   "the year's partition, though the totals are one item of it: the totals answer shares the list's read",
		},
	}
}
