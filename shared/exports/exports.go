// Package exports publishes report files too large for an API response in S3 and hands
// out short-lived presigned links to them. The bucket's lifecycle rule deletes them.
package exports

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3 publishes files in a bucket.
type S3 struct {
	Client *s3.Client
	Bucket string
	// TTL is how long a link works.
	TTL time.Duration
}

// Publish uploads a file under a random key and returns a presigned download link.
func (e S3) Publish(ctx context.Context, name string, body io.Reader, size int64, contentType string) (string, time.Time, error) {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	key := fmt.Sprintf("reports/%s/%s/%s", time.Now().UTC().Format("2006-01-02"), hex.EncodeToString(b), name)
	disposition := fmt.Sprintf(`attachment; filename="%s"`, name)
	_, err := e.Client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &e.Bucket, Key: &key, Body: body, ContentLength: aws.Int64(size),
		ContentType: &contentType, ContentDisposition: &disposition,
	})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("upload report: %w", err)
	}
	ttl := e.TTL
	if ttl <= 0 {
		ttl = 15 * time.Minute
	}
	req, err := s3.NewPresignClient(e.Client).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &e.Bucket, Key: &key},
		s3.WithPresignExpires(ttl))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign report link: %w", err)
	}
	return req.URL, time.Now().Add(ttl).UTC().Truncate(time.Second), nil
}
