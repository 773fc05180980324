//go:build integration

package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring/financefn"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/eventtest"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// BenchmarkRoutes measures each route of the finance API per request, through the
// Lambda adapter and through plain net/http (see eventtest.Bench).
func BenchmarkRoutes(b *testing.B) {
	eventtest.Bench(b, eventtest.Function{LogicalID: "FinanceFunction", Folder: "finance", NewHandler: financefn.New,
		Env:     map[string]string{"REPORTS_BUCKET": "reports-bench", "EVIDENCE_BUCKET": "evidence-bench"},
		Buckets: []string{"REPORTS_BUCKET", "EVIDENCE_BUCKET"}, Keys: []string{"PAYOUT_KEY_ID"}}, append([]eventtest.Route{
		// Payout details: read (the roster for the separation of duties, the request; no
		// details on the demo request, so nothing to open) and a verification refused
		// for want of details.
		eventtest.Route{Event: "get-payout.json", Want: http.StatusOK},
		eventtest.Route{Event: "post-payout-verify-nothing.json", Want: http.StatusUnprocessableEntity},
		// A first payment every iteration, with a key of its own, on a copy of its own of
		// the approved demo request: paying the same request again and again would make
		// each payment read a longer list of payments, and soon exceed the approval.
		// The copies' approvals are committed to the 2030 conference budget, raised
		// first to take them all. Each copy gets the organiser's invoice, which a
		// conference's payment needs.
		eventtest.Route{Event: "post-payment.json", Want: http.StatusCreated,
			Prepare: func(tb testing.TB, s *eventtest.Setup) {
				admin := sponsorship.Staff{ID: "bench", Groups: []string{sponsorship.GroupAdmins}}
				_, err := sponsorship.NewAdminService(s.Store, time.Now).SetAllocation(tb.Context(), admin, 2030,
					sponsorship.KindConference, "EUR", sponsorship.AllocationInput{Allocated: "1000000000.00"})
				if err != nil {
					tb.Fatal(err)
				}
			},
			Fresh: func(tb testing.TB, s *eventtest.Setup, ev *events.APIGatewayV2HTTPRequest) {
				id, _ := s.Copy(tb, "01KC0000000000000000000004")
				s.AcceptedFile(tb, id)
				eventtest.Retarget(ev, id, "")
				eventtest.NewIdempotencyKey(ev)
			}},
		// A retried payment: the sample is recorded once before timing, so every
		// iteration sends the same key and body again and gets the recorded payment back.
		eventtest.Route{Name: "POST_finance_requests_id_payments_replay", Event: "post-payment.json", Want: http.StatusCreated,
			Prepare: func(tb testing.TB, s *eventtest.Setup) {
				s.AcceptedFile(tb, "01KC0000000000000000000004")
				if resp := s.Invoke(tb, s.Event(tb, "post-payment.json")); resp.StatusCode != http.StatusCreated {
					tb.Fatalf("first payment: %d %s", resp.StatusCode, resp.Body)
				}
			}},
		eventtest.Route{Event: "get-requests.json", Want: http.StatusOK},
		eventtest.Route{Event: "get-payments.json", Want: http.StatusOK},
		eventtest.Route{Event: "get-budgets.json", Want: http.StatusOK},
		// The report route's representative is the requests report as CSV, inline.
		eventtest.Route{Event: "get-report-requests-csv.json", Want: http.StatusOK},
		// The evidence archive of the demo's approved conference: its manifest alone,
		// written to the reports bucket.
		eventtest.Route{Event: "get-archive.json", Want: http.StatusOK},
		// A fiscal year's evidence: the demo year's payments reach no request yet.
		eventtest.Route{Event: "get-year-archive.json", Want: http.StatusOK},
	},
		// Attachments: see eventtest.AttachmentRoutes.
		append(eventtest.AttachmentRoutes("01KC0000000000000000000004", false),
			// Reports: see eventtest.ReportRoutes.
			eventtest.ReportRoutes(false)...)...)...)
}
