// Command submissions is the applicant API's Lambda function: it submits requests,
// shows an applicant their request, lets them edit and resubmit or withdraw it, and
// serves the OpenAPI document.
package main

import (
	"context"
	"net/http"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/config"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/dynamostore"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/platform"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

func main() {
	h, err := newHandler(context.Background(), os.Getenv)
	if err != nil {
		platform.Exit("submissions function cannot start", err)
	}
	platform.StartHTTP(h)
}

// newHandler wires configuration, the DynamoDB store and the service into the HTTP
// handler that Lambda serves.
func newHandler(ctx context.Context, getenv func(string) string) (http.Handler, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := platform.AWS(ctx)
	if err != nil {
		return nil, err
	}
	store := dynamostore.New(dynamodb.NewFromConfig(awsCfg), cfg.TableName)
	return api.NewSubmissions(sponsorship.NewService(store, cfg.Service), platform.Logger(cfg.LogLevel)), nil
}
