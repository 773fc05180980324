package iam

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"maps"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Protocol is how a service shapes its answers, and so its AccessDenied error.
type Protocol int

const (
	// JSON is awsJson 1.0/1.1 (DynamoDB, its streams, Cognito, KMS, SQS): 400 with
	// {"__type": …, "message": …}.
	JSON Protocol = iota
	// RESTJSON is restJson1 (SES v2): 403 with x-amzn-ErrorType and {"message": …}.
	RESTJSON
	// RESTXML is S3: 403 with <Error><Code>AccessDenied</Code>…</Error>.
	RESTXML
	// Query is the query protocol (SNS, SES v1, SQS's older one): 403 with
	// <ErrorResponse><Error>…</Error></ErrorResponse>.
	Query
)

// Call is what an AWS API call asks of IAM.
type Call struct {
	Service   string // the signing name: dynamodb, s3, ses, sqs, sns, cognito-idp, kms, …
	Operation string // the API operation, e.g. TransactWriteItems, SendEmail, PutObject
	Protocol  Protocol
	// Requests are the actions and resources the call is authorised on; all must be
	// allowed (a transaction is authorised item by item).
	Requests []Request
	// Unauthenticated operations (Cognito's token-based ones such as InitiateAuth,
	// STS's GetCallerIdentity) are not authorised by IAM at all.
	Unauthenticated bool
	// Unmapped is set when the call is not one this package can name the IAM action
	// of; the gate refuses it rather than guess.
	Unmapped string
}

// Env is what naming a call's resources needs to know of the account.
type Env struct {
	Region, Account string
	// HashKeys gives each table's partition key attribute, for dynamodb:LeadingKeys.
	HashKeys map[string]string
	// Identities are the SES identities (addresses and domains) the account has: a
	// message is sent under its From address's identity if there is one, else its
	// domain's.
	Identities []string
	// StreamOf returns the stream ARN a DynamoDB shard iterator reads, "" if unknown.
	StreamOf func(iterator string) string
	// KeyOf returns the key ARN a KMS key id, key ARN, alias name or alias ARN names.
	KeyOf func(keyID string) string
}

// Describe names the IAM requests of one call to moto. service is the signing name
// of the call's credential scope.
func Describe(r *http.Request, body []byte, service string, env Env) Call {
	c := Call{Service: service}
	target := r.Header.Get("X-Amz-Target")
	prefix, op, _ := strings.Cut(target, ".")
	switch {
	case service == "s3":
		c.Protocol = RESTXML
		describeS3(&c, r, body, env)
	case service == "ses" && strings.HasPrefix(r.URL.Path, "/v2/"):
		c.Protocol = RESTJSON
		describeSESv2(&c, r, body, env)
	case target != "":
		c.Protocol, c.Operation = JSON, op
		var in map[string]any
		_ = json.Unmarshal(body, &in)
		describeJSON(&c, prefix, in, env)
	default:
		c.Protocol = Query
		form, _ := url.ParseQuery(string(body))
		for k, v := range r.URL.Query() {
			form[k] = append(form[k], v...)
		}
		c.Operation = form.Get("Action")
		describeQuery(&c, form, env)
	}
	return c
}

func (env Env) arn(service, resource string) string {
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, env.Region, env.Account, resource)
}

func strOf(m map[string]any, key string) string { s, _ := m[key].(string); return s }

