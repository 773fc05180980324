// Package testenv gives tests the real AWS services they need: moto over HTTP, started
// for the test run, and a fresh table per test, created from template.yaml.
//
// make test starts one moto for the whole run (infra/cmd/local exec) and exports
// AWS_ENDPOINT_URL; a package run on its own with go test starts its own moto in
// TestMain. A test never skips for lack of moto: it fails and says how to get it.
package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/localaws"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/template"
)

var (
	endpoint string
	root     string
	tmplOnce sync.Once
	tmpl     *template.Template
	tmplErr  error
)

// Main runs a package's tests with moto available and returns the exit code:
//
//	func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }
func Main(m *testing.M) int { return Run(m.Run) }

// Run is Main for packages that set more up around their tests: it makes moto
// available, then returns run's exit code.
func Run(run func() int) int {
	var err error
	if root, err = template.FindRoot(); err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		return 1
	}
	endpoint = os.Getenv("AWS_ENDPOINT_URL")
	if endpoint == "" {
		moto, err := localaws.StartMoto(context.Background(), localaws.MotoOptions{Root: root})
		if err != nil {
			fmt.Fprintln(os.Stderr, "testenv: these tests need moto:", err)
			return 1
		}
		defer moto.Stop()
		endpoint = moto.Endpoint
	}
	// The functions under test build their SDK clients from the environment.
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": endpoint, "AWS_REGION": localaws.Region, "AWS_DEFAULT_REGION": localaws.Region,
		"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
	} {
		os.Setenv(k, v)
	}
	os.Unsetenv("AWS_PROFILE")
	return run()
}

// Endpoint is moto's address (through the serialising proxy).
func Endpoint(t testing.TB) string {
	t.Helper()
	if endpoint == "" {
		t.Fatal("testenv: moto is not running; call testenv.Main from TestMain")
	}
	return endpoint
}

// Root is the repository root.
func Root() string { return root }

// Template returns template.yaml, parsed once.
func Template(t testing.TB) *template.Template {
	t.Helper()
	tmplOnce.Do(func() { tmpl, tmplErr = template.Load(filepath.Join(root, "template.yaml")) })
	if tmplErr != nil {
		t.Fatal(tmplErr)
	}
	return tmpl
}

// DynamoDB returns a client for moto's DynamoDB.
func DynamoDB(t testing.TB) *dynamodb.Client {
	return dynamodb.NewFromConfig(localaws.Config(Endpoint(t)))
}

// Table creates a new, empty table shaped like the template's Table resource, for one
// test, and deletes it when the test ends. Each test gets its own table, so tests never
// see each other's data and may run in parallel.
func Table(t testing.TB) (*dynamodb.Client, string) {
	t.Helper()
	db := DynamoDB(t)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := "test-" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := localaws.CreateTable(ctx, db, Template(t), "Table", name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return db, name
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

// LogBuffer collects log output written from many goroutines, for tests that check
// what reached a log.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
