//go:build integration

package e2e

// The authorization matrix: every route of the template, called by every kind of caller,
// through the local gateway (JWT authorizer included), each cell with the status it
// must get. A route the template gains without a row here fails the test.

import (
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
)

// The callers of the matrix: anyone, applicants with their own or another token, each
// staff role, a recused reviewer, and tokens that are expired or from another issuer.
const (
	byAnonymous  = "anonymous"
	byOwnToken   = "applicant (own request)"
	byOtherToken = "applicant (another request)"
	byReviewer   = "reviewer"
	byRecused    = "recused reviewer"
	byFinance    = "finance"
	byAdmin      = "admin"
	byExpired    = "expired token"
	byForeign    = "other issuer"
)

var callers = []string{byAnonymous, byOwnToken, byOtherToken, byReviewer, byRecused, byFinance, byAdmin, byExpired, byForeign}

// matrixRequest is the subject of one cell: a request, its applicant's token and
// address and, for an unconfirmed one, the code of its confirmation link.
type matrixRequest struct{ id, token, email, code, attachment string }

// The byRecused byReviewer is Bruno, of Beta Systems GmbH: requests in the matrix come from
// his company, so he stands aside on every one of them and Rita does not.
const recusedCompany = "Beta Systems GmbH"

var matrixSeq atomic.Int64

// matrixSubmission is a travel request from Bruno's company, unique per call.
func matrixSubmission() map[string]any {
	body := application("travel", fmt.Sprintf("matrix-%d@beta.example", matrixSeq.Add(1)))
	body["applicant"].(map[string]any)["organization"] = recusedCompany
	return body
}

// newMatrixRequest is a request the committee may see: its address confirmed.
func newMatrixRequest(t *testing.T) matrixRequest {
	t.Helper()
	body := matrixSubmission()
	id, _, token := submitConfirmed(t, body)
	return matrixRequest{id: id, token: token, email: body["applicant"].(map[string]any)["email"].(string)}
}

