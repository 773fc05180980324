//go:build integration

package motostack_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/mototest"
)

// s3Retry are the tests' waits before an asynchronous invocation's first and second
// retries: Lambda's minute and two, shortened.
var s3Retry = []time.Duration{300 * time.Millisecond, 600 * time.Millisecond}

// s3Env is the S3 tests' own stack (testdata/s3.yaml) and an administrator's clients.
type s3Env struct {
	t      *testing.T
	stack  *motostack.Stack
	s3     *s3.Client
	sqs    *sqs.Client
	bucket string
}

func startS3Stack(t *testing.T) *s3Env {
	t.Helper()
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	st, err := motostack.Start(context.Background(), motostack.Options{
		Root: mototest.Root(), Template: filepath.Join(mototest.Root(), "testdata", "s3.yaml"),
		StackName: "s3test-" + hex.EncodeToString(b), Addr: "127.0.0.1:0", Endpoint: os.Getenv("AWS_ENDPOINT_URL"),
		Log: testLog(), MaxEnvironments: 2, NoPollers: true, AsyncRetryDelays: s3Retry,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Stop)
	cfg := localaws.Config(st.Endpoint())
	return &s3Env{t: t, stack: st, s3: s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }),
		sqs: sqs.NewFromConfig(cfg), bucket: st.Physical("Uploads")}
}

// drain waits until every notification and asynchronous invocation has finished.
func (e *s3Env) drain() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := e.stack.DrainAsync(ctx); err != nil {
		e.t.Fatal(err)
	}
}

func (e *s3Env) put(key, body string) {
	e.t.Helper()
	if _, err := e.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: &e.bucket, Key: &key, Body: strings.NewReader(body)}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *s3Env) stored(key string) bool {
	_, err := e.s3.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: &e.bucket, Key: &key})
	return err == nil
}

// receive takes every message of a queue (a template queue's logical id, or a URL): all
// were sent before the drain that precedes it.
func (e *s3Env) receive(queue string) []sqstypes.Message {
	e.t.Helper()
	u := queue
	if !strings.Contains(queue, "/") {
		u = e.stack.Physical(queue)
	}
	var all []sqstypes.Message
	for {
		out, err := e.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: &u, MaxNumberOfMessages: 10,
			MessageAttributeNames: []string{"All"}, WaitTimeSeconds: 0})
		if err != nil {
			e.t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return all
		}
		for _, m := range out.Messages {
			_, _ = e.sqs.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: &u, ReceiptHandle: m.ReceiptHandle})
		}
		all = append(all, out.Messages...)
	}
}

// report is what the test function sent to Seen for a record it handled.
type report struct {
	Function string `json:"function"`
	Read     int64  `json:"read"`
	Event    events.S3Event
}

// seen returns the reports in Seen, by the object key they were about.
func (e *s3Env) seen() map[string]report {
	e.t.Helper()
	out := map[string]report{}
	for _, m := range e.receive("Seen") {
		var r report
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &r); err != nil || len(r.Event.Records) != 1 {
			e.t.Fatalf("report %s: %v", aws.ToString(m.Body), err)
		}
		out[r.Event.Records[0].S3.Object.URLDecodedKey] = r
	}
	return out
}

// invocationRecord is Lambda's record of an asynchronous invocation, as destinations get
// it.
type invocationRecord struct {
	Version        string `json:"version"`
	Timestamp      string `json:"timestamp"`
	RequestContext struct {
		RequestID              string `json:"requestId"`
		FunctionArn            string `json:"functionArn"`
		Condition              string `json:"condition"`
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	} `json:"requestContext"`
	RequestPayload  events.S3Event `json:"requestPayload"`
	ResponseContext struct {
		StatusCode      int    `json:"statusCode"`
		ExecutedVersion string `json:"executedVersion"`
		FunctionError   string `json:"functionError"`
	} `json:"responseContext"`
	ResponsePayload map[string]any `json:"responsePayload"`
}

func records(t *testing.T, bodies ...string) []invocationRecord {
	t.Helper()
	var out []invocationRecord
	for _, b := range bodies {
		var r invocationRecord
		if err := json.Unmarshal([]byte(b), &r); err != nil {
			t.Fatalf("invocation record %s: %v", b, err)
		}
		out = append(out, r)
	}
	return out
}

