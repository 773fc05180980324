package notify

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// Decoder turns a stream record's new image into the audit event it holds.
type Decoder func(image map[string]events.DynamoDBAttributeValue) (sponsorship.AuditEvent, error)

// StreamHandler is the notification function's Lambda handler for a batch of stream
// records. A record whose notifications could not all be sent is reported in
// batchItemFailures, so Lambda retries it (and, with bisection, isolates it) while the
// records after it proceed; what went out already is skipped on the retry. A record
// that is not an audit event is logged and skipped: retrying cannot fix it.
func StreamHandler(n *Notifier, decode Decoder, log *slog.Logger) func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return func(ctx context.Context, batch events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		log := withInvocation(ctx, log)
		var resp events.DynamoDBEventResponse
		for _, rec := range batch.Records {
			ev, err := decode(rec.Change.NewImage)
			if err != nil {
				log.Warn("skipped a record that is not an audit event", "sequence", rec.Change.SequenceNumber, "error", err.Error())
				continue
			}
			if err := n.Handle(ctx, ev); err != nil {
				log.Warn("notifications will be retried", "sequence", rec.Change.SequenceNumber, "request", ev.RequestID,
					"version", ev.Version, "error", err.Error())
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: rec.Change.SequenceNumber})
			}
		}
		log.Info("batch done", "records", len(batch.Records), "failed", len(resp.BatchItemFailures))
		return resp, nil
	}
}

// ScheduleHandler is the reminders function's Lambda handler: each run sends the day's
// digests.
func ScheduleHandler(n *Notifier, after time.Duration, log *slog.Logger) func(context.Context, events.EventBridgeEvent) error {
	return func(ctx context.Context, _ events.EventBridgeEvent) error {
		log := withInvocation(ctx, log)
		sent, err := n.Remind(ctx, after)
		log.Info("reminders sent", "digests", sent)
		return err
	}
}

func withInvocation(ctx context.Context, log *slog.Logger) *slog.Logger {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return log.With("requestId", lc.AwsRequestID)
	}
	return log
}
