package motostack

import (
	"testing"

	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// S3's CORS rules: origins and headers with at most one "*" (headers without case), the
// first rule that allows origin, method and every header asked for wins.
func TestCORSRuleMatching(t *testing.T) {
	rules := []s3types.CORSRule{
		{ID: ptr("upload"), AllowedOrigins: []string{"https://pages.example"}, AllowedMethods: []string{"POST"}, AllowedHeaders: []string{"*"}},
		{ID: ptr("read"), AllowedOrigins: []string{"https://*.viewer.example", "http://localhost:*"}, AllowedMethods: []string{"GET", "HEAD"},
			AllowedHeaders: []string{"Range", "x-amz-*"}},
		{ID: ptr("anyone"), AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}},
	}
	for _, c := range []struct {
		origin, method string
		headers        []string
		want           string // the rule's id, "" for none
	}{
		{"https://pages.example", "POST", nil, "upload"},
		{"https://pages.example", "POST", []string{"content-type", "x-anything"}, "upload"},
		{"https://pages.example", "PUT", nil, ""},
		{"https://pages.example.evil", "POST", nil, ""},
		{"http://pages.example", "POST", nil, ""},
		{"https://PAGES.example", "POST", nil, ""},
		{"https://a.viewer.example", "GET", []string{"range", "x-amz-date"}, "read"},
		{"https://a.b.viewer.example", "HEAD", nil, "read"},
		{"https://viewer.example", "GET", nil, "anyone"},
		{"http://localhost:5173", "GET", []string{"RANGE"}, "read"},
		{"https://a.viewer.example", "GET", []string{"authorization"}, ""},
		{"https://elsewhere.example", "GET", nil, "anyone"},
		{"https://elsewhere.example", "POST", nil, ""},
	} {
		got := ""
		if r := corsRule(rules, c.origin, c.method, c.headers); r != nil {
			got = *r.ID
		}
		if got != c.want {
			t.Errorf("%s %s %v: rule %q, want %q", c.origin, c.method, c.headers, got, c.want)
		}
	}
	// A rule that allows the origin by name echoes it with credentials; one that allows
	// any origin answers "*" and no credentials.
	if h := corsHeaders(&rules[1], "https://a.viewer.example"); h.Get("Access-Control-Allow-Origin") != "https://a.viewer.example" ||
		h.Get("Access-Control-Allow-Credentials") != "true" || h.Get("Access-Control-Allow-Methods") != "GET, HEAD" {
		t.Errorf("named origin: %v", h)
	}
	if h := corsHeaders(&rules[2], "https://elsewhere.example"); h.Get("Access-Control-Allow-Origin") != "*" || h.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("any origin: %v", h)
	}
}

func ptr(s string) *string { return &s }
