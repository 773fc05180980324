// Package remindersfn composes the reminders function: see New.
package remindersfn

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/notify"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring/notifyfn"
)

// New builds the function the daily schedule runs: one digest per reviewer of what
// waits for them.
func New(ctx context.Context, getenv wiring.Getenv) (ScheduleHandler, error) {
	n, b, cfg, err := notifyfn.Notifier(ctx, getenv)
	if err != nil {
		return nil, err
	}
	return scheduleHandler(n, cfg.RemindAfter, b.Log), nil
}

// ScheduleHandler is the reminders function's handler for its schedule's events.
type ScheduleHandler = func(context.Context, events.EventBridgeEvent) error

// scheduleHandler is the reminders function's Lambda handler: each run sends the day's
// digests.
func scheduleHandler(n *notify.Notifier, after time.Duration, log *slog.Logger) func(context.Context, events.EventBridgeEvent) error {
	return func(ctx context.Context, _ events.EventBridgeEvent) error {
		log := notifyfn.WithInvocation(ctx, log)
		sent, err := n.Remind(ctx, after)
		log.Info("reminders sent", "digests", sent)
		return err
	}
}
