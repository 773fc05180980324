// Command reminders runs on a daily schedule: each active reviewer gets one digest of
// the requests that have waited on their vote for more than REMINDER_AFTER_DAYS.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/channels"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/notify"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/platform"
)

func main() {
	h, err := newHandler(context.Background(), os.Getenv)
	if err != nil {
		platform.Exit("reminders function cannot start", err)
	}
	lambda.Start(h)
}

// newHandler wires configuration, the store and SES into the handler.
func newHandler(ctx context.Context, getenv func(string) string) (func(context.Context, events.EventBridgeEvent) error, error) {
	n, b, cfg, err := channels.Notifier(ctx, getenv)
	if err != nil {
		return nil, err
	}
	return notify.ScheduleHandler(n, cfg.RemindAfter, b.Log), nil
}
