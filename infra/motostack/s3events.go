package motostack

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
)

// S3 event notifications to functions, which moto accepts and never sends. SAM's
// `Events: Type: S3` expands into the bucket's NotificationConfiguration
// LambdaConfigurations and an AWS::Lambda::Permission for s3.amazonaws.com; the local
// stack reads both from the expanded template. For each object S3 stores through the
// gate (PutObject, CopyObject, CompleteMultipartUpload, a presigned POST), every
// configuration whose event type and key filter match queues one event for its function,
// invoked asynchronously as Lambda invokes for S3 (async.go). The event is in S3's
// format (S3 User Guide, "Event message structure",
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html).

// s3Notification is one LambdaConfiguration of a bucket.
type s3Notification struct {
	id       string // the configurationId events carry
	event    string // s3:ObjectCreated:* or one type, such as s3:ObjectCreated:Put
	prefix   string
	suffix   string
	function string // logical id
}

// s3Bucket is a template bucket and the functions it notifies.
type s3Bucket struct {
	logicalID     string
	name          string
	notifications []*s3Notification
}

// NotificationStats counts what a bucket's event notifications did.
type NotificationStats struct {
	Objects       int // objects created in the bucket through the gate
	Notifications int // events queued for functions, one per matching configuration
}

// s3Notifier turns the objects the gate reports into events for functions.
type s3Notifier struct {
	s       *Stack
	a       *asyncInvoker
	buckets map[string]*s3Bucket // by bucket name
	head    *s3.Client           // an administrator's, for each object's size and ETag
	seq     atomic.Uint64

	mu    sync.Mutex
	stats map[string]*NotificationStats // by bucket logical id
}

// s3ObjectCreated names the event type of each operation that creates an object.
var s3ObjectCreated = map[string]string{
	"PutObject": "Put", "PostObject": "Post", "CopyObject": "Copy", "CompleteMultipartUpload": "CompleteMultipartUpload",
}

// startS3Notifications reads the template buckets' Lambda configurations, refuses those
// S3 would refuse, and has the gate report created objects.
func (s *Stack) startS3Notifications(a *asyncInvoker) error {
	n := &s3Notifier{s: s, a: a, buckets: map[string]*s3Bucket{}, stats: map[string]*NotificationStats{},
		head: s3.NewFromConfig(localaws.Config(s.endpoint), func(o *s3.Options) { o.UsePathStyle = true })}
	n.seq.Store(uint64(time.Now().UnixNano()))
	for _, id := range sortedKeys(s.model.Resources) {
		r := s.model.Resources[id]
		if r.Type != "AWS::S3::Bucket" {
			continue
		}
		if ok, err := s.exists(id); err != nil || !ok {
			continue
		}
		b, err := s.s3Bucket(id, r)
		if err != nil {
			return fmt.Errorf("bucket %s: %w", id, err)
		}
		n.buckets[b.name], n.stats[id] = b, &NotificationStats{}
	}
	a.s3 = n
	s.gate.created = n.created
	return nil
}

// s3Bucket reads one bucket's Lambda configurations.
func (s *Stack) s3Bucket(id string, r Resource) (*s3Bucket, error) {
	b := &s3Bucket{logicalID: id, name: s.resolver.Physical[id]}
	nc := mapOf(r.Properties["NotificationConfiguration"])
	for _, other := range []string{"QueueConfigurations", "TopicConfigurations", "EventBridgeConfiguration"} {
		if nc[other] != nil {
			s.notes = append(s.notes, fmt.Sprintf("bucket %s: %s are not delivered locally (functions only)", id, other))
		}
	}
	configs, _ := nc["LambdaConfigurations"].([]any)
	for i, c := range configs {
		n, err := s.s3Notification(b, i, mapOf(c))
		if err != nil {
			return nil, err
		}
		if n != nil {
			b.notifications = append(b.notifications, n)
		}
	}
	return b, s3Overlaps(b.notifications)
}

// s3Notification reads one LambdaConfiguration; nil when its function is not one the
// stack runs.
func (s *Stack) s3Notification(b *s3Bucket, i int, c map[string]any) (*s3Notification, error) {
	arn, err := s.resolver.String(c["Function"])
	if err != nil {
		return nil, fmt.Errorf("LambdaConfigurations[%d].Function: %w", i, err)
	}
	n := &s3Notification{event: str(c["Event"]), function: s.functionByArn(arn), id: s3ConfigurationID(b.name, i)}
	if n.function == "" {
		s.notes = append(s.notes, fmt.Sprintf("bucket %s notifies %s, which is not a function of this template; not delivered", b.logicalID, arn))
		return nil, nil
	}
	if !strings.HasPrefix(n.event, "s3:ObjectCreated:") {
		s.notes = append(s.notes, fmt.Sprintf("bucket %s: %s events are not sent locally (s3:ObjectCreated only)", b.logicalID, n.event))
	}
	rules, _ := mapOf(mapOf(c["Filter"])["S3Key"])["Rules"].([]any)
	seen := map[string]bool{}
	for _, x := range rules {
		rule := mapOf(x)
		name := strings.ToLower(str(rule["Name"]))
		if name != "prefix" && name != "suffix" || seen[name] {
			return nil, fmt.Errorf("LambdaConfigurations[%d]: S3 refuses the filter rule %v (one prefix and one suffix at most)", i, rule["Name"])
		}
		seen[name] = true
		value, err := s.resolver.String(rule["Value"])
		if err != nil {
			return nil, fmt.Errorf("LambdaConfigurations[%d] filter: %w", i, err)
		}
		if name == "prefix" {
			n.prefix = value
		} else {
			n.suffix = value
		}
	}
	if !s.s3MayInvoke(n.function, b.name) {
		return nil, fmt.Errorf("it notifies %s, which no AWS::Lambda::Permission lets s3.amazonaws.com invoke: S3 refuses the configuration (Unable to validate the following destination configurations)", n.function)
	}
	return n, nil
}

