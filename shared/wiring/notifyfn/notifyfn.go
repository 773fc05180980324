// Package notifyfn composes the notify function: see New.
package notifyfn

import (
	"context"
	"errors"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/channels"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/config"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/dynamostore"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/notify"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring"
)

// New builds the function the table's stream triggers: each new audit event's e-mails
// and chat messages, each sent at most once.
func New(ctx context.Context, getenv wiring.Getenv) (StreamHandler, error) {
	n, b, _, err := Notifier(ctx, getenv)
	if err != nil {
		return nil, err
	}
	return NewStreamHandler(n, b.Log), nil
}

// StreamHandler is the notify function's handler for a batch of the table's stream
// records.
type StreamHandler = func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error)

// NewStreamHandler is New's handler around a notifier built elsewhere (a test's, in
// memory), reading the audit events of the table's stream records as the store wrote
// them.
func NewStreamHandler(n *notify.Notifier, log *slog.Logger) StreamHandler {
	return streamHandler(n, dynamostore.EventFromStream, log)
}

// Notifier builds what the notification functions share: the store as reader and
// outbox, SES for e-mail, and the chat webhook when one is configured.
func Notifier(ctx context.Context, getenv wiring.Getenv) (*notify.Notifier, wiring.Basics, config.Notify, error) {
	b, err := wiring.Setup(ctx, getenv)
	nc, nerr := config.LoadNotify(getenv)
	if err := errors.Join(err, nerr); err != nil {
		return nil, wiring.Basics{}, config.Notify{}, err
	}
	senders := map[string]notify.Sender{notify.Email: channels.Email{SES: sesv2.NewFromConfig(b.AWS), Sender: nc.Sender}}
	if nc.ChatWebhook != "" {
		senders[notify.Chat] = channels.Webhook{URL: nc.ChatWebhook}
	}
	cfg := notify.Config{BaseURL: nc.BaseURL, Rules: notify.Rules{FinanceEmail: nc.FinanceEmail, AdminsEmail: nc.AdminsEmail}}
	return notify.New(b.Store, b.Store, senders, cfg, b.Log), b, nc, nil
}

// decoder turns a stream record's new image into the audit event it holds.
type decoder func(image map[string]events.DynamoDBAttributeValue) (sponsorship.AuditEvent, error)

// streamHandler is the notification function's Lambda handler for a batch of stream
// records. A record whose notifications could not all be sent is reported in
// batchItemFailures, so Lambda retries it (and, with bisection, isolates it) while the
// records after it proceed; what went out already is skipped on the retry. A record
// that is not an audit event is logged and skipped: retrying cannot fix it.
func streamHandler(n *notify.Notifier, decode decoder, log *slog.Logger) func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return func(ctx context.Context, batch events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		log := WithInvocation(ctx, log)
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

func WithInvocation(ctx context.Context, log *slog.Logger) *slog.Logger {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return log.With("requestId", lc.AwsRequestID)
	}
	return log
}
