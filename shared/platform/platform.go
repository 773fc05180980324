// Package platform holds the few lines every function's main needs: a JSON logger, the
// AWS SDK configuration, and handing an http.Handler to the Lambda runtime.
package platform

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/config"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/dynamostore"
)

// Logger returns the structured JSON logger every function writes to stdout, where
// Lambda sends it to CloudWatch Logs.
func Logger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level}))
}

// AWS loads the SDK configuration from the environment: the function's role
// credentials and region on AWS, and AWS_ENDPOINT_URL when the local stack points the
// SDK at moto.
func AWS(ctx context.Context) (aws.Config, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	return cfg, nil
}

// LambdaHandler turns h into a Lambda handler for API Gateway HTTP API events (payload
// format 2.0; see httpAPIHandler). Tests invoke it with the sample events to exercise
// exactly what runs.
func LambdaHandler(h http.Handler) lambda.Handler {
	return httpAPIHandler{h: h}
}

// StartHTTP serves h as a Lambda function behind an API Gateway HTTP API. It does not
// return.
func StartHTTP(h http.Handler) {
	lambda.StartHandler(LambdaHandler(h))
}

// Exit logs why a function cannot start and exits with status 1, so the failure shows
// as an init error with its reason instead of a panic.
func Exit(msg string, err error) {
	Logger(slog.LevelInfo).Error(msg, "error", err.Error())
	os.Exit(1)
}

// Basics are what every API function builds first: its configuration, the store on its
// table and its logger.
type Basics struct {
	Config config.Config
	AWS    aws.Config
	Store  *dynamostore.Store
	Log    *slog.Logger
}

// Setup reads the configuration through getenv and builds the store and logger; an
// error names every configuration problem.
func Setup(ctx context.Context, getenv func(string) string) (Basics, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return Basics{}, err
	}
	awsCfg, err := AWS(ctx)
	if err != nil {
		return Basics{}, err
	}
	return Basics{Config: cfg, AWS: awsCfg, Store: dynamostore.New(dynamodb.NewFromConfig(awsCfg), cfg.TableName), Log: Logger(cfg.LogLevel)}, nil
}
