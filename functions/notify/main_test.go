//go:build integration

package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring/notifyfn"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/eventtest"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// sentFrom counts the mail moto's SES holds from one sender.
func sentFrom(t *testing.T, sender string) int {
	t.Helper()
	mails, err := testenv.SentMail(context.Background(), t)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range mails {
		if m.Source == sender {
			n++
		}
	}
	return n
}

// TestSampleEventsThroughTheLambdaEntryPoint invokes the handler as Lambda does with
// each stream batch in events/notify, on a seeded table, sending from a sender of its
// own so the mail it finds is its own.
func TestSampleEventsThroughTheLambdaEntryPoint(t *testing.T) {
	ctx := context.Background()
	_, table := eventtest.SeededTable(t)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	sender := "noreply+" + hex.EncodeToString(b) + "@sponsorship.example.org"
	ses := sesv2.NewFromConfig(testenv.AWSConfig(t))
	if _, err := ses.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String(sender)}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"TABLE_NAME": table, "LOG_LEVEL": "ERROR", "SENDER_EMAIL": sender,
		"PUBLIC_BASE_URL": "https://tracker.example", "FINANCE_EMAIL": "finance@example.org", "ADMINS_EMAIL": "admins@example.org"}
	h, err := notifyfn.New(ctx, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	handler := lambda.NewHandler(h)
	invoke := func(file string) events.DynamoDBEventResponse {
		t.Helper()
		payload, err := os.ReadFile(filepath.Join(testenv.Root(), "events", "notify", file))
		if err != nil {
			t.Fatal(err)
		}
		out, err := handler.Invoke(ctx, payload)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		var resp events.DynamoDBEventResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatal(err)
		}
		return resp
	}
	// A new request: five reviewers on the fixture roster, none of the applicant's
	// company, and the applicant's receipt.
	if resp := invoke("dynamodb-stream-submitted.json"); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures: %+v", resp)
	}
	if n := sentFrom(t, sender); n != 6 {
		t.Errorf("%d messages sent, want 6", n)
	}
	// The same batch again sends nothing.
	if resp := invoke("dynamodb-stream-submitted.json"); len(resp.BatchItemFailures) != 0 || sentFrom(t, sender) != 6 {
		t.Errorf("replay: %+v, %d messages", resp, sentFrom(t, sender))
	}
	// A record that is not an event is skipped and a vote notifies nobody.
	if resp := invoke("dynamodb-stream-mixed.json"); len(resp.BatchItemFailures) != 0 || sentFrom(t, sender) != 6 {
		t.Errorf("mixed batch: %+v, %d messages", resp, sentFrom(t, sender))
	}
	// A request waiting for its address to be confirmed: one message, to that address,
	// with the link; no reviewer hears of it.
	if resp := invoke("dynamodb-stream-received.json"); len(resp.BatchItemFailures) != 0 || sentFrom(t, sender) != 7 {
		t.Errorf("received: %+v, %d messages, want 7", resp, sentFrom(t, sender))
	}
}

func TestMissingConfigurationStopsStartUp(t *testing.T) {
	_, err := notifyfn.New(context.Background(), func(string) string { return "" })
	if err == nil {
		t.Fatal("started without configuration")
	}
	for _, name := range []string{"TABLE_NAME", "SENDER_EMAIL", "PUBLIC_BASE_URL"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}
