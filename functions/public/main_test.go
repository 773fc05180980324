//go:build integration

package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/eventtest"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/lambdahttp"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring/publicfn"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// TestRegisterSampleEvents runs the public register's sample events through the
// function's Lambda entry point on the demo data, whose approved conference sponsorship
// (fiscal year 2030) its applicant chose to publish with their name. The log's samples
// run in functions/ledger, after an append.
func TestRegisterSampleEvents(t *testing.T) {
	ctx := context.Background()
	_, table := eventtest.SeededTable(t)
	env := map[string]string{"TABLE_NAME": table, "LOG_LEVEL": "ERROR", "PUBLIC_BASE_URL": "https://tracker.example",
		"LOG_KEY_ID": testenv.LogKey(t)}
	h, err := publicfn.New(ctx, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	gateway := lambda.NewHandler(lambdahttp.Handler(h))
	files, err := filepath.Glob(filepath.Join(testenv.Root(), "events", "public", "get-register*.json"))
	if err != nil || len(files) != 6 {
		t.Fatalf("register samples: %v, %v; want six", files, err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			payload, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			out, err := gateway.Invoke(ctx, payload)
			if err != nil {
				t.Fatal(err)
			}
			var resp events.APIGatewayV2HTTPResponse
			if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode != 200 {
				t.Fatalf("status %d (%v): %s", resp.StatusCode, err, resp.Body)
			}
			// The demo's sponsor chose to be named; their e-mail address never shows.
			if strings.Contains(resp.Body, "ferris@eurorust.example") {
				t.Errorf("the e-mail address is served: %s", resp.Body)
			}
			if !strings.HasSuffix(file, "totals.json") && !strings.Contains(resp.Body, "EuroRust") {
				t.Errorf("the demo's listed decision is missing: %s", resp.Body)
			}
		})
	}
}