// describeJSON names awsJson calls by their target: DynamoDB and its streams, Cognito,
// KMS, SQS, and a service-generic rule for the rest (the operation on "*").
func describeJSON(c *Call, prefix string, in map[string]any, env Env) {
	switch {
	case strings.HasPrefix(prefix, "DynamoDBStreams_"):
		stream := strOf(in, "StreamArn")
		if it := strOf(in, "ShardIterator"); it != "" && env.StreamOf != nil {
			stream = env.StreamOf(it)
		}
		c.add("dynamodb:"+c.Operation, orStar(stream), nil)
	case strings.HasPrefix(prefix, "DynamoDB_"):
		describeDynamoDB(c, in, env)
	case prefix == "AWSCognitoIdentityProviderService":
		if pool := strOf(in, "UserPoolId"); pool != "" {
			c.add("cognito-idp:"+c.Operation, env.arn("cognito-idp", "userpool/"+pool), nil)
		} else if slices.Contains(cognitoAdminWithoutPool, c.Operation) {
			c.add("cognito-idp:"+c.Operation, "*", nil)
		} else {
			c.Unauthenticated = true // token-based: the user's tokens authorise it
		}
	case prefix == "TrentService":
		key := strOf(in, "KeyId")
		if key == "" {
			c.add("kms:"+c.Operation, "*", nil)
			return
		}
		arn := key
		if env.KeyOf != nil {
			arn = env.KeyOf(key)
		}
		if arn == "" {
			arn = env.arn("kms", "key/"+key)
		}
		ctx := map[string][]string{}
		if strings.Contains(key, "alias/") {
			ctx["kms:RequestAlias"] = []string{key[strings.Index(key, "alias/"):]}
		}
		// The encryption context's keys and each pair, as KMS gives them to policies
		// (AWS KMS Developer Guide, "kms:EncryptionContextKeys" and
		// "kms:EncryptionContext:context-key").
		if ec, ok := in["EncryptionContext"].(map[string]any); ok && len(ec) > 0 {
			for _, k := range slices.Sorted(maps.Keys(ec)) {
				ctx["kms:EncryptionContextKeys"] = append(ctx["kms:EncryptionContextKeys"], k)
				ctx["kms:EncryptionContext:"+k] = []string{fmt.Sprint(ec[k])}
			}
		}
		c.add("kms:"+c.Operation, arn, ctx)
	case prefix == "AmazonSQS":
		describeSQS(c, strOf(in, "QueueUrl"), strOf(in, "QueueName"), env)
	case prefix == "AWSSecurityTokenServiceV20110615" && c.Operation == "GetCallerIdentity":
		c.Unauthenticated = true
	default:
		c.add(c.Service+":"+c.Operation, "*", nil)
	}
}

// cognitoAdminWithoutPool are Cognito operations authorised by IAM that name no pool.
var cognitoAdminWithoutPool = []string{"ListUserPools", "CreateUserPool", "DescribeUserPoolDomain"}

func orStar(s string) string {
	if s == "" {
		return "*"
	}
	return s
}

func (c *Call) add(action, resource string, ctx map[string][]string) {
	c.Requests = append(c.Requests, Request{Action: action, Resource: resource, Context: ctx})
}

