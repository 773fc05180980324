//go:build integration

package main

import (
	"os"
	"testing"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring/financefn"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/eventtest"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// TestSampleEvents invokes the Lambda entry point with every event in events/finance.
func TestSampleEvents(t *testing.T) {
	eventtest.Run(t, eventtest.Function{
		LogicalID: "FinanceFunction", Folder: "finance", NewHandler: financefn.New,
		Env:     map[string]string{"REPORTS_BUCKET": "reports-sample", "EVIDENCE_BUCKET": "evidence-sample"},
		Buckets: []string{"REPORTS_BUCKET", "EVIDENCE_BUCKET"}, Keys: []string{"PAYOUT_KEY_ID"},
		Expected: map[string]int{
			"get-payout.json": 200,
			// The demo's approved conference has no payout details to verify.
			"post-payout-verify-nothing.json":      422,
			"post-attachment.json":                 201,
			"get-attachments.json":                 200,
			"get-attachment-download-unknown.json": 404,
			"get-evidence.json":                    200,
			"get-archive.json":                     200,
			"get-year-archive.json":                200,
			"post-report-accept-due.json":          409,
			"post-report-changes-invalid.json":     422,
			// The demo's approved conference has no invoice on file: finance cannot pay it.
			"post-payment.json":                     409,
			"post-payment-as-reviewer.json":         403,
			"get-requests.json":                     200,
			"get-payments.json":                     200,
			"get-budgets.json":                      200,
			"get-report-requests-csv.json":          200,
			"get-report-summary-json.json":          200,
			"get-report-invalid.json":               422,
			"get-report-audit-period-too-long.json": 422,
		},
	})
}
