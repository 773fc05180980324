// Package web holds the applicant's pages — the request form and the status page — and
// their assets, embedded so the submissions function serves them with no CDN, offline
// and under a strict Content-Security-Policy: scripts and styles come only from this
// origin, and the pages put applicant text into the document as text, never as HTML.
package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"path"
	"strings"
	"sync"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed assets
var assetFiles embed.FS

// CSP is the Content-Security-Policy of every page: nothing inline, nothing foreign.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// Currencies offered in the form's list; the API accepts every circulating ISO 4217
// currency.
var Currencies = []string{"EUR", "USD", "GBP", "CHF", "CAD", "AUD", "JPY", "CNY", "INR", "BRL", "SEK", "NOK", "DKK",
	"PLN", "CZK", "HUF", "KRW", "SGD", "NZD", "ZAR", "MXN"}

type fieldView struct{ ID, Path, Label, Type, Hint string }

type pageView struct{ Title, Script, Submit string }

var (
	once  sync.Once
	pages map[string][]byte
	err   error
)

// render builds the pages once, on first use, so start-up does no template work.
func render() {
	funcs := template.FuncMap{
		"field": func(path, label, typ, hint string) fieldView {
			return fieldView{ID: "f-" + strings.ReplaceAll(path, ".", "-"), Path: path, Label: label, Type: typ, Hint: hint}
		},
		"currencies": func() []string { return Currencies },
		"licences":   func() []string { return sponsorship.Licences },
	}
	pages = map[string][]byte{}
	for name, v := range map[string]pageView{
		"index":  {Title: "Ask for funding", Script: "index.js", Submit: "Send the request"},
		"status": {Title: "Your request", Script: "status.js", Submit: "Resubmit the request"},
	} {
		t, perr := template.New("layout").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/form.html", "templates/"+name+".html")
		if perr != nil {
			err = perr
			return
		}
		var b bytes.Buffer
		if err = t.ExecuteTemplate(&b, "layout", v); err != nil {
			return
		}
		pages[name] = b.Bytes()
	}
}

// Page returns a rendered page: "index" (the form) or "status".
func Page(name string) ([]byte, error) {
	once.Do(render)
	if err != nil {
		return nil, fmt.Errorf("render pages: %w", err)
	}
	p, ok := pages[name]
	if !ok {
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
