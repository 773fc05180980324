package iam

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{"*", "arn:aws:dynamodb:us-east-1:1:table/T", true},
		{"arn:aws:s3:::b/reports/*", "arn:aws:s3:::b/reports/2026/a.xlsx", true},
		{"arn:aws:s3:::b/reports/*", "arn:aws:s3:::b/evidence/a.pdf", false},
		{"arn:aws:dynamodb:*:*:table/T", "arn:aws:dynamodb:us-east-1:1:table/T", true},
		{"arn:aws:dynamodb:*:*:table/T", "arn:aws:dynamodb:us-east-1:1:table/T/index/GSI1", false},
		{"arn:aws:dynamodb:*:*:table/T/index/*", "arn:aws:dynamodb:us-east-1:1:table/T/index/GSI1", true},
		{"ab?d", "abcd", true},
		{"ab?d", "abd", false},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{"Table", "table", false},
		{"", "", true},
		{"", "x", false},
	} {
		if got := Match(c.pattern, c.s); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}

func mustParse(t *testing.T, doc string) []Policy {
	t.Helper()
	p, err := ParsePolicy("test", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return []Policy{p}
}

const table = "arn:aws:dynamodb:us-east-1:123456789012:table/T"

func TestEvaluationOrder(t *testing.T) {
	policies := mustParse(t, `{"Version": "2012-10-17", "Statement": [
		{"Sid": "ReadWrite", "Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Put*"], "Resource": "`+table+`"},
		{"Sid": "NoDeletes", "Effect": "Deny", "Action": "dynamodb:*", "Resource": "*",
		 "Condition": {"StringEquals": {"dynamodb:ReturnValues": "ALL_OLD"}}},
		{"Sid": "AllButIAM", "Effect": "Allow", "NotAction": "iam:*", "NotResource": "`+table+`"}]}`)
	for _, c := range []struct {
		name string
		req  Request
		want Decision
	}{
		{"allowed by an action in the list, whatever its case", Request{Action: "DynamoDB:getitem", Resource: table},
			Decision{Allowed: true, By: "test/ReadWrite"}},
		{"allowed by a wildcard action", Request{Action: "dynamodb:PutItem", Resource: table}, Decision{Allowed: true, By: "test/ReadWrite"}},
		{"denied by default: no statement names the action on the table", Request{Action: "dynamodb:DeleteItem", Resource: table}, Decision{}},
		{"an explicit deny wins over an allow", Request{Action: "dynamodb:PutItem", Resource: table,
			Context: map[string][]string{"dynamodb:ReturnValues": {"ALL_OLD"}}}, Decision{ExplicitDeny: true, By: "test/NoDeletes"}},
		{"NotAction and NotResource allow the rest", Request{Action: "sqs:SendMessage", Resource: "arn:aws:sqs:us-east-1:1:q"},
			Decision{Allowed: true, By: "test/AllButIAM"}},
		{"NotAction excludes what it names", Request{Action: "iam:PassRole", Resource: "arn:aws:iam::1:role/r"}, Decision{}},
	} {
		if got := Evaluate(policies, c.req); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestConditions(t *testing.T) {
	allowIf := func(cond string) []Policy {
		return mustParse(t, `{"Statement": {"Effect": "Allow", "Action": "x:Do", "Resource": "*", "Condition": `+cond+`}}`)
	}
	ctx := func(kv ...string) map[string][]string {
		m := map[string][]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = append(m[kv[i]], kv[i+1])
		}
		return m
	}
	for _, c := range []struct {
		name string
		cond string
		ctx  map[string][]string
		want bool
	}{
		{"StringEquals holds", `{"StringEquals": {"ses:FromAddress": "sender@example.org"}}`, ctx("ses:FromAddress", "sender@example.org"), true},
		{"StringEquals fails", `{"StringEquals": {"ses:FromAddress": "sender@example.org"}}`, ctx("ses:FromAddress", "other@example.org"), false},
		{"a key's name is case-insensitive", `{"StringEquals": {"SES:fromaddress": "a"}}`, ctx("ses:FromAddress", "a"), true},
		{"an absent key fails StringEquals", `{"StringEquals": {"ses:FromAddress": "a"}}`, nil, false},
		{"an absent key passes StringEqualsIfExists", `{"StringEqualsIfExists": {"ses:FromAddress": "a"}}`, nil, true},
		{"an absent key passes StringNotEquals", `{"StringNotEquals": {"ses:FromAddress": "a"}}`, nil, true},
		{"StringNotEquals fails on the value", `{"StringNotEquals": {"ses:FromAddress": "a"}}`, ctx("ses:FromAddress", "a"), false},
		{"one of the policy's values", `{"StringEquals": {"k": ["a", "b"]}}`, ctx("k", "b"), true},
		{"StringLike", `{"StringLike": {"s3:prefix": ["reports/*"]}}`, ctx("s3:prefix", "reports/2026/"), true},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase": {"k": "ABC"}}`, ctx("k", "abc"), true},
		{"ForAllValues holds when every key value matches", `{"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["OUT#*"]}}`,
			ctx("dynamodb:LeadingKeys", "OUT#1", "dynamodb:LeadingKeys", "OUT#2"), true},
		{"ForAllValues fails on one value outside", `{"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["OUT#*"]}}`,
			ctx("dynamodb:LeadingKeys", "OUT#1", "dynamodb:LeadingKeys", "IN#2"), false},
		{"ForAllValues holds vacuously without the key", `{"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["OUT#*"]}}`, nil, true},
		{"ForAnyValue holds on one match", `{"ForAnyValue:StringEquals": {"k": "b"}}`, ctx("k", "a", "k", "b"), true},
		{"ForAnyValue fails without the key", `{"ForAnyValue:StringEquals": {"k": "b"}}`, nil, false},
		{"Null true asks for an absent key", `{"Null": {"k": "true"}}`, nil, true},
		{"Null true fails on a present key", `{"Null": {"k": "true"}}`, ctx("k", "v"), false},
		{"Null false asks for a present key", `{"Null": {"k": "false"}}`, ctx("k", "v"), true},
		{"Bool", `{"Bool": {"aws:SecureTransport": "true"}}`, ctx("aws:SecureTransport", "true"), true},
		{"Bool from a JSON boolean", `{"Bool": {"aws:SecureTransport": false}}`, ctx("aws:SecureTransport", "true"), false},
		{"NumericLessThanEquals", `{"NumericLessThanEquals": {"s3:max-keys": "10"}}`, ctx("s3:max-keys", "7"), true},
		{"NumericLessThanEquals fails", `{"NumericLessThanEquals": {"s3:max-keys": "10"}}`, ctx("s3:max-keys", "70"), false},
		{"ArnLike", `{"ArnLike": {"aws:SourceArn": "arn:aws:s3:::b*"}}`, ctx("aws:SourceArn", "arn:aws:s3:::bucket"), true},
		{"every operator must hold", `{"StringEquals": {"a": "1"}, "StringLike": {"b": "x*"}}`, ctx("a", "1", "b", "y"), false},
	} {
		got := Evaluate(allowIf(c.cond), Request{Action: "x:Do", Resource: "r", Context: c.ctx}).Allowed
		if got != c.want {
			t.Errorf("%s: allowed %v, want %v", c.name, got, c.want)
		}
	}
}

func TestParsePolicyRefusesWhatItCannotEvaluate(t *testing.T) {
	for _, c := range []struct{ name, doc, want string }{
		{"an unknown operator", `{"Statement": [{"Effect": "Allow", "Action": "x:Do", "Resource": "*", "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}}]}`, "DateGreaterThan"},
		{"an unknown set qualifier", `{"Statement": [{"Effect": "Allow", "Action": "x:Do", "Resource": "*", "Condition": {"ForSomeValues:StringEquals": {"k": "v"}}}]}`, "ForSomeValues"},
		{"a Principal", `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "x:Do", "Resource": "*"}]}`, "Principal"},
		{"an unresolved intrinsic", `{"Statement": [{"Effect": "Allow", "Action": "x:Do", "Resource": {"Fn::GetAtt": ["T", "Arn"]}}]}`, "unresolved"},
		{"no resource", `{"Statement": [{"Effect": "Allow", "Action": "x:Do"}]}`, "neither Resource nor NotResource"},
		{"a bad effect", `{"Statement": [{"Effect": "Maybe", "Action": "x:Do", "Resource": "*"}]}`, "Effect"},
	} {
		_, err := ParsePolicy("p", []byte(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error naming %q", c.name, err, c.want)
		}
	}
	if _, err := ParsePolicy("one", []byte(`{"Statement": {"Effect": "Deny", "NotAction": "s3:*", "NotResource": ["a", "b"]}}`)); err != nil {
		t.Errorf("a single statement object: %v", err)
	}
}