// describeDynamoDB names a DynamoDB call: the table (or index) of single-table calls,
// each table of a batch, each item of a transaction under its own action, as DynamoDB
// authorises them; dynamodb:LeadingKeys where the call names partition keys.
func describeDynamoDB(c *Call, in map[string]any, env Env) {
	table := func(name string) string { return env.arn("dynamodb", "table/"+name) }
	switch c.Operation {
	case "ListTables", "DescribeLimits", "DescribeEndpoints":
		c.add("dynamodb:"+c.Operation, "*", nil)
	case "TransactWriteItems", "TransactGetItems":
		items, _ := in["TransactItems"].([]any)
		for _, it := range items {
			m, _ := it.(map[string]any)
			for kind, body := range m {
				b, _ := body.(map[string]any)
				action := map[string]string{"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
					"ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}[kind]
				if action == "" {
					continue
				}
				name := strOf(b, "TableName")
				c.add("dynamodb:"+action, table(name), leadingKeys(env, name, b))
			}
		}
	case "BatchGetItem", "BatchWriteItem":
		tables, _ := in["RequestItems"].(map[string]any)
		for _, name := range sortedKeys(tables) {
			c.add("dynamodb:"+c.Operation, table(name), nil)
		}
	default:
		name := strOf(in, "TableName")
		if name == "" {
			if arn := strOf(in, "ResourceArn"); arn != "" {
				c.add("dynamodb:"+c.Operation, arn, nil)
				return
			}
			c.add("dynamodb:"+c.Operation, "*", nil)
			return
		}
		res := table(name)
		if idx := strOf(in, "IndexName"); idx != "" {
			res += "/index/" + idx
		}
		ctx := leadingKeys(env, name, in)
		for _, k := range []struct{ field, key string }{{"ReturnValues", "dynamodb:ReturnValues"}, {"Select", "dynamodb:Select"}} {
			if v := strOf(in, k.field); v != "" {
				if ctx == nil {
					ctx = map[string][]string{}
				}
				ctx[k.key] = []string{v}
			}
		}
		c.add("dynamodb:"+c.Operation, res, ctx)
	}
}

// leadingKeys reads the partition key value a call names: in its Key or Item, or in a
// Query's key condition "<pk> = :v".
func leadingKeys(env Env, tableName string, in map[string]any) map[string][]string {
	hash := env.HashKeys[tableName]
	if hash == "" || in == nil {
		return nil
	}
	for _, field := range []string{"Key", "Item"} {
		if m, ok := in[field].(map[string]any); ok {
			if v := scalar(m[hash]); v != "" {
				return map[string][]string{"dynamodb:LeadingKeys": {v}}
			}
		}
	}
	expr := strOf(in, "KeyConditionExpression")
	if expr == "" || strOf(in, "IndexName") != "" {
		return nil
	}
	names, _ := in["ExpressionAttributeNames"].(map[string]any)
	values, _ := in["ExpressionAttributeValues"].(map[string]any)
	for _, m := range keyCondition.FindAllStringSubmatch(expr, -1) {
		name := m[1]
		if n, ok := names[name].(string); ok {
			name = n
		}
		if name == hash {
			if v := scalar(values[m[2]]); v != "" {
				return map[string][]string{"dynamodb:LeadingKeys": {v}}
			}
		}
	}
	return nil
}

var keyCondition = regexp.MustCompile(`([#A-Za-z0-9_.]+)\s*=\s*(:[A-Za-z0-9_]+)`)

// scalar is the string form of a DynamoDB S, N or B attribute value.
func scalar(v any) string {
	m, _ := v.(map[string]any)
	for _, t := range []string{"S", "N", "B"} {
		if s, ok := m[t].(string); ok {
			return s
		}
	}
	return ""
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// describeSQS names an SQS call by its queue: the ARN its URL (or name) stands for.
func describeSQS(c *Call, queueURL, queueName string, env Env) {
	action := "sqs:" + strings.TrimSuffix(c.Operation, "Batch")
	if c.Operation == "ListQueues" {
		c.add(action, "*", nil)
		return
	}
	name := queueName
	if queueURL != "" {
		if u, err := url.Parse(queueURL); err == nil {
			name = u.Path[strings.LastIndex(u.Path, "/")+1:]
		}
	}
	if name == "" {
		c.add(action, "*", nil)
		return
	}
	c.add(action, env.arn("sqs", name), nil)
}

// describeQuery names query-protocol calls: SNS by topic, SQS by queue, SES v1 by the
// identity it sends as.
func describeQuery(c *Call, form url.Values, env Env) {
	op := c.Operation
	switch c.Service {
	case "sns":
		topic := form.Get("TopicArn")
		if topic == "" {
			topic = form.Get("TargetArn")
		}
		if topic == "" && op == "CreateTopic" {
			topic = env.arn("sns", form.Get("Name"))
		}
		c.add("sns:"+strings.TrimSuffix(op, "Batch"), orStar(topic), nil)
	case "sqs":
		describeSQS(c, form.Get("QueueUrl"), form.Get("QueueName"), env)
	case "ses":
		if op == "SendEmail" || op == "SendRawEmail" || op == "SendTemplatedEmail" {
			from := form.Get("Source")
			var to []string
			for k, v := range form {
				if strings.HasPrefix(k, "Destination.ToAddresses.member.") || strings.HasPrefix(k, "Destination.CcAddresses.member.") ||
					strings.HasPrefix(k, "Destination.BccAddresses.member.") || strings.HasPrefix(k, "Destinations.member.") {
					to = append(to, v...)
				}
			}
			sendEmail(c, "ses:"+op, from, to, "1", env)
			return
		}
		c.add("ses:"+op, "*", nil)
	case "sts":
		c.Unauthenticated = op == "GetCallerIdentity"
		if !c.Unauthenticated {
			c.add("sts:"+op, "*", nil)
		}
	default:
		c.add(c.Service+":"+op, "*", nil)
	}
}

// describeSESv2 names SES v2 calls. Sending is authorised as ses:SendEmail on the
// identity the message is sent under, with ses:FromAddress and ses:Recipients.
func describeSESv2(c *Call, r *http.Request, body []byte, env Env) {
	path := strings.TrimPrefix(r.URL.Path, "/v2/email/")
	switch {
	case r.Method == http.MethodPost && path == "outbound-emails":
		c.Operation = "SendEmail"
		var in struct {
			FromEmailAddress string
			Destination      struct{ ToAddresses, CcAddresses, BccAddresses []string }
		}
		_ = json.Unmarshal(body, &in)
		to := slices.Concat(in.Destination.ToAddresses, in.Destination.CcAddresses, in.Destination.BccAddresses)
		sendEmail(c, "ses:SendEmail", in.FromEmailAddress, to, "2", env)
	case strings.HasPrefix(path, "identities"):
		id, _ := url.PathUnescape(strings.TrimPrefix(strings.TrimPrefix(path, "identities"), "/"))
		op := map[string]string{http.MethodGet: "GetEmailIdentity", http.MethodPost: "CreateEmailIdentity",
			http.MethodDelete: "DeleteEmailIdentity", http.MethodPut: "PutEmailIdentity"}[r.Method]
		if id == "" && r.Method == http.MethodGet {
			op = "ListEmailIdentities"
		}
		c.Operation = op
		if id == "" {
			c.add("ses:"+op, "*", nil)
		} else {
			c.add("ses:"+op, env.arn("ses", "identity/"+id), nil)
		}
	default:
		c.Unmapped = r.Method + " /v2/email/" + path
	}
}

func sendEmail(c *Call, action, from string, to []string, version string, env Env) {
	addr := from
	if a, err := mail.ParseAddress(from); err == nil {
		addr = a.Address
	}
	identity := addr
	if !slices.ContainsFunc(env.Identities, func(id string) bool { return strings.EqualFold(id, addr) }) {
		_, identity, _ = strings.Cut(addr, "@")
	}
	ctx := map[string][]string{"ses:FromAddress": {addr}, "ses:ApiVersion": {version}}
	if len(to) > 0 {
		ctx["ses:Recipients"] = to
	}
	c.add(action, env.arn("ses", "identity/"+identity), ctx)
}

// describeS3 names an S3 REST call (path-style, as the SDK addresses an endpoint given
// by IP address) by its method, bucket, key and sub-resource, as the S3 User Guide's
// table of actions for API operations does.
func describeS3(c *Call, r *http.Request, body []byte, env Env) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	bucket, _ = url.PathUnescape(bucket)
	key, _ = url.PathUnescape(key)
	q := r.URL.Query()
	obj := "arn:aws:s3:::" + bucket + "/" + key
	if bucket == "" {
		c.Operation = "ListBuckets"
		c.add("s3:ListAllMyBuckets", "*", nil)
		return
	}
	if key == "" {
		describeS3Bucket(c, r, q, bucket, body)
		return
	}
	has := func(k string) bool { return q.Has(k) }
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		switch {
		case has("tagging"):
			c.Operation = "GetObjectTagging"
		case has("acl"):
			c.Operation = "GetObjectAcl"
		case has("uploadId"):
			c.Operation = "ListParts"
			c.add("s3:ListMultipartUploadParts", obj, nil)
			return
		case r.Method == http.MethodHead:
			c.Operation = "HeadObject"
			c.add("s3:GetObject", obj, nil)
			return
		default:
			c.Operation = "GetObject"
		}
		if has("versionId") {
			c.add("s3:"+strings.Replace(c.Operation, "Object", "ObjectVersion", 1), obj, nil)
			return
		}
		c.add("s3:"+c.Operation, obj, nil)
	case http.MethodPut:
		switch {
		case has("tagging"):
			c.Operation = "PutObjectTagging"
			c.add("s3:PutObjectTagging", obj, nil)
		case has("acl"):
			c.Operation = "PutObjectAcl"
			c.add("s3:PutObjectAcl", obj, nil)
		default:
			c.Operation = "PutObject"
			if has("partNumber") {
				c.Operation = "UploadPart"
			}
			c.add("s3:PutObject", obj, s3Headers(r))
			if src := r.Header.Get("X-Amz-Copy-Source"); src != "" {
				if c.Operation == "PutObject" {
					c.Operation = "CopyObject"
				}
				src, _ = url.PathUnescape(strings.TrimPrefix(src, "/"))
				src, _, _ = strings.Cut(src, "?versionId=")
				c.add("s3:GetObject", "arn:aws:s3:::"+src, nil)
			}
		}
	case http.MethodPost:
		switch {
		case has("uploads"):
			c.Operation = "CreateMultipartUpload"
		case has("uploadId"):
			c.Operation = "CompleteMultipartUpload"
		case has("restore"):
			c.Operation = "RestoreObject"
			c.add("s3:RestoreObject", obj, nil)
			return
		default:
			c.Unmapped = "POST on an object without a known sub-resource"
			return
		}
		c.add("s3:PutObject", obj, s3Headers(r))
	case http.MethodDelete:
		switch {
		case has("uploadId"):
			c.Operation = "AbortMultipartUpload"
			c.add("s3:AbortMultipartUpload", obj, nil)
		case has("tagging"):
			c.Operation = "DeleteObjectTagging"
			c.add("s3:DeleteObjectTagging", obj, nil)
		case has("versionId"):
			c.Operation = "DeleteObject"
			c.add("s3:DeleteObjectVersion", obj, nil)
		default:
			c.Operation = "DeleteObject"
			c.add("s3:DeleteObject", obj, nil)
		}
	default:
		c.Unmapped = r.Method + " on an object"
	}
}