func bodies(ms []sqstypes.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, aws.ToString(m.Body))
	}
	return out
}

// presigned is a presigned POST: where to send the form, and its fields.
type presigned struct {
	URL    string
	Values map[string]string
}

// presignAs has a function of the stack presign a POST with its own credentials.
func (e *s3Env) presignAs(function string, req map[string]any) presigned {
	e.t.Helper()
	payload, _ := json.Marshal(map[string]any{"presign": req})
	res, err := e.stack.Invoke(context.Background(), function, payload)
	if err != nil || res.FunctionError != "" {
		e.t.Fatalf("presign as %s: %v %s", function, err, res.Payload)
	}
	var p presigned
	if err := json.Unmarshal(res.Payload, &p); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// presign presigns a POST with the test's own credentials, the administrator's.
func (e *s3Env) presign(key string, expires time.Duration, conditions ...any) presigned {
	e.t.Helper()
	out, err := s3.NewPresignClient(e.s3).PresignPostObject(context.Background(), &s3.PutObjectInput{Bucket: &e.bucket, Key: &key},
		func(o *s3.PresignPostOptions) { o.Expires, o.Conditions = expires, conditions })
	if err != nil {
		e.t.Fatal(err)
	}
	return presigned{URL: out.URL, Values: out.Values}
}

// s3Answer is S3's XML error.
type s3Answer struct {
	Code, Message, ProposedSize, MaxSizeAllowed, MinSizeAllowed, AWSAccessKeyId string
}

// post uploads a file with a presigned form as a browser does: the fields (changed by
// extra, "" removing one), then the file.
func post(t *testing.T, p presigned, file []byte, extra ...string) (int, s3Answer) {
	t.Helper()
	resp, err := http.DefaultClient.Do(uploadRequest(t, p, file, extra...))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var a s3Answer
	if resp.StatusCode >= 300 {
		if err := xml.Unmarshal(b, &a); err != nil {
			t.Fatalf("%d %s: %v", resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode, a
}

// uploadRequest is the POST of a file with a presigned form (see post).
func uploadRequest(t *testing.T, p presigned, file []byte, extra ...string) *http.Request {
	t.Helper()
	fields := maps(p.Values)
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			delete(fields, extra[i])
			continue
		}
		fields[extra[i]] = extra[i+1]
	}
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		_ = w.WriteField(k, fields[k])
	}
	part, _ := w.CreateFormFile("file", "upload.bin")
	_, _ = part.Write(file)
	_ = w.Close()
	req, err := http.NewRequest(http.MethodPost, p.URL, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	return req
}

func maps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// TestS3 runs the S3 tests on one stack of their own, in order: they share its queues.
func TestS3(t *testing.T) {
	t.Parallel() // a stack of its own: its waits overlap the other tests'
	e := startS3Stack(t)
	t.Run("notifications", func(t *testing.T) { e.t = t; testS3Notifications(e) })
	t.Run("copies and multipart uploads", func(t *testing.T) { e.t = t; testS3OtherCreations(e) })
	t.Run("filters and event types", func(t *testing.T) { e.t = t; testS3Filters(e) })
	t.Run("presigned POST", func(t *testing.T) { e.t = t; testS3PresignedPost(e) })
	t.Run("presigned POST refusals", func(t *testing.T) { e.t = t; testS3PostRefusals(e) })
	t.Run("retries and failure destinations", func(t *testing.T) { e.t = t; testS3Failures(e) })
	t.Run("CORS", func(t *testing.T) { e.t = t; testS3CORS(e) })
	// The one call the gate refused is the upload Flaky presigned without s3:PutObject.
	var denied []string
	for _, d := range e.stack.Denials() {
		denied = append(denied, d.Function+" "+d.Action)
	}
	if !slices.Equal(denied, []string{"Flaky s3:PutObject"}) {
		t.Errorf("denials %v, want only Flaky's upload", denied)
	}
}

// An object put through the gate reaches the function whose prefix it matches, in S3's
// event format, and the function's success reaches its on-success destination.
func testS3Notifications(e *s3Env) {
	t := e.t
	key := "incoming/red flower (1).txt"
	before := time.Now().UTC()
	e.put(key, "hello")
	e.drain()
	got := e.seen()
	r, ok := got[key]
	if !ok || len(got) != 1 {
		t.Fatalf("reports %v, want one for %q", got, key)
	}
	rec := r.Event.Records[0]
	sum := md5.Sum([]byte("hello"))
	checks := map[string][2]any{
		"eventVersion":    {rec.EventVersion, "2.1"},
		"eventSource":     {rec.EventSource, "aws:s3"},
		"awsRegion":       {rec.AWSRegion, "us-east-1"},
		"eventName":       {rec.EventName, "ObjectCreated:Put"},
		"key":             {rec.S3.Object.Key, "incoming/red+flower+%281%29.txt"},
		"size":            {rec.S3.Object.Size, int64(5)},
		"eTag":            {rec.S3.Object.ETag, hex.EncodeToString(sum[:])},
		"schema":          {rec.S3.SchemaVersion, "1.0"},
		"bucket":          {rec.S3.Bucket.Name, e.bucket},
		"bucket arn":      {rec.S3.Bucket.Arn, "arn:aws:s3:::" + e.bucket},
		"source IP":       {rec.RequestParameters.SourceIPAddress, "127.0.0.1"},
		"read by the key": {r.Read, int64(5)},
		"function":        {r.Function, e.stack.Physical("OnUpload")},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %v, want %v", name, c[0], c[1])
		}
	}
	if rec.EventTime.Before(before.Add(-time.Second)) || time.Since(rec.EventTime) > time.Minute {
		t.Errorf("eventTime %v", rec.EventTime)
	}
	if rec.S3.ConfigurationID == "" || rec.S3.Object.Sequencer == "" || rec.S3.Bucket.OwnerIdentity.PrincipalID == "" ||
		!strings.HasPrefix(rec.PrincipalID.PrincipalID, "AWS:AIDA") || rec.ResponseElements["x-amz-request-id"] == "" {
		t.Errorf("record %+v", rec)
	}
	successes := records(t, bodies(e.receive("Successes"))...)
	if len(successes) != 1 {
		t.Fatalf("%d on-success records, want 1", len(successes))
	}
	s := successes[0]
	if s.Version != "1.0" || s.RequestContext.Condition != "Success" || s.RequestContext.ApproximateInvokeCount != 1 ||
		s.RequestContext.FunctionArn != e.stack.Attribute("OnUpload", "Arn")+":$LATEST" || s.ResponseContext.StatusCode != 200 ||
		s.ResponseContext.FunctionError != "" || s.ResponsePayload["handled"] != 1.0 ||
		len(s.RequestPayload.Records) != 1 || s.RequestPayload.Records[0].S3.Object.Key != rec.S3.Object.Key {
		t.Errorf("on-success record %+v", s)
	}
	if st := e.stack.AsyncStats()["OnUpload"]; st.Events != 1 || st.Invocations != 1 || st.Succeeded != 1 || st.Records != 1 {
		t.Errorf("OnUpload's asynchronous invocations %+v", st)
	}
}

// CopyObject and a completed multipart upload create objects too, each under its own
// event name.
func testS3OtherCreations(e *s3Env) {
	t := e.t
	ctx := context.Background()
	src := url.PathEscape(e.bucket) + "/" + url.PathEscape("incoming/red flower (1).txt")
	if _, err := e.s3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &e.bucket, Key: aws.String("incoming/copy.txt"), CopySource: &src}); err != nil {
		t.Fatal(err)
	}
	mp, err := e.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &e.bucket, Key: aws.String("incoming/parts.bin")})
	if err != nil {
		t.Fatal(err)
	}
	part, err := e.s3.UploadPart(ctx, &s3.UploadPartInput{Bucket: &e.bucket, Key: mp.Key, UploadId: mp.UploadId, PartNumber: aws.Int32(1),
		Body: strings.NewReader("one part")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &e.bucket, Key: mp.Key, UploadId: mp.UploadId,
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: []s3types.CompletedPart{{ETag: part.ETag, PartNumber: aws.Int32(1)}}}}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	got := e.seen()
	for key, want := range map[string]string{"incoming/copy.txt": "ObjectCreated:Copy", "incoming/parts.bin": "ObjectCreated:CompleteMultipartUpload"} {
		r, ok := got[key]
		if !ok {
			t.Errorf("no event for %s", key)
			continue
		}
		if rec := r.Event.Records[0]; rec.EventName != want || rec.S3.Object.Size != r.Read || r.Read == 0 {
			t.Errorf("%s: %s of %d bytes (the function read %d), want %s", key, rec.EventName, rec.S3.Object.Size, r.Read, want)
		}
	}
	if len(got) != 2 {
		t.Errorf("%d reports, want 2", len(got))
	}
	e.receive("Successes")
}

