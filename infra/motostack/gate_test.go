//go:build integration

package motostack_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/mototest"
)

type callerAnswer struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Status  int    `json:"status"`
}

// callAs has the caller function make one AWS call and returns what its SDK raised.
func callAs(t *testing.T, s *motostack.Stack, event map[string]string) callerAnswer {
	t.Helper()
	payload, _ := json.Marshal(event)
	res, err := s.Invoke(context.Background(), "CallerFunction", payload)
	if err != nil || res.FunctionError != "" {
		t.Fatalf("invoke caller %v: %v %s", event, err, res.Payload)
	}
	var a callerAnswer
	if err := json.Unmarshal(res.Payload, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// The gate holds each function to its role as the template expands it: what the role
// allows passes, the rest is refused with the service's own AccessDenied error (JSON,
// REST-JSON, REST-XML and query protocols), as the SDK raises it on AWS, and each
// refusal is recorded with the function, action and resource.
func TestIAMIsEnforcedOnFunctions(t *testing.T) {
	ctx := context.Background()
	table := stack.Attribute("Table", "Arn")
	bucket := stack.Physical("Files")
	role := "arn:aws:sts::123456789012:assumed-role/" + stack.Physical("CallerFunctionRole") + "/" + stack.Physical("CallerFunction")
	for _, c := range []struct {
		name     string
		event    map[string]string
		code     string
		status   int
		message  string // the whole message, when refused
		resource string
	}{
		{"a get on a key the condition allows", map[string]string{"call": "dynamodb-get", "key": "ALLOWED#1"}, "", 0, "", ""},
		{"a get on another key: the condition fails", map[string]string{"call": "dynamodb-get", "key": "OTHER#1"}, "AccessDeniedException", 400,
			"User: " + role + " is not authorized to perform: dynamodb:GetItem on resource: " + table + " because no identity-based policy allows the dynamodb:GetItem action", table},
		{"an explicit deny wins over the allow", map[string]string{"call": "dynamodb-get", "key": "ALLOWED#secret"}, "AccessDeniedException", 400,
			"User: " + role + " is not authorized to perform: dynamodb:GetItem on resource: " + table + " with an explicit deny in an identity-based policy", table},
		{"an action the role does not name", map[string]string{"call": "dynamodb-put", "key": "ALLOWED#1"}, "AccessDeniedException", 400, "", table},
		{"an upload under the granted prefix", map[string]string{"call": "s3-put", "key": "uploads/a.txt"}, "", 0, "", ""},
		{"an upload elsewhere", map[string]string{"call": "s3-put", "key": "reports/a.txt"}, "AccessDenied", 403, "",
			"arn:aws:s3:::" + bucket + "/reports/a.txt"},
		{"a read the role does not grant", map[string]string{"call": "s3-get", "key": "uploads/a.txt"}, "AccessDenied", 403, "",
			"arn:aws:s3:::" + bucket + "/uploads/a.txt"},
		{"a SAM policy template's grant", map[string]string{"call": "sqs-send"}, "", 0, "", ""},
		{"a topic the role does not name", map[string]string{"call": "sns-publish"}, "AuthorizationError", 403, "", stack.Physical("Alerts")},
		{"mail from the sender the condition names", map[string]string{"call": "ses-send", "from": "sender@example.org"}, "", 0, "", ""},
		{"mail from another address", map[string]string{"call": "ses-send", "from": "Mallory <other@example.org>"}, "AccessDeniedException", 403, "",
			"arn:aws:ses:us-east-1:123456789012:identity/example.org"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := len(stack.Denials())
			got := callAs(t, stack, c.event)
			if got.Code != c.code || got.Status != c.status {
				t.Fatalf("got %+v, want code %q status %d", got, c.code, c.status)
			}
			if c.message != "" && got.Message != c.message {
				t.Errorf("message:\n got %s\nwant %s", got.Message, c.message)
			}
			denials := stack.Denials()[before:]
			if c.code == "" {
				if len(denials) != 0 {
					t.Errorf("an allowed call was recorded as refused: %+v", denials)
				}
				return
			}
			if len(denials) != 1 || denials[0].Function != "CallerFunction" || denials[0].Resource != c.resource {
				t.Errorf("denials %+v, want one for CallerFunction on %s", denials, c.resource)
			}
		})
	}
	// An administrator's key (the test's own) is not held to any role.
	db := dynamodb.NewFromConfig(localaws.Config(stack.Endpoint()))
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(stack.Physical("Table")),
		Item: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "ADMIN#1"}}}); err != nil {
		t.Errorf("an administrator's write through the gate: %v", err)
	}
	named := false
	for _, line := range strings.Split(testLogs.String(), "\n") {
		var entry map[string]any
		if json.Unmarshal([]byte(line), &entry) == nil && entry["msg"] == "AccessDenied" && entry["function"] == "CallerFunction" &&
			entry["action"] == "dynamodb:PutItem" && entry["resource"] == table {
			named = true
		}
	}
	if !named {
		t.Error("the stack's output does not name the refused call with its function, action and resource")
	}
}

