//go:build integration

package main

import (
	"os"
	"testing"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring/reviewsfn"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/eventtest"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// TestSampleEvents invokes the Lambda entry point with every event in events/reviews.
func TestSampleEvents(t *testing.T) {
	eventtest.Run(t, eventtest.Function{
		LogicalID: "ReviewsFunction", Folder: "reviews", NewHandler: reviewsfn.New,
		Env: map[string]string{"EVIDENCE_BUCKET": "evidence-sample"},
		Expected: map[string]int{
			"post-attachment.json":                     201,
			"get-attachments.json":                     200,
			"get-evidence.json":                        200,
			"post-report-accept-due.json":              409,
			"post-report-changes-invalid.json":         422,
			"get-attachment-download-unknown.json":     404,
			"get-queue.json":                           200,
			"get-queue-as-finance.json":                403,
			"get-queue-without-token.json":             401,
			"get-review.json":                          200,
			"post-vote.json":                           200,
			"post-vote-invalid.json":                   422,
			"post-recusal.json":                        200,
			"post-no-conflict.json":                    200,
			"post-no-conflict-nothing-to-declare.json": 409,
			"post-changes.json":                        200,
			"post-comment.json":                        201,
		},
	})
}
