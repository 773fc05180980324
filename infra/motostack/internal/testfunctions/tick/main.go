// Command tick records the last scheduled event it received as the item TICK#latest.
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

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		panic(err)
	}
	db := dynamodb.NewFromConfig(cfg)
	lambda.Start(func(ctx context.Context, ev events.EventBridgeEvent) error {
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(os.Getenv("TABLE_NAME")),
			Item: map[string]types.AttributeValue{
				"PK":         &types.AttributeValueMemberS{Value: "TICK#latest"},
				"id":         &types.AttributeValueMemberS{Value: ev.ID},
				"source":     &types.AttributeValueMemberS{Value: ev.Source},
				"detailType": &types.AttributeValueMemberS{Value: ev.DetailType},
			},
		})
		return err
	})
}
