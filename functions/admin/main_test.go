//go:build integration

package main

import (
	"os"
	"testing"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring/adminfn"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/eventtest"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// TestSampleEvents invokes the Lambda entry point with every event in events/admin.
func TestSampleEvents(t *testing.T) {
	eventtest.Run(t, eventtest.Function{
		LogicalID: "AdminFunction", Folder: "admin", NewHandler: adminfn.New, UserPool: true,
		Expected: map[string]int{
			"get-staff.json":                       200,
			"post-staff.json":                      201,
			"post-staff-invalid.json":              422,
			"post-staff-as-reviewer.json":          403,
			"put-staff.json":                       200,
			"post-staff-deactivate.json":           200,
			"post-staff-reactivate.json":           200,
			"post-staff-invitation-signed-in.json": 409,
			"get-reviewers.json":                   200,
			"put-reviewer.json":                    200,
			"put-reviewer-as-reviewer.json":        403,
			"get-companies.json":                   200,
			"put-company.json":                     200,
			"put-company-taken.json":               422,
			"get-budgets.json":                     200,
			"put-budget.json":                      200,
			"get-settings.json":                    200,
			"put-settings.json":                    200,
			"get-publication.json":                 200,
			"put-publication.json":                 200,
			"put-publication-invalid.json":         422,
		},
	})
}