// s3Headers are the condition keys S3 sets from a write's headers.
func s3Headers(r *http.Request) map[string][]string {
	ctx := map[string][]string{}
	for _, h := range []string{"x-amz-acl", "x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id", "x-amz-storage-class"} {
		if v := r.Header.Get(h); v != "" {
			ctx["s3:"+h] = []string{v}
		}
	}
	if len(ctx) == 0 {
		return nil
	}
	return ctx
}

// s3BucketSubresources maps a bucket sub-resource to the actions of reading, writing
// and deleting it.
var s3BucketSubresources = []struct{ sub, get, put, del string }{
	{"policy", "GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy"},
	{"cors", "GetBucketCORS", "PutBucketCORS", "PutBucketCORS"},
	{"notification", "GetBucketNotification", "PutBucketNotification", ""},
	{"tagging", "GetBucketTagging", "PutBucketTagging", "PutBucketTagging"},
	{"acl", "GetBucketAcl", "PutBucketAcl", ""},
	{"encryption", "GetEncryptionConfiguration", "PutEncryptionConfiguration", "PutEncryptionConfiguration"},
	{"versioning", "GetBucketVersioning", "PutBucketVersioning", ""},
	{"lifecycle", "GetLifecycleConfiguration", "PutLifecycleConfiguration", "PutLifecycleConfiguration"},
	{"publicAccessBlock", "GetBucketPublicAccessBlock", "PutBucketPublicAccessBlock", "PutBucketPublicAccessBlock"},
	{"ownershipControls", "GetBucketOwnershipControls", "PutBucketOwnershipControls", "PutBucketOwnershipControls"},
	{"location", "GetBucketLocation", "", ""},
	{"uploads", "ListBucketMultipartUploads", "", ""},
	{"versions", "ListBucketVersions", "", ""},
}

