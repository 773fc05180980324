//go:build integration

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
)

// TestRouteAddedToTemplateNeedsNoCodeChange adds a route to a copy of template.yaml
// and starts a stack from the copy: the new route is served, by the function the
// template names, with nothing changed in the local stack's code.
func TestRouteAddedToTemplateNeedsNoCodeChange(t *testing.T) {
	tmpl, err := os.ReadFile(filepath.Join(testenv.Root(), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const anchor = "      Events:\n        SubmitRequest:\n"
	if !strings.Contains(string(tmpl), anchor) {
		t.Fatal("template.yaml no longer has the SubmitRequest event this test extends")
	}
	added := strings.Replace(string(tmpl), anchor, `      Events:
        AddedByTest:
          Type: HttpApi
          Properties:
            ApiId: !Ref HttpApi
            Method: GET
            Path: /added/{thing}
            Auth:
              Authorizer: NONE
        SubmitRequest:
`, 1)
	// The copy lives two folders down, so its CodeUri paths climb back to the root.
	added = strings.ReplaceAll(added, "CodeUri: functions/", "CodeUri: ../../functions/")
	dir := filepath.Join(testenv.Root(), ".cache", "e2e-added-route")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "template.yaml")
	if err := os.WriteFile(path, []byte(added), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := motostack.Start(context.Background(), motostack.Options{
		Root: testenv.Root(), Template: path, StackName: "e2e-added-route", Addr: "127.0.0.1:0",
		Endpoint: os.Getenv("AWS_ENDPOINT_URL"), Log: logOutput(), NoPollers: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if !slices.Contains(s.Routes(), "GET /added/{thing} -> SubmissionsFunction (open)") {
		t.Fatalf("routes: %v", s.Routes())
	}
	resp, err := http.Get(s.URL() + "/added/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// The function has no handler for the path, so it answers with its own problem
	// document; the gateway's own 404 would be {"message":"Not Found"}.
	if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("added route: %d %s, want the function's 404 problem", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// TestGrantRemovedFromTemplateFailsAsOnAWS deletes one grant from a copy of
// template.yaml (the submissions function's dynamodb:PutItem) and starts a stack from
// it: a submission fails as it would on AWS, with DynamoDB's AccessDeniedException
// inside the function and the API's plain 500 outside, and the stack's output names the
// function, the action and the table. Nothing is stored.
func TestGrantRemovedFromTemplateFailsAsOnAWS(t *testing.T) {
	tmpl, err := os.ReadFile(filepath.Join(testenv.Root(), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const grant = "            - Sid: RequestsReadWrite\n              Effect: Allow\n              Action:\n                - dynamodb:GetItem\n                - dynamodb:Query\n                - dynamodb:PutItem\n"
	if !strings.Contains(string(tmpl), grant) {
		t.Fatal("template.yaml no longer grants the submissions function dynamodb:PutItem as this test expects")
	}
	scratch := strings.Replace(string(tmpl), grant, strings.TrimSuffix(grant, "                - dynamodb:PutItem\n"), 1)
	scratch = strings.ReplaceAll(scratch, "CodeUri: functions/", "CodeUri: ../../functions/")
	dir := filepath.Join(testenv.Root(), ".cache", "e2e-removed-grant")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "template.yaml")
	if err := os.WriteFile(path, []byte(scratch), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs testenv.LogBuffer
	s, err := motostack.Start(context.Background(), motostack.Options{
		Root: testenv.Root(), Template: path, StackName: "e2e-removed-grant", Addr: "127.0.0.1:0",
		Endpoint: os.Getenv("AWS_ENDPOINT_URL"), Log: io.MultiWriter(logOutput(), &logs), NoPollers: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()

	body, _ := json.Marshal(application("travel", "denied@example.org"))
	resp, err := http.Post(s.URL()+"/requests", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError || resp.Header.Get("Content-Type") != "application/problem+json" ||
		strings.Contains(string(answer), "AccessDenied") {
		t.Errorf("submission without the grant: %d %s %s; want the API's plain 500 problem", resp.StatusCode, resp.Header.Get("Content-Type"), answer)
	}
	table := s.Attribute("Table", "Arn")
	denials := s.Denials()
	if len(denials) == 0 || denials[0].Function != "SubmissionsFunction" || denials[0].Action != "dynamodb:PutItem" || denials[0].Resource != table {
		t.Fatalf("denials: %+v; want SubmissionsFunction refused dynamodb:PutItem on %s", denials, table)
	}
	out := logs.String()
	named := false
	for _, line := range strings.Split(out, "\n") {
		var entry map[string]any
		if json.Unmarshal([]byte(line), &entry) == nil && entry["msg"] == "AccessDenied" && entry["function"] == "SubmissionsFunction" &&
			entry["action"] == "dynamodb:PutItem" && entry["resource"] == table {
			named = true
		}
	}
	if !named {
		t.Error("the stack's output does not name the refused call with its function, action and resource")
	}
	for _, want := range []string{
		"AccessDeniedException",
		"is not authorized to perform: dynamodb:PutItem on resource: " + table + " because no identity-based policy allows the dynamodb:PutItem action",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the stack's output lacks %q", want)
		}
	}
	db := dynamodb.NewFromConfig(localaws.Config(s.Endpoint()))
	if n := testenv.CountByApplicant(t, db, s.Physical("Table"), "denied@example.org"); n != 0 {
		t.Errorf("%d requests stored for the refused submission", n)
	}
}
