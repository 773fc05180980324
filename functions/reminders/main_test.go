package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/eventtest"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// TestScheduledEventThroughTheLambdaEntryPoint invokes the handler with the sample
// scheduled event on a seeded table, where nothing is overdue yet: the run succeeds and
// has nothing to send (sending from an unknown identity would fail it).
func TestScheduledEventThroughTheLambdaEntryPoint(t *testing.T) {
	ctx := context.Background()
	_, table := eventtest.SeededTable(t)
	env := map[string]string{"TABLE_NAME": table, "LOG_LEVEL": "ERROR", "SENDER_EMAIL": "unverified@example.org",
		"PUBLIC_BASE_URL": "https://tracker.example", "REMINDER_AFTER_DAYS": "3"}
	h, err := newHandler(ctx, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	payload, err := os.ReadFile(filepath.Join(testenv.Root(), "events", "reminders", "scheduled-event.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lambda.NewHandler(h).Invoke(ctx, payload); err != nil {
		t.Errorf("scheduled run: %v", err)
	}
}
