package iam

import (
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

var env = Env{
	Region: "us-east-1", Account: "123456789012",
	HashKeys:   map[string]string{"T": "PK"},
	Identities: []string{"sender@example.org", "example.com"},
	StreamOf: func(it string) string {
		if it == "iter-1" {
			return table + "/stream/2026"
		}
		return ""
	},
	KeyOf: func(id string) string {
		if id == "alias/payout" {
			return "arn:aws:kms:us-east-1:123456789012:key/k-1"
		}
		return ""
	},
}

func jsonCall(target, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("X-Amz-Target", target)
	return r
}

func TestDescribe(t *testing.T) {
	s3put := httptest.NewRequest(http.MethodPut, "/reports-bucket/reports/2026/a%20b.xlsx", nil)
	s3put.Header.Set("X-Amz-Server-Side-Encryption", "aws:kms")
	s3copy := httptest.NewRequest(http.MethodPut, "/b/dst", nil)
	s3copy.Header.Set("X-Amz-Copy-Source", "/b/src%2Fone")
	for _, c := range []struct {
		name      string
		r         *http.Request
		service   string
		operation string
		want      []Request
		public    bool
		unmapped  bool
	}{
		{"a get on the table, with its partition key", jsonCall("DynamoDB_20120810.GetItem", `{"TableName": "T", "Key": {"PK": {"S": "REQ#1"}, "SK": {"S": "META"}}}`),
			"dynamodb", "GetItem", []Request{{"dynamodb:GetItem", table, map[string][]string{"dynamodb:LeadingKeys": {"REQ#1"}}}}, false, false},
		{"a query on an index names the index", jsonCall("DynamoDB_20120810.Query", `{"TableName": "T", "IndexName": "GSI1", "KeyConditionExpression": "GSI1PK = :p", "ExpressionAttributeValues": {":p": {"S": "Q"}}}`),
			"dynamodb", "Query", []Request{{"dynamodb:Query", table + "/index/GSI1", nil}}, false, false},
		{"a query on the table reads its key condition", jsonCall("DynamoDB_20120810.Query", `{"TableName": "T", "KeyConditionExpression": "#pk = :p AND begins_with(SK, :s)", "ExpressionAttributeNames": {"#pk": "PK"}, "ExpressionAttributeValues": {":p": {"S": "REQ#9"}, ":s": {"S": "EV#"}}, "Select": "COUNT"}`),
			"dynamodb", "Query", []Request{{"dynamodb:Query", table, map[string][]string{"dynamodb:LeadingKeys": {"REQ#9"}, "dynamodb:Select": {"COUNT"}}}}, false, false},
		{"a transaction is authorised item by item", jsonCall("DynamoDB_20120810.TransactWriteItems", `{"TransactItems": [
			{"Put": {"TableName": "T", "Item": {"PK": {"S": "A"}}}},
			{"Update": {"TableName": "T", "Key": {"PK": {"S": "B"}}}},
			{"ConditionCheck": {"TableName": "T", "Key": {"PK": {"S": "C"}}}},
			{"Delete": {"TableName": "T", "Key": {"PK": {"S": "D"}}}}]}`),
			"dynamodb", "TransactWriteItems", []Request{
				{"dynamodb:PutItem", table, map[string][]string{"dynamodb:LeadingKeys": {"A"}}},
				{"dynamodb:UpdateItem", table, map[string][]string{"dynamodb:LeadingKeys": {"B"}}},
				{"dynamodb:ConditionCheckItem", table, map[string][]string{"dynamodb:LeadingKeys": {"C"}}},
				{"dynamodb:DeleteItem", table, map[string][]string{"dynamodb:LeadingKeys": {"D"}}},
			}, false, false},
		{"a batch names each table", jsonCall("DynamoDB_20120810.BatchWriteItem", `{"RequestItems": {"U": [], "T": []}}`),
			"dynamodb", "BatchWriteItem", []Request{{"dynamodb:BatchWriteItem", table, nil}, {"dynamodb:BatchWriteItem", "arn:aws:dynamodb:us-east-1:123456789012:table/U", nil}}, false, false},
		{"a stream read names the stream its iterator reads", jsonCall("DynamoDBStreams_20120810.GetRecords", `{"ShardIterator": "iter-1"}`),
			"dynamodb", "GetRecords", []Request{{"dynamodb:GetRecords", table + "/stream/2026", nil}}, false, false},
		{"SES v2 sends as the address's own identity", sesv2("SES Tracker <sender@example.org>", "a@x.org"),
			"ses", "SendEmail", []Request{{"ses:SendEmail", "arn:aws:ses:us-east-1:123456789012:identity/sender@example.org",
				map[string][]string{"ses:FromAddress": {"sender@example.org"}, "ses:ApiVersion": {"2"}, "ses:Recipients": {"a@x.org"}}}}, false, false},
		{"SES v2 sends as the domain's identity otherwise", sesv2("noreply@example.com", "b@x.org"),
			"ses", "SendEmail", []Request{{"ses:SendEmail", "arn:aws:ses:us-east-1:123456789012:identity/example.com",
				map[string][]string{"ses:FromAddress": {"noreply@example.com"}, "ses:ApiVersion": {"2"}, "ses:Recipients": {"b@x.org"}}}}, false, false},
		{"an SES v2 call it cannot name", httptest.NewRequest(http.MethodPost, "/v2/email/contact-lists", nil), "ses", "", nil, false, true},
		{"S3: a put names the object, with its encryption header", s3put, "s3", "PutObject",
			[]Request{{"s3:PutObject", "arn:aws:s3:::reports-bucket/reports/2026/a b.xlsx", map[string][]string{"s3:x-amz-server-side-encryption": {"aws:kms"}}}}, false, false},
		{"S3: a copy also reads its source", s3copy, "s3", "CopyObject",
			[]Request{{"s3:PutObject", "arn:aws:s3:::b/dst", nil}, {"s3:GetObject", "arn:aws:s3:::b/src/one", nil}}, false, false},
		{"S3: a head is a get", httptest.NewRequest(http.MethodHead, "/b/k", nil), "s3", "HeadObject", []Request{{"s3:GetObject", "arn:aws:s3:::b/k", nil}}, false, false},
		{"S3: a listing is on the bucket, with its prefix", httptest.NewRequest(http.MethodGet, "/b?list-type=2&prefix=reports/", nil), "s3", "ListObjectsV2",
			[]Request{{"s3:ListBucket", "arn:aws:s3:::b", map[string][]string{"s3:prefix": {"reports/"}}}}, false, false},
		{"S3: a bucket's CORS", httptest.NewRequest(http.MethodPut, "/b?cors", nil), "s3", "PutBucketCORS", []Request{{"s3:PutBucketCORS", "arn:aws:s3:::b", nil}}, false, false},
		{"SQS (JSON) names the queue of its URL", jsonCall("AmazonSQS.SendMessageBatch", `{"QueueUrl": "http://127.0.0.1:4566/123456789012/dlq"}`),
			"sqs", "SendMessageBatch", []Request{{"sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:dlq", nil}}, false, false},
		{"SNS (query) names the topic", query("Action=Publish&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3Aalerts&Message=x"),
			"sns", "Publish", []Request{{"sns:Publish", "arn:aws:sns:us-east-1:123456789012:alerts", nil}}, false, false},
		{"Cognito's administrator calls name the pool", jsonCall("AWSCognitoIdentityProviderService.AdminCreateUser", `{"UserPoolId": "us-east-1_abc", "Username": "a"}`),
			"cognito-idp", "AdminCreateUser", []Request{{"cognito-idp:AdminCreateUser", "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc", nil}}, false, false},
		{"Cognito's token calls are not IAM's", jsonCall("AWSCognitoIdentityProviderService.InitiateAuth", `{"AuthFlow": "USER_PASSWORD_AUTH"}`),
			"cognito-idp", "InitiateAuth", nil, true, false},
		{"KMS resolves an alias to its key", jsonCall("TrentService.Decrypt", `{"KeyId": "alias/payout"}`),
			"kms", "Decrypt", []Request{{"kms:Decrypt", "arn:aws:kms:us-east-1:123456789012:key/k-1", map[string][]string{"kms:RequestAlias": {"alias/payout"}}}}, false, false},
		{"KMS gives policies the encryption context", jsonCall("TrentService.GenerateDataKey", `{"KeyId": "k-1", "KeySpec": "AES_256", "EncryptionContext": {"request": "r1", "payout": "2"}}`),
			"kms", "GenerateDataKey", []Request{{"kms:GenerateDataKey", "arn:aws:kms:us-east-1:123456789012:key/k-1", map[string][]string{
				"kms:EncryptionContextKeys": {"payout", "request"}, "kms:EncryptionContext:payout": {"2"}, "kms:EncryptionContext:request": {"r1"}}}}, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			body, _ := io.ReadAll(c.r.Body)
			got := Describe(c.r, body, c.service, env)
			if c.unmapped {
				if got.Unmapped == "" {
					t.Fatalf("want the call unmapped, got %+v", got)
				}
				return
			}
			if got.Operation != c.operation || got.Unauthenticated != c.public || got.Unmapped != "" || !reflect.DeepEqual(got.Requests, c.want) {
				t.Errorf("got %s public=%v unmapped=%q %+v\nwant %s %+v", got.Operation, got.Unauthenticated, got.Unmapped, got.Requests, c.operation, c.want)
			}
		})
	}
}

func sesv2(from, to string) *http.Request {
	return httptest.NewRequest(http.MethodPost, "/v2/email/outbound-emails",
		strings.NewReader(`{"FromEmailAddress": "`+from+`", "Destination": {"ToAddresses": ["`+to+`"]}}`))
}

func query(form string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}
