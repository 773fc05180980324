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
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
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
	key, disposition := e.key(name)
	_, err := e.Client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &e.Bucket, Key: &key, Body: body, ContentLength: aws.Int64(size),
		ContentType: &contentType, ContentDisposition: &disposition,
	})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("upload report: %w", err)
	}
	return e.link(ctx, key)
}

// PublishStream uploads what write writes, of a size not known ahead, under a random
// key, in parts of 5 MiB one at a time (the SDK's upload manager), and returns a
// presigned download link. When write fails the upload is aborted and nothing is left.
func (e S3) PublishStream(ctx context.Context, name, contentType string, write func(io.Writer) error) (string, time.Time, error) {
	key, disposition := e.key(name)
	pr, pw := io.Pipe()
	written := make(chan struct{})
	go func() {
		defer close(written)
		pw.CloseWithError(write(pw))
	}()
	uploader := manager.NewUploader(e.Client, func(u *manager.Uploader) { u.Concurrency = 1 })
	_, err := uploader.Upload(ctx, &s3.PutObjectInput{Bucket: &e.Bucket, Key: &key, Body: pr,
		ContentType: &contentType, ContentDisposition: &disposition})
	if err != nil {
		_ = pr.CloseWithError(err) // unblocks write when the upload stopped first
	}
	<-written // write has returned, and closed what it opened
	if err != nil {
		return "", time.Time{}, fmt.Errorf("upload %s: %w", name, err)
	}
	return e.link(ctx, key)
}

// key is a fresh object key for a file named name, and the disposition it downloads
// with.
func (e S3) key(name string) (key, disposition string) {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return fmt.Sprintf("reports/%s/%s/%s", time.Now().UTC().Format("2006-01-02"), hex.EncodeToString(b), name),
		fmt.Sprintf(`attachment; filename="%s"`, name)
}

// link signs a download of key for the bucket's TTL (15 minutes by default).
func (e S3) link(ctx context.Context, key string) (string, time.Time, error) {
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
