package motostack

import (
	"bytes"
	"context"
	"encoding/base64"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
)

// presignForTest presigns a POST as the AWS SDK does, with key and secret, without
// sending anything.
func presignForTest(t *testing.T, key, secret string, expires time.Duration, conditions ...any) map[string]string {
	t.Helper()
	cfg := localaws.Config("http://127.0.0.1:9")
	cfg.Credentials = credentials.NewStaticCredentialsProvider(key, secret, "")
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	out, err := s3.NewPresignClient(c).PresignPostObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("uploads"), Key: aws.String("in/a.png")},
		func(o *s3.PresignPostOptions) { o.Expires, o.Conditions = expires, conditions })
	if err != nil {
		t.Fatal(err)
	}
	return out.Values
}

// postRequest builds a browser's upload: the fields in the order given, then the file.
func postRequest(t *testing.T, fields [][2]string, file []byte, withFile bool) *http.Request {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for _, f := range fields {
		_ = w.WriteField(f[0], f[1])
	}
	if withFile {
		part, _ := w.CreateFormFile("file", "a.png")
		_, _ = part.Write(file)
	}
	_ = w.Close()
	r := httptest.NewRequest(http.MethodPost, "/uploads", &body)
	r.Header.Set("Content-Type", w.FormDataContentType())
	return r
}

func ordered(values map[string]string) [][2]string {
	var out [][2]string
	for _, k := range sortedKeys(values) {
		out = append(out, [2]string{k, values[k]})
	}
	return out
}

func set(fields [][2]string, name, value string) [][2]string {
	out := slices.Clone(fields)
	for i, f := range out {
		if strings.EqualFold(f[0], name) {
			out[i][1] = value
			return out
		}
	}
	return append(out, [2]string{name, value})
}

func without(fields [][2]string, name string) [][2]string {
	return slices.DeleteFunc(slices.Clone(fields), func(f [2]string) bool { return strings.EqualFold(f[0], name) })
}

