//go:build integration

package main

import (
	"net/http"
	"testing"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring/submissionsfn"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/eventtest"
)

// BenchmarkRoutes measures each route of the applicant API per request, through the
// Lambda adapter and through plain net/http (see eventtest.Bench). The $default route
// answers only 404 and 405; shared/lambdahttp's BenchmarkRouter measures it.
func BenchmarkRoutes(b *testing.B) {
	eventtest.Bench(b, eventtest.Function{LogicalID: "SubmissionsFunction", Folder: "submissions", NewHandler: submissionsfn.New, Env: consoleEnv,
		Keys: []string{"PAYOUT_KEY_ID"}}, append([]eventtest.Route{
		// A fresh submission every iteration: each gets an Idempotency-Key and an
		// applicant address of its own (an address may have three unconfirmed requests a
		// day), so each stores a new request (one transaction: request, audit event,
		// idempotency record, confirmation code and the address's count) after looking
		// the key up, as a browser's first try does.
		eventtest.Route{Event: "post-requests-idempotent.json", Want: http.StatusCreated,
			Fresh: func(tb testing.TB, _ *eventtest.Setup, ev *events.APIGatewayV2HTTPRequest) {
				eventtest.NewIdempotencyKey(ev)
				eventtest.NewApplicantEmail(tb, ev)
			}},
		// A retried submission: the sample is sent once before timing, so every
		// iteration sends the same key and body again and gets the first receipt back
		// (one read, no write).
		eventtest.Route{Name: "POST_requests_replay", Event: "post-requests-idempotent.json", Want: http.StatusCreated,
			Prepare: func(tb testing.TB, s *eventtest.Setup) {
				if resp := s.Invoke(tb, s.Event(tb, "post-requests-idempotent.json")); resp.StatusCode != http.StatusCreated {
					tb.Fatalf("first submission: %d %s", resp.StatusCode, resp.Body)
				}
			}},
		eventtest.Route{Event: "get-request.json", Want: http.StatusOK},
		// A resubmission moves a request from changes_requested back to submitted, once:
		// every iteration resubmits a copy of its own of the demo request waiting for
		// changes, with that copy's applicant token.
		eventtest.Route{Event: "put-request.json", Want: http.StatusOK,
			Fresh: func(tb testing.TB, s *eventtest.Setup, ev *events.APIGatewayV2HTTPRequest) {
				id, token := s.Copy(tb, "01KC0000000000000000000002")
				eventtest.Retarget(ev, id, token)
			}},
		// A withdrawal ends a request: every iteration withdraws a copy of its own of the
		// submitted demo project request.
		eventtest.Route{Event: "post-withdraw.json", Want: http.StatusOK,
			Fresh: func(tb testing.TB, s *eventtest.Setup, ev *events.APIGatewayV2HTTPRequest) {
				id, token := s.Copy(tb, "01KC0000000000000000000003")
				eventtest.Retarget(ev, id, token)
			}},
		// A confirmation makes a request submitted, once: every iteration confirms an
		// unconfirmed request of its own with its code.
		eventtest.Route{Event: "post-confirm.json", Want: http.StatusOK,
			Fresh: func(tb testing.TB, s *eventtest.Setup, ev *events.APIGatewayV2HTTPRequest) {
				id, code := s.Unconfirmed(tb, "01KC0000000000000000000005")
				eventtest.Retarget(ev, id, "")
				ev.Body = `{"code":"` + code + `"}`
			}},
		// A narrowing of what may be published: every iteration narrows a copy of its own
		// of a demo request, so each writes its change and event.
		eventtest.Route{Event: "put-publication.json", Want: http.StatusOK,
			Fresh: func(tb testing.TB, s *eventtest.Setup, ev *events.APIGatewayV2HTTPRequest) {
				id, token := s.Copy(tb, "01KC0000000000000000000001")
				eventtest.Retarget(ev, id, token)
			}},
		eventtest.Route{Event: "get-publication.json", Want: http.StatusOK},
		eventtest.Route{Event: "get-confirm-page.json", Want: http.StatusOK},
		eventtest.Route{Event: "get-openapi.json", Want: http.StatusOK},
		// Payout details: the first details of a copy of its own of the approved demo
		// conference every iteration (a data key from KMS, one transaction), where they
		// stand, and a confirmation with a wrong code (one read).
		eventtest.Route{Event: "put-payout.json", Want: http.StatusOK,
			Fresh: func(tb testing.TB, s *eventtest.Setup, ev *events.APIGatewayV2HTTPRequest) {
				id, token := s.Copy(tb, "01KC0000000000000000000004")
				eventtest.Retarget(ev, id, token)
			}},
		eventtest.Route{Event: "get-payout.json", Want: http.StatusOK},
		eventtest.Route{Event: "post-payout-confirm-wrong-code.json", Want: http.StatusNotFound},
		eventtest.Route{Event: "get-form-page.json", Want: http.StatusOK},
		eventtest.Route{Event: "get-status-page.json", Want: http.StatusOK},
		eventtest.Route{Event: "get-asset-script.json", Want: http.StatusOK},
		// The staff console's page and its sign-in settings: static, with the page's
		// policy naming the sign-in origin.
		eventtest.Route{Event: "get-console-page.json", Want: http.StatusOK},
		eventtest.Route{Event: "get-console-config.json", Want: http.StatusOK},
	},
		// Attachments: see eventtest.AttachmentRoutes.
		append(eventtest.AttachmentRoutes("01KC0000000000000000000003", true),
			// Reports: see eventtest.ReportRoutes.
			eventtest.ReportRoutes(true)...)...)...)
}
