//go:build integration

package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/go-cmp/cmp"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api/openapitest"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/dynamostore"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

var now = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// testAPI is the applicant API on a fresh moto table, every response checked against
// the OpenAPI document.
type testAPI struct {
	t     *testing.T
	h     http.Handler
	store *dynamostore.Store
	db    *dynamodb.Client
	table string
	logs  *testenv.LogBuffer
}

func newTestAPI(t *testing.T) *testAPI {
	t.Helper()
	db, table := testenv.Table(t)
	store := dynamostore.New(db, table)
	logs := &testenv.LogBuffer{}
	svc := sponsorship.NewService(store, sponsorship.Config{Rules: sponsorship.DefaultRules}, func() time.Time { return now })
	h := api.NewSubmissions(svc, slog.New(slog.NewJSONHandler(logs, nil)))
	return &testAPI{t: t, h: openapitest.New(t).Wrap(t, h), store: store, db: db, table: table, logs: logs}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// fieldCodes lists a problem's "field=code" pairs, sorted.
func (r response) fieldCodes(t *testing.T) []string {
	t.Helper()
	var p api.Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("not a problem document: %s", r.body)
	}
	var out []string
	for _, fe := range p.Errors {
		out = append(out, fe.Field+"="+fe.Code)
	}
	sort.Strings(out)
	return out
}

