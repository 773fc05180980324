//go:build integration

package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/dynamostore"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/lambdahttp"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger/verify"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring/ledgerfn"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring/publicfn"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

func sample(t *testing.T, parts ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{testenv.Root(), "events"}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSampleEventsThroughTheLambdaEntryPoints runs the ledger function on the sample
// stream batch, twice (a redelivery), and on its hourly event, then the public
// function on its samples, and checks the log they served as an auditor would, with
// the batch's events as the audit report.
func TestSampleEventsThroughTheLambdaEntryPoints(t *testing.T) {
	ctx := context.Background()
	db, table := testenv.Table(t)
	env := map[string]string{"TABLE_NAME": table, "LOG_LEVEL": "ERROR", "PUBLIC_BASE_URL": "https://tracker.example",
		"LOG_KEY_ID": testenv.LogKey(t)}
	getenv := func(k string) string { return env[k] }
	h, err := ledgerfn.New(ctx, getenv)
	if err != nil {
		t.Fatal(err)
	}
	appender := lambda.NewHandler(h)
	batch := sample(t, "ledger", "dynamodb-stream-events.json")
	for range 2 {
		if _, err := appender.Invoke(ctx, batch); err != nil {
			t.Fatalf("stream batch: %v", err)
		}
	}
	if _, err := appender.Invoke(ctx, sample(t, "ledger", "scheduled-event.json")); err != nil {
		t.Fatalf("hourly run: %v", err)
	}
	store := dynamostore.New(db, table)
	head, err := store.Head(ctx)
	if err != nil || head.Size != 2 {
		t.Fatalf("after the batch and its redelivery the log holds %d leaves (%v); want 2: the provisional request's event stays out", head.Size, err)
	}
	if _, size, _ := store.Checkpoint(ctx); size != 2 {
		t.Fatalf("the checkpoint covers %d leaves, want 2", size)
	}

	public, err := publicfn.New(ctx, getenv)
	if err != nil {
		t.Fatal(err)
	}
	gateway := lambda.NewHandler(lambdahttp.Handler(public))
	for _, name := range []string{"get-checkpoint.json", "get-key.json", "get-entries.json", "get-tile.json", "get-proof.json"} {
		out, err := gateway.Invoke(ctx, sample(t, "public", name))
		if err != nil {
			t.Fatal(err)
		}
		var resp events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode != 200 {
			t.Errorf("%s: status %d (%v): %s", name, resp.StatusCode, err, resp.Body)
		}
	}

	// The auditor's check, with the logged events as their audit report rows.
	var stream events.DynamoDBEvent
	if err := json.Unmarshal(batch, &stream); err != nil {
		t.Fatal(err)
	}
	var report []map[string]string
	for _, rec := range stream.Records {
		if _, logged := rec.Change.NewImage["GSI2PK"]; !logged {
			continue
		}
		ev, err := dynamostore.EventFromStream(rec.Change.NewImage)
		if err != nil {
			t.Fatal(err)
		}
		row := map[string]string{"salt": hex.EncodeToString(ev.Salt)}
		for i, cell := range ledger.Row(ev) {
			row[ledger.RowNames[i]] = cell
		}
		report = append(report, row)
	}
	server := httptest.NewServer(public)
	defer server.Close()
	key, err := ledger.NewKMSKey(ctx, kms.NewFromConfig(testenv.AWSConfig(t)), env["LOG_KEY_ID"], "tracker.example/log")
	if err != nil {
		t.Fatal(err)
	}
	res, err := verify.Run(ctx, verify.Options{Log: server.URL + "/log/", VerifierKey: key.VerifierKey(), Audit: report})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) > 0 || res.Audited != 2 || res.Head.Size != 2 {
		t.Fatalf("the served log: %+v", res)
	}
}