// A key outside every prefix, a suffix that does not match, and an event type the
// configuration does not name notify nobody; the objects are stored all the same.
func testS3Filters(e *s3Env) {
	t := e.t
	before, async := e.stack.NotificationStats()["Uploads"], e.stack.AsyncStats()
	e.put("other/incoming/a.txt", "x")
	e.put("put-only/a.txt", "x")
	e.put("put-only/a.csv", "x")
	if status, a := post(t, e.presign("put-only/b.csv", time.Minute), []byte("x")); status != http.StatusNoContent {
		t.Fatalf("POST: %d %+v", status, a)
	}
	e.drain()
	got := e.seen()
	if r, ok := got["put-only/a.csv"]; !ok || len(got) != 1 || r.Event.Records[0].EventName != "ObjectCreated:Put" {
		t.Errorf("reports %v, want one, for the PUT of put-only/a.csv", got)
	}
	after := e.stack.NotificationStats()["Uploads"]
	if after.Objects-before.Objects != 4 || after.Notifications-before.Notifications != 1 {
		t.Errorf("notification stats %+v then %+v: want 4 objects, 1 notification", before, after)
	}
	for fn, st := range e.stack.AsyncStats() {
		want := async[fn].Events
		if fn == "OnUpload" {
			want++
		}
		if st.Events != want {
			t.Errorf("%s: %d events, want %d", fn, st.Events, want)
		}
	}
	for _, key := range []string{"other/incoming/a.txt", "put-only/a.txt", "put-only/b.csv"} {
		if !e.stored(key) {
			t.Errorf("%s was not stored", key)
		}
	}
	e.receive("Successes")
}

