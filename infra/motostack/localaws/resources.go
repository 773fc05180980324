package localaws

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/samtemplate"
)

// Region is the region the local stack uses; moto's streams and the emulator's function
// ARNs assume it.
const Region = "us-east-1"

// Config returns an SDK configuration that talks to endpoint with dummy credentials.
func Config(endpoint string) aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		BaseEndpoint: aws.String(endpoint),
	}
}

// CreateTable creates a table called name shaped like the template's table resource
// logicalID (keys, indexes, stream, TTL), and waits until it is active.
func CreateTable(ctx context.Context, db *dynamodb.Client, t *samtemplate.Template, logicalID, name string) error {
	spec, err := t.Table(logicalID)
	if err != nil {
		return err
	}
	if _, err := db.CreateTable(ctx, spec.CreateTableInput(name)); err != nil {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	if in := spec.TimeToLiveInput(name); in != nil {
		if _, err := db.UpdateTimeToLive(ctx, in); err != nil {
			return fmt.Errorf("enable TTL on %s: %w", name, err)
		}
	}
	return nil
}
