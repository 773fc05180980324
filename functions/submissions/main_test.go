//go:build integration

package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring/submissionsfn"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/eventtest"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// consoleEnv is what the template gives the function for the console's sign-in, with
// example values: the function refuses to start without it.
var consoleEnv = map[string]string{
	"AUTH_BASE_URL": "https://sponsorship-tracker.auth.us-east-1.amazoncognito.com", "CONSOLE_CLIENT_ID": "4example5client6id",
	"PUBLIC_BASE_URL": "https://sponsorship.example.org", "EVIDENCE_BUCKET": "evidence-sample",
	"PAYOUT_KEY_ID": "made-by-the-test",
}

// TestSampleEvents invokes the Lambda entry point with every event in events/submissions.
func TestSampleEvents(t *testing.T) {
	eventtest.Run(t, eventtest.Function{
		LogicalID: "SubmissionsFunction", Folder: "submissions", NewHandler: submissionsfn.New,
		Env: consoleEnv, Keys: []string{"PAYOUT_KEY_ID"},
		Expected: map[string]int{
			"get-payout.json":                      200,
			"put-payout.json":                      200,
			"put-payout-invalid.json":              422,
			"post-payout-confirm-wrong-code.json":  404,
			"post-requests-conference.json":        201,
			"post-requests-travel.json":            201,
			"post-requests-project.json":           201,
			"post-requests-idempotent.json":        201,
			"post-requests-invalid.json":           422,
			"get-request.json":                     200,
			"get-request-wrong-token.json":         404,
			"put-request.json":                     200,
			"post-withdraw.json":                   200,
			"put-publication.json":                 200,
			"put-publication-widen.json":           409,
			"get-publication.json":                 200,
			"post-attachment.json":                 201,
			"post-attachment-invalid.json":         422,
			"get-attachments.json":                 200,
			"get-evidence.json":                    200,
			"post-report.json":                     200,
			"post-report-invalid.json":             422,
			"get-attachment-download-unknown.json": 404,
			"post-confirm.json":                    200,
			"post-confirm-wrong-code.json":         404,
			"get-confirm-page.json":                200,
			"get-openapi.json":                     200,
			"get-form-page.json":                   200,
			"get-status-page.json":                 200,
			"get-console-page.json":                200,
			"get-console-without-slash.json":       302,
			"get-asset-script.json":                200,
			"get-asset-missing.json":               404,
			"get-console-config.json":              200,
			"unrouted-wrong-method.json":           405,
			"unrouted-unknown-path.json":           404,
		},
	})
}

// TestMissingConfigurationStopsStartUp checks that a function without its table name,
// the console's sign-in settings, the evidence bucket or the payout key refuses to start with a message
// naming each, instead of failing on the first request.
func TestMissingConfigurationStopsStartUp(t *testing.T) {
	_, err := submissionsfn.New(context.Background(), func(string) string { return "" })
	for _, name := range []string{"TABLE_NAME", "AUTH_BASE_URL", "CONSOLE_CLIENT_ID", "PUBLIC_BASE_URL", "EVIDENCE_BUCKET", "PAYOUT_KEY_ID"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("error = %v, want one naming %s", err, name)
		}
	}
}
