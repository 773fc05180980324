package exports

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/evidence"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// Evidence is the private bucket of attachments: it signs uploads by POST whose policy
// pins the key, the declared type and the size, and downloads that arrive as a file.
type Evidence struct {
	Client *s3.Client
	Bucket string
}

var _ sponsorship.Files = Evidence{}

// UploadForm signs a browser's upload of one file by POST: the policy fixes the key,
// requires the declared Content-Type exactly and a size from 1 byte to maxBytes, and
// expires after window. S3 refuses anything else before it stores a byte.
func (e Evidence) UploadForm(ctx context.Context, key, contentType string, maxBytes int64, window time.Duration) (sponsorship.UploadForm, error) {
	out, err := s3.NewPresignClient(e.Client).PresignPostObject(ctx, &s3.PutObjectInput{Bucket: &e.Bucket, Key: &key},
		func(o *s3.PresignPostOptions) {
			o.Expires = window
			o.Conditions = []any{
				[]any{"eq", "$Content-Type", contentType},
				[]any{"content-length-range", 1, maxBytes},
			}
		})
	if err != nil {
		return sponsorship.UploadForm{}, fmt.Errorf("sign upload of %s: %w", key, err)
	}
	fields := map[string]string{"Content-Type": contentType}
	for k, v := range out.Values {
		fields[k] = v
	}
	return sponsorship.UploadForm{URL: out.URL, Fields: fields, Expires: time.Now().Add(window).UTC().Truncate(time.Second)}, nil
}

// UploadEndpoint is where browsers send the bucket's uploads: the URL of every form
// UploadForm signs (https://s3.<region>.amazonaws.com/<bucket> with the path-style
// addressing the functions use, the local emulator's address locally). The applicant's
// pages name it in their Content-Security-Policy. It is read from a form signed here
// and sent nowhere, so it is the URL the SDK resolves for the uploads themselves.
func (e Evidence) UploadEndpoint(ctx context.Context) (string, error) {
	out, err := s3.NewPresignClient(e.Client).PresignPostObject(ctx, &s3.PutObjectInput{Bucket: &e.Bucket, Key: aws.String("requests/")})
	if err != nil {
		return "", fmt.Errorf("resolve the upload endpoint of %s: %w", e.Bucket, err)
	}
	return out.URL, nil
}

// DownloadLink signs a download of an accepted file that the browser saves under its
// name rather than renders (Content-Disposition: attachment), with the type its check
// found.
func (e Evidence) DownloadLink(ctx context.Context, key, fileName, contentType string, window time.Duration) (sponsorship.Link, error) {
	disposition := mime.FormatMediaType("attachment", map[string]string{"filename": fileName})
	if disposition == "" {
		disposition = "attachment"
	}
	req, err := s3.NewPresignClient(e.Client).PresignGetObject(ctx, &s3.GetObjectInput{
		Bucket: &e.Bucket, Key: &key, ResponseContentDisposition: aws.String(disposition),
		ResponseContentType: aws.String(contentType),
	}, s3.WithPresignExpires(window))
	if err != nil {
		return sponsorship.Link{}, fmt.Errorf("sign download of %s: %w", key, err)
	}
	return sponsorship.Link{URL: req.URL, Expires: time.Now().Add(window).UTC().Truncate(time.Second)}, nil
}

// Archive publishes the evidence of a request as one ZIP in the reports bucket: each
// file is read from the evidence bucket as the archive is written, and the archive
// goes up in parts as it is written, so memory stays flat in the number and size of
// files (one part of 5 MiB in flight).
type Archive struct {
	Evidence Evidence
	Reports  S3
}

// Publish writes the archive of files under name and returns a presigned link to it.
func (a Archive) Publish(ctx context.Context, name string, files []evidence.ArchiveFile) (string, time.Time, error) {
	open := func(ctx context.Context, f evidence.ArchiveFile) (io.ReadCloser, error) {
		out, err := a.Evidence.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: &a.Evidence.Bucket, Key: aws.String(f.Key)})
		var gone *s3types.NoSuchKey
		if errors.As(err, &gone) {
			// An accepted file whose object is gone changed behind the system's back.
			return nil, fmt.Errorf("read %s: %w", f.Key, evidence.ErrChanged)
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f.Key, err)
		}
		return out.Body, nil
	}
	return a.Reports.PublishStream(ctx, name, "application/zip", func(w io.Writer) error {
		return evidence.WriteArchive(ctx, w, files, open)
	})
}