// An upload that fits its presigned policy is stored and notifies the function with an
// ObjectCreated:Post event, whether a function presigned it with its own credentials or
// the test did.
func testS3PresignedPost(e *s3Env) {
	t := e.t
	p := e.presignAs("OnUpload", map[string]any{"key": "incoming/photo.png", "contentType": "image/", "min": 1, "max": 10})
	if status, a := post(t, p, []byte("0123456789"), "Content-Type", "image/png"); status != http.StatusNoContent {
		t.Fatalf("upload presigned by OnUpload: %d %+v", status, a)
	}
	p = e.presign("incoming/from-test.txt", time.Minute)
	if status, a := post(t, p, []byte("abc")); status != http.StatusNoContent {
		t.Fatalf("upload presigned by the test: %d %+v", status, a)
	}
	e.drain()
	got := e.seen()
	photo, ok := got["incoming/photo.png"]
	if !ok || photo.Event.Records[0].EventName != "ObjectCreated:Post" || photo.Event.Records[0].S3.Object.Size != 10 || photo.Read != 10 {
		t.Errorf("photo: %+v", photo)
	}
	// The uploader is the function's role session, as S3 names an assumed role.
	if id := photo.Event.Records[0].PrincipalID.PrincipalID; !strings.HasPrefix(id, "AWS:AROA") || !strings.HasSuffix(id, ":"+e.stack.Physical("OnUpload")) {
		t.Errorf("principalId %q, want OnUpload's role session", id)
	}
	if r, ok := got["incoming/from-test.txt"]; !ok || r.Event.Records[0].EventName != "ObjectCreated:Post" || r.Read != 3 {
		t.Errorf("from-test: %+v", r)
	}
	e.receive("Successes")
}

