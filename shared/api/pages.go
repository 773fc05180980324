package api

import (
	"net/http"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/web"
)

// servePage serves one of the applicant's pages under the strict Content-Security-Policy.
func servePage(name string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error { return writePage(w, name, web.CSP) }
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
