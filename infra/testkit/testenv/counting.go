package testenv

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/ddbcount"
)

// Counter counts a DynamoDB client's calls, items and request units, as the emulator's
// SDK middleware measures them: what cost tests and benchmarks read.
type Counter = ddbcount.Counter

// Counts are one operation's figures; Snapshot is every operation's at one moment.
type (
	Counts   = ddbcount.Counts
	Snapshot = ddbcount.Snapshot
)

// NewCounter returns an empty Counter.
func NewCounter() *Counter { return ddbcount.New() }

// CountingDynamoDB returns a client for moto's DynamoDB whose calls counter counts.
func CountingDynamoDB(t testing.TB, counter *Counter) *dynamodb.Client {
	return dynamodb.NewFromConfig(AWSConfig(t), ddbcount.Into(counter))
}
