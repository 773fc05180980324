//go:build integration

package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api/openapitest"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/dynamostore"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/identity"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/lambdahttp"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// staffAPI serves the reviews, admin and submissions handlers on one fresh table, and
// calls them the way API Gateway does: through the Lambda adapter, with the JWT
// authorizer's claims in the request context.
type staffAPI struct {
	t       *testing.T
	store   *dynamostore.Store
	applic  http.Handler
	reviews http.Handler
	admin   http.Handler
	checker *openapitest.Checker
	pool    *testenv.UserPool // the staff user pool, for onboarding
	// evidence keeps attachments in a bucket of moto's (evidenceBucket); nil where a
	// test has none.
	evidence       *sponsorship.Evidence
	evidenceBucket string
	// payouts seals payout details under a KMS key of moto's; nil where a test has none.
	payouts *sponsorship.Payouts
}

func newStaffAPI(t *testing.T) *staffAPI {
	t.Helper()
	db, table := testenv.Table(t)
	store := dynamostore.New(db, table)
	log := slog.New(slog.NewJSONHandler(&testenv.LogBuffer{}, nil))
	clock := func() time.Time { return now }
	pool := testenv.NewUserPool(t)
	return &staffAPI{
		t: t, store: store, checker: openapitest.New(t),
		applic:  api.NewSubmissions(sponsorship.NewService(store, sponsorship.Config{}, clock), log),
		reviews: api.NewReviews(sponsorship.NewReviewService(store, clock), nil, log),
		admin:   api.NewAdmin(sponsorship.NewAdminService(store, clock), sponsorship.NewStaffService(store, identity.New(pool.Client, pool.ID), clock), log),
		pool:    pool,
	}
}

// person is who calls: a JWT subject with groups, or nobody (nil claims).
type person struct {
	sub    string
	groups string
}

var (
	nobody    = person{}
	adminUser = person{sub: "admin-1", groups: "[admins]"}
	financeP  = person{sub: "finance-1", groups: "[finance]"}
)

// forgedName is the name claim every test call carries; it never reaches the record.
const forgedName = "Mallory Forged"

func reviewerP(sub string) person { return person{sub: sub, groups: "[reviewers]"} }

// call sends a request through the Lambda adapter, as API Gateway would after its JWT
// authorizer, and checks the response against the OpenAPI document.
func (s *staffAPI) call(h http.Handler, who person, method, path string, body any) response {
	s.t.Helper()
	return s.callHeader(h, who, method, path, body)
}

// callHeader is call with extra request headers (name, value, ...).
func (s *staffAPI) callHeader(h http.Handler, who person, method, path string, body any, header ...string) response {
	s.t.Helper()
	raw := ""
	if body != nil {
		b, _ := json.Marshal(body)
		raw = string(b)
	}
	p, q, _ := strings.Cut(path, "?")
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RawPath: p, RawQueryString: q, Body: raw,
		Headers: map[string]string{"content-type": "application/json"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: "test-request", HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: p},
		},
	}
	for i := 0; i+1 < len(header); i += 2 {
		ev.Headers[header[i]] = header[i+1]
	}
	if who.sub != "" {
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
				// name and email are claims a user may edit about themselves: every call
				// carries forged ones, and no name on the record may come from them.
				Claims: map[string]string{"sub": who.sub, "cognito:groups": who.groups, "username": who.sub,
					"name": forgedName, "email": "mallory@forged.example"},
			},
		}
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		s.t.Fatal(err)
	}
	raw2, err := lambdahttp.Handler(h).Invoke(context.Background(), payload)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	var out events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(raw2, &out); err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	respHeader := http.Header{}
	for k, v := range out.Headers {
		respHeader.Set(k, v)
	}
	req := httptest.NewRequest(method, path, bytes.NewReader([]byte(raw)))
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	respBody := []byte(out.Body)
	if out.IsBase64Encoded {
		respBody, _ = base64.StdEncoding.DecodeString(out.Body)
	}
	s.checker.Check(s.t, req, out.StatusCode, respHeader, respBody)
	return response{status: out.StatusCode, header: respHeader, body: respBody}
}

