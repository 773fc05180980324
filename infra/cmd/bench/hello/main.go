// Command hello is the baseline the functions' size and cold start are compared with: a
// hello-world Go Lambda behind API Gateway, built exactly as the functions are
// (provided.al2023, -tags lambda.norpc, -trimpath, stripped). It answers every event
// with 200 and a short body.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "text/plain"}, Body: "hello"}, nil
	})
}