// TestPostPolicy holds forms the SDK presigned to the checks S3 makes: a form that fits
// passes, and each fault gets S3's own answer.
func TestPostPolicy(t *testing.T) {
	g := &gate{byKey: map[string]*principal{"ASIAUPLOADER": {key: "ASIAUPLOADER", secret: "function-secret"}}}
	now := time.Now()
	image := []any{"starts-with", "$Content-Type", "image/"}
	size := []any{"content-length-range", 1, 10}
	fromFunction := ordered(presignForTest(t, "ASIAUPLOADER", "function-secret", time.Minute, image, size))
	fromTest := ordered(presignForTest(t, "local", "local", time.Minute, image, size))
	expired := ordered(presignForTest(t, "local", "local", -time.Minute))
	wrongSecret := ordered(presignForTest(t, "ASIAUPLOADER", "local", time.Minute, image, size))
	withPNG := func(f [][2]string) [][2]string { return set(f, "Content-Type", "image/png") }
	policy := func(f [][2]string) string {
		i := slices.IndexFunc(f, func(x [2]string) bool { return x[0] == "policy" })
		return f[i][1]
	}
	tampered := func(f [][2]string) [][2]string {
		doc, _ := base64.StdEncoding.DecodeString(policy(f))
		doc = bytes.Replace(doc, []byte(`"content-length-range",1,10`), []byte(`"content-length-range",1,10000`), 1)
		return set(f, "policy", base64.StdEncoding.EncodeToString(doc))
	}
	tests := []struct {
		name    string
		fields  [][2]string
		file    []byte
		noFile  bool
		bucket  string
		now     time.Time
		want    *postRefusal
		details bool // compare the details too
	}{
		{name: "fits, signed by a function", fields: withPNG(fromFunction), file: []byte("0123456789")},
		{name: "fits, signed with the local secret", fields: withPNG(fromTest), file: []byte("x")},
		{name: "a list of image types", fields: set(fromTest, "Content-Type", "image/png, image/jpeg"), file: []byte("x")},
		{name: "over the range", fields: withPNG(fromTest), file: []byte("01234567890"), details: true,
			want: refuse(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", [2]string{"ProposedSize", "11"}, [2]string{"MaxSizeAllowed", "10"})},
		{name: "under the range", fields: withPNG(fromTest), file: nil, details: true,
			want: refuse(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size", [2]string{"ProposedSize", "0"}, [2]string{"MinSizeAllowed", "1"})},
		{name: "another key", fields: set(withPNG(fromTest), "key", "in/b.png"), file: []byte("x"),
			want: refuse(403, "AccessDenied", `Invalid according to Policy: Policy Condition failed: ["eq", "$key", "in/a.png"]`)},
		{name: "another content type", fields: set(fromTest, "Content-Type", "text/plain"), file: []byte("x"),
			want: refuse(403, "AccessDenied", `Invalid according to Policy: Policy Condition failed: ["starts-with", "$Content-Type", "image/"]`)},
		{name: "one type of the list is not an image", fields: set(fromTest, "Content-Type", "image/png,text/html"), file: []byte("x"),
			want: refuse(403, "AccessDenied", `Invalid according to Policy: Policy Condition failed: ["starts-with", "$Content-Type", "image/"]`)},
		{name: "a condition's field missing", fields: fromTest, file: []byte("x"),
			want: refuse(403, "AccessDenied", `Invalid according to Policy: Policy Condition failed: ["starts-with", "$Content-Type", "image/"]`)},
		{name: "another bucket", fields: withPNG(fromTest), bucket: "elsewhere", file: []byte("x"),
			want: refuse(403, "AccessDenied", `Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "uploads"]`)},
		{name: "a field no condition covers", fields: set(withPNG(fromTest), "x-amz-meta-note", "hi"), file: []byte("x"),
			want: refuse(403, "AccessDenied", "Invalid according to Policy: Extra input fields: x-amz-meta-note")},
		{name: "ignored and exempt fields", fields: set(withPNG(fromTest), "x-ignore-submit", "Upload"), file: []byte("x")},
		{name: "expired", fields: expired, file: []byte("x"),
			want: refuse(403, "AccessDenied", "Invalid according to Policy: Policy expired.")},
		{name: "expires while in use", fields: withPNG(fromTest), file: []byte("x"), now: now.Add(2 * time.Minute),
			want: refuse(403, "AccessDenied", "Invalid according to Policy: Policy expired.")},
		{name: "tampered policy", fields: withPNG(tampered(fromTest)), file: []byte("x"),
			want: refuse(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.")},
		{name: "a function's key signed with another secret", fields: withPNG(wrongSecret), file: []byte("x"),
			want: refuse(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.")},
		{name: "not base64", fields: set(withPNG(fromTest), "policy", "%%%"), file: []byte("x"),
			want: refuse(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.")},
		{name: "no signature", fields: without(withPNG(fromTest), "X-Amz-Signature"), file: []byte("x"),
			want: missingField("X-Amz-Signature")},
		{name: "anonymous", fields: [][2]string{{"key", "in/a.png"}}, file: []byte("x"),
			want: refuse(403, "AccessDenied", "Access Denied")},
		{name: "no key", fields: without(withPNG(fromTest), "key"), file: []byte("x"), want: missingField("key")},
		{name: "no file", fields: withPNG(fromTest), noFile: true,
			want: refuse(400, "InvalidArgument", "POST requires exactly one file upload per request.")},
		{name: "another region", fields: set(withPNG(fromTest), "X-Amz-Credential", "local/20260101/eu-west-1/s3/aws4_request"), file: []byte("x"),
			want: refuse(400, "InvalidArgument", "Error parsing the X-Amz-Credential parameter; the region 'eu-west-1' is wrong; expecting 'us-east-1'")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bucket, at := tt.bucket, tt.now
			if bucket == "" {
				bucket = "uploads"
			}
			if at.IsZero() {
				at = now
			}
			r := postRequest(t, tt.fields, tt.file, !tt.noFile)
			body := new(bytes.Buffer)
			_, _ = body.ReadFrom(r.Body)
			got := g.checkPostPolicy(r, body.Bytes(), bucket, at)
			if tt.want == nil || got == nil {
				if got != tt.want {
					t.Fatalf("got %+v, want %+v", got, tt.want)
				}
				return
			}
			if got.status != tt.want.status || got.code != tt.want.code || got.message != tt.want.message {
				t.Errorf("got %d %s %q, want %d %s %q", got.status, got.code, got.message, tt.want.status, tt.want.code, tt.want.message)
			}
			if tt.details {
				if diff := cmp.Diff(tt.want.details, got.details); diff != "" {
					t.Errorf("details (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestPostPolicyFieldsAfterTheFile checks that S3's reading stops at the file: a key
// after it is no key.
func TestPostPolicyFieldsAfterTheFile(t *testing.T) {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	part, _ := w.CreateFormFile("file", "a.png")
	_, _ = part.Write([]byte("x"))
	_ = w.WriteField("key", "in/a.png")
	_ = w.Close()
	r := httptest.NewRequest(http.MethodPost, "/uploads", bytes.NewReader(body.Bytes()))
	r.Header.Set("Content-Type", w.FormDataContentType())
	if got := (&gate{}).checkPostPolicy(r, body.Bytes(), "uploads", time.Now()); got == nil || got.code != "InvalidArgument" {
		t.Fatalf("got %+v, want the missing key", got)
	}
}

func TestS3EventKey(t *testing.T) {
	for key, want := range map[string]string{
		"HappyFace.jpg":                "HappyFace.jpg",
		"incoming/red flower.jpg":      "incoming/red+flower.jpg",
		"year=2026/a (1).txt":          "year%3D2026/a+%281%29.txt",
		"données/été.csv":              "donn%C3%A9es/%C3%A9t%C3%A9.csv",
		"a+b/c&d?e#f":                  "a%2Bb/c%26d%3Fe%23f",
		"reports/2026-11-30T12:00.pdf": "reports/2026-11-30T12%3A00.pdf",
	} {
		if got := s3EventKey(key); got != want {
			t.Errorf("s3EventKey(%q) = %q, want %q", key, got, want)
		}
	}
}

// TestS3NotificationMatching checks event types and key filters as S3 applies them, and
// the overlaps S3 refuses in a bucket's configuration.
func TestS3NotificationMatching(t *testing.T) {
	all := &s3Notification{event: "s3:ObjectCreated:*", prefix: "incoming/"}
	puts := &s3Notification{event: "s3:ObjectCreated:Put", prefix: "put-only/", suffix: ".csv"}
	cases := []struct {
		n          *s3Notification
		event, key string
		want       bool
	}{
		{all, "s3:ObjectCreated:Post", "incoming/a.txt", true},
		{all, "s3:ObjectCreated:CompleteMultipartUpload", "incoming/a.txt", true},
		{all, "s3:ObjectCreated:Put", "other/incoming/a.txt", false},
		{puts, "s3:ObjectCreated:Put", "put-only/a.csv", true},
		{puts, "s3:ObjectCreated:Post", "put-only/a.csv", false},
		{puts, "s3:ObjectCreated:Put", "put-only/a.csv.txt", false},
	}
	for _, c := range cases {
		if got := c.n.matches(c.event, c.key); got != c.want {
			t.Errorf("%s %q…%q matches %s %q = %v, want %v", c.n.event, c.n.prefix, c.n.suffix, c.event, c.key, got, c.want)
		}
	}
	overlapping := [][2]*s3Notification{
		{{event: "s3:ObjectCreated:*"}, {event: "s3:ObjectCreated:Put", prefix: "images"}},
		{{event: "s3:ObjectCreated:*", suffix: "jpg"}, {event: "s3:ObjectCreated:Put", suffix: "pg"}},
		{{event: "s3:ObjectCreated:*", prefix: "images", suffix: "jpg"}, {event: "s3:ObjectCreated:Put", suffix: "jpg"}},
	}
	for _, o := range overlapping {
		if s3Overlaps(o[:]) == nil {
			t.Errorf("%+v and %+v overlap, S3 refuses them", *o[0], *o[1])
		}
	}
	fine := [][2]*s3Notification{
		{{event: "s3:ObjectCreated:Put", prefix: "images/"}, {event: "s3:ObjectCreated:Put", prefix: "logs/"}},
		{{event: "s3:ObjectCreated:Put", suffix: ".jpg"}, {event: "s3:ObjectCreated:Put", suffix: ".png"}},
		{{event: "s3:ObjectCreated:Put", prefix: "images"}, {event: "s3:ObjectRemoved:*", prefix: "images"}},
		{{event: "s3:ObjectCreated:Put", prefix: "a"}, {event: "s3:ObjectCreated:Post", prefix: "a"}},
	}
	for _, f := range fine {
		if err := s3Overlaps(f[:]); err != nil {
			t.Errorf("%+v and %+v: %v", *f[0], *f[1], err)
		}
	}
}

// TestAsyncStep follows Lambda's rules for what comes after an attempt: retries with
// their delays, then RetriesExhausted, or EventAgeExceeded when the event would outlive
// its maximum age before the next attempt.
func TestAsyncStep(t *testing.T) {
	delays := []time.Duration{time.Minute, 2 * time.Minute}
	def := &asyncConfig{maxRetries: 2, maxAge: 6 * time.Hour}
	type step struct {
		wait      time.Duration
		condition string
	}
	cases := []struct {
		name     string
		cfg      *asyncConfig
		attempts int
		ok       bool
		age      time.Duration
		want     step
	}{
		{"success", def, 1, true, 0, step{0, "Success"}},
		{"first retry after a minute", def, 1, false, time.Second, step{time.Minute, ""}},
		{"second retry after two minutes", def, 2, false, time.Minute, step{2 * time.Minute, ""}},
		{"out of retries", def, 3, false, 3 * time.Minute, step{0, "RetriesExhausted"}},
		{"no retries", &asyncConfig{maxRetries: 0, maxAge: time.Hour}, 1, false, 0, step{0, "RetriesExhausted"}},
		{"too old for the retry", &asyncConfig{maxRetries: 2, maxAge: 90 * time.Second}, 2, false, 61 * time.Second, step{29 * time.Second, "EventAgeExceeded"}},
		{"already too old", &asyncConfig{maxRetries: 2, maxAge: time.Minute}, 1, false, 2 * time.Minute, step{0, "EventAgeExceeded"}},
	}
	for _, c := range cases {
		wait, condition := asyncStep(c.cfg, c.attempts, c.ok, c.age, delays)
		if got := (step{wait, condition}); got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}