func (a *testAPI) do(method, path string, body any, header ...string) response {
	a.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			a.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

func bearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

// submit posts a valid request and returns its id and token; it stays unconfirmed.
func (a *testAPI) submit(body map[string]any, header ...string) (string, string) {
	a.t.Helper()
	r := a.do("POST", "/requests", body, header...)
	if r.status != http.StatusCreated {
		a.t.Fatalf("submit: status %d: %s", r.status, r.body)
	}
	m := r.json(a.t)
	return m["id"].(string), m["applicantToken"].(string)
}

// confirmWith posts a confirmation code for a request.
func (a *testAPI) confirmWith(id, code string) response {
	a.t.Helper()
	return a.do("POST", "/requests/"+id+"/confirm", map[string]any{"code": code})
}

// confirm opens a request's confirmation link, as its applicant would from the mail:
// with the code the notification function reads for that mail.
func (a *testAPI) confirm(id string) {
	a.t.Helper()
	code, err := a.store.ConfirmationCode(context.Background(), id)
	if err != nil {
		a.t.Fatalf("confirmation code of %s: %v", id, err)
	}
	if r := a.confirmWith(id, code); r.status != http.StatusOK {
		a.t.Fatalf("confirm %s: %d %s", id, r.status, r.body)
	}
}

func conference() map[string]any {
	return map[string]any{
		"kind": "conference", "title": "Sponsor the toolchains track",
		"summary":   "A silver sponsorship for the toolchains microconference.",
		"applicant": map[string]any{"name": "Ada Lovelace", "email": "ada@example.org", "organization": "Plumbers e.V."},
		"amount":    map[string]any{"currency": "EUR", "value": "5000"},
		"conference": map[string]any{"eventName": "Linux Plumbers 2027", "eventUrl": "https://lpc.events/",
			"startDate": "2027-09-01", "endDate": "2027-09-03", "location": "Prague, CZ", "tier": "silver", "expectedAttendees": 800},
	}
}

func travel() map[string]any {
	return map[string]any{
		"kind": "travel", "title": "Travel to FOSDEM for a compiler talk",
		"summary":   "Airfare and lodging for an accepted talk on register allocation.",
		"applicant": map[string]any{"name": "Grace Hopper", "email": "grace@example.com", "organization": "Independent"},
		"amount":    map[string]any{"currency": "USD", "value": "1850.50"},
		"budgetItems": []any{
			map[string]any{"description": "Airfare", "amount": map[string]any{"currency": "USD", "value": "1200.50"}},
			map[string]any{"description": "Lodging", "amount": map[string]any{"currency": "USD", "value": "650.00"}},
		},
		"travel": map[string]any{"traveller": "Grace Hopper", "eventName": "FOSDEM 2027", "eventUrl": "https://fosdem.org/2027/",
			"startDate": "2027-02-06", "endDate": "2027-02-07", "talkTitle": "Linear-time register allocation",
			"origin": "Boston, US", "departureDate": "2027-02-05", "returnDate": "2027-02-08"},
	}
}

func project() map[string]any {
	return map[string]any{
		"kind": "project", "title": "RISC-V vector support in Cranelift",
		"summary":   "Two milestones of work on vector instruction selection.",
		"applicant": map[string]any{"name": "Linus Example", "email": "linus@example.net", "organization": "Example Labs GmbH"},
		"amount":    map[string]any{"currency": "JPY", "value": "3000000"},
		"project": map[string]any{"name": "Cranelift RVV", "repositoryUrl": "https://github.com/example/rvv", "licence": "Apache-2.0",
			"milestones": []any{
				map[string]any{"title": "Integer vectors", "dueDate": "2027-03-31", "amount": map[string]any{"currency": "JPY", "value": "1000000"}},
				map[string]any{"title": "Floating point", "dueDate": "2027-06-30", "amount": map[string]any{"currency": "JPY", "value": "2000000"}},
			}},
	}
}

func TestSubmitEachKindAndReadItBack(t *testing.T) {
	a := newTestAPI(t)
	for _, body := range []map[string]any{conference(), travel(), project()} {
		t.Run(body["kind"].(string), func(t *testing.T) {
			r := a.do("POST", "/requests", body)
			if r.status != http.StatusCreated {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			receipt := r.json(t)
			id, token := receipt["id"].(string), receipt["applicantToken"].(string)
			if r.header.Get("Location") != "/requests/"+id || receipt["status"] != "unconfirmed" || receipt["expiresAt"] != "2026-12-02T10:00:00Z" {
				t.Errorf("receipt %v, Location %q", receipt, r.header.Get("Location"))
			}
			if len(token) < 22 { // 22 base64url characters carry 128 bits
				t.Errorf("token %q is shorter than 128 bits", token)
			}
			if !strings.HasPrefix(receipt["reference"].(string), "ST-") {
				t.Errorf("reference %v", receipt["reference"])
			}

			got := a.do("GET", "/requests/"+id, nil, bearer(token)...)
			if got.status != http.StatusOK {
				t.Fatalf("read back: %d %s", got.status, got.body)
			}
			view := got.json(t)
			var sent map[string]any // the body as JSON sees it: numbers are float64
			j, _ := json.Marshal(body)
			_ = json.Unmarshal(j, &sent)
			for _, k := range []string{"kind", "title", "summary", "applicant", body["kind"].(string)} {
				if diff := cmp.Diff(sent[k], view[k]); diff != "" {
					t.Errorf("%s differs (-sent +read):\n%s", k, diff)
				}
			}
			if view["status"] != "unconfirmed" || view["version"] != 1.0 || view["expiresAt"] != "2026-12-02T10:00:00Z" {
				t.Errorf("status %v version %v expiresAt %v", view["status"], view["version"], view["expiresAt"])
			}
			history := view["history"].([]any)
			if len(history) != 1 || history[0].(map[string]any)["type"] != "received" {
				t.Errorf("history = %v", history)
			}
		})
	}
	// Amounts come back in canonical form with the currency's decimals.
	id, token := a.submit(conference())
	view := a.do("GET", "/requests/"+id, nil, bearer(token)...).json(t)
	if diff := cmp.Diff(map[string]any{"currency": "EUR", "value": "5000.00"}, view["amount"]); diff != "" {
		t.Errorf("amount:\n%s", diff)
	}
	if view["fiscalYear"] != 2027.0 {
		t.Errorf("fiscal year %v, want 2027 (the event's)", view["fiscalYear"])
	}
}

func TestApplicantTokenOpensOnlyItsRequest(t *testing.T) {
	a := newTestAPI(t)
	id, token := a.submit(conference())
	otherID, otherToken := a.submit(travel())

	tests := []struct {
		name   string
		method string
		path   string
		body   any
		header []string
		status int
	}{
		{"own token reads", "GET", "/requests/" + id, nil, bearer(token), 200},
		{"no token", "GET", "/requests/" + id, nil, nil, 401},
		{"not a bearer token", "GET", "/requests/" + id, nil, []string{"Authorization", "Basic " + token}, 401},
		{"another request's token", "GET", "/requests/" + id, nil, bearer(otherToken), 404},
		{"a made-up token", "GET", "/requests/" + id, nil, bearer("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), 404},
		{"unknown id", "GET", "/requests/" + sponsorship.NewID(now), nil, bearer(token), 404},
		{"malformed id", "GET", "/requests/..%2f..%2fetc", nil, bearer(token), 404},
		{"edit with another's token", "PUT", "/requests/" + id, conference(), bearer(otherToken), 404},
		{"edit without token", "PUT", "/requests/" + id, conference(), nil, 401},
		{"withdraw with another's token", "POST", "/requests/" + id + "/withdraw", nil, bearer(otherToken), 404},
		{"withdraw without token", "POST", "/requests/" + id + "/withdraw", nil, nil, 401},
		{"other reads its own", "GET", "/requests/" + otherID, nil, bearer(otherToken), 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := a.do(tt.method, tt.path, tt.body, tt.header...)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without a Bearer challenge")
			}
		})
	}
	// The refused withdrawal changed nothing.
	if v := a.do("GET", "/requests/"+id, nil, bearer(token)...).json(t); v["status"] != "unconfirmed" {
		t.Errorf("status after refused calls = %v", v["status"])
	}
}

func TestIdempotencyKey(t *testing.T) {
	a := newTestAPI(t)
	key := []string{"Idempotency-Key", "3f1c2a9e-6b1d-4d7e-9a0b-1c2d3e4f5a6b"}
	first := a.do("POST", "/requests", conference(), key...)
	if first.status != 201 {
		t.Fatalf("first: %d %s", first.status, first.body)
	}
	// The same body, even re-encoded, gets the first response again.
	again := a.do("POST", "/requests", conference(), key...)
	if again.status != 201 || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %v %s", again.status, again.header, again.body)
	}
	f, g := first.json(t), again.json(t)
	if diff := cmp.Diff(f, g); diff != "" {
		t.Errorf("replayed response differs:\n%s", diff)
	}
	// The replayed token works.
	if r := a.do("GET", "/requests/"+g["id"].(string), nil, bearer(g["applicantToken"].(string))...); r.status != 200 {
		t.Errorf("replayed token: %d", r.status)
	}
	// A different body under the same key is refused, and nothing is stored.
	changed := conference()
	changed["title"] = "A different request entirely"
	if r := a.do("POST", "/requests", changed, key...); r.status != 422 || !strings.Contains(string(r.body), "idempotency-key-reused") {
		t.Errorf("different body: %d %s", r.status, r.body)
	}
	// Unusable keys are refused before anything happens.
	for _, bad := range []string{"short", strings.Repeat("k", 256), "has space in the key here"} {
		if r := a.do("POST", "/requests", conference(), "Idempotency-Key", bad); r.status != 400 {
			t.Errorf("key %q: %d", bad, r.status)
		}
	}

	// Concurrent retries with one key create one request.
	key2 := []string{"Idempotency-Key", "b6f0d1c8-0f5e-4a4e-8f0e-2b7f0a7d9c11"}
	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := a.do("POST", "/requests", travel(), key2...)
			if r.status == 201 {
				var m map[string]any
				_ = json.Unmarshal(r.body, &m)
				ids[i], _ = m["id"].(string)
			} else {
				t.Errorf("concurrent retry: %d %s", r.status, r.body)
			}
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Errorf("concurrent retries got different ids: %v", ids)
			break
		}
	}
	if n := countRequests(t, a, "grace@example.com"); n != 1 {
		t.Errorf("%d requests stored for concurrent retries, want 1", n)
	}
	if n := countRequests(t, a, "ada@example.org"); n != 1 {
		t.Errorf("%d conference requests stored, want 1", n)
	}
}