func describeS3Bucket(c *Call, r *http.Request, q url.Values, bucket string, body []byte) {
	arn := "arn:aws:s3:::" + bucket
	for _, s := range s3BucketSubresources {
		if !q.Has(s.sub) {
			continue
		}
		action := map[string]string{http.MethodGet: s.get, http.MethodHead: s.get, http.MethodPut: s.put, http.MethodDelete: s.del}[r.Method]
		if action == "" {
			break
		}
		c.Operation = action
		c.add("s3:"+action, arn, nil)
		return
	}
	switch {
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		c.Operation = "ListObjects"
		if q.Get("list-type") == "2" {
			c.Operation = "ListObjectsV2"
		}
		if r.Method == http.MethodHead {
			c.Operation = "HeadBucket"
		}
		ctx := map[string][]string{}
		for _, k := range []string{"prefix", "delimiter", "max-keys"} {
			if q.Has(k) {
				ctx["s3:"+k] = []string{q.Get(k)}
			}
		}
		c.add("s3:ListBucket", arn, ctx)
	case r.Method == http.MethodPut:
		c.Operation = "CreateBucket"
		c.add("s3:CreateBucket", arn, nil)
	case r.Method == http.MethodDelete:
		c.Operation = "DeleteBucket"
		c.add("s3:DeleteBucket", arn, nil)
	case r.Method == http.MethodPost && q.Has("delete"):
		c.Operation = "DeleteObjects"
		var in struct {
			Object []struct{ Key string }
		}
		_ = xml.NewDecoder(bytes.NewReader(body)).Decode(&in)
		for _, o := range in.Object {
			c.add("s3:DeleteObject", arn+"/"+o.Key, nil)
		}
		if len(in.Object) == 0 {
			c.add("s3:DeleteObject", arn+"/*", nil)
		}
	case r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data"):
		// A browser's upload by presigned POST: authorised as the signer's PutObject on
		// the key the form names (the gate reads the form and adds the request).
		c.Operation = "PostObject"
	default:
		c.Unmapped = r.Method + " on a bucket"
	}
}