// Each fault of an upload gets S3's own answer, and is neither stored nor notified.
func testS3PostRefusals(e *s3Env) {
	t := e.t
	image := []any{"starts-with", "$Content-Type", "image/"}
	size := []any{"content-length-range", 1, 10}
	fits := e.presign("incoming/refused.png", time.Minute, image, size)
	tamperedPolicy := func() string {
		doc, _ := base64.StdEncoding.DecodeString(fits.Values["policy"])
		doc = bytes.Replace(doc, []byte(`"content-length-range",1,10]`), []byte(`"content-length-range",1,100000]`), 1)
		return base64.StdEncoding.EncodeToString(doc)
	}()
	fromFlaky := e.presignAs("Flaky", map[string]any{"key": "incoming/flaky.png"})
	cases := []struct {
		name    string
		form    presigned
		file    []byte
		fields  []string
		status  int
		code    string
		message string
		key     string // the key that must not be stored
	}{
		{"over the size range", fits, []byte("01234567890"), []string{"Content-Type", "image/png"}, 400, "EntityTooLarge",
			"Your proposed upload exceeds the maximum allowed size", "incoming/refused.png"},
		{"under the size range", fits, nil, []string{"Content-Type", "image/png"}, 400, "EntityTooSmall",
			"Your proposed upload is smaller than the minimum allowed size", "incoming/refused.png"},
		{"another key", fits, []byte("x"), []string{"Content-Type", "image/png", "key", "incoming/elsewhere.png"}, 403, "AccessDenied",
			`Invalid according to Policy: Policy Condition failed: ["eq", "$key", "incoming/refused.png"]`, "incoming/elsewhere.png"},
		{"another Content-Type", fits, []byte("x"), []string{"Content-Type", "text/html"}, 403, "AccessDenied",
			`Invalid according to Policy: Policy Condition failed: ["starts-with", "$Content-Type", "image/"]`, "incoming/refused.png"},
		{"an expired policy", e.presign("incoming/refused.png", -time.Second), []byte("x"), nil, 403, "AccessDenied",
			"Invalid according to Policy: Policy expired.", "incoming/refused.png"},
		{"a tampered policy", fits, []byte("01234567890"), []string{"Content-Type", "image/png", "policy", tamperedPolicy}, 403, "SignatureDoesNotMatch",
			"The request signature we calculated does not match the signature you provided. Check your key and signing method.", "incoming/refused.png"},
		{"a field the policy does not cover", fits, []byte("x"), []string{"Content-Type", "image/png", "x-amz-meta-note", "hi"}, 403, "AccessDenied",
			"Invalid according to Policy: Extra input fields: x-amz-meta-note", "incoming/refused.png"},
		{"no signature", fits, []byte("x"), []string{"Content-Type", "image/png", "X-Amz-Signature", ""}, 400, "InvalidArgument",
			"Bucket POST must contain a field named 'X-Amz-Signature'.  If it is specified, please check the order of the fields.", "incoming/refused.png"},
		// Within its policy, but its signer may not put objects: IAM refuses it after S3's checks.
		{"signed by a function without s3:PutObject", fromFlaky, []byte("x"), nil, 403, "AccessDenied",
			"User: arn:aws:sts::123456789012:assumed-role/", "incoming/flaky.png"},
	}
	before, async := e.stack.NotificationStats()["Uploads"], e.stack.AsyncStats()
	for _, c := range cases {
		status, a := post(t, c.form, c.file, c.fields...)
		if status != c.status || a.Code != c.code || !strings.HasPrefix(a.Message, c.message) {
			t.Errorf("%s: %d %s %q, want %d %s %q", c.name, status, a.Code, a.Message, c.status, c.code, c.message)
		}
		if e.stored(c.key) {
			t.Errorf("%s: %s was stored", c.name, c.key)
		}
		switch c.code {
		case "EntityTooLarge":
			if a.ProposedSize != "11" || a.MaxSizeAllowed != "10" {
				t.Errorf("%s: %+v", c.name, a)
			}
		case "EntityTooSmall":
			if a.ProposedSize != "0" || a.MinSizeAllowed != "1" {
				t.Errorf("%s: %+v", c.name, a)
			}
		case "SignatureDoesNotMatch":
			if a.AWSAccessKeyId != "local" {
				t.Errorf("%s: %+v", c.name, a)
			}
		}
	}
	e.drain()
	if got := e.seen(); len(got) != 0 {
		t.Errorf("refused uploads notified: %v", got)
	}
	if after := e.stack.NotificationStats()["Uploads"]; after != before {
		t.Errorf("notification stats %+v then %+v: a refused upload reached S3", before, after)
	}
	if after := e.stack.AsyncStats(); !equalStats(after, async) {
		t.Errorf("asynchronous invocations %+v then %+v", async, after)
	}
}

