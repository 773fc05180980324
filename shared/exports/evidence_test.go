package exports

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The upload endpoint is the URL of the forms the bucket's uploads are signed with: on
// AWS the region's S3 host and the bucket's path, locally the emulator's address.
func TestUploadEndpointIsTheFormsURL(t *testing.T) {
	for _, c := range []struct {
		name, region, endpoint, want string
	}{
		{"on AWS", "eu-west-1", "", "https://s3.eu-west-1.amazonaws.com/tracker-evidence-123456789012"},
		{"locally", "us-east-1", "http://127.0.0.1:4566", "http://127.0.0.1:4566/tracker-evidence-123456789012"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := aws.Config{Region: c.region, Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")}
			if c.endpoint != "" {
				cfg.BaseEndpoint = aws.String(c.endpoint)
			}
			e := Evidence{Client: s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }), Bucket: "tracker-evidence-123456789012"}
			got, err := e.UploadEndpoint(context.Background())
			if err != nil || got != c.want {
				t.Fatalf("UploadEndpoint = %q, %v; want %q", got, err, c.want)
			}
			form, err := e.UploadForm(context.Background(), "requests/01KC/01KD", "application/pdf", 10<<20, time.Minute)
			if err != nil || form.URL != got {
				t.Errorf("a signed form goes to %q (%v), the endpoint is %q", form.URL, err, got)
			}
		})
	}
}