// countRequests counts an applicant's stored requests through the by-applicant index.
func countRequests(t *testing.T, a *testAPI, email string) int {
	t.Helper()
	return testenv.CountByApplicant(t, a.db, a.table, email)
}

func TestBadInputGetsEveryFieldError(t *testing.T) {
	a := newTestAPI(t)
	withField := func(mutate func(m map[string]any)) map[string]any {
		m := conference()
		mutate(m)
		return m
	}
	big := conference()
	big["summary"] = strings.Repeat("x", api.MaxBodyBytes)

	tests := []struct {
		name        string
		body        any
		contentType string
		status      int
		fields      []string
	}{
		{"malformed JSON", `{"kind": "conference",`, "", 400, []string{"body=malformed"}},
		{"not an object", `[1,2,3]`, "", 400, []string{"body=wrong_type"}},
		{"empty body", ``, "", 400, []string{"body=malformed"}},
		{"invalid UTF-8", []byte("{\"title\": \"\xff\xfe\"}"), "", 400, []string{"body=malformed"}},
		{"unknown and mis-cased fields, all listed", withField(func(m map[string]any) {
			m["Title"] = "x"
			m["status"] = "approved"
			m["conference"].(map[string]any)["sponsorLevel"] = "gold"
		}), "", 400, []string{"Title=unknown_field", "conference.sponsorLevel=unknown_field", "status=unknown_field"}},
		{"fields a caller may not set", withField(func(m map[string]any) {
			m["id"] = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
			m["version"] = 7
			m["approvedAmount"] = map[string]any{"currency": "EUR", "value": "1"}
		}), "", 400, []string{"approvedAmount=unknown_field", "id=unknown_field", "version=unknown_field"}},
		{"wrong types", withField(func(m map[string]any) {
			m["amount"] = map[string]any{"currency": "EUR", "value": 5000}
			m["title"] = true
			m["conference"].(map[string]any)["expectedAttendees"] = 12.5
		}), "", 400, []string{"amount.value=wrong_type", "conference.expectedAttendees=wrong_type", "title=wrong_type"}},
		{"null is no value", withField(func(m map[string]any) {
			m["summary"] = nil
			m["budgetItems"] = nil
			m["conference"].(map[string]any)["tier"] = nil
		}), "", 400, []string{"budgetItems=wrong_type", "conference.tier=wrong_type", "summary=wrong_type"}},
		// Parsers disagree on which of two equal names counts: the body means one thing
		// here and another to whatever read it before.
		{"a field given twice", `{"kind":"conference","amount":{"currency":"EUR","value":"1.00"},"amount":{"currency":"EUR","value":"250000.00"}}`,
			"", 400, []string{"amount=duplicate_field"}},
		{"a nested field given twice", `{"kind":"project","project":{"milestones":[{"title":"a","amount":{"currency":"EUR","value":"1"}},{"title":"b","title":"c"}]}}`,
			"", 400, []string{"project.milestones[1].title=duplicate_field"}},
		{"too large", big, "", 413, nil},
		{"not JSON", `kind=conference`, "application/x-www-form-urlencoded", 415, nil},
		{"rules broken, all listed", withField(func(m map[string]any) {
			m["applicant"].(map[string]any)["email"] = "ada-at-example"
			m["amount"] = map[string]any{"currency": "EUR", "value": "-3"}
			c := m["conference"].(map[string]any)
			c["startDate"], c["endDate"] = "2027-09-05", "2027-09-01"
			c["eventUrl"] = "ftp://lpc.events"
		}), "", 422, []string{"amount.value=not_positive", "applicant.email=invalid_email", "conference.endDate=date_order", "conference.eventUrl=invalid_url"}},
		{"kind without its details", map[string]any{"kind": "travel", "title": "Travel please", "summary": "Twenty characters at least.",
			"applicant": map[string]any{"name": "A", "email": "a@b.co", "organization": "X"}, "amount": map[string]any{"currency": "EUR", "value": "1"}},
			"", 422, []string{"travel=required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := []string{}
			if tt.contentType != "" {
				header = []string{"Content-Type", tt.contentType}
			}
			r := a.do("POST", "/requests", tt.body, header...)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q", ct)
			}
			if tt.fields != nil {
				if diff := cmp.Diff(tt.fields, r.fieldCodes(t)); diff != "" {
					t.Errorf("field errors (-want +got):\n%s", diff)
				}
			}
			p := r.json(t)
			if p["requestId"] == "" || p["status"] != float64(tt.status) {
				t.Errorf("problem %v", p)
			}
		})
	}
	if n := countRequests(t, a, "ada@example.org"); n != 0 {
		t.Errorf("bad input stored %d requests", n)
	}
}