// unconfirmedMatrixRequest is a request waiting for its address to be confirmed, with
// the code of its link.
func unconfirmedMatrixRequest(t *testing.T) matrixRequest {
	t.Helper()
	id, _, token := submit(t, matrixSubmission())
	code, err := dev.Store().ConfirmationCode(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return matrixRequest{id: id, token: token, code: code}
}

// Cells that do not succeed must change nothing, so most routes share one request; a
// route where several callers succeed, or where one success would change another cell's
// answer, gets a fresh request per cell.
type matrixRoute struct {
	key   string // as in the template: "METHOD /path"
	fresh bool
	setup func(t *testing.T) matrixRequest
	call  func(c client, r matrixRequest) reply
	want  map[string]int
}

// staffOnly builds the expectations of a staff route: the authorizer refuses
// everything that is not a valid staff token, the function refuses the wrong group.
func staffOnly(allowed map[string]int) map[string]int {
	want := map[string]int{byAnonymous: 401, byOwnToken: 401, byOtherToken: 401, byExpired: 401, byForeign: 401,
		byReviewer: 403, byRecused: 403, byFinance: 403, byAdmin: 403}
	for c, s := range allowed {
		want[c] = s
	}
	return want
}

// everyone gives every caller the same status: open routes that ignore who calls.
func everyone(status int) map[string]int {
	want := map[string]int{}
	for _, c := range callers {
		want[c] = status
	}
	return want
}

// applicantOnly: no token is 401; a token that is not this request's is 404, whoever
// holds it, so that a token never reveals another request.
func applicantOnly(own int) map[string]int {
	want := everyone(404)
	want[byAnonymous], want[byOwnToken] = 401, own
	return want
}

func get(path func(matrixRequest) string) func(client, matrixRequest) reply {
	return func(c client, r matrixRequest) reply { return c.do("GET", path(r), nil) }
}

func send(method string, path func(matrixRequest) string, body func() any) func(client, matrixRequest) reply {
	return func(c client, r matrixRequest) reply { return c.do(method, path(r), body()) }
}

func fixed(p string) func(matrixRequest) string { return func(matrixRequest) string { return p } }

func under(format string) func(matrixRequest) string {
	return func(r matrixRequest) string { return fmt.Sprintf(format, r.id) }
}

func body(v any) func() any { return func() any { return v } }

func TestAuthorizationMatrix(t *testing.T) {
	// The matrix submits dozens of requests, each notifying the committee: leave no
	// backlog in the stream for the tests after it.
	t.Cleanup(func() { drain(t) })
	ctx := context.Background()
	tokens := map[string]string{}
	for c, who := range map[string]string{byReviewer: "rita.reviewer@example.org", byRecused: "bruno.reviewer@example.org",
		byFinance: "finance", byAdmin: "admin"} {
		tok, err := dev.Token(ctx, who)
		if err != nil {
			t.Fatal(err)
		}
		tokens[c] = tok
	}
	tokens[byExpired] = expiredToken(t, tokens[byAdmin])
	tokens[byForeign] = foreignToken(t, tokens[byAdmin])
	other := newMatrixRequest(t)
	tokens[byOtherToken] = other.token

	// The byAdmin's writes in the matrix touch nothing other tests rely on: an inactive
	// byReviewer of its own, a budget of a year nobody uses, the quorum as it already is.
	settings := as(t, tokens[byAdmin]).do("GET", "/admin/settings", nil).json(t)
	quorum := settings["quorumPercent"]
	publicFields := as(t, tokens[byAdmin]).do("GET", "/admin/publication", nil).json(t)["fields"]
	changesRequested := func(t *testing.T) matrixRequest {
		r := newMatrixRequest(t)
		if got := as(t, tokens[byReviewer]).do("POST", "/review/requests/"+r.id+"/changes", map[string]any{"message": "Add the receipts."}); got.status != 200 {
			t.Fatalf("request changes: %d %s", got.status, got.body)
		}
		return r
	}
	approved := func(t *testing.T) matrixRequest {
		if got := as(t, tokens[byAdmin]).do("PUT", "/admin/budgets/2032/conference/CAD", map[string]any{"allocated": "5000.00"}); got.status != 200 {
			t.Fatalf("budget: %d %s", got.status, got.body)
		}
		return matrixRequest{id: approveThroughTheGateway(t, "CAD", "100.00", "Matrix approval")}
	}
	// A request from a near match of Rita's company (its alias "Acme Toolchains"): a
	// possible conflict Rita may settle, and none for Bruno to declare.
	nearRita := func(t *testing.T) matrixRequest {
		body := matrixSubmission()
		body["applicant"].(map[string]any)["organization"] = "Acme Toolchains Europe"
		id, _, token := submitConfirmed(t, body)
		return matrixRequest{id: id, token: token, email: body["applicant"].(map[string]any)["email"].(string)}
	}
	// A member of staff of the matrix's own, in finance (so no seat on the committee
	// changes): what the staff routes act on.
	matrixStaff := func(t *testing.T) matrixRequest {
		r := as(t, tokens[byAdmin]).do("POST", "/admin/staff", map[string]any{"name": "Matrix Staff",
			"email": fmt.Sprintf("matrix-staff-%d-%d@foundation.example", time.Now().UnixNano(), matrixSeq.Add(1)), "roles": []string{"finance"}})
		if r.status != 201 {
			t.Fatalf("onboard: %d %s", r.status, r.body)
		}
		return matrixRequest{id: r.json(t)["id"].(string)}
	}
	// A request with a file that passed its check: what downloads serve.
	withFile := func(t *testing.T) matrixRequest {
		r := newMatrixRequest(t)
		r.attachment, _ = uploadAccepted(t, r.id, r.token)
		return r
	}
	file := func(format string) func(matrixRequest) string {
		return func(r matrixRequest) string { return fmt.Sprintf(format, r.id, r.attachment) }
	}
	upload := body(map[string]any{"name": "matrix.pdf", "type": "application/pdf", "size": 100, "purpose": "other"})
	report := body(map[string]any{"text": "The trip went as planned; the talk was recorded."})
	// An edit keeps the request's confirmed address.
	edit := func(c client, r matrixRequest) reply {
		b := matrixSubmission()
		b["summary"] = "Edited after the committee asked for the receipts, which are now attached."
		b["applicant"].(map[string]any)["email"] = r.email
		return c.do("PUT", "/requests/"+r.id, b)
	}

	routes := []matrixRoute{
		{key: "GET /", call: get(fixed("/")), want: everyone(200)},
		{key: "GET /status", call: get(fixed("/status")), want: everyone(200)},
		{key: "GET /assets/{file}", call: get(fixed("/assets/form.js")), want: everyone(200)},
		{key: "GET /openapi.yaml", call: get(fixed("/openapi.yaml")), want: everyone(200)},
		// The verifiable log is public: no authorizer, and a token changes nothing. The
		// seeded stack's log has its first leaves before any test runs.
		{key: "GET /log/checkpoint", call: get(fixed("/log/checkpoint")), want: everyone(200)},
		{key: "GET /log/key", call: get(fixed("/log/key")), want: everyone(200)},
		{key: "GET /log/tile/{path+}", call: get(fixed("/log/tile/entries/000.p/1")), want: everyone(200)},
		{key: "GET /log/proof/{index}", call: get(fixed("/log/proof/0")), want: everyone(200)},
		// The public register: the demo's approved sponsorship (fiscal year 2030) is
		// published with its applicant's name.
		{key: "GET /register", call: get(fixed("/register?fiscalYear=2030&kind=conference")), want: everyone(200)},
		{key: "GET /register/{fiscalYear}/{id}", call: get(fixed("/register/2030/01KC0000000000000000000004")), want: everyone(200)},
		{key: "GET /register/feed.json", call: get(fixed("/register/feed.json")), want: everyone(200)},
		{key: "GET /register/feed.atom", call: get(fixed("/register/feed.atom?fiscalYear=2030")), want: everyone(200)},
		{key: "GET /register/{fiscalYear}/decisions.csv", call: get(fixed("/register/2030/decisions.csv")), want: everyone(200)},
		{key: "GET /register/{fiscalYear}/totals.json", call: get(fixed("/register/2030/totals.json")), want: everyone(200)},
		// Where staff sign in: public, like the sign-in page itself.
		{key: "GET /console/config.json", call: get(fixed("/console/config.json")), want: everyone(200)},
		{key: "GET /console", call: get(fixed("/console/")), want: everyone(200)},
		// What no route matches: a problem document, whoever asks, and no authorizer.
		{key: "$default", call: func(c client, _ matrixRequest) reply {
			if r := c.do("GET", "/nowhere", nil); r.status != 404 {
				return r
			}
			return c.do("DELETE", "/admin/settings", nil)
		}, want: everyone(405)},
		// Anyone may ask for money; a token sent along is not looked at.
		{key: "POST /requests", call: func(c client, _ matrixRequest) reply { return c.do("POST", "/requests", matrixSubmission()) },
			want: everyone(201)},
		{key: "GET /requests/{id}", call: get(under("/requests/%s")), want: applicantOnly(200)},
		{key: "PUT /requests/{id}", setup: changesRequested, call: edit, want: applicantOnly(200)},
		{key: "POST /requests/{id}/withdraw", call: send("POST", under("/requests/%s/withdraw"), body(map[string]any{"reason": "matrix"})),
			want: applicantOnly(200)},
		// The code is the credential, whoever holds it; confirming again is a success.
		{key: "POST /requests/{id}/confirm", setup: unconfirmedMatrixRequest, call: func(c client, r matrixRequest) reply {
			return c.do("POST", "/requests/"+r.id+"/confirm", map[string]any{"code": r.code})
		}, want: everyone(200)},
		{key: "GET /confirm", call: get(fixed("/confirm")), want: everyone(200)},
		// What may be published: anyone reads the public fields (the form previews them);
		// only the request's applicant narrows its choice (none again: nothing changes).
		{key: "GET /publication", call: get(fixed("/publication")), want: everyone(200)},
		{key: "PUT /requests/{id}/publication", call: send("PUT", under("/requests/%s/publication"), body(map[string]any{"publication": "none"})),
			want: applicantOnly(200)},
		{key: "POST /requests/{id}/attachments", call: send("POST", under("/requests/%s/attachments"), upload), want: applicantOnly(201)},
		{key: "GET /requests/{id}/attachments", call: get(under("/requests/%s/attachments")), want: applicantOnly(200)},
		{key: "GET /requests/{id}/attachments/{attachment}/download", setup: withFile,
			call: get(file("/requests/%s/attachments/%s/download")), want: applicantOnly(200)},
		// Reports: the request is still in review, so its applicant gets past the token
		// check and is told no report is owed yet (409); the walks in evidence_test.go
		// submit and judge reports on approved requests.
		{key: "GET /requests/{id}/evidence", call: get(under("/requests/%s/evidence")), want: applicantOnly(200)},
		{key: "POST /requests/{id}/reports/{report}", call: send("POST", under("/requests/%s/reports/0"), report),
			want: applicantOnly(409)},
		// Payout details: the request is in review, so its applicant reads where they
		// stand (nothing given) and is told none are taken yet (409); a confirmation
		// needs no token and a wrong code is 404 for anyone. The walks in
		// payout_test.go give, change, confirm and verify details on approved requests.
		{key: "GET /requests/{id}/payout", call: get(under("/requests/%s/payout")), want: applicantOnly(200)},
		{key: "PUT /requests/{id}/payout", call: send("PUT", under("/requests/%s/payout"), body(map[string]any{
			"method": "bank_transfer", "accountHolder": "Matrix", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX"})),
			want: applicantOnly(409)},
		{key: "POST /requests/{id}/payout/confirm", call: send("POST", under("/requests/%s/payout/confirm"), body(map[string]any{"code": "matrix"})),
			want: everyone(404)},

		{key: "GET /review/requests", call: get(fixed("/review/requests")), want: staffOnly(map[string]int{byReviewer: 200, byRecused: 200})},
		{key: "GET /review/requests/{id}", call: get(under("/review/requests/%s")), want: staffOnly(map[string]int{byReviewer: 200})},
		{key: "POST /review/requests/{id}/votes", fresh: true, call: send("POST", under("/review/requests/%s/votes"), body(map[string]any{"choice": "approve"})),
			want: staffOnly(map[string]int{byReviewer: 200})},
		{key: "POST /review/requests/{id}/recusal", fresh: true, call: send("POST", under("/review/requests/%s/recusal"), body(map[string]any{"reason": "matrix"})),
			want: staffOnly(map[string]int{byReviewer: 200})},
		{key: "POST /review/requests/{id}/no-conflict", setup: nearRita, fresh: true,
			call: send("POST", under("/review/requests/%s/no-conflict"), body(map[string]any{"reason": "matrix"})),
			want: staffOnly(map[string]int{byReviewer: 200, byRecused: 409})},
		{key: "POST /review/requests/{id}/changes", fresh: true, call: send("POST", under("/review/requests/%s/changes"), body(map[string]any{"message": "matrix"})),
			want: staffOnly(map[string]int{byReviewer: 200})},
		{key: "POST /review/requests/{id}/comments", call: send("POST", under("/review/requests/%s/comments"), body(map[string]any{"text": "matrix"})),
			want: staffOnly(map[string]int{byReviewer: 201})},
		// A request's files, as its dossier: not for a reviewer recused from it.
		{key: "POST /review/requests/{id}/attachments", call: send("POST", under("/review/requests/%s/attachments"), upload),
			want: staffOnly(map[string]int{byReviewer: 201})},
		{key: "GET /review/requests/{id}/attachments", call: get(under("/review/requests/%s/attachments")), want: staffOnly(map[string]int{byReviewer: 200})},
		{key: "GET /review/requests/{id}/attachments/{attachment}/download", setup: withFile,
			call: get(file("/review/requests/%s/attachments/%s/download")), want: staffOnly(map[string]int{byReviewer: 200})},
		// Reports, as the dossier: a reviewer not recused gets past the admission and is
		// told the request in review owes no report yet (409).
		{key: "GET /review/requests/{id}/evidence", call: get(under("/review/requests/%s/evidence")), want: staffOnly(map[string]int{byReviewer: 200})},
		{key: "POST /review/requests/{id}/reports/{report}/accept", call: send("POST", under("/review/requests/%s/reports/0/accept"), body(nil)),
			want: staffOnly(map[string]int{byReviewer: 409})},
		{key: "POST /review/requests/{id}/reports/{report}/changes", call: send("POST", under("/review/requests/%s/reports/0/changes"),
			body(map[string]any{"message": "matrix"})), want: staffOnly(map[string]int{byReviewer: 409})},

		{key: "GET /admin/staff", call: get(fixed("/admin/staff")), want: staffOnly(map[string]int{byAdmin: 200})},
		{key: "POST /admin/staff", call: send("POST", fixed("/admin/staff"), body(map[string]any{"name": "Matrix Onboarded",
			"email": fmt.Sprintf("matrix-onboarded-%d@foundation.example", time.Now().UnixNano()), "roles": []string{"finance"}})),
			want: staffOnly(map[string]int{byAdmin: 201})},
		{key: "PUT /admin/staff/{id}", setup: matrixStaff, call: send("PUT", under("/admin/staff/%s"),
			body(map[string]any{"name": "Matrix Staff", "roles": []string{"finance", "admin"}})), want: staffOnly(map[string]int{byAdmin: 200})},
		{key: "POST /admin/staff/{id}/invitation", setup: matrixStaff, call: send("POST", under("/admin/staff/%s/invitation"), body(nil)),
			want: staffOnly(map[string]int{byAdmin: 200})},
		{key: "POST /admin/staff/{id}/deactivate", setup: matrixStaff, call: send("POST", under("/admin/staff/%s/deactivate"), body(nil)),
			want: staffOnly(map[string]int{byAdmin: 200})},
		{key: "POST /admin/staff/{id}/reactivate", setup: matrixStaff, call: send("POST", under("/admin/staff/%s/reactivate"), body(nil)),
			want: staffOnly(map[string]int{byAdmin: 200})},
		{key: "GET /admin/reviewers", call: get(fixed("/admin/reviewers")), want: staffOnly(map[string]int{byAdmin: 200})},
		{key: "PUT /admin/reviewers/{id}", call: send("PUT", fixed("/admin/reviewers/matrix-inactive-reviewer"),
			body(map[string]any{"name": "Matrix", "email": "matrix@committee.example", "companyId": "gamma-labs", "active": false})),
			want: staffOnly(map[string]int{byAdmin: 200})},
		{key: "GET /admin/companies", call: get(fixed("/admin/companies")), want: staffOnly(map[string]int{byAdmin: 200})},
		{key: "PUT /admin/companies/{id}", call: send("PUT", fixed("/admin/companies/matrix-company"),
			body(map[string]any{"name": "Matrix Test Company", "domains": []string{"matrix-company.example"}})),
			want: staffOnly(map[string]int{byAdmin: 200})},
		{key: "GET /admin/budgets", call: get(fixed("/admin/budgets?fiscalYear=2030")), want: staffOnly(map[string]int{byAdmin: 200, byFinance: 200})},
		{key: "PUT /admin/budgets/{fiscalYear}/{category}/{currency}", call: send("PUT", fixed("/admin/budgets/2049/project/SEK"),
			body(map[string]any{"allocated": "1000.00"})), want: staffOnly(map[string]int{byAdmin: 200})},
		{key: "GET /admin/settings", call: get(fixed("/admin/settings")), want: staffOnly(map[string]int{byAdmin: 200})},
		{key: "PUT /admin/settings", call: send("PUT", fixed("/admin/settings"), body(map[string]any{"quorumPercent": quorum})),
			want: staffOnly(map[string]int{byAdmin: 200})},
		{key: "GET /admin/publication", call: get(fixed("/admin/publication")), want: staffOnly(map[string]int{byAdmin: 200})},
		{key: "PUT /admin/publication", call: send("PUT", fixed("/admin/publication"), body(map[string]any{"fields": publicFields})),
			want: staffOnly(map[string]int{byAdmin: 200})},

		{key: "POST /finance/requests/{id}/payments", setup: approved, call: send("POST", under("/finance/requests/%s/payments"),
			body(map[string]any{"amount": map[string]any{"currency": "CAD", "value": "10.00"}, "date": today(), "method": "bank_transfer"})),
			want: staffOnly(map[string]int{byFinance: 201})},
		{key: "GET /finance/requests", call: get(fixed("/finance/requests?status=approved")), want: staffOnly(map[string]int{byFinance: 200, byAdmin: 200})},
		{key: "GET /finance/requests/{id}/payments", call: get(under("/finance/requests/%s/payments")), want: staffOnly(map[string]int{byFinance: 200, byAdmin: 200})},
		{key: "GET /finance/budgets", call: get(fixed("/finance/budgets?fiscalYear=2030")), want: staffOnly(map[string]int{byFinance: 200, byAdmin: 200})},
		{key: "GET /finance/reports/{report}", call: get(fixed("/finance/reports/summary?fiscalYear=2030")), want: staffOnly(map[string]int{byFinance: 200, byAdmin: 200})},
		{key: "POST /finance/requests/{id}/attachments", call: send("POST", under("/finance/requests/%s/attachments"), upload),
			want: staffOnly(map[string]int{byFinance: 201})},
		{key: "GET /finance/requests/{id}/attachments", call: get(under("/finance/requests/%s/attachments")), want: staffOnly(map[string]int{byFinance: 200})},
		{key: "GET /finance/requests/{id}/attachments/{attachment}/download", setup: withFile,
			call: get(file("/finance/requests/%s/attachments/%s/download")), want: staffOnly(map[string]int{byFinance: 200})},
		{key: "GET /finance/requests/{id}/evidence", call: get(under("/finance/requests/%s/evidence")), want: staffOnly(map[string]int{byFinance: 200})},
		{key: "GET /finance/requests/{id}/archive", setup: withFile, call: get(under("/finance/requests/%s/archive")), want: staffOnly(map[string]int{byFinance: 200})},
		{key: "GET /finance/archive", call: get(fixed("/finance/archive?fiscalYear=2049")), want: staffOnly(map[string]int{byFinance: 200})},
		{key: "POST /finance/requests/{id}/reports/{report}/accept", call: send("POST", under("/finance/requests/%s/reports/0/accept"), body(nil)),
			want: staffOnly(map[string]int{byFinance: 409})},
		{key: "POST /finance/requests/{id}/reports/{report}/changes", call: send("POST", under("/finance/requests/%s/reports/0/changes"),
			body(map[string]any{"message": "matrix"})), want: staffOnly(map[string]int{byFinance: 409})},
		// Finance reads payout details and verifies them; admins, who may read payments,
		// never see the details. Nothing was given on the matrix's request (422).
		{key: "GET /finance/requests/{id}/payout", call: get(under("/finance/requests/%s/payout")), want: staffOnly(map[string]int{byFinance: 200})},
		{key: "POST /finance/requests/{id}/payout/verify", call: send("POST", under("/finance/requests/%s/payout/verify"), body(map[string]any{"details": 1})),
			want: staffOnly(map[string]int{byFinance: 422})},
	}

	// Every route of the template has a row, and every row is a route.
	inTemplate := map[string]bool{}
	for _, r := range dev.Routes() {
		key, _, _ := strings.Cut(r, " -> ")
		inTemplate[key] = true
	}
	for _, r := range routes {
		if !inTemplate[r.key] {
			t.Errorf("the matrix has %s, which the template does not", r.key)
		}
		delete(inTemplate, r.key)
	}
	for key := range inTemplate {
		t.Errorf("the template's route %s has no row in the matrix", key)
	}

	var unexpected []string
	for _, r := range routes {
		t.Run(r.key, func(t *testing.T) {
			setup := r.setup
			if setup == nil {
				setup = newMatrixRequest
			}
			shared := setup(t)
			for _, c := range callers {
				subject := shared
				if r.fresh {
					subject = setup(t)
				}
				token := tokens[c]
				if c == byOwnToken {
					token = subject.token
				}
				got := r.call(client{t: t, token: token}, subject)
				if got.status != r.want[c] {
					unexpected = append(unexpected, fmt.Sprintf("%s as %s: %d, want %d (%s)", r.key, c, got.status, r.want[c], truncate(got.body)))
				}
				if got.status >= 400 && !strings.HasPrefix(got.header.Get("Content-Type"), "application/problem+json") &&
					!(got.status == 401 && got.header.Get("Www-Authenticate") != "") {
					t.Errorf("%s as %s: a %d without a problem document: %q", r.key, c, got.status, got.header.Get("Content-Type"))
				}
			}
		})
	}
	sort.Strings(unexpected)
	for _, u := range unexpected {
		t.Error(u)
	}
}

func truncate(b []byte) string {
	if len(b) > 160 {
		return string(b[:160]) + "…"
	}
	return string(b)
}

// expiredToken is a staff token exactly as the user pool signs it, but byExpired an hour
// ago: the claims of a real one, signed again with the local Cognito's own key.
func expiredToken(t *testing.T, real string) string {
	t.Helper()
	claims, kid := claimsOf(t, real)
	now := time.Now()
	claims["iat"], claims["auth_time"], claims["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(motoSigningKey(t))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// foreignToken is a valid-looking staff token from another user pool: the same claims
// and groups, another issuer, signed with that issuer's key.
func foreignToken(t *testing.T, real string) string {
	t.Helper()
	claims, _ := claimsOf(t, real)
	claims["iss"] = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_SomeoneElse"
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = "someone-else"
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func claimsOf(t *testing.T, token string) (jwt.MapClaims, string) {
	t.Helper()
	claims := jwt.MapClaims{}
	parsed, _, err := jwt.NewParser().ParseUnverified(token, claims)
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := parsed.Header["kid"].(string)
	return claims, kid
}

// motoSigningKey reads the RSA key moto's Cognito signs tokens with, from the pinned
// moto in .venv.
func motoSigningKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(testenv.Root(), ".venv", "lib", "python3*", "site-packages", "moto", "cognitoidp", "resources", "jwks-private.json.gz"))
	if len(paths) != 1 {
		t.Fatalf("moto's Cognito key: found %v (run make tools)", paths)
	}
	f, err := os.Open(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var jwk struct{ N, E, D string }
	if err := json.NewDecoder(zr).Decode(&jwk); err != nil {
		t.Fatal(err)
	}
	num := func(s string) *big.Int {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return new(big.Int).SetBytes(b)
	}
	n, e, d := num(jwk.N), num(jwk.E), num(jwk.D)
	p := factor(n, e, d)
	if p == nil {
		t.Fatal("moto's Cognito key: cannot recover its primes")
	}
	key := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: n, E: int(e.Int64())}, D: d, Primes: []*big.Int{p, new(big.Int).Div(n, p)}}
	if err := key.Validate(); err != nil {
		t.Fatal(err)
	}
	key.Precompute()
	return key
}

// factor finds a prime factor of n from the key's exponents (the JWK has no primes,
// which Go's signer needs): d·e−1 is a multiple of φ(n), and some square root of 1
// modulo n other than ±1 then shares a factor with n.
func factor(n, e, d *big.Int) *big.Int {
	one := big.NewInt(1)
	k := new(big.Int).Sub(new(big.Int).Mul(d, e), one)
	odd := new(big.Int).Set(k)
	for odd.Bit(0) == 0 {
		odd.Rsh(odd, 1)
	}
	nMinus1 := new(big.Int).Sub(n, one)
	for g := int64(2); g < 1000; g++ {
		x := new(big.Int).Exp(big.NewInt(g), odd, n)
		for x.Cmp(one) != 0 && x.Cmp(nMinus1) != 0 {
			y := new(big.Int).Exp(x, big.NewInt(2), n)
			if y.Cmp(one) == 0 {
				return new(big.Int).GCD(nil, nil, new(big.Int).Sub(x, one), n)
			}
			x = y
		}
	}
	return nil
}

// Mass assignment: a body may carry only what its caller may set. Fields the server owns
// (status, version, amounts decided or paid, ids, who voted) are refused by name, and
// the refused call changes nothing.
func TestFieldsACallerMayNotSetAreRefused(t *testing.T) {
	rita, fin, adm := as(t, mustToken(t, "rita.reviewer@example.org")), staff(t, "finance"), staff(t, "admin")
	owned := map[string]any{"status": "approved", "version": 9, "approvedAmount": map[string]any{"currency": "EUR", "value": "1.00"},
		"id": "01KC0000000000000000000001", "reference": "ST-AAAAA-AAAAA", "applicantToken": "mine", "fiscalYear": 2020,
		"submittedAt": "2020-01-01T00:00:00Z", "paid": map[string]any{"currency": "EUR", "value": "0.00"}}
	with := func(body map[string]any, extra map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range body {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	refused := func(t *testing.T, what string, r reply, fields ...string) {
		t.Helper()
		if r.status != 400 && r.status != 422 {
			t.Errorf("%s: %d, want the body refused: %s", what, r.status, r.body)
			return
		}
		var p struct {
			Errors []struct{ Field, Code string }
		}
		_ = json.Unmarshal(r.body, &p)
		named := map[string]bool{}
		for _, e := range p.Errors {
			if e.Code == "unknown_field" {
				named[e.Field] = true
			}
		}
		for _, f := range fields {
			if !named[f] {
				t.Errorf("%s: the refusal does not name %s: %s", what, f, r.body)
			}
		}
	}
	keys := func(m map[string]any) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		return out
	}

	t.Run("submission", func(t *testing.T) {
		body := matrixSubmission()
		email := body["applicant"].(map[string]any)["email"].(string)
		refused(t, "POST /requests", anonymous(t).do("POST", "/requests", with(body, owned)), keys(owned)...)
		if n := countByApplicant(t, email); n != 0 {
			t.Errorf("%d requests stored", n)
		}
	})
	t.Run("edit", func(t *testing.T) {
		r := newMatrixRequest(t)
		if got := rita.do("POST", "/review/requests/"+r.id+"/changes", map[string]any{"message": "More detail, please."}); got.status != 200 {
			t.Fatalf("changes: %d", got.status)
		}
		before := as(t, r.token).do("GET", "/requests/"+r.id, nil).json(t)
		refused(t, "PUT /requests/{id}", as(t, r.token).do("PUT", "/requests/"+r.id, with(matrixSubmission(), owned)), keys(owned)...)
		after := as(t, r.token).do("GET", "/requests/"+r.id, nil).json(t)
		if after["status"] != "changes_requested" || after["version"] != before["version"] || after["title"] != before["title"] {
			t.Errorf("the refused edit changed the request: %v -> %v", before, after)
		}
	})
	t.Run("vote", func(t *testing.T) {
		r := newMatrixRequest(t)
		refused(t, "POST votes", rita.do("POST", "/review/requests/"+r.id+"/votes",
			map[string]any{"choice": "approve", "reviewerId": "00000000-0000-4000-8000-000000000002", "status": "approved"}), "reviewerId", "status")
		d := rita.do("GET", "/review/requests/"+r.id, nil).json(t)
		if votes, _ := d["votes"].([]any); len(votes) != 0 || d["request"].(map[string]any)["status"] != "submitted" {
			t.Errorf("the refused vote left votes %v, status %v", d["votes"], d["request"].(map[string]any)["status"])
		}
	})
	t.Run("payment", func(t *testing.T) {
		if got := adm.do("PUT", "/admin/budgets/2032/conference/CAD", map[string]any{"allocated": "5000.00"}); got.status != 200 {
			t.Fatalf("budget: %d %s", got.status, got.body)
		}
		id := approveThroughTheGateway(t, "CAD", "100.00", "Mass assignment")
		refused(t, "POST payments", fin.do("POST", "/finance/requests/"+id+"/payments", map[string]any{
			"amount": map[string]any{"currency": "CAD", "value": "10.00"}, "date": today(), "method": "bank_transfer",
			"requestId": "01KC0000000000000000000001", "status": "paid", "paid": map[string]any{"currency": "CAD", "value": "100.00"}}),
			"requestId", "status", "paid")
		ledger := fin.do("GET", "/finance/requests/"+id+"/payments", nil).json(t)
		if ledger["status"] != "approved" || ledger["paid"].(map[string]any)["value"] != "0.00" {
			t.Errorf("the refused payment changed the ledger: %v", ledger)
		}
	})
	t.Run("roster, budget and settings", func(t *testing.T) {
		refused(t, "PUT reviewer", adm.do("PUT", "/admin/reviewers/matrix-mass-assignment", map[string]any{
			"name": "M", "email": "m@committee.example", "companyId": "gamma-labs", "groups": []string{"admins"}, "id": "someone-else"}), "groups", "id")
		if got := adm.do("GET", "/admin/reviewers", nil); strings.Contains(string(got.body), "matrix-mass-assignment") {
			t.Error("the refused roster entry was stored")
		}
		budgets := func() string { return string(adm.do("GET", "/admin/budgets?fiscalYear=2030", nil).body) }
		before := budgets()
		refused(t, "PUT budget", adm.do("PUT", "/admin/budgets/2030/travel/EUR", map[string]any{
			"allocated": "1.00", "committed": "0.00", "paid": "0.00", "version": 1}), "committed", "paid", "version")
		if after := budgets(); after != before {
			t.Errorf("the refused budget change changed budgets:\n%s\n%s", before, after)
		}
		settings := func() string { return string(adm.do("GET", "/admin/settings", nil).body) }
		before = settings()
		refused(t, "PUT settings", adm.do("PUT", "/admin/settings", map[string]any{"quorumPercent": 10, "version": 7, "updatedAt": "2020-01-01T00:00:00Z"}),
			"version", "updatedAt")
		if after := settings(); after != before {
			t.Errorf("the refused settings change changed them: %s -> %s", before, after)
		}
		public := func() string { return string(adm.do("GET", "/admin/publication", nil).body) }
		before = public()
		refused(t, "PUT publication", adm.do("PUT", "/admin/publication", map[string]any{"fields": []string{}, "version": 9}), "version")
		if after := public(); after != before {
			t.Errorf("the refused public fields changed them: %s -> %s", before, after)
		}
	})
}

func mustToken(t *testing.T, who string) string {
	t.Helper()
	tok, err := dev.Token(context.Background(), who)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
