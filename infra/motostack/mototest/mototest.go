// Package mototest gives tests the AWS services they need as moto serves them over
// HTTP: one moto for the test run, fresh tables and user pools per test, shaped by a
// template.
//
// A runner that starts one moto for many packages exports AWS_ENDPOINT_URL; a package
// run on its own with go test starts its own moto in TestMain. A test never skips for
// lack of moto: it fails and says how to get it.
package mototest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/samtemplate"
)

var (
	endpoint string
	root     string
)

// Main runs a package's tests with moto available and returns the exit code:
//
//	func TestMain(m *testing.M) { os.Exit(mototest.Main(m)) }
func Main(m *testing.M) int { return Run(m.Run) }

// Run is Main for packages that set more up around their tests: it makes moto
// available, then returns run's exit code.
func Run(run func() int) int {
	var err error
	if root, err = samtemplate.FindRoot(); err != nil {
		fmt.Fprintln(os.Stderr, "mototest:", err)
		return 1
	}
	endpoint = os.Getenv("AWS_ENDPOINT_URL")
	if endpoint == "" {
		moto, err := localaws.StartMoto(context.Background(), localaws.MotoOptions{Root: root})
		if err != nil {
			fmt.Fprintln(os.Stderr, "mototest: these tests need moto:", err)
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
		t.Fatal("mototest: moto is not running; call mototest.Main from TestMain")
	}
	return endpoint
}

// Root is the folder of the nearest go.mod above the tests' working directory: the
// module under test, where its template and .venv are.
func Root() string { return root }

// DynamoDB returns a client for moto's DynamoDB.
func DynamoDB(t testing.TB) *dynamodb.Client {
	return dynamodb.NewFromConfig(localaws.Config(Endpoint(t)))
}

// Table creates a new, empty table shaped like the template's table resource logicalID,
// for one test, and deletes it when the test ends. Each test gets its own table, so
// tests never see each other's data and may run in parallel.
func Table(t testing.TB, tmpl *samtemplate.Template, logicalID string) (*dynamodb.Client, string) {
	t.Helper()
	db := DynamoDB(t)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := "test-" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := localaws.CreateTable(ctx, db, tmpl, logicalID, name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return db, name
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

// TestTable is Table for the emulator's own tests: a table shaped like testdata/tables.yaml's
// (a composite key and three indexes of each projection).
func TestTable(t testing.TB) (*dynamodb.Client, string) {
	t.Helper()
	tmpl, err := samtemplate.Load(filepath.Join(Root(), "testdata", "tables.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return Table(t, tmpl, "Table")
}
