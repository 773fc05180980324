//go:build integration

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring/remindersfn"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/eventtest"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// TestScheduledEventThroughTheLambdaEntryPoint invokes the handler with the sample
// scheduled event on a seeded table, whose demo requests have waited since the demo
// data's date: each reviewer gets one digest of the requests waiting on them, and
// nobody's lists a request of their own company.
func TestScheduledEventThroughTheLambdaEntryPoint(t *testing.T) {
	ctx := context.Background()
	_, table := eventtest.SeededTable(t)
	sender := fmt.Sprintf("reminders-%d@example.org", time.Now().UnixNano())
	ses := sesv2.NewFromConfig(testenv.AWSConfig(t))
	if _, err := ses.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: &sender}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"TABLE_NAME": table, "LOG_LEVEL": "ERROR", "SENDER_EMAIL": sender,
		"PUBLIC_BASE_URL": "https://tracker.example", "REMINDER_AFTER_DAYS": "3"}
	h, err := remindersfn.New(ctx, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	payload, err := os.ReadFile(filepath.Join(testenv.Root(), "events", "reminders", "scheduled-event.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lambda.NewHandler(h).Invoke(ctx, payload); err != nil {
		t.Fatalf("scheduled run: %v", err)
	}
	mails, err := testenv.SentMail(ctx, t)
	if err != nil {
		t.Fatal(err)
	}
	digests := map[string]string{}
	for _, m := range mails {
		if m.Source == sender {
			if _, twice := digests[m.To()]; twice {
				t.Errorf("two digests to %s", m.To())
			}
			digests[m.To()] = m.Body
		}
	}
	examples := sponsorship.ReferenceFor("01KC0000000000000000000003") // Example Labs GmbH's project
	for _, who := range []string{"rita.reviewer@example.org", "bruno.reviewer@example.org", "xena.reviewer@example.org"} {
		if digests[who] == "" {
			t.Errorf("no digest to %s (sent to %v)", who, keys(digests))
		}
	}
	if strings.Contains(digests["xena.reviewer@example.org"], examples) || !strings.Contains(digests["rita.reviewer@example.org"], examples) {
		t.Errorf("Example Labs' request must wait on Rita, not on Xena of Example Labs:\nRita: %s\nXena: %s",
			digests["rita.reviewer@example.org"], digests["xena.reviewer@example.org"])
	}
	for who := range digests {
		if strings.Contains(who, "finance") || strings.Contains(who, "admin") {
			t.Errorf("a digest went to %s, who is not on the committee", who)
		}
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
