// Package evidencefn composes the evidence function: see New.
package evidencefn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/evidence"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring"
)

// Handler is the evidence function's handler for S3's notifications.
type Handler = func(context.Context, events.S3Event) error

// New builds the function the evidence bucket notifies of each upload.
func New(ctx context.Context, getenv wiring.Getenv) (Handler, error) {
	b, err := wiring.Setup(ctx, getenv)
	if err != nil {
		return nil, err
	}
	e, err := wiring.Evidence(b, getenv)
	if err != nil {
		return nil, err
	}
	client := s3.NewFromConfig(b.AWS, func(o *s3.Options) { o.UsePathStyle = true })
	c := checker{evidence: e, objects: client, log: b.Log}
	return c.handle, nil
}

// Objects is what the check needs of S3.
type Objects interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	CopyObject(ctx context.Context, in *s3.CopyObjectInput, opts ...func(*s3.Options)) (*s3.CopyObjectOutput, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, opts ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

type checker struct {
	evidence *sponsorship.Evidence
	objects  Objects
	log      *slog.Logger
}

// handle checks each object of the notification. A failure to read or record returns
// an error, so Lambda retries the event (then parks it in the dead-letter queue); a
// redelivered notification finds the first check recorded and changes nothing.
func (c checker) handle(ctx context.Context, ev events.S3Event) error {
	var errs []error
	for _, r := range ev.Records {
		if err := c.check(ctx, r.S3.Bucket.Name, r.S3.Object.Key); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (c checker) check(ctx context.Context, bucket, encodedKey string) error {
	// S3 URL-encodes keys in its events, spaces as "+".
	key, err := url.QueryUnescape(encodedKey)
	if err != nil {
		return fmt.Errorf("key %q: %w", encodedKey, err)
	}
	obj, err := c.objects.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return fmt.Errorf("read %s: %w", key, err)
	}
	verdict, err := evidence.Check(obj.Body, aws.ToString(obj.ContentType))
	obj.Body.Close()
	if err != nil {
		return fmt.Errorf("check %s: %w", key, err)
	}
	a, err := c.evidence.Checked(ctx, key, verdict)
	if errors.Is(err, sponsorship.ErrNotFound) {
		// No upload slot was opened for this key: it is not the product's upload.
		c.log.Warn("upload without a slot", "key", key)
		return c.quarantine(ctx, bucket, key)
	}
	if err != nil {
		return fmt.Errorf("record the check of %s: %w", key, err)
	}
	c.log.Info("upload checked", "request", a.RequestID, "attachment", a.ID, "status", a.Status, "type", a.Type, "size", a.Size)
	if a.Status == sponsorship.AttachmentQuarantined {
		return c.quarantine(ctx, bucket, key)
	}
	return nil
}

// quarantine moves an object out of requests/, which is all that is ever served from.
func (c checker) quarantine(ctx context.Context, bucket, key string) error {
	dest := "quarantine/" + key
	source := bucket + "/" + url.PathEscape(key)
	if _, err := c.objects.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &bucket, Key: &dest, CopySource: &source}); err != nil {
		return fmt.Errorf("quarantine %s: %w", key, err)
	}
	if _, err := c.objects.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: &key}); err != nil {
		return fmt.Errorf("quarantine %s: %w", key, err)
	}
	return nil
}
