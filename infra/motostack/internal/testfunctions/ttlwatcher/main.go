// Command ttlwatcher consumes the TTL test table's stream, whose mapping passes only
// REMOVE records: for each it writes SEEN#<key> with the record's userIdentity, so a
// test can see what a TTL deletion looked like to a function.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

var db *dynamodb.Client

func handle(ctx context.Context, ev events.DynamoDBEvent) error {
	for _, r := range ev.Records {
		item := map[string]types.AttributeValue{
			"PK":        &types.AttributeValueMemberS{Value: "SEEN#" + r.Change.Keys["PK"].String()},
			"eventName": &types.AttributeValueMemberS{Value: r.EventName},
		}
		if id := r.UserIdentity; id != nil {
			item["identityType"] = &types.AttributeValueMemberS{Value: id.Type}
			item["principalId"] = &types.AttributeValueMemberS{Value: id.PrincipalID}
		}
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(os.Getenv("TABLE_NAME")), Item: item}); err != nil {
			return err
		}
	}
	return nil
}

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		panic(err)
	}
	db = dynamodb.NewFromConfig(cfg)
	lambda.Start(handle)
}
