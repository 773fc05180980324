//go:build integration

package e2e

// Concurrency through the gateway, counts checked exactly: every reviewer voting at
// once, one submission replayed by impatient clients, one payment replayed, and more
// payments at once than the approved amount allows. (Approvals racing for a small
// budget are in review_test.go.)

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// parallel runs f n times at once and waits for all.
func parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { f(i) })
	}
	wg.Wait()
}

func TestEveryReviewerVotingAtOnce(t *testing.T) {
	c := committee(t, "parallel")
	id, _, _ := submitConfirmed(t, xyloProject("3000.00"))
	names := []string{"a1", "a2", "b", "c", "d"} // x is Xylo's, and recused
	statuses := make([]int, len(names))
	parallel(len(names), func(i int) {
		statuses[i] = c[names[i]].do("POST", "/review/requests/"+id+"/votes", map[string]any{"choice": "reject"}).status
	})
	// Once the rejection is decided, a later ballot finds the request closed (409).
	decided := 0
	for i, s := range statuses {
		switch s {
		case http.StatusOK:
			decided++
		case http.StatusConflict:
		default:
			t.Errorf("%s's vote: %d", names[i], s)
		}
	}
	d := c["a1"].do("GET", "/review/requests/"+id, nil).json(t)
	events := map[string]int{}
	for _, e := range d["history"].([]any) {
		events[e.(map[string]any)["type"].(string)]++
	}
	if d["request"].(map[string]any)["status"] != "rejected" || events["rejected"] != 1 {
		t.Errorf("status %v, %d rejected events; want rejected once", d["request"].(map[string]any)["status"], events["rejected"])
	}
	// Every ballot that got a 200 is on the record, and nothing else.
	if events["vote_cast"] != decided || len(d["votes"].([]any)) != decided {
		t.Errorf("%d ballots accepted, %d vote events, %d votes", decided, events["vote_cast"], len(d["votes"].([]any)))
	}
}

func TestReplayedSubmissionIsStoredOnce(t *testing.T) {
	const n = 16
	email := "replayed-submission@example.org"
	body := application("conference", email)
	ids := make([]string, n)
	statuses := make([]int, n)
	parallel(n, func(i int) {
		r := anonymous(t).do("POST", "/requests", body, "Idempotency-Key", "e2e-replayed-submission-0001")
		statuses[i] = r.status
		if r.status == 201 {
			ids[i], _ = r.json(t)["id"].(string)
		}
	})
	for i := range n {
		if statuses[i] != 201 || ids[i] != ids[0] {
			t.Errorf("attempt %d: %d %s, want 201 with the first id %s", i, statuses[i], ids[i], ids[0])
		}
	}
	if got := countByApplicant(t, email); got != 1 {
		t.Errorf("%d requests stored from %d replays, want 1", got, n)
	}
}

func TestPaymentsAtOnceNeverExceedTheApprovedAmount(t *testing.T) {
	adm, fin := staff(t, "admin"), staff(t, "finance")
	if r := adm.do("PUT", "/admin/budgets/2032/conference/DKK", map[string]any{"allocated": "10000.00"}); r.status != 200 {
		t.Fatalf("budget: %d %s", r.status, r.body)
	}
	id := approveThroughTheGateway(t, "DKK", "100.00", "Payments at once")
	// A payment that lost too many races is answered 409 "changed meanwhile"; finance's
	// client sends it again with the same key, as the problem document says to.
	pay := func(key string) reply {
		for {
			r := fin.do("POST", "/finance/requests/"+id+"/payments", map[string]any{"amount": map[string]any{"currency": "DKK", "value": "10.00"},
				"date": today(), "method": "bank_transfer"}, "Idempotency-Key", key)
			if r.status != 409 || !strings.HasSuffix(fmt.Sprint(r.json(t)["type"]), "/conflict") {
				return r
			}
		}
	}

	// One payment sent sixteen times with its key is recorded once.
	const n = 16
	replays := make([]reply, n)
	parallel(n, func(i int) { replays[i] = pay("e2e-replayed-payment-0001") })
	for i, r := range replays {
		if r.status != 201 {
			t.Errorf("replay %d: %d %s", i, r.status, r.body)
		}
	}
	ledger := fin.do("GET", "/finance/requests/"+id+"/payments", nil).json(t)
	if payments, _ := ledger["payments"].([]any); len(payments) != 1 || ledger["paid"].(map[string]any)["value"] != "10.00" {
		t.Fatalf("after %d replays: %d payments, paid %v", n, len(payments), ledger["paid"])
	}

	// Sixteen different payments of 10 against the 90 still owed: nine go through, seven
	// are refused as more than is owed.
	statuses := make([]int, n)
	parallel(n, func(i int) { statuses[i] = pay(fmt.Sprintf("e2e-payment-at-once-%02d", i)).status })
	accepted, refused := 0, 0
	for i, s := range statuses {
		switch s {
		case 201:
			accepted++
		case 422:
			refused++
		default:
			t.Errorf("payment %d: %d", i, s)
		}
	}
	ledger = fin.do("GET", "/finance/requests/"+id+"/payments", nil).json(t)
	payments, _ := ledger["payments"].([]any)
	if accepted != 9 || refused != 7 || len(payments) != 10 || ledger["paid"].(map[string]any)["value"] != "100.00" || ledger["status"] != "paid" {
		t.Errorf("%d accepted, %d refused; ledger %d payments, paid %v, status %v; want 9, 7, 10, 100.00, paid",
			accepted, refused, len(payments), ledger["paid"], ledger["status"])
	}
	for _, b := range fin.do("GET", "/finance/budgets?fiscalYear=2032", nil).json(t)["items"].([]any) {
		if b := b.(map[string]any); b["category"] == "conference" && b["currency"] == "DKK" && (b["paid"] != "100.00" || b["committed"] != "0.00") {
			t.Errorf("budget after the payments: %v", b)
		}
	}
}
