//go:build integration

package main

import (
	"net/http"
	"testing"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring/adminfn"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/eventtest"
)

// BenchmarkRoutes measures each route of the admin API per request, through the
// Lambda adapter and through plain net/http (see eventtest.Bench). The PUTs repeat as
// they are: each sets the same state again, which is the same work as the first time
// (read, then one versioned write with its audit event). The staff routes repeat too,
// but after the first call each finds its work done: they measure an idempotent retry
// (the roster and Cognito read, nothing written), except the invitation, refused each
// time to a member who has signed in. Their Cognito calls go to moto.
func BenchmarkRoutes(b *testing.B) {
	eventtest.Bench(b, eventtest.Function{LogicalID: "AdminFunction", Folder: "admin", NewHandler: adminfn.New, UserPool: true},
		eventtest.Route{Event: "get-staff.json", Want: http.StatusOK},
		eventtest.Route{Event: "post-staff.json", Want: http.StatusCreated},
		eventtest.Route{Event: "put-staff.json", Want: http.StatusOK},
		eventtest.Route{Event: "post-staff-deactivate.json", Want: http.StatusOK},
		eventtest.Route{Event: "post-staff-reactivate.json", Want: http.StatusOK},
		eventtest.Route{Event: "post-staff-invitation-signed-in.json", Want: http.StatusConflict},
		eventtest.Route{Event: "get-reviewers.json", Want: http.StatusOK},
		eventtest.Route{Event: "put-reviewer.json", Want: http.StatusOK},
		eventtest.Route{Event: "get-companies.json", Want: http.StatusOK},
		eventtest.Route{Event: "put-company.json", Want: http.StatusOK},
		eventtest.Route{Event: "get-budgets.json", Want: http.StatusOK},
		eventtest.Route{Event: "put-budget.json", Want: http.StatusOK},
		eventtest.Route{Event: "get-settings.json", Want: http.StatusOK},
		eventtest.Route{Event: "put-settings.json", Want: http.StatusOK},
		eventtest.Route{Event: "get-publication.json", Want: http.StatusOK},
		eventtest.Route{Event: "put-publication.json", Want: http.StatusOK},
	)
}