// functionByArn finds the template function an ARN names, with or without a qualifier.
func (s *Stack) functionByArn(arn string) string {
	for id := range s.model.Functions {
		fa := s.resolver.Attrs[id]["Arn"]
		if arn == fa || strings.HasPrefix(arn, fa+":") {
			return id
		}
	}
	return ""
}

// s3MayInvoke reports whether an AWS::Lambda::Permission of the template lets S3 invoke
// the function for the bucket: S3 checks that before it accepts the configuration.
func (s *Stack) s3MayInvoke(fn, bucket string) bool {
	for _, id := range sortedKeys(s.model.Resources) {
		r := s.model.Resources[id]
		if r.Type != "AWS::Lambda::Permission" {
			continue
		}
		if ok, err := s.exists(id); err != nil || !ok {
			continue
		}
		principal, _ := s.resolver.String(r.Properties["Principal"])
		action, _ := s.resolver.String(r.Properties["Action"])
		if principal != "s3.amazonaws.com" || action != "lambda:InvokeFunction" && action != "lambda:*" {
			continue
		}
		target := refName(r.Properties["FunctionName"])
		if target == "" {
			name, _ := s.resolver.String(r.Properties["FunctionName"])
			target = s.functionByArn(name)
			if target == "" && s.resolver.Physical[fn] == name {
				target = fn
			}
		}
		if target != fn {
			continue
		}
		source, _ := s.resolver.String(r.Properties["SourceArn"])
		if source == "" || source == "arn:aws:s3:::"+bucket || strings.Contains(source, "*") {
			return true
		}
	}
	return false
}

// s3Overlaps refuses configurations S3 refuses: two for a common event type whose
// prefixes and suffixes both overlap (S3 User Guide, "Configuring event notifications
// using object key name filtering": "Two suffixes are considered overlapping if a given
// string can end with both suffixes", and a missing prefix or suffix overlaps any).
func s3Overlaps(ns []*s3Notification) error {
	for i, a := range ns {
		for _, b := range ns[i+1:] {
			if s3EventsOverlap(a.event, b.event) &&
				(strings.HasPrefix(a.prefix, b.prefix) || strings.HasPrefix(b.prefix, a.prefix)) &&
				(strings.HasSuffix(a.suffix, b.suffix) || strings.HasSuffix(b.suffix, a.suffix)) {
				return fmt.Errorf("S3 refuses its notification configuration (Configurations overlap. Configurations on the same bucket cannot share a common event type.): %s %q…%q and %s %q…%q",
					a.event, a.prefix, a.suffix, b.event, b.prefix, b.suffix)
			}
		}
	}
	return nil
}

// s3EventsOverlap reports whether two event types share an event: the same type, or a
// wildcard and a type of its kind.
func s3EventsOverlap(a, b string) bool {
	kind := func(e string) string { return e[:strings.LastIndex(e, ":")+1] }
	return a == b || strings.HasSuffix(a, ":*") && strings.HasPrefix(b, kind(a)) || strings.HasSuffix(b, ":*") && strings.HasPrefix(a, kind(b))
}

// matches reports whether a configuration wants an event of this type for this key.
func (n *s3Notification) matches(event, key string) bool {
	if n.event != event && !(strings.HasSuffix(n.event, ":*") && strings.HasPrefix(event, strings.TrimSuffix(n.event, "*"))) {
		return false
	}
	return strings.HasPrefix(key, n.prefix) && strings.HasSuffix(key, n.suffix)
}

// s3ConfigurationID is the id S3 gives a configuration that names none, as
// CloudFormation's do not: base64 of a UUID, here one derived from the bucket and the
// configuration's place so that it is the same on every start.
func s3ConfigurationID(bucket string, i int) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s/%d", bucket, i))
	h := hex.EncodeToString(sum[:16])
	return base64.StdEncoding.EncodeToString([]byte(h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]))
}

