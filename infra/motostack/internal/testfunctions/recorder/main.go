// Command recorder consumes the test table's stream: for each record it adds one to a
// counter item OUT#<key>, so a test can see how often each record was delivered. A
// record whose new image has poison=true is reported as a batch item failure; one with
// crash=true fails the whole invocation.
package main

import (
	"context"
	"errors"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

var db *dynamodb.Client

func handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var resp events.DynamoDBEventResponse
	for _, r := range ev.Records {
		img := r.Change.NewImage
		if flag(img, "crash") {
			return resp, errors.New("crash record")
		}
		if flag(img, "poison") {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: r.Change.SequenceNumber})
			continue
		}
		key := strings.TrimPrefix(r.Change.Keys["PK"].String(), "IN#")
		_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 aws.String(os.Getenv("TABLE_NAME")),
			Key:                       map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "OUT#" + key}},
			UpdateExpression:          aws.String("ADD deliveries :one"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}},
		})
		if err != nil {
			return resp, err
		}
	}
	return resp, nil
}

// flag reports whether the image has a true boolean attribute of that name.
func flag(img map[string]events.DynamoDBAttributeValue, name string) bool {
	v, ok := img[name]
	return ok && v.DataType() == events.DataTypeBoolean && v.Boolean()
}

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		panic(err)
	}
	db = dynamodb.NewFromConfig(cfg)
	lambda.Start(handle)
}
