//go:build integration

package api_test

import (
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api/openapitest"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/dynamostore"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// clock is a test's time, which the test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time)     { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }
func (c *clock) add(d time.Duration) { c.set(c.now().Add(d)) }

// newClockedAPI is newTestAPI on a clock the test moves.
func newClockedAPI(t *testing.T, c *clock) *testAPI {
	t.Helper()
	db, table := testenv.Table(t)
	store := dynamostore.New(db, table)
	logs := &testenv.LogBuffer{}
	svc := sponsorship.NewService(store, sponsorship.Config{Rules: sponsorship.DefaultRules}, c.now)
	h := api.NewSubmissions(svc, slog.New(slog.NewJSONHandler(logs, nil)))
	return &testAPI{t: t, h: openapitest.New(t).Wrap(t, h), store: store, db: db, table: table, logs: logs}
}

func TestConfirmationSubmitsTheRequestOnce(t *testing.T) {
	c := &clock{t: now}
	a := newClockedAPI(t, c)
	id, token := a.submit(conference())
	code, err := a.store.ConfirmationCode(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}

	// A wrong code answers exactly as an unknown id does: no oracle.
	unknown := a.confirmWith(sponsorship.NewID(now), code)
	for name, r := range map[string]response{
		"wrong code":            a.confirmWith(id, code[:len(code)-1]+"x"),
		"another's code":        a.confirmWith(id, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
		"a very long code":      a.confirmWith(id, strings.Repeat("A", 4096)),
		"a token for a code":    a.confirmWith(id, token),
		"unknown id, real code": unknown,
		"malformed id":          a.confirmWith("not-a-request-id", code),
	} {
		p := r.json(t)
		if r.status != 404 || p["type"] != unknown.json(t)["type"] || p["detail"] != unknown.json(t)["detail"] {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	if r := a.do("POST", "/requests/"+id+"/confirm", map[string]any{}); r.status != 422 || strings.Join(r.fieldCodes(t), " ") != "code=required" {
		t.Errorf("no code: %d %s", r.status, r.body)
	}
	if r := a.do("POST", "/requests/"+id+"/confirm", map[string]any{"code": code, "status": "approved"}); r.status != 400 {
		t.Errorf("a field the caller may not set: %d %s", r.status, r.body)
	}
	if v := a.do("GET", "/requests/"+id, nil, bearer(token)...).json(t); v["status"] != "unconfirmed" {
		t.Fatalf("refused confirmations changed the request: %v", v)
	}

	c.add(26 * time.Hour) // the next day, well within the week
	r := a.confirmWith(id, code)
	if r.status != 200 {
		t.Fatalf("confirm: %d %s", r.status, r.body)
	}
	got := r.json(t)
	if got["status"] != "submitted" || got["alreadyConfirmed"] != false || got["reference"] != sponsorship.ReferenceFor(id) || len(got) != 4 {
		t.Errorf("confirmation answer %v", got)
	}
	// The request is submitted from now on, and keeps nothing of its expiry.
	v := a.do("GET", "/requests/"+id, nil, bearer(token)...).json(t)
	history := v["history"].([]any)
	if v["status"] != "submitted" || v["expiresAt"] != nil || v["submittedAt"] != "2026-11-26T12:00:00Z" || len(history) != 2 ||
		history[1].(map[string]any)["type"] != "submitted" {
		t.Errorf("after confirmation: %v", v)
	}
	// Opening the link again is fine, and changes nothing; even past the week.
	c.add(30 * 24 * time.Hour)
	again := a.confirmWith(id, code)
	if again.status != 200 || again.json(t)["alreadyConfirmed"] != true || again.json(t)["status"] != "submitted" {
		t.Errorf("second confirmation: %d %s", again.status, again.body)
	}
	if v := a.do("GET", "/requests/"+id, nil, bearer(token)...).json(t); v["version"] != 2.0 {
		t.Errorf("a second confirmation wrote: version %v", v["version"])
	}
	if r := a.confirmWith(id, code+"x"); r.status != 404 {
		t.Errorf("a wrong code after confirmation: %d", r.status)
	}
}

// Unconfirmed past its week, a request is gone for everyone, though moto (like
// DynamoDB, for up to a few days) still holds it.
func TestExpiredUnconfirmedRequestIsAbsent(t *testing.T) {
	c := &clock{t: now}
	a := newClockedAPI(t, c)
	id, token := a.submit(travel())
	code, err := a.store.ConfirmationCode(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	c.set(now.Add(7*24*time.Hour - time.Second))
	if r := a.do("GET", "/requests/"+id, nil, bearer(token)...); r.status != 200 {
		t.Fatalf("a second before expiry: %d", r.status)
	}
	c.set(now.Add(7 * 24 * time.Hour))
	for name, r := range map[string]response{
		"read":     a.do("GET", "/requests/"+id, nil, bearer(token)...),
		"withdraw": a.do("POST", "/requests/"+id+"/withdraw", nil, bearer(token)...),
		"confirm":  a.confirmWith(id, code),
	} {
		if r.status != 404 {
			t.Errorf("%s after expiry: %d %s", name, r.status, r.body)
		}
	}
	if _, err := a.store.GetRequest(t.Context(), id); err != nil {
		t.Errorf("the store itself still holds it (moto never expires items): %v", err)
	}
}

func TestConfirmingAWithdrawnRequestIsRefused(t *testing.T) {
	a := newTestAPI(t)
	id, token := a.submit(project())
	code, err := a.store.ConfirmationCode(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if r := a.do("POST", "/requests/"+id+"/withdraw", nil, bearer(token)...); r.status != 200 {
		t.Fatalf("withdraw while unconfirmed: %d %s", r.status, r.body)
	}
	if r := a.confirmWith(id, code); r.status != 409 || r.json(t)["currentStatus"] != "withdrawn" {
		t.Errorf("confirming a withdrawn request: %d %s", r.status, r.body)
	}
}

func TestUnconfirmedRequestsPerAddressPerDay(t *testing.T) {
	a := newTestAPI(t)
	titled := func(title, email string) map[string]any {
		b := conference()
		b["title"] = title
		b["applicant"].(map[string]any)["email"] = email
		return b
	}
	key := []string{"Idempotency-Key", "5e9d1c7a-0b2f-4a61-8c3e-9f7a6b5d4c3e"}
	first, _ := a.submit(titled("First request of the day", "ada@example.org"), key...)
	// Replays answer the first receipt and count nothing.
	for range 2 {
		if r := a.do("POST", "/requests", titled("First request of the day", "ada@example.org"), key...); r.status != 201 ||
			r.header.Get("Idempotent-Replayed") != "true" || r.json(t)["status"] != "unconfirmed" {
			t.Fatalf("replay: %d %s", r.status, r.body)
		}
	}
	a.submit(titled("Second request of the day", "ada@example.org"))
	a.submit(titled("Third request of the day", "Ada@Example.org")) // the same address
	refused := a.do("POST", "/requests", titled("Fourth request of the day", "ADA@example.org"))
	if refused.status != http.StatusTooManyRequests || refused.header.Get("Content-Type") != "application/problem+json" ||
		!strings.HasSuffix(refused.json(t)["type"].(string), "/too-many-unconfirmed") {
		t.Fatalf("fourth unconfirmed request of the day: %d %s", refused.status, refused.body)
	}
	// now is 10:00 UTC: fourteen hours to the next day.
	if got := refused.header.Get("Retry-After"); got != "50400" {
		t.Errorf("Retry-After %q, want the seconds to midnight UTC", got)
	}
	if n := countRequests(t, a, "ada@example.org"); n != 3 {
		t.Errorf("%d requests stored, want 3", n)
	}
	// Another address has its own three.
	a.submit(titled("Someone else's request", "grace@example.com"))
	// A confirmed address is no relay: confirming gives the slot back.
	a.confirm(first)
	a.submit(titled("Fourth request, after confirming one", "ada@example.org"))
	if r := a.do("POST", "/requests", titled("Fifth request of the day", "ada@example.org")); r.status != http.StatusTooManyRequests {
		t.Errorf("fifth, with three unconfirmed: %d %s", r.status, r.body)
	}
}

// Until its address is confirmed a request is not the committee's: not in the queue,
// not readable or actionable by reviewers or finance, as absent as an unknown id.
func TestUnconfirmedRequestIsNotTheCommitteesBusiness(t *testing.T) {
	s := newStaffAPI(t)
	s.committee()
	fin := s.financeAPI(0)
	id, _ := s.submitUnconfirmed("700.00")
	queue := func(query string) []any {
		t.Helper()
		return s.must(s.call(s.reviews, reviewerP("a1"), "GET", "/review/requests"+query, nil), 200)["items"].([]any)
	}
	if items := queue(""); len(items) != 0 {
		t.Errorf("the queue lists an unconfirmed request: %v", items)
	}
	if r := s.call(s.reviews, reviewerP("a1"), "GET", "/review/requests?status=unconfirmed", nil); r.status != 422 ||
		strings.Join(r.fieldCodes(t), " ") != "status=not_allowed" {
		t.Errorf("queue of unconfirmed requests: %d %s", r.status, r.body)
	}
	for _, call := range []struct {
		h            http.Handler
		who          person
		method, path string
		body         any
	}{
		{s.reviews, reviewerP("a1"), "GET", "/review/requests/" + id, nil},
		{s.reviews, reviewerP("a1"), "POST", "/review/requests/" + id + "/votes", approve()},
		{s.reviews, reviewerP("a1"), "POST", "/review/requests/" + id + "/comments", map[string]any{"text": "Seen it."}},
		{s.reviews, reviewerP("a1"), "POST", "/review/requests/" + id + "/recusal", map[string]any{"reason": "Mine."}},
		{s.reviews, reviewerP("a1"), "POST", "/review/requests/" + id + "/changes", map[string]any{"message": "More."}},
		{fin, financeP, "GET", "/finance/requests/" + id + "/payments", nil},
	} {
		if r := s.call(call.h, call.who, call.method, call.path, call.body); r.status != 404 {
			t.Errorf("%s %s: %d %s", call.method, call.path, r.status, r.body)
		}
	}
	s.confirm(id)
	if items := queue(""); len(items) != 1 || items[0].(map[string]any)["id"] != id {
		t.Errorf("the queue after confirmation: %v", items)
	}
	s.must(s.call(s.reviews, reviewerP("a1"), "GET", "/review/requests/"+id, nil), 200)
}