func (s *staffAPI) must(r response, status int) map[string]any {
	s.t.Helper()
	if r.status != status {
		s.t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	return r.json(s.t)
}

// committee puts a committee's roster in place: the companies, two reviewers from
// Acme, one each from Beta, Gamma and Delta, one from the applicant's company (Example
// Labs), and finance and the admin, on the roster for their names.
func (s *staffAPI) committee() {
	s.t.Helper()
	for _, c := range []struct{ id, name, domain string }{
		{"acme", "Acme Compilers Inc.", "acme-compilers.example"}, {"beta", "Beta GmbH", "beta.example"}, {"gamma", "Gamma Ltd", ""},
		{"delta", "Delta", ""}, {"example", "Example Labs", ""},
	} {
		in := map[string]any{"name": c.name}
		if c.domain != "" {
			in["domains"] = []string{c.domain}
		}
		s.must(s.call(s.admin, adminUser, "PUT", "/admin/companies/"+c.id, in), 200)
	}
	for _, r := range []struct{ id, company string }{
		{"a1", "acme"}, {"a2", "acme"}, {"b", "beta"}, {"c", "gamma"}, {"d", "delta"}, {"x", "example"},
	} {
		s.must(s.call(s.admin, adminUser, "PUT", "/admin/reviewers/"+r.id, map[string]any{
			"name": "Reviewer " + strings.ToUpper(r.id), "email": r.id + "@committee.example", "companyId": r.company,
		}), 200)
	}
	s.staff(financeP.sub, "Fiona Finance", "finance")
	s.staff(adminUser.sub, "Adam Admin", "admin")
}

// staff puts a member of staff other than a reviewer on the roster.
func (s *staffAPI) staff(sub, name string, roles ...string) {
	s.t.Helper()
	s.must(s.call(s.admin, adminUser, "PUT", "/admin/reviewers/"+sub, map[string]any{
		"name": name, "email": strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@foundation.example", "roles": roles,
	}), 200)
}

func (s *staffAPI) budget(year int, category, currency, allocated string) {
	s.t.Helper()
	s.must(s.call(s.admin, adminUser, "PUT", "/admin/budgets/"+itoa(year)+"/"+category+"/"+currency,
		map[string]any{"allocated": allocated}), 200)
}

// submitProject submits a project request of Example Labs GmbH (fiscal year 2026, its submission's) for
// amount EUR, confirms its applicant's address so that it reaches the committee, and
// returns its id and applicant token.
func (s *staffAPI) submitProject(amount string) (string, string) {
	s.t.Helper()
	id, token := s.submitUnconfirmed(amount)
	s.confirm(id)
	return id, token
}

// submitUnconfirmed is submitProject without the confirmation: the request stays
// unconfirmed, out of the committee's sight.
func (s *staffAPI) submitUnconfirmed(amount string) (string, string) {
	s.t.Helper()
	body := project()
	body["amount"] = map[string]any{"currency": "EUR", "value": amount}
	body["project"].(map[string]any)["milestones"] = []any{map[string]any{"title": "All", "dueDate": "2027-06-30",
		"amount": map[string]any{"currency": "EUR", "value": amount}}}
	r := s.call(s.applic, nobody, "POST", "/requests", body)
	m := s.must(r, 201)
	return m["id"].(string), m["applicantToken"].(string)
}

// confirm opens the confirmation link of a request, as its applicant would from the
// mail: with the code the notification function reads for that mail.
func (s *staffAPI) confirm(id string) {
	s.t.Helper()
	code, err := s.store.ConfirmationCode(context.Background(), id)
	if err != nil {
		s.t.Fatalf("confirmation code of %s: %v", id, err)
	}
	s.must(s.call(s.applic, nobody, "POST", "/requests/"+id+"/confirm", map[string]any{"code": code}), 200)
}

func (s *staffAPI) vote(who string, id string, body map[string]any) response {
	return s.call(s.reviews, reviewerP(who), "POST", "/review/requests/"+id+"/votes", body)
}

func approve() map[string]any { return map[string]any{"choice": "approve"} }

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// callApplicant calls an applicant route with an applicant token.
func (s *staffAPI) callApplicant(method, path, token string) response {
	return s.callApplicantBody(method, path, token, nil)
}

func (s *staffAPI) callApplicantBody(method, path, token string, body any) response {
	s.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	s.checker.Wrap(s.t, s.applic).ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
