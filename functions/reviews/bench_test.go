//go:build integration

package main

import (
	"net/http"
	"testing"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring/reviewsfn"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/eventtest"
)

// BenchmarkRoutes measures each route of the reviewers' API per request, through the
// Lambda adapter and through plain net/http (see eventtest.Bench).
func BenchmarkRoutes(b *testing.B) {
	eventtest.Bench(b, eventtest.Function{LogicalID: "ReviewsFunction", Folder: "reviews", NewHandler: reviewsfn.New,
		Env: map[string]string{"EVIDENCE_BUCKET": "evidence-not-needed"}}, append([]eventtest.Route{
		eventtest.Route{Event: "get-queue.json", Want: http.StatusOK},
		eventtest.Route{Event: "get-review.json", Want: http.StatusOK},
		// A first vote every iteration, on a copy of its own of the submitted demo
		// conference request: a reviewer may vote again (the vote is replaced, the same
		// work), but the audit events each vote adds would pile up in one partition, and
		// moto's Query lists a whole partition, so the iterations would slow down one
		// after the other. One approval of five seats settles nothing.
		eventtest.Route{Event: "post-vote.json", Want: http.StatusOK, Fresh: ownCopy("01KC0000000000000000000001")},
		// A recused reviewer cannot recuse again: every iteration recuses from a copy of
		// its own of the submitted demo project request.
		eventtest.Route{Event: "post-recusal.json", Want: http.StatusOK, Fresh: ownCopy("01KC0000000000000000000003")},
		// A declaration settles one possible conflict, once: every iteration declares on a
		// copy of its own of the demo request from a near match of Rita's company.
		eventtest.Route{Event: "post-no-conflict.json", Want: http.StatusOK, Fresh: ownCopy("01KC0000000000000000000006")},
		// Asking for changes moves a submitted request to changes_requested, once: every
		// iteration asks it of a copy of its own of the submitted demo conference request.
		eventtest.Route{Event: "post-changes.json", Want: http.StatusOK, Fresh: ownCopy("01KC0000000000000000000001")},
		// A comment on a copy of its own every iteration, as for votes: comments on one
		// request would pile up in its partition.
		eventtest.Route{Event: "post-comment.json", Want: http.StatusCreated, Fresh: ownCopy("01KC0000000000000000000001")},
	},
		// Attachments: see eventtest.AttachmentRoutes.
		append(eventtest.AttachmentRoutes("01KC0000000000000000000001", false),
			// Reports: see eventtest.ReportRoutes.
			eventtest.ReportRoutes(false)...)...)...)
}

// ownCopy points each iteration's event at a copy of its own of a demo request.
func ownCopy(seedID string) func(testing.TB, *eventtest.Setup, *events.APIGatewayV2HTTPRequest) {
	return func(tb testing.TB, s *eventtest.Setup, ev *events.APIGatewayV2HTTPRequest) {
		id, _ := s.Copy(tb, seedID)
		eventtest.Retarget(ev, id, "")
	}
}
