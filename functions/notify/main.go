// Command notify is the Lambda function the table's stream triggers: for each new
// audit event it e-mails the people who should hear of it and posts to the committee's
// chat, each message at most once.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/channels"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/dynamostore"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/notify"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/platform"
)

func main() {
	h, err := newHandler(context.Background(), os.Getenv)
	if err != nil {
		platform.Exit("notify function cannot start", err)
	}
	lambda.Start(h)
}

// newHandler wires configuration, the store, SES and the webhook into the handler.
func newHandler(ctx context.Context, getenv func(string) string) (func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error), error) {
	n, b, _, err := channels.Notifier(ctx, getenv)
	if err != nil {
		return nil, err
	}
	return notify.StreamHandler(n, dynamostore.EventFromStream, b.Log), nil
}
