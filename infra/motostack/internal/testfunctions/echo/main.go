// Command echo answers an HTTP API request with the event it received, so tests can see
// exactly what the local gateway sent. ?sleep=N sleeps N seconds; ?fail=1 returns an
// error; ?cors=1 answers with CORS headers of its own, which the gateway must drop.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

func handle(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	if s, err := strconv.Atoi(ev.QueryStringParameters["sleep"]); err == nil {
		time.Sleep(time.Duration(s) * time.Second)
	}
	if ev.QueryStringParameters["fail"] == "1" {
		return events.APIGatewayV2HTTPResponse{}, errors.New("asked to fail")
	}
	lc, _ := lambdacontext.FromContext(ctx)
	body, _ := json.Marshal(map[string]any{
		"event": ev, "greeting": os.Getenv("GREETING"), "table": os.Getenv("TABLE_NAME"),
		"endpoint": os.Getenv("AWS_ENDPOINT_URL"), "awsRequestId": lc.AwsRequestID, "home": os.Getenv("HOME"),
		"authUrl": os.Getenv("AUTH_URL"), "webClient": os.Getenv("WEB_CLIENT"),
	})
	headers := map[string]string{"Content-Type": "application/json", "X-Echo": "yes"}
	if ev.QueryStringParameters["cors"] == "1" {
		headers["Access-Control-Allow-Origin"] = "*"
		headers["Access-Control-Allow-Credentials"] = "true"
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: 200, Body: string(body), Headers: headers, Cookies: []string{"seen=1; Path=/"},
	}, nil
}

func main() { lambda.Start(handle) }