// With NoIAM the same calls pass: the flag that turns enforcement off.
func TestNoIAMLetsEverythingThrough(t *testing.T) {
	s, err := motostack.Start(context.Background(), motostack.Options{
		Root: mototest.Root(), Template: filepath.Join(mototest.Root(), "testdata", "template.yaml"),
		StackName: stackName + "-noiam", Addr: "127.0.0.1:0", Endpoint: os.Getenv("AWS_ENDPOINT_URL"),
		Log: testLog(), NoPollers: true, NoIAM: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	for _, ev := range []map[string]string{{"call": "dynamodb-put", "key": "OTHER#1"}, {"call": "s3-get", "key": "nothing-here"}} {
		got := callAs(t, s, ev)
		if strings.Contains(got.Code, "AccessDenied") || len(s.Denials()) != 0 {
			t.Errorf("%v with NoIAM: %+v", ev, got)
		}
	}
}

// A presigned URL is refused once its expiry has passed, as S3 refuses it (moto would
// serve it), and served before.
func TestPresignedURLExpires(t *testing.T) {
	ctx := context.Background()
	cfg := localaws.Config(stack.Endpoint())
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	bucket := stack.Physical("Files")
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("public/a.txt"), Body: strings.NewReader("a")}); err != nil {
		t.Fatal(err)
	}
	signed, err := s3.NewPresignClient(s3c).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("public/a.txt")},
		s3.WithPresignExpires(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	get := func(u string) (int, string) {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := get(signed.URL); status != 200 || body != "a" {
		t.Fatalf("a fresh link: %d %s", status, body)
	}
	u, _ := url.Parse(signed.URL)
	q := u.Query()
	q.Set("X-Amz-Date", time.Now().Add(-2*time.Minute).UTC().Format("20060102T150405Z"))
	u.RawQuery = q.Encode()
	if status, body := get(u.String()); status != 403 || !strings.Contains(body, "<Code>AccessDenied</Code>") || !strings.Contains(body, "Request has expired") {
		t.Errorf("an expired link: %d %s", status, body)
	}
}

// A signed GetObject's response-* parameters set the answer's headers, as S3 sets them
// (moto ignores them): a download arrives as a file with its name and type.
func TestPresignedGetOverridesResponseHeaders(t *testing.T) {
	ctx := context.Background()
	s3c := s3.NewFromConfig(localaws.Config(stack.Endpoint()), func(o *s3.Options) { o.UsePathStyle = true })
	bucket := stack.Physical("Files")
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("public/b.bin"), Body: strings.NewReader("b"),
		ContentType: aws.String("application/octet-stream")}); err != nil {
		t.Fatal(err)
	}
	signed, err := s3.NewPresignClient(s3c).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("public/b.bin"),
		ResponseContentDisposition: aws.String(`attachment; filename="report.pdf"`), ResponseContentType: aws.String("application/pdf")})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(signed.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Content-Disposition") != `attachment; filename="report.pdf"` || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("headers %v", resp.Header)
	}
}
