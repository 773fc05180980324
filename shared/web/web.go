// Package web holds the applicant's pages — the request form and the status page — and
// their assets, embedded so the submissions function serves them with no CDN, offline
// and under a strict Content-Security-Policy: scripts and styles come only from this
// origin, and the pages put applicant text into the document as text, never as HTML.
package web

import (
	"embed"
	"fmt"
	"io/fs"
	"mime"
	"path"
	"strings"
)

// The pages hold nothing that varies, so they are rendered from templates/ ahead of
// time (go test ./shared/web -update) and embedded as they are: the function serves
// bytes and needs no template package at run time, which keeps its binary about 4 MB
// smaller. A test renders the templates again and fails if pages/ is out of date.
//
//go:embed pages/*.html
var pageFiles embed.FS

//go:embed assets
var assetFiles embed.FS

// RegisterTemplates are the public register's page templates. Unlike the applicant's
// pages they show stored decisions, so the public function renders them at each
// request (html/template escapes every value) and serves them with no script at all.
//
//go:embed register/*.html
var RegisterTemplates embed.FS

// CSP is the Content-Security-Policy of every page: nothing inline, nothing foreign.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// Page returns a rendered page: "index" (the form), "status" or "confirm" (the e-mail
// confirmation).
func Page(name string) ([]byte, error) {
	if strings.ContainsAny(name, "/.") {
		return nil, fmt.Errorf("no page %q", name)
	}
	p, err := fs.ReadFile(pageFiles, "pages/"+name+".html")
	if err != nil {
		return nil, fmt.Errorf("no page %q", name)
	}
	return p, nil
}

// Asset returns an asset file and its media type; ok is false for unknown names.
func Asset(name string) (body []byte, contentType string, ok bool) {
	if strings.Contains(name, "/") || strings.HasPrefix(name, ".") {
		return nil, "", false
	}
	b, err := fs.ReadFile(assetFiles, "assets/"+name)
	if err != nil {
		return nil, "", false
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if path.Ext(name) == ".js" {
		ct = "text/javascript; charset=utf-8"
	}
	return b, ct, true
}