// requestChanges plays the reviewers' part, which has no route in this function: it
// moves a request to changes_requested through the store, as the reviews function does.
func requestChanges(t *testing.T, a *testAPI, id, message string) {
	t.Helper()
	ctx := context.Background()
	req, err := a.store.GetRequest(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := sponsorship.CheckTransition(req.Status, sponsorship.StatusChangesRequested, sponsorship.RoleReviewer)
	if err != nil {
		t.Fatal(err)
	}
	next := *req
	next.Status, next.Version = tr.To, req.Version+1
	ev := sponsorship.AuditEvent{RequestID: id, Version: next.Version, Type: tr.Event, At: now, FromStatus: req.Status, ToStatus: tr.To,
		Actor: sponsorship.Actor{Role: sponsorship.RoleReviewer, ID: "rev-1", Name: "Reviewer One"}, Message: message}
	if err := a.store.Apply(ctx, sponsorship.Change{Request: &next, Events: []sponsorship.AuditEvent{ev}}); err != nil {
		t.Fatal(err)
	}
}

func TestEditAndResubmit(t *testing.T) {
	a := newTestAPI(t)
	id, token := a.submit(travel())

	// An edit never submits an unconfirmed request: only its confirmation does, or the
	// submitter's token would be a way round the address's owner.
	r := a.do("PUT", "/requests/"+id, travel(), bearer(token)...)
	if r.status != 409 || r.json(t)["currentStatus"] != "unconfirmed" {
		t.Fatalf("edit while unconfirmed: %d %s", r.status, r.body)
	}
	if v := a.do("GET", "/requests/"+id, nil, bearer(token)...).json(t); v["status"] != "unconfirmed" || v["version"] != 1.0 {
		t.Fatalf("the refused edit changed the request: %v", v)
	}
	a.confirm(id)

	// Editing is refused until the reviewers ask for changes.
	r = a.do("PUT", "/requests/"+id, travel(), bearer(token)...)
	if r.status != 409 || r.json(t)["currentStatus"] != "submitted" {
		t.Fatalf("edit while submitted: %d %s", r.status, r.body)
	}

	requestChanges(t, a, id, "Please split the airfare from the lodging.")
	view := a.do("GET", "/requests/"+id, nil, bearer(token)...).json(t)
	history := view["history"].([]any)
	last := history[len(history)-1].(map[string]any)
	if view["status"] != "changes_requested" || last["message"] != "Please split the airfare from the lodging." {
		t.Fatalf("applicant does not see the request for changes: %v", view)
	}
	if actor := last["actor"].(map[string]any); actor["name"] != nil || actor["role"] != "reviewer" {
		t.Errorf("reviewer identity shown to the applicant: %v", actor)
	}

	// The kind cannot change; other rules still apply.
	if r := a.do("PUT", "/requests/"+id, conference(), bearer(token)...); r.status != 422 || !strings.Contains(strings.Join(r.fieldCodes(t), " "), "kind=not_allowed") {
		t.Errorf("changing kind: %d %s", r.status, r.body)
	}
	// Nor can the confirmed address: the committee's messages would go to an address
	// nobody confirmed.
	moved := travel()
	moved["applicant"].(map[string]any)["email"] = "someone-else@example.org"
	if r := a.do("PUT", "/requests/"+id, moved, bearer(token)...); r.status != 422 || fmt.Sprint(r.fieldCodes(t)) != "[applicant.email=not_allowed]" {
		t.Errorf("changing the address: %d %s", r.status, r.body)
	}

	edited := travel()
	edited["title"] = "Travel to FOSDEM: airfare and lodging"
	r = a.do("PUT", "/requests/"+id, edited, bearer(token)...)
	if r.status != 200 {
		t.Fatalf("resubmit: %d %s", r.status, r.body)
	}
	if v := r.json(t); v["status"] != "submitted" || v["version"] != 4.0 || v["title"] != edited["title"] {
		t.Errorf("after resubmit: %v", v)
	}
	view = a.do("GET", "/requests/"+id, nil, bearer(token)...).json(t)
	history = view["history"].([]any)
	var types []string
	for _, h := range history {
		types = append(types, h.(map[string]any)["type"].(string))
	}
	if diff := cmp.Diff([]string{"received", "submitted", "changes_requested", "resubmitted"}, types); diff != "" {
		t.Errorf("history:\n%s", diff)
	}
	if changed := history[3].(map[string]any)["changed"]; fmt.Sprint(changed) != "[title]" {
		t.Errorf("resubmission records changed fields %v, want [title]", changed)
	}
}

func TestWithdraw(t *testing.T) {
	a := newTestAPI(t)
	id, token := a.submit(project())
	r := a.do("POST", "/requests/"+id+"/withdraw", map[string]any{"reason": "Funded elsewhere."}, bearer(token)...)
	if r.status != 200 {
		t.Fatalf("withdraw: %d %s", r.status, r.body)
	}
	if v := r.json(t); v["status"] != "withdrawn" || v["decidedAt"] == nil {
		t.Errorf("after withdraw: %v", v)
	}
	// A second withdrawal is refused with the current status; so is an edit.
	r = a.do("POST", "/requests/"+id+"/withdraw", nil, bearer(token)...)
	if r.status != 409 || r.json(t)["currentStatus"] != "withdrawn" {
		t.Errorf("second withdraw: %d %s", r.status, r.body)
	}
	if r := a.do("PUT", "/requests/"+id, project(), bearer(token)...); r.status != 409 {
		t.Errorf("edit after withdraw: %d", r.status)
	}
	// An empty body is fine; a body of the wrong shape is not.
	id2, token2 := a.submit(conference())
	if r := a.do("POST", "/requests/"+id2+"/withdraw", map[string]any{"why": "x"}, bearer(token2)...); r.status != 400 {
		t.Errorf("withdraw with unknown field: %d", r.status)
	}
	if r := a.do("POST", "/requests/"+id2+"/withdraw", map[string]any{"reason": strings.Repeat("x", 2001)}, bearer(token2)...); r.status != 422 {
		t.Errorf("withdraw with a long reason: %d", r.status)
	}
	view := a.do("GET", "/requests/"+id, nil, bearer(token)...).json(t)
	history := view["history"].([]any)
	if len(history) != 2 || history[1].(map[string]any)["message"] != "Funded elsewhere." {
		t.Errorf("history %v", history)
	}
}

func TestRoutingAnswersWithProblems(t *testing.T) {
	a := newTestAPI(t)
	r := a.do("GET", "/nowhere", nil)
	if r.status != 404 || r.header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("unknown path: %d %s", r.status, r.header.Get("Content-Type"))
	}
	r = a.do("DELETE", "/requests", nil)
	if r.status != 405 || !strings.Contains(r.header.Get("Allow"), "POST") {
		t.Errorf("wrong method: %d Allow=%q", r.status, r.header.Get("Allow"))
	}
	// The gateway's $default route brings here what no route matched: a path another
	// function serves, under a method it does not, is 405 with that path's methods.
	r = a.do("DELETE", "/review/requests", nil)
	if r.status != 405 || r.header.Get("Allow") != "GET, HEAD" {
		t.Errorf("wrong method on the reviewers' path: %d Allow=%q", r.status, r.header.Get("Allow"))
	}
	r = a.do("PATCH", "/admin/budgets/2030/travel/EUR", nil)
	if r.status != 405 || !strings.Contains(r.header.Get("Allow"), "PUT") {
		t.Errorf("wrong method on a budget: %d Allow=%q", r.status, r.header.Get("Allow"))
	}
	// A log tile's path holds slashes, all of it the route's last parameter.
	r = a.do("TRACE", "/log/tile/0/x001/234.p/5", nil)
	if r.status != 405 || r.header.Get("Allow") != "GET, HEAD" {
		t.Errorf("wrong method on a tile: %d Allow=%q", r.status, r.header.Get("Allow"))
	}
	r = a.do("GET", "/admin/nowhere", nil)
	if r.status != 404 {
		t.Errorf("unknown staff path: %d", r.status)
	}
	r = a.do("GET", "/openapi.yaml", nil)
	if r.status != 200 || !bytes.Equal(r.body, api.OpenAPIDocument) || r.header.Get("Content-Type") != "application/yaml" {
		t.Errorf("openapi.yaml: %d %s", r.status, r.header.Get("Content-Type"))
	}
}

