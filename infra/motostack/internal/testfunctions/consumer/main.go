// Command consumer takes SQS batches for the queue tests. Each message's body is JSON,
// {"id": ..., "mode": ...}; every delivery of it is recorded in the item MSG#<id>: a
// count, the size of each batch it came in, its receive count each time, and the last
// record as Lambda delivered it. The mode decides the answer: "fail-always" is reported
// as a batch item failure every time, "fail-once" the first time it is received;
// "bogus-once" makes the first answer name a message that is not in the batch;
// "crash-once" fails the whole invocation the first time. A body that is not JSON is
// recorded under RAW#<body>.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

var db *dynamodb.Client

type body struct {
	ID   string `json:"id"`
	Mode string `json:"mode"`
}

func handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	crash := false
	for _, r := range ev.Records {
		var b body
		key := ""
		if json.Unmarshal([]byte(r.Body), &b) == nil && b.ID != "" {
			key = "MSG#" + b.ID
		} else {
			key = "RAW#" + r.Body
		}
		if err := record(ctx, key, r, len(ev.Records)); err != nil {
			return resp, err
		}
		first := r.Attributes["ApproximateReceiveCount"] == "1"
		switch {
		case b.Mode == "fail-always", b.Mode == "fail-once" && first:
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
		case b.Mode == "bogus-once" && first:
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: "no-such-message"})
		case b.Mode == "crash-once" && first:
			crash = true
		}
	}
	if crash {
		return resp, errors.New("asked to crash")
	}
	return resp, nil
}

// record adds one delivery of a message to its item.
func record(ctx context.Context, key string, r events.SQSMessage, batch int) error {
	raw, _ := json.Marshal(r)
	n := func(i int) types.AttributeValue { return &types.AttributeValueMemberN{Value: strconv.Itoa(i)} }
	count, _ := strconv.Atoi(r.Attributes["ApproximateReceiveCount"])
	_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(os.Getenv("TABLE_NAME")),
		Key:       map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: key}},
		UpdateExpression: aws.String("ADD deliveries :one SET batches = list_append(if_not_exists(batches, :none), :batch), " +
			"receives = list_append(if_not_exists(receives, :none), :count), lastRecord = :record"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one": n(1), ":none": &types.AttributeValueMemberL{Value: []types.AttributeValue{}},
			":batch":  &types.AttributeValueMemberL{Value: []types.AttributeValue{n(batch)}},
			":count":  &types.AttributeValueMemberL{Value: []types.AttributeValue{n(count)}},
			":record": &types.AttributeValueMemberS{Value: string(raw)},
		},
	})
	return err
}

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		panic(err)
	}
	db = dynamodb.NewFromConfig(cfg)
	lambda.Start(handle)
}