func equalStats(a, b map[string]motostack.AsyncStats) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// A function that fails is retried after the configured waits, then its event is
// discarded: Flaky's record (one retry) reaches its on-failure queue, Doomed's event
// (Lambda's default two retries) its dead-letter queue with Lambda's attributes, and
// Sleepy's timeout (no retries) its on-failure topic.
func testS3Failures(e *s3Env) {
	t := e.t
	ctx := context.Background()
	cfg := localaws.Config(e.stack.Endpoint())
	watch, err := e.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(e.bucket + "-topic-watch")})
	if err != nil {
		t.Fatal(err)
	}
	watchArn := "arn:aws:sqs:us-east-1:123456789012:" + e.bucket + "-topic-watch"
	if _, err := sns.NewFromConfig(cfg).Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(e.stack.Physical("FailureTopic")),
		Protocol: aws.String("sqs"), Endpoint: &watchArn, Attributes: map[string]string{"RawMessageDelivery": "true"}}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	e.put("fail/a.txt", "x")
	e.put("dlq/a.txt", "x")
	e.put("slow/a.txt", "x")
	e.drain()
	if took := time.Since(start); took < s3Retry[0]+s3Retry[1] {
		t.Errorf("all done in %v: the retries did not wait %v and %v", took, s3Retry[0], s3Retry[1])
	}
	stats := e.stack.AsyncStats()
	for fn, invocations := range map[string]int{"Flaky": 2, "Doomed": 3, "Sleepy": 1} {
		if st := stats[fn]; st.Events != 1 || st.Invocations != invocations || st.Failed != 1 || st.SendErrors != 0 {
			t.Errorf("%s: %+v, want %d invocations and one failed event", fn, st, invocations)
		}
	}

	failures := records(t, bodies(e.receive("Failures"))...)
	if len(failures) != 1 {
		t.Fatalf("%d on-failure records for Flaky, want 1", len(failures))
	}
	f := failures[0]
	if f.RequestContext.Condition != "RetriesExhausted" || f.RequestContext.ApproximateInvokeCount != 2 ||
		f.RequestContext.FunctionArn != e.stack.Attribute("Flaky", "Arn")+":$LATEST" || f.ResponseContext.FunctionError != "Unhandled" ||
		f.ResponseContext.ExecutedVersion != "$LATEST" || len(f.RequestPayload.Records) != 1 ||
		f.RequestPayload.Records[0].S3.Object.Key != "fail/a.txt" || !strings.Contains(fmt.Sprint(f.ResponsePayload["errorMessage"]), "refusing fail/a.txt") {
		t.Errorf("Flaky's on-failure record %+v", f)
	}

	dead := e.receive("DeadLetters")
	if len(dead) != 1 {
		t.Fatalf("%d dead letters for Doomed, want 1", len(dead))
	}
	var ev events.S3Event
	if err := json.Unmarshal([]byte(aws.ToString(dead[0].Body)), &ev); err != nil || len(ev.Records) != 1 || ev.Records[0].S3.Object.Key != "dlq/a.txt" {
		t.Errorf("dead letter %s: %v", aws.ToString(dead[0].Body), err)
	}
	attrs := dead[0].MessageAttributes
	if aws.ToString(attrs["ErrorCode"].StringValue) != "200" || aws.ToString(attrs["ErrorCode"].DataType) != "Number" ||
		len(aws.ToString(attrs["RequestID"].StringValue)) != 36 || !strings.Contains(aws.ToString(attrs["ErrorMessage"].StringValue), "refusing dlq/a.txt") {
		t.Errorf("dead letter attributes %+v", attrs)
	}

	published := e.receive(aws.ToString(watch.QueueUrl))
	if len(published) != 1 {
		t.Fatalf("%d records on Sleepy's topic, want 1", len(published))
	}
	body := aws.ToString(published[0].Body)
	var envelope struct{ Type, Message string }
	if json.Unmarshal([]byte(body), &envelope) == nil && envelope.Type == "Notification" {
		body = envelope.Message
	}
	s := records(t, body)[0]
	if s.RequestContext.Condition != "RetriesExhausted" || s.RequestContext.ApproximateInvokeCount != 1 ||
		s.ResponsePayload["errorType"] != "Sandbox.Timedout" || !strings.Contains(fmt.Sprint(s.ResponsePayload["errorMessage"]), "Task timed out after 1.00 seconds") {
		t.Errorf("Sleepy's on-failure record %+v", s)
	}
}

