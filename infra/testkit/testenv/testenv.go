// Package testenv gives the product's tests the AWS services they need, as the local
// emulator's moto serves them: a fresh table per test shaped like template.yaml's, a
// user pool with the template's groups, clients, the mail moto kept, and a DynamoDB
// client that counts its calls. It is the one door from product tests to the emulator
// (infra/motostack): they import this package, never the emulator's insides.
//
// make test starts one moto for the whole run (infra/cmd/local exec) and exports
// AWS_ENDPOINT_URL; a package run on its own with go test starts its own moto in
// TestMain. A test never skips for lack of moto: it fails and says how to get it.
package testenv

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/mototest"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/samtemplate"
)

// Main runs a package's tests with moto available and returns the exit code:
//
//	func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }
func Main(m *testing.M) int { return mototest.Main(m) }

// Run is Main for packages that set more up around their tests: it makes moto
// available, then returns run's exit code.
func Run(run func() int) int { return mototest.Run(run) }

// Endpoint is moto's address (through the serialising proxy).
func Endpoint(t testing.TB) string { return mototest.Endpoint(t) }

// Root is the repository root.
func Root() string { return mototest.Root() }

// AWSConfig is an SDK configuration for moto: its endpoint, the local region and
// credentials.
func AWSConfig(t testing.TB) aws.Config { return localaws.Config(Endpoint(t)) }

var (
	tmplOnce sync.Once
	tmpl     *samtemplate.Template
	tmplErr  error
)

// Template returns template.yaml, parsed once.
func Template(t testing.TB) *samtemplate.Template {
	t.Helper()
	tmplOnce.Do(func() { tmpl, tmplErr = samtemplate.Load(filepath.Join(Root(), "template.yaml")) })
	if tmplErr != nil {
		t.Fatal(tmplErr)
	}
	return tmpl
}

// DynamoDB returns a client for moto's DynamoDB.
func DynamoDB(t testing.TB) *dynamodb.Client { return mototest.DynamoDB(t) }

// Table creates a new, empty table shaped like the template's Table resource, for one
// test, and deletes it when the test ends. Each test gets its own table, so tests never
// see each other's data and may run in parallel.
func Table(t testing.TB) (*dynamodb.Client, string) {
	t.Helper()
	return mototest.Table(t, Template(t), "Table")
}

// CreateTable creates a table named name shaped like the template's Table resource,
// in the moto db talks to (for tests that count the calls of a table's set-up).
func CreateTable(ctx context.Context, t testing.TB, db *dynamodb.Client, name string) error {
	return localaws.CreateTable(ctx, db, Template(t), "Table", name)
}

// CountByApplicant counts the requests stored for an applicant e-mail, through the
// by-applicant index: what tests use to check that nothing more, or less, was stored.
func CountByApplicant(t testing.TB, db *dynamodb.Client, table, email string) int {
	t.Helper()
	out, err := db.Query(context.Background(), &dynamodb.QueryInput{
		TableName: aws.String(table), IndexName: aws.String("GSI3"),
		KeyConditionExpression:    aws.String("GSI3PK = :e"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":e": &types.AttributeValueMemberS{Value: "EMAIL#" + strings.ToLower(email)}},
		Select:                    types.SelectCount,
	})
	if err != nil {
		t.Fatal(err)
	}
	return int(out.Count)
}

// UserPool is a Cognito user pool in moto for one test; see NewUserPool.
type UserPool = mototest.UserPool

// NewUserPool creates a user pool for one test, shaped like the template's (users sign
// in by e-mail, the template's groups exist), and deletes it when the test ends.
func NewUserPool(t testing.TB) *UserPool {
	t.Helper()
	return mototest.NewUserPool(t, TemplateGroups(t)...)
}

// TemplateGroups lists the group names of the template's user pool groups.
func TemplateGroups(t testing.TB) []string {
	var out []string
	for _, r := range Template(t).Resources {
		if r.Type == "AWS::Cognito::UserPoolGroup" {
			out = append(out, fmt.Sprint(r.Properties["GroupName"]))
		}
	}
	sort.Strings(out)
	return out
}

// SignIn signs a user in to a pool's client with a password; see mototest.SignIn.
var SignIn = mototest.SignIn

// Invitations returns the temporary passwords Cognito mailed to address, oldest first.
func Invitations(ctx context.Context, t testing.TB, address string) ([]string, error) {
	return localaws.Invitations(ctx, Endpoint(t), address)
}

// LogBuffer collects log output written from many goroutines, for tests that check
// what reached a log.
type LogBuffer = mototest.LogBuffer

// Mail is a message SES sent, as moto keeps it.
type Mail = localaws.Mail

// SentMail reads every message moto's SES has sent, oldest first.
func SentMail(ctx context.Context, t testing.TB) ([]Mail, error) {
	return localaws.SentMail(ctx, Endpoint(t))
}

// KMSKey makes a symmetric KMS key in moto and returns its id.
func KMSKey(t testing.TB) string {
	t.Helper()
	out, err := kms.NewFromConfig(AWSConfig(t)).CreateKey(context.Background(), &kms.CreateKeyInput{Description: aws.String("test key")})
	if err != nil {
		t.Fatalf("create KMS key: %v", err)
	}
	return aws.ToString(out.KeyMetadata.KeyId)
}

// LogKey makes an Ed25519 signing key in KMS (key spec ECC_NIST_EDWARDS25519), as the
// template's LogKey, and returns its id.
func LogKey(t testing.TB) string {
	t.Helper()
	out, err := kms.NewFromConfig(AWSConfig(t)).CreateKey(context.Background(), &kms.CreateKeyInput{Description: aws.String("test log key"),
		KeySpec: kmstypes.KeySpecEccNistEdwards25519, KeyUsage: kmstypes.KeyUsageTypeSignVerify})
	if err != nil {
		t.Fatalf("create KMS signing key: %v", err)
	}
	return aws.ToString(out.KeyMetadata.KeyId)
}
