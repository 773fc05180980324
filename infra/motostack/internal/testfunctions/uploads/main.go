// Command uploads is the S3 tests' function. Notified of an object, it fails for keys
// under fail/ and dlq/, runs past its timeout for keys under slow/, and otherwise reads
// the object (by the key the event URL-encodes) and reports the event to the SEEN_QUEUE
// queue. Asked to presign an upload, it answers with a presigned POST made with its own
// credentials, as an API function handing a browser an upload form would:
//
//	{"presign": {"key": "incoming/a.png", "contentType": "image/", "min": 1, "max": 10}}
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Presign asks for a presigned POST of one key (or any key under KeyPrefix), with a
// Content-Type prefix and a size range when set, valid for ExpiresSec (default 60).
type Presign struct {
	Key         string `json:"key"`
	KeyPrefix   string `json:"keyPrefix"`
	ContentType string `json:"contentType"`
	Min         int64  `json:"min"`
	Max         int64  `json:"max"`
	ExpiresSec  int    `json:"expiresSec"`
}

// Report is what the function sends to SEEN_QUEUE for each record it handles.
type Report struct {
	Function string          `json:"function"`
	Read     int64           `json:"read"` // bytes of the object it read
	Event    json.RawMessage `json:"event"`
}

var (
	s3c  *s3.Client
	sqsc *sqs.Client
)

func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var req struct {
		Presign *Presign `json:"presign"`
	}
	if json.Unmarshal(raw, &req) == nil && req.Presign != nil {
		return presign(ctx, req.Presign)
	}
	var ev events.S3Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, err
	}
	for _, r := range ev.Records {
		key := r.S3.Object.URLDecodedKey
		switch {
		case strings.HasPrefix(key, "fail/"), strings.HasPrefix(key, "dlq/"):
			return nil, fmt.Errorf("refusing %s on purpose", key)
		case strings.HasPrefix(key, "slow/"):
			<-ctx.Done() // past the function's timeout
			time.Sleep(2 * time.Second)
		}
		obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: &r.S3.Bucket.Name, Key: &key})
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", key, err)
		}
		n, err := io.Copy(io.Discard, obj.Body)
		obj.Body.Close()
		if err != nil {
			return nil, err
		}
		body, _ := json.Marshal(Report{Function: os.Getenv("AWS_LAMBDA_FUNCTION_NAME"), Read: n, Event: raw})
		if _, err := sqsc.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(os.Getenv("SEEN_QUEUE")), MessageBody: aws.String(string(body))}); err != nil {
			return nil, err
		}
	}
	return map[string]int{"handled": len(ev.Records)}, nil
}

func presign(ctx context.Context, p *Presign) (*s3.PresignedPostRequest, error) {
	if p.Key == "" && p.KeyPrefix == "" {
		return nil, errors.New("presign: a key or key prefix is required")
	}
	var conditions []any
	key := p.Key
	if p.KeyPrefix != "" {
		key = p.KeyPrefix + "${filename}"
		conditions = append(conditions, []any{"starts-with", "$key", p.KeyPrefix})
	}
	if p.ContentType != "" {
		conditions = append(conditions, []any{"starts-with", "$Content-Type", p.ContentType})
	}
	if p.Max > 0 {
		conditions = append(conditions, []any{"content-length-range", p.Min, p.Max})
	}
	expires := time.Duration(max(p.ExpiresSec, 60)) * time.Second
	return s3.NewPresignClient(s3c).PresignPostObject(ctx, &s3.PutObjectInput{Bucket: aws.String(os.Getenv("BUCKET")), Key: &key},
		func(o *s3.PresignPostOptions) { o.Expires, o.Conditions = expires, conditions })
}

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		panic(err)
	}
	s3c = s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	sqsc = sqs.NewFromConfig(cfg)
	lambda.Start(handle)
}
