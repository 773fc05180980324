// Package wiring composes each of the Lambda functions from the product's packages,
// in one place and one style: configuration from the environment, the SDK clients, the
// store on the table, the services, the notifier and the S3 link-maker, then the handler
// the Lambda runtime is given. Each function's main is one call (Serve or ServeHTTP);
// each function's tests build the same handler through the same constructor.
package wiring

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/config"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/dynamostore"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/exports"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/vault"
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

// Exit logs why a function cannot start and exits with status 1, so the failure shows
// as an init error with its reason instead of a panic.
func Exit(msg string, err error) {
	Logger(slog.LevelInfo).Error(msg, "error", err.Error())
	os.Exit(1)
}

// Basics are what every function builds first: its configuration, the SDK's, the store
// on its table and its logger.
type Basics struct {
	Config config.Config
	AWS    aws.Config
	Store  *dynamostore.Store
	Log    *slog.Logger
}

// Setup reads the configuration through getenv and builds the store and logger; an
// error names every configuration problem.
func Setup(ctx context.Context, getenv Getenv) (Basics, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return Basics{}, err
	}
	awsCfg, err := AWS(ctx)
	if err != nil {
		return Basics{}, err
	}
	log := Logger(cfg.LogLevel)
	return Basics{Config: cfg, AWS: awsCfg, Store: dynamostore.New(dynamodb.NewFromConfig(awsCfg), cfg.TableName).WithLogger(log), Log: log}, nil
}

// Evidence builds the attachments' keeper over the store and the private evidence
// bucket the environment names (EVIDENCE_BUCKET).
func Evidence(b Basics, getenv Getenv) (*sponsorship.Evidence, error) {
	files, err := EvidenceBucket(b, getenv)
	if err != nil {
		return nil, err
	}
	return sponsorship.NewEvidence(b.Store, files, time.Now), nil
}

// EvidenceBucket is the private evidence bucket the environment names
// (EVIDENCE_BUCKET), where attachments' bytes live.
func EvidenceBucket(b Basics, getenv Getenv) (exports.Evidence, error) {
	bucket, err := config.LoadEvidenceBucket(getenv)
	if err != nil {
		return exports.Evidence{}, err
	}
	// Path-style addressing works with S3 and with moto alike.
	client := s3.NewFromConfig(b.AWS, func(o *s3.Options) { o.UsePathStyle = true })
	return exports.Evidence{Client: client, Bucket: bucket}, nil
}

// Payouts builds the keeper of payout details, sealing under the KMS key the
// environment names (PAYOUT_KEY_ID).
func Payouts(b Basics, getenv Getenv) (*sponsorship.Payouts, error) {
	keyID, err := config.LoadPayoutKey(getenv)
	if err != nil {
		return nil, err
	}
	return sponsorship.NewPayouts(b.Store, vault.KMS{Client: kms.NewFromConfig(b.AWS), KeyID: keyID}, time.Now), nil
}

// LogKey reads the verifiable log's settings (config.LoadLog) and opens its signing key
// in KMS, whose public half names the log's signatures.
func LogKey(ctx context.Context, getenv Getenv) (Basics, *ledger.KMSKey, error) {
	b, err := Setup(ctx, getenv)
	lc, lerr := config.LoadLog(getenv)
	if err := errors.Join(err, lerr); err != nil {
		return Basics{}, nil, err
	}
	key, err := ledger.NewKMSKey(ctx, kms.NewFromConfig(b.AWS), lc.KeyID, lc.Origin)
	return b, key, err
}
