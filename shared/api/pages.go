package api

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/web"
)

// servePage serves one of the applicant's pages under the strict Content-Security-Policy.
func servePage(name string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error { return writePage(w, name, web.CSP) }
}

// uploadPage serves a page that uploads files (the form, the status page): the pages'
// policy, which also lets it send to the evidence bucket's upload URL when the
// function signs uploads.
func (s *submissions) uploadPage(name string) handlerFunc {
	csp := web.CSP
	if s.uploadTo != "" {
		csp = connecting(s.uploadTo)
	}
	return func(w http.ResponseWriter, r *http.Request) error { return writePage(w, name, csp) }
}

// connecting is the pages' policy with one more source the page may connect to.
func connecting(source string) string {
	return strings.Replace(web.CSP, "connect-src 'self'", "connect-src 'self' "+source, 1)
}

// uploadURL is an upload URL a policy may name as it is: http(s), a host, an optional
// port and path of plain segments, nothing that could end the source or the directive.
var uploadURL = regexp.MustCompile(`^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~-]+)*$`)

// WithUploads lets the form and the status page send files to endpoint, the URL the
// evidence bucket's presigned POSTs go to (exports.Evidence.UploadEndpoint): their
// Content-Security-Policy names it in connect-src, path and all, so that with S3's
// path-style addresses the pages reach that bucket and no other on the same host.
func WithUploads(endpoint string) (SubmissionsOption, error) {
	if !uploadURL.MatchString(endpoint) {
		return nil, fmt.Errorf("upload endpoint %q is not an http(s) URL a Content-Security-Policy can name", endpoint)
	}
	return func(s *submissions) { s.uploadTo = endpoint }, nil
}

// writePage answers with a rendered page under a Content-Security-Policy.
func writePage(w http.ResponseWriter, name, csp string) error {
	page, err := web.Page(name)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp)
	h.Set("Cache-Control", "no-cache")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	_, err = w.Write(page)
	return err
}

// serveAsset serves the pages' scripts and style sheet.
func serveAsset(w http.ResponseWriter, r *http.Request) error {
	body, contentType, ok := web.Asset(r.PathValue("file"))
	if !ok {
		return newHTTPError(http.StatusNotFound, "not-found", "Not found", "There is no such file.")
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Content-Security-Policy", web.CSP)
	_, err := w.Write(body)
	return err
}