// corsHeaderNames are the headers of a CORS answer, and Vary.
var corsHeaderNames = []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Methods",
	"Access-Control-Allow-Headers", "Access-Control-Expose-Headers", "Access-Control-Max-Age", "Vary"}

// corsOf lists the CORS headers of an answer that are set.
func corsOf(h http.Header) map[string]string {
	out := map[string]string{}
	for _, k := range corsHeaderNames {
		if v := h.Get(k); v != "" {
			out[k] = v
		}
	}
	return out
}

// corsAnswer is S3's XML refusal of a preflight.
type corsAnswer struct {
	Code, Message, Method, ResourceType string
}

// The bucket's CorsConfiguration from the template (its origin made from a parameter)
// is on the bucket, and the gate applies it as S3 does: a preflight is answered for an
// allowed origin, method and headers and refused 403 otherwise (moto would allow it),
// and an upload from the page's origin is answered with the headers that let the page
// read the answer, an upload from elsewhere with none (moto would allow a look-alike).
func testS3CORS(e *s3Env) {
	t := e.t
	out, err := e.s3.GetBucketCors(context.Background(), &s3.GetBucketCorsInput{Bucket: &e.bucket})
	if err != nil || len(out.CORSRules) != 2 || !slices.Equal(out.CORSRules[0].AllowedOrigins, []string{"https://pages.example"}) ||
		aws.ToInt32(out.CORSRules[0].MaxAgeSeconds) != 3000 || aws.ToString(out.CORSRules[1].ID) != "viewers" ||
		!slices.Equal(out.CORSRules[1].ExposeHeaders, []string{"ETag", "x-amz-version-id"}) {
		t.Fatalf("the bucket's CORS rules: %+v %v", out, err)
	}
	page := "https://pages.example"
	preflight := func(path string, header ...string) (int, map[string]string, corsAnswer) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodOptions, e.stack.Endpoint()+path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var a corsAnswer
		if resp.StatusCode != http.StatusOK {
			if err := xml.Unmarshal(b, &a); err != nil {
				t.Fatalf("%d %s: %v", resp.StatusCode, b, err)
			}
		}
		return resp.StatusCode, corsOf(resp.Header), a
	}
	vary := "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"
	object := "/" + e.bucket + "/cors/a.png"
	notAllowed := "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / " +
		"Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."
	for _, c := range []struct {
		name   string
		path   string
		header []string
		status int
		cors   map[string]string
		answer corsAnswer
	}{
		{"an upload from the page", "/" + e.bucket, []string{"Origin", page, "Access-Control-Request-Method", "POST"}, 200,
			map[string]string{"Access-Control-Allow-Origin": page, "Access-Control-Allow-Credentials": "true", "Access-Control-Allow-Methods": "POST",
				"Access-Control-Max-Age": "3000", "Vary": vary}, corsAnswer{}},
		{"an upload from the page with a header", "/" + e.bucket, []string{"Origin", page, "Access-Control-Request-Method", "POST",
			"Access-Control-Request-Headers", "X-Requested-With, content-type"}, 200,
			map[string]string{"Access-Control-Allow-Origin": page, "Access-Control-Allow-Credentials": "true", "Access-Control-Allow-Methods": "POST",
				"Access-Control-Allow-Headers": "x-requested-with, content-type", "Access-Control-Max-Age": "3000", "Vary": vary}, corsAnswer{}},
		{"an upload from a look-alike", "/" + e.bucket, []string{"Origin", page + ".evil.example", "Access-Control-Request-Method", "POST"}, 403,
			map[string]string{}, corsAnswer{"AccessForbidden", notAllowed, "POST", "BUCKET"}},
		{"an upload over plain HTTP", "/" + e.bucket, []string{"Origin", "http://pages.example", "Access-Control-Request-Method", "POST"}, 403,
			map[string]string{}, corsAnswer{"AccessForbidden", notAllowed, "POST", "BUCKET"}},
		{"a PUT from the page", object, []string{"Origin", page, "Access-Control-Request-Method", "PUT"}, 403,
			map[string]string{}, corsAnswer{"AccessForbidden", notAllowed, "PUT", "OBJECT"}},
		{"a read from a viewer", object, []string{"Origin", "https://a.viewer.example", "Access-Control-Request-Method", "GET",
			"Access-Control-Request-Headers", "range"}, 200,
			map[string]string{"Access-Control-Allow-Origin": "https://a.viewer.example", "Access-Control-Allow-Credentials": "true",
				"Access-Control-Allow-Methods": "GET, HEAD", "Access-Control-Allow-Headers": "range",
				"Access-Control-Expose-Headers": "ETag, x-amz-version-id", "Vary": vary}, corsAnswer{}},
		{"a read from anyone", object, []string{"Origin", "https://anyone.example", "Access-Control-Request-Method", "GET"}, 200,
			map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, HEAD",
				"Access-Control-Expose-Headers": "ETag, x-amz-version-id", "Vary": vary}, corsAnswer{}},
		{"a read with a header no rule allows", object, []string{"Origin", "https://anyone.example", "Access-Control-Request-Method", "GET",
			"Access-Control-Request-Headers", "authorization"}, 403, map[string]string{}, corsAnswer{"AccessForbidden", notAllowed, "GET", "OBJECT"}},
		{"no method", object, []string{"Origin", page}, 403, map[string]string{}, corsAnswer{"AccessForbidden", notAllowed, "OPTIONS", "OBJECT"}},
		{"no origin", object, []string{"Access-Control-Request-Method", "POST"}, 400, map[string]string{},
			corsAnswer{Code: "BadRequest", Message: "Insufficient information. Origin request header needed."}},
		{"a bucket without CORS", "/" + e.stack.Physical("Plain") + "/a.png", []string{"Origin", page, "Access-Control-Request-Method", "POST"}, 403,
			map[string]string{}, corsAnswer{"AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.", "POST", "OBJECT"}},
		{"no such bucket", "/no-such-bucket-here", []string{"Origin", page, "Access-Control-Request-Method", "POST"}, 403,
			map[string]string{}, corsAnswer{"AccessForbidden", "CORSResponse: Bucket not found", "POST", "BUCKET"}},
	} {
		status, cors, answer := preflight(c.path, c.header...)
		if status != c.status || !reflect.DeepEqual(cors, c.cors) || answer != c.answer {
			t.Errorf("%s: %d %v %+v\nwant %d %v %+v", c.name, status, cors, answer, c.status, c.cors, c.answer)
		}
	}

	// The upload itself: from the page its answer carries the headers, and so does S3's
	// refusal, which the page may then read; from a look-alike it is stored all the same,
	// without them.
	upload := func(key, origin string, file []byte) (int, map[string]string) {
		t.Helper()
		req := uploadRequest(t, e.presign(key, time.Minute, []any{"content-length-range", 1, 10}), file)
		req.Header.Set("Origin", origin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, corsOf(resp.Header)
	}
	fromPage := map[string]string{"Access-Control-Allow-Origin": page, "Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Methods": "POST", "Access-Control-Max-Age": "3000", "Vary": vary}
	if status, cors := upload("cors/from-page.png", page, []byte("0123")); status != http.StatusNoContent || !reflect.DeepEqual(cors, fromPage) {
		t.Errorf("upload from the page: %d %v", status, cors)
	}
	if status, cors := upload("cors/too-big.png", page, []byte("0123456789ab")); status != http.StatusBadRequest || !reflect.DeepEqual(cors, fromPage) {
		t.Errorf("refused upload from the page: %d %v", status, cors)
	}
	if status, cors := upload("cors/look-alike.png", page+".evil.example", []byte("0123")); status != http.StatusNoContent || len(cors) != 0 {
		t.Errorf("upload from a look-alike: %d %v", status, cors)
	}
	if !e.stored("cors/from-page.png") || !e.stored("cors/look-alike.png") || e.stored("cors/too-big.png") {
		t.Error("uploads stored other than S3 would")
	}
}
