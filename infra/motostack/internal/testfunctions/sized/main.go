// Command sized answers an HTTP API request with the size of the body it received, so
// tests can see what reached it; ?size=N answers with a body of N bytes instead, to
// test what happens to a response of a given size.
package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(_ context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	body := fmt.Sprintf(`{"received":%d}`, len(ev.Body))
	if n, err := strconv.Atoi(ev.QueryStringParameters["size"]); err == nil {
		body = strings.Repeat("a", n)
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: body, Headers: map[string]string{"Content-Type": "text/plain"}}, nil
}

func main() { lambda.Start(handle) }