// created hears of an object S3 stored through the gate. It only queues the work: the
// gate is answering the caller.
func (n *s3Notifier) created(o objectCreated) {
	b := n.buckets[o.Bucket]
	if b == nil || !n.a.begin() {
		return
	}
	go func() {
		defer n.a.end()
		n.notify(b, o)
	}()
}

// notify queues one event per matching configuration.
func (n *s3Notifier) notify(b *s3Bucket, o objectCreated) {
	event := "s3:ObjectCreated:" + s3ObjectCreated[o.Operation]
	var matching []*s3Notification
	for _, c := range b.notifications {
		if c.matches(event, o.Key) {
			matching = append(matching, c)
		}
	}
	n.mu.Lock()
	n.stats[b.logicalID].Objects++
	n.stats[b.logicalID].Notifications += len(matching)
	n.mu.Unlock()
	if len(matching) == 0 {
		return
	}
	size, etag, version := n.describe(b.name, o)
	seq := fmt.Sprintf("%018X", n.seq.Add(1))
	for _, c := range matching {
		payload, _ := json.Marshal(map[string]any{"Records": []any{n.record(b, c, o, size, etag, version, seq)}})
		n.a.enqueue(&asyncEvent{function: c.function, payload: payload, requestID: newInvocationID(), queued: o.At})
		n.s.log.Info("s3 notification", "bucket", b.logicalID, "key", o.Key, "event", event, "function", c.function)
	}
}

// describe reads the object's size, ETag and version with a HeadObject to moto, as an
// administrator: the gate's report carries no size.
func (n *s3Notifier) describe(bucket string, o objectCreated) (size int64, etag, version string) {
	ctx, cancel := context.WithTimeout(n.a.ctx, 10*time.Second)
	defer cancel()
	out, err := n.head.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &o.Key})
	if err != nil {
		n.s.log.Warn("s3 notification: head object", "bucket", bucket, "key", o.Key, "error", err.Error())
		return 0, strings.Trim(o.ETag, `"`), ""
	}
	etag = o.ETag
	if etag == "" {
		etag = aws.ToString(out.ETag)
	}
	return aws.ToInt64(out.ContentLength), strings.Trim(etag, `"`), aws.ToString(out.VersionId)
}

// record is one event record in S3's format. The request ids are made up: the gate's
// report does not carry those of moto's answer.
func (n *s3Notifier) record(b *s3Bucket, c *s3Notification, o objectCreated, size int64, etag, version, seq string) map[string]any {
	object := map[string]any{"key": s3EventKey(o.Key), "size": size, "eTag": etag, "sequencer": seq}
	if version != "" && version != "null" {
		object["versionId"] = version
	}
	return map[string]any{
		"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": localaws.Region,
		"eventTime":         o.At.UTC().Format("2006-01-02T15:04:05.000Z"),
		"eventName":         strings.TrimPrefix("s3:ObjectCreated:"+s3ObjectCreated[o.Operation], "s3:"),
		"userIdentity":      map[string]any{"principalId": n.principalID(o.Principal)},
		"requestParameters": map[string]any{"sourceIPAddress": o.SourceIP},
		"responseElements":  map[string]any{"x-amz-request-id": randomHex(8), "x-amz-id-2": randomBase64(48)},
		"s3": map[string]any{
			"s3SchemaVersion": "1.0", "configurationId": c.id,
			"bucket": map[string]any{"name": b.name, "ownerIdentity": map[string]any{"principalId": s3OwnerID}, "arn": "arn:aws:s3:::" + b.name},
			"object": object,
		},
	}
}

// s3OwnerID stands for the bucket owner's customer id in events.
const s3OwnerID = "A" + accountID

// principalID names the caller as S3 events do: "AWS:" and the IAM unique id, with the
// role session's name for an assumed role (a function's execution role).
func (n *s3Notifier) principalID(key string) string {
	if key == "" {
		return "ANONYMOUS_PRINCIPAL"
	}
	if p := n.s.gate.byKey[key]; p != nil {
		return "AWS:" + iamUniqueID("AROA", p.role) + ":" + p.name
	}
	return "AWS:" + iamUniqueID("AIDA", key)
}

// iamUniqueID is a stable IAM-style unique id (prefix and 17 characters) for a name.
func iamUniqueID(prefix, name string) string {
	sum := sha256.Sum256([]byte(name))
	return prefix + base32.StdEncoding.EncodeToString(sum[:])[:17]
}

// s3EventKey writes a key as S3 events do, URL-encoded as a form value ("red flower.jpg"
// becomes "red+flower.jpg", S3 User Guide, "Event message structure"), its slashes kept.
func s3EventKey(key string) string {
	return strings.ReplaceAll(url.QueryEscape(key), "%2F", "/")
}

// NotificationStats returns what each template bucket's event notifications have done so
// far, by the bucket's logical id.
func (s *Stack) NotificationStats() map[string]NotificationStats {
	n := s.async.s3
	n.mu.Lock()
	defer n.mu.Unlock()
	out := map[string]NotificationStats{}
	for id, st := range n.stats {
		out[id] = *st
	}
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}

func randomBase64(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}
