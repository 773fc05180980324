//go:build integration

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
)

// application returns a valid request body of a kind for an applicant e-mail.
func application(kind, email string) map[string]any {
	body := map[string]any{
		"kind": kind, "title": "A " + kind + " request for the e2e suite",
		"summary":   "Submitted through the local API gateway by the end-to-end tests.",
		"applicant": map[string]any{"name": "E2E Applicant", "email": email, "organization": "Example Org"},
		"amount":    map[string]any{"currency": "EUR", "value": "1200.00"},
	}
	switch kind {
	case "conference":
		body["conference"] = map[string]any{"eventName": "FOSDEM 2031", "eventUrl": "https://fosdem.org/", "startDate": "2031-02-01",
			"endDate": "2031-02-02", "location": "Brussels, BE", "tier": "community"}
	case "travel":
		body["travel"] = map[string]any{"traveller": "E2E Applicant", "eventName": "LPC 2031", "eventUrl": "https://lpc.events/",
			"startDate": "2031-09-01", "endDate": "2031-09-03", "talkTitle": "Testing end to end", "origin": "Lisbon, PT"}
	case "project":
		body["project"] = map[string]any{"name": "e2e", "repositoryUrl": "https://example.org/e2e", "licence": "MIT",
			"milestones": []any{map[string]any{"title": "All", "dueDate": "2031-06-30", "amount": map[string]any{"currency": "EUR", "value": "1200.00"}}}}
	}
	return body
}

func countByApplicant(t *testing.T, email string) int {
	return testenv.CountByApplicant(t, dev.DynamoDB(), dev.Physical("Table"), email)
}

func TestSubmitThroughTheGatewayAndReadBack(t *testing.T) {
	for _, kind := range []string{"conference", "travel", "project"} {
		t.Run(kind, func(t *testing.T) {
			email := kind + "-readback@example.org"
			r := anonymous(t).do("POST", "/requests", application(kind, email), "Idempotency-Key", "e2e-readback-key-"+kind)
			if r.status != http.StatusCreated {
				t.Fatalf("submit: %d %s", r.status, r.body)
			}
			receipt := r.json(t)
			id, token := receipt["id"].(string), receipt["applicantToken"].(string)
			if r.header.Get("Apigw-Requestid") == "" || r.header.Get("X-Request-Id") != r.header.Get("Apigw-Requestid") {
				t.Errorf("the function did not see the gateway's request id: %v", r.header)
			}
			got := as(t, token).do("GET", "/requests/"+id, nil)
			if got.status != 200 || got.json(t)["kind"] != kind {
				t.Fatalf("read back: %d %s", got.status, got.body)
			}
			// A replay through the gateway stores nothing new.
			again := anonymous(t).do("POST", "/requests", application(kind, email), "Idempotency-Key", "e2e-readback-key-"+kind)
			if again.status != 201 || again.json(t)["id"] != id {
				t.Errorf("replay: %d %s", again.status, again.body)
			}
			if n := countByApplicant(t, email); n != 1 {
				t.Errorf("%d requests stored, want 1", n)
			}
			// Another request's token does not open this one.
			if r := as(t, "demo-token-conference-submitted-000000000001").do("GET", "/requests/"+id, nil); r.status != 404 {
				t.Errorf("foreign token: %d", r.status)
			}
		})
	}
}

func TestConcurrentSubmissionsAreAllStored(t *testing.T) {
	const n = 32
	// An address of its own per submission: an address may have only three requests
	// waiting for confirmation a day (TestConcurrentSubmissionsForOneAddressStopAtTheLimit).
	email := func(i int) string { return fmt.Sprintf("concurrent-%02d@example.org", i) }
	var wg sync.WaitGroup
	statuses := make([]int, n)
	ids := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := application([]string{"conference", "travel", "project"}[i%3], email(i))
			body["title"] = fmt.Sprintf("Concurrent submission number %d", i)
			r := anonymous(t).do("POST", "/requests", body)
			statuses[i] = r.status
			if r.status == http.StatusCreated {
				ids[i] = r.json(t)["id"].(string)
			}
		}()
	}
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusCreated {
			t.Errorf("submission %d: status %d", i, s)
		}
	}
	got := 0
	for i := range n {
		got += countByApplicant(t, email(i))
	}
	if got != n {
		t.Errorf("%d of %d concurrent submissions stored", got, n)
		for _, id := range ids {
			if _, err := dev.Store().Dossier(context.Background(), id); err != nil {
				t.Errorf("acknowledged submission %s: %v", id, err)
			}
		}
	}
}

func TestGatewayRefusesOversizedBodies(t *testing.T) {
	big := application("conference", "big@example.org")
	big["summary"] = strings.Repeat("x", 11<<20)
	if r := anonymous(t).do("POST", "/requests", big); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("11 MB body: %d", r.status)
	}
	// Under the gateway's limit but over the function's: the function's problem document.
	mid := application("conference", "mid@example.org")
	mid["summary"] = strings.Repeat("x", 100<<10)
	r := anonymous(t).do("POST", "/requests", mid)
	if r.status != http.StatusRequestEntityTooLarge || r.header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("100 KiB body: %d %s", r.status, r.header.Get("Content-Type"))
	}
}
