//go:build integration

package e2e

// Faults injected in the proxy in front of moto: DynamoDB throttling and failures, a
// transaction cancelled mid-approval, a call so slow the function times out. Each must
// leave the data exactly as it was (or, for the timeout, whole), and tell the client
// what to do. SES failures are in notify_test.go (retried, then dead-lettered).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// inject adds a fault to the moto proxy until the test ends.
func inject(t *testing.T, fault map[string]any) {
	t.Helper()
	b, _ := json.Marshal(fault)
	resp, err := http.Post(dev.Endpoint()+"/_proxy/faults", "application/json", bytes.NewReader(b))
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("inject %s: %v %v", b, err, resp)
	}
	resp.Body.Close()
	t.Cleanup(func() { clearFaults(t) })
}

func clearFaults(t *testing.T) {
	req, _ := http.NewRequest(http.MethodDelete, dev.Endpoint()+"/_proxy/faults", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// unavailable checks a 503 as clients need it: a problem document, a Retry-After, and
// nothing of the driver's error.
func unavailable(t *testing.T, what string, r reply) {
	t.Helper()
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" ||
		!strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
		t.Errorf("%s: %d Retry-After %q %s, want 503 with Retry-After", what, r.status, r.header.Get("Retry-After"), r.body)
	}
	if strings.Contains(string(r.body), "injected") || strings.Contains(string(r.body), "Exception") {
		t.Errorf("%s: the answer shows the driver's error: %s", what, r.body)
	}
}

func TestThrottledOrFailingStorageAnswers503AndWritesNothing(t *testing.T) {
	for _, fault := range []struct{ name, errorType string }{
		{"throttled", "ProvisionedThroughputExceededException"},
		{"failing", "InternalServerError"},
	} {
		t.Run(fault.name, func(t *testing.T) {
			status := 400
			if fault.errorType == "InternalServerError" {
				status = 500
			}
			body := application("project", "fault-"+fault.name+"@example.org")
			key := "fault-" + fault.name + "-" + fmt.Sprint(time.Now().UnixNano())
			inject(t, map[string]any{"target": "DynamoDB_20120810.TransactWriteItems", "status": status,
				"errorType": fault.errorType, "message": "(injected)"})
			unavailable(t, "submit", anonymous(t).do("POST", "/requests", body, "Idempotency-Key", key))
			if n := countByApplicant(t, "fault-"+fault.name+"@example.org"); n != 0 {
				t.Errorf("%d requests stored by a refused submission", n)
			}
			clearFaults(t)

			// The client's retry, with the same key, stores the request once.
			r := anonymous(t).do("POST", "/requests", body, "Idempotency-Key", key)
			if r.status != 201 {
				t.Fatalf("retry: %d %s", r.status, r.body)
			}
			receipt := r.json(t)
			id, token := receipt["id"].(string), receipt["applicantToken"].(string)
			if n := countByApplicant(t, "fault-"+fault.name+"@example.org"); n != 1 {
				t.Errorf("%d requests after the retry, want 1", n)
			}

			// Reads fail the same way.
			inject(t, map[string]any{"target": "DynamoDB_20120810.", "status": status, "errorType": fault.errorType, "message": "(injected)"})
			unavailable(t, "read", as(t, token).do("GET", "/requests/"+id, nil))
			clearFaults(t)
			if r := as(t, token).do("GET", "/requests/"+id, nil); r.status != 200 || r.json(t)["version"] != float64(1) {
				t.Errorf("read after the fault: %d %s", r.status, r.body)
			}
		})
	}
}

// cancelled is DynamoDB's answer to a transaction it cancels, with one reason per item.
func cancelled(reason string, items int) map[string]any {
	reasons := make([]map[string]string, items)
	codes := make([]string, items)
	for i := range reasons {
		reasons[i], codes[i] = map[string]string{"Code": "None"}, "None"
	}
	reasons[items-1], codes[items-1] = map[string]string{"Code": reason, "Message": "(injected)"}, reason
	resp, _ := json.Marshal(map[string]any{"__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
		"Message":             "Transaction cancelled, please refer cancellation reasons for specific reasons [" + strings.Join(codes, ", ") + "]",
		"CancellationReasons": reasons})
	return map[string]any{"target": "DynamoDB_20120810.TransactWriteItems", "status": 400,
		"errorType": "TransactionCanceledException", "response": json.RawMessage(resp)}
}

// A deciding vote whose transaction DynamoDB cancels (a conflict that does not go away,
// or throttling) leaves the request, the budget and the history as they were; the same
// vote goes through once DynamoDB does.
func TestCancelledApprovalChangesNothing(t *testing.T) {
	adm := staff(t, "admin")
	if r := adm.do("PUT", "/admin/budgets/2032/conference/NZD", map[string]any{"allocated": "5000.00"}); r.status != 200 {
		t.Fatalf("budget: %d %s", r.status, r.body)
	}
	body := application("conference", "cancelled-approval@northwind.example")
	body["applicant"].(map[string]any)["organization"] = "Northwind Ltd"
	body["amount"] = map[string]any{"currency": "NZD", "value": "1200.00"}
	body["conference"].(map[string]any)["startDate"], body["conference"].(map[string]any)["endDate"] = "2032-03-01", "2032-03-02"
	id, _, _ := submitConfirmed(t, body)
	for _, who := range []string{"rita.reviewer@example.org", "bruno.reviewer@example.org"} {
		if r := as(t, mustToken(t, who)).do("POST", "/review/requests/"+id+"/votes", map[string]any{"choice": "approve"}); r.status != 200 {
			t.Fatalf("vote: %d %s", r.status, r.body)
		}
	}
	gita := as(t, mustToken(t, "gita.reviewer@example.org"))
	snapshot := func() string {
		d := gita.do("GET", "/review/requests/"+id, nil).json(t)
		b := adm.do("GET", "/admin/budgets?fiscalYear=2032", nil).json(t)
		var budget any
		for _, x := range b["items"].([]any) {
			if x := x.(map[string]any); x["category"] == "conference" && x["currency"] == "NZD" {
				budget = x
			}
		}
		req := d["request"].(map[string]any)
		out, _ := json.Marshal(map[string]any{"status": req["status"], "version": req["version"], "votes": len(d["votes"].([]any)),
			"history": len(d["history"].([]any)), "budget": budget})
		return string(out)
	}
	before := snapshot()
	for _, c := range []struct {
		reason string
		want   int
	}{{"TransactionConflict", http.StatusConflict}, {"ThrottlingError", http.StatusServiceUnavailable}} {
		inject(t, cancelled(c.reason, 4))
		r := gita.do("POST", "/review/requests/"+id+"/votes", map[string]any{"choice": "approve"})
		clearFaults(t)
		if r.status != c.want {
			t.Errorf("%s: the deciding vote got %d %s, want %d", c.reason, r.status, r.body, c.want)
		}
		if after := snapshot(); after != before {
			t.Errorf("%s changed the data:\nbefore %s\nafter  %s", c.reason, before, after)
		}
	}
	if r := gita.do("POST", "/review/requests/"+id+"/votes", map[string]any{"choice": "approve"}); r.status != 200 {
		t.Fatalf("the vote once DynamoDB answers: %d %s", r.status, r.body)
	}
	after := gita.do("GET", "/review/requests/"+id, nil).json(t)["request"].(map[string]any)
	if after["status"] != "approved" {
		t.Errorf("after the faults the vote decided nothing: %v", after["status"])
	}
}

// A storage call so slow that the function runs past its timeout: the gateway answers
// 504, and the request is stored whole or not at all, never in part; the client's retry
// with the same Idempotency-Key leaves exactly one.
func TestFunctionPastItsTimeoutLeavesNothingHalfWritten(t *testing.T) {
	email := "timeout@example.org"
	body := application("travel", email)
	key := fmt.Sprint("timeout-", time.Now().UnixNano())
	inject(t, map[string]any{"target": "DynamoDB_20120810.TransactWriteItems", "body": email, "delayMs": 14000, "times": 1})
	start := time.Now()
	r := anonymous(t).do("POST", "/requests", body, "Idempotency-Key", key)
	if r.status != http.StatusGatewayTimeout {
		t.Fatalf("a submission past the function's timeout: %d after %v: %s", r.status, time.Since(start).Round(time.Second), r.body)
	}
	// Wait out the held call: a function that gave up must not have it written later.
	time.Sleep(time.Until(start.Add(15 * time.Second)))
	if n := countByApplicant(t, email); n != 0 {
		t.Errorf("%d requests stored by the timed-out call", n)
	}
	again := anonymous(t).do("POST", "/requests", body, "Idempotency-Key", key)
	if again.status != 201 {
		t.Fatalf("retry: %d %s", again.status, again.body)
	}
	receipt := again.json(t)
	got := as(t, receipt["applicantToken"].(string)).do("GET", "/requests/"+receipt["id"].(string), nil).json(t)
	if n := countByApplicant(t, email); n != 1 || len(got["history"].([]any)) != 1 {
		t.Errorf("after the retry: %d requests, history %v", n, got["history"])
	}
}
