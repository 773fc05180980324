// Command caller makes the one AWS call its event names, with the function's own
// credentials, and answers with the error code the SDK raised (empty when the call
// succeeded): the emulator's tests use it to see what a function's role allows and how
// a refusal reaches the SDK.
//
//	{"call": "dynamodb-get", "key": "ALLOWED#1"}
package main

import (
	"context"
	"errors"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
)

// Event names the call: dynamodb-get, dynamodb-put, s3-put, s3-get, sqs-send,
// sns-publish or ses-send, with the key, object key or sender it concerns.
type Event struct {
	Call string `json:"call"`
	Key  string `json:"key"`
	From string `json:"from"`
}

// Answer is the error code the SDK raised ("" for none), its message, and the HTTP
// status of the refusal.
type Answer struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Status  int    `json:"status"`
}

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		panic(err)
	}
	db := dynamodb.NewFromConfig(cfg)
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	lambda.Start(func(ctx context.Context, ev Event) (Answer, error) {
		table := aws.String(os.Getenv("TABLE_NAME"))
		key := map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: ev.Key}}
		var err error
		switch ev.Call {
		case "dynamodb-get":
			_, err = db.GetItem(ctx, &dynamodb.GetItemInput{TableName: table, Key: key})
		case "dynamodb-put":
			_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: table, Item: key})
		case "s3-put":
			_, err = s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(os.Getenv("BUCKET")), Key: &ev.Key, Body: strings.NewReader("x")})
		case "s3-get":
			_, err = s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(os.Getenv("BUCKET")), Key: &ev.Key})
		case "sqs-send":
			_, err = sqs.NewFromConfig(cfg).SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(os.Getenv("QUEUE_URL")), MessageBody: aws.String("x")})
		case "sns-publish":
			_, err = sns.NewFromConfig(cfg).Publish(ctx, &sns.PublishInput{TopicArn: aws.String(os.Getenv("TOPIC_ARN")), Message: aws.String("x")})
		case "ses-send":
			_, err = sesv2.NewFromConfig(cfg).SendEmail(ctx, &sesv2.SendEmailInput{
				FromEmailAddress: &ev.From,
				Destination:      &sestypes.Destination{ToAddresses: []string{"someone@example.org"}},
				Content: &sestypes.EmailContent{Simple: &sestypes.Message{
					Subject: &sestypes.Content{Data: aws.String("s")}, Body: &sestypes.Body{Text: &sestypes.Content{Data: aws.String("b")}}}},
			})
		default:
			return Answer{}, errors.New("unknown call " + ev.Call)
		}
		var ae smithy.APIError
		if errors.As(err, &ae) {
			a := Answer{Code: ae.ErrorCode(), Message: ae.ErrorMessage()}
			var re interface{ HTTPStatusCode() int }
			if errors.As(err, &re) {
				a.Status = re.HTTPStatusCode()
			}
			return a, nil
		}
		if err != nil {
			return Answer{Code: "?", Message: err.Error()}, nil
		}
		return Answer{}, nil
	})
}
