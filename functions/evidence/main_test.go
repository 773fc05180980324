//go:build integration

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/eventtest"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/exports"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring/evidencefn"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// The demo data's submitted project and its applicant token (events/submissions).
const (
	sampleRequest = "01KC0000000000000000000003"
	sampleToken   = "demo-token-project-submitted-00000000000003"
)

// TestSampleEventThroughTheLambdaEntryPoint uploads a file to a slot opened on a demo
// request, then invokes the handler with the sample S3 event pointed at it, as S3 would:
// a PDF is accepted with its real size and hash, a disguised executable is quarantined
// and moved out of requests/, and a redelivered notification changes nothing.
func TestSampleEventThroughTheLambdaEntryPoint(t *testing.T) {
	ctx := context.Background()
	store, table := eventtest.SeededTable(t)
	cfg := testenv.AWSConfig(t)
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	bucket := fmt.Sprintf("evidence-%d", time.Now().UnixNano())
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"TABLE_NAME": table, "LOG_LEVEL": "ERROR", "EVIDENCE_BUCKET": bucket}
	h, err := evidencefn.New(ctx, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	evidence := sponsorship.NewEvidence(store, exports.Evidence{Client: client, Bucket: bucket}, time.Now)
	sample, err := os.ReadFile(filepath.Join(testenv.Root(), "events", "evidence", "object-created.json"))
	if err != nil {
		t.Fatal(err)
	}
	deliver := func(key string) {
		t.Helper()
		ev := strings.ReplaceAll(string(sample), "sponsorship-tracker-dev-evidence-123456789012", bucket)
		ev = strings.ReplaceAll(ev, "requests/01KC0000000000000000000003/01KC0000000000000000000A01", key)
		if _, err := lambda.NewHandler(h).Invoke(ctx, []byte(ev)); err != nil {
			t.Fatalf("notification of %s: %v", key, err)
		}
	}
	upload := func(name, contentType string, content []byte) sponsorship.Attachment {
		t.Helper()
		up, err := evidence.ApplicantUpload(ctx, sampleRequest, sampleToken,
			sponsorship.UploadInput{Name: name, Type: contentType, Size: int64(len(content)), Purpose: sponsorship.PurposeQuote})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &up.Attachment.Key,
			Body: bytes.NewReader(content), ContentType: aws.String(contentType)}); err != nil {
			t.Fatal(err)
		}
		deliver(up.Attachment.Key)
		return up.Attachment
	}
	find := func(id string) sponsorship.Attachment {
		t.Helper()
		all, err := store.Attachments(ctx, sampleRequest)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range all {
			if a.ID == id {
				return a
			}
		}
		t.Fatalf("attachment %s is gone", id)
		return sponsorship.Attachment{}
	}
	exists := func(key string) bool {
		_, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
		return err == nil
	}

	pdf := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	good := find(upload("quote.pdf", "application/pdf", pdf).ID)
	if good.Status != sponsorship.AttachmentAccepted || good.Type != "application/pdf" || good.Size != int64(len(pdf)) || len(good.SHA256) != 64 {
		t.Errorf("the PDF: %+v", good)
	}
	deliver(good.Key) // S3 delivers at least once
	if again := find(good.ID); again.CheckedAt != good.CheckedAt || again.Status != good.Status {
		t.Errorf("a redelivered notification changed the record: %+v", again)
	}

	elf := append([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0}, bytes.Repeat([]byte{0}, 120)...)
	bad := find(upload("receipt.pdf", "application/pdf", elf).ID)
	if bad.Status != sponsorship.AttachmentQuarantined || bad.Reason == "" {
		t.Errorf("the executable: %+v", bad)
	}
	if exists(bad.Key) || !exists("quarantine/"+bad.Key) {
		t.Errorf("the executable was not moved to quarantine/")
	}
	if _, err := evidence.ApplicantDownload(ctx, sampleRequest, sampleToken, bad.ID); !errors.Is(err, sponsorship.ErrNotChecked) {
		t.Errorf("download of the executable: %v", err)
	}
}