func TestInternalFailuresDoNotLeak(t *testing.T) {
	// A service on a table that does not exist fails inside DynamoDB.
	logs := &testenv.LogBuffer{}
	store := dynamostore.New(testenv.DynamoDB(t), "no-such-table")
	h := api.NewSubmissions(sponsorship.NewService(store, sponsorship.Config{}, func() time.Time { return now }), slog.New(slog.NewJSONHandler(logs, nil)))
	a := &testAPI{t: t, h: openapitest.New(t).Wrap(t, h), logs: logs}
	r := a.do("POST", "/requests", conference())
	if r.status != 500 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	for _, leak := range []string{"no-such-table", "ResourceNotFound", "dynamodb", "operation error"} {
		if strings.Contains(strings.ToLower(string(r.body)), strings.ToLower(leak)) {
			t.Errorf("response leaks %q: %s", leak, r.body)
		}
	}
	// The cause is in the log, with the request id the client was given.
	id := r.json(t)["requestId"].(string)
	if !strings.Contains(logs.String(), "ResourceNotFoundException") || !strings.Contains(logs.String(), id) {
		t.Errorf("log lacks the cause or the request id:\n%s", logs.String())
	}
}

func TestLogsAreJSONWithRequestIDAndNoSecrets(t *testing.T) {
	a := newTestAPI(t)
	key := "c0ffee00-1234-4abc-9def-0123456789ab"
	id, token := a.submit(conference(), "Idempotency-Key", key)
	a.do("GET", "/requests/"+id, nil, bearer(token)...)
	a.do("GET", "/requests/"+id, nil, bearer("wrong-token-wrong-token")...)
	lines := strings.Split(strings.TrimSpace(a.logs.String()), "\n")
	if len(lines) < 3 {
		t.Fatalf("only %d log lines", len(lines))
	}
	for _, line := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("log line is not JSON: %s", line)
			continue
		}
		if m["requestId"] == nil || m["requestId"] == "" {
			t.Errorf("log line without requestId: %s", line)
		}
	}
	for _, secret := range []string{token, key, "wrong-token-wrong-token", "ada@example.org"} {
		if strings.Contains(a.logs.String(), secret) {
			t.Errorf("logs contain %q", secret)
		}
	}
}
