//go:build integration

package api_test

import (
	"regexp"
	"strings"
	"testing"
)

// The pages must work under their own Content-Security-Policy: everything they load
// comes from /assets/ on this origin, and nothing is inline.
func TestPagesLoadOnlyTheirOwnAssetsUnderAStrictPolicy(t *testing.T) {
	a := newTestAPI(t)
	refs := regexp.MustCompile(`(?:src|href)="([^"#]*)"`)
	for _, path := range []string{"/", "/status", "/confirm"} {
		r := a.do("GET", path, nil)
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Fatalf("GET %s: %d %s", path, r.status, r.header.Get("Content-Type"))
		}
		csp := r.header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("GET %s: policy %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-") {
			t.Errorf("GET %s: policy %q allows unsafe sources", path, csp)
		}
		if r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("GET %s: headers %v", path, r.header)
		}
		page := string(r.body)
		// Inline code and styles would be refused by the policy, silently.
		for _, inline := range []*regexp.Regexp{regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`), regexp.MustCompile(`\sstyle=`),
			regexp.MustCompile(`\son[a-z]+=`), regexp.MustCompile(`<style`), regexp.MustCompile(`javascript:`)} {
			if loc := inline.FindStringIndex(page); loc != nil {
				t.Errorf("GET %s has inline code or style: %q", path, page[loc[0]:min(loc[1]+40, len(page))])
			}
		}
		for _, m := range refs.FindAllStringSubmatch(page, -1) {
			ref := m[1]
			if ref == "" || ref == "/" || ref == "/status" || ref == "/openapi.yaml" {
				continue
			}
			if !strings.HasPrefix(ref, "/assets/") {
				t.Errorf("GET %s loads %q from outside this origin's assets", path, ref)
				continue
			}
			if got := a.do("GET", ref, nil); got.status != 200 {
				t.Errorf("GET %s refers to %s, which answers %d", path, ref, got.status)
			}
		}
	}
}

func TestAssetsAreServedWithTheirTypesAndNothingElseIs(t *testing.T) {
	a := newTestAPI(t)
	for path, want := range map[string]string{"/assets/form.js": "text/javascript", "/assets/app.css": "text/css"} {
		r := a.do("GET", path, nil)
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), want) || len(r.body) == 0 {
			t.Errorf("GET %s: %d %q", path, r.status, r.header.Get("Content-Type"))
		}
	}
	// Module scripts import each other by absolute path, which must exist too.
	imports := regexp.MustCompile(`from "(/assets/[^"]+)"`)
	for _, script := range []string{"index.js", "status.js"} {
		r := a.do("GET", "/assets/"+script, nil)
		for _, m := range imports.FindAllStringSubmatch(string(r.body), -1) {
			if got := a.do("GET", m[1], nil); got.status != 200 {
				t.Errorf("%s imports %s, which answers %d", script, m[1], got.status)
			}
		}
	}
	for _, path := range []string{"/assets/missing.js", "/assets/..%2fweb.go", "/assets/.hidden", "/assets/%2e%2e%2ftemplates%2flayout.html"} {
		r := a.do("GET", path, nil)
		if r.status != 404 || r.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("GET %s: %d %q %s", path, r.status, r.header.Get("Content-Type"), r.body)
		}
	}
}
