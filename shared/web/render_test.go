package web

import (
	"bytes"
	"embed"
	"flag"
	"html/template"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

var update = flag.Bool("update", false, "render templates/ into pages/")

//go:embed templates/*.html
var templateFiles embed.FS

// currencies are offered in the form's list; the API accepts every circulating ISO 4217
// currency.
var currencies = []string{"EUR", "USD", "GBP", "CHF", "CAD", "AUD", "JPY", "CNY", "INR", "BRL", "SEK", "NOK", "DKK",
	"PLN", "CZK", "HUF", "KRW", "SGD", "NZD", "ZAR", "MXN"}

type fieldView struct{ ID, Path, Label, Type, Hint string }

type pageView struct{ Title, Script, Submit string }

// renderPages renders each page from the layout, the shared form and its own template.
func renderPages(t *testing.T) map[string][]byte {
	t.Helper()
	funcs := template.FuncMap{
		"field": func(path, label, typ, hint string) fieldView {
			return fieldView{ID: "f-" + strings.ReplaceAll(path, ".", "-"), Path: path, Label: label, Type: typ, Hint: hint}
		},
		"currencies": func() []string { return currencies },
		"licences":   func() []string { return sponsorship.Licences },
	}
	pages := map[string][]byte{}
	console, err := template.New("layout").ParseFS(templateFiles, "templates/console.html")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := console.ExecuteTemplate(&b, "layout", nil); err != nil {
		t.Fatal(err)
	}
	pages["console"] = b.Bytes()
	for name, v := range map[string]pageView{
		"index":   {Title: "Ask for funding", Script: "index.js", Submit: "Send the request"},
		"status":  {Title: "Your request", Script: "status.js", Submit: "Resubmit the request"},
		"confirm": {Title: "Confirm your e-mail address", Script: "confirm.js"},
	} {
		tmpl, err := template.New("layout").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/form.html", "templates/"+name+".html")
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := tmpl.ExecuteTemplate(&b, "layout", v); err != nil {
			t.Fatal(err)
		}
		pages[name] = b.Bytes()
	}
	return pages
}

// TestPagesAreRenderedFromTheirTemplates keeps pages/ true to templates/: edit a
// template, then run go test ./shared/web -update.
func TestPagesAreRenderedFromTheirTemplates(t *testing.T) {
	for name, want := range renderPages(t) {
		if *update {
			if err := os.WriteFile(filepath.Join("pages", name+".html"), want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := Page(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("pages/%s.html is not what templates/ render: run go test ./shared/web -update", name)
		}
	}
}

func TestUnknownPagesAreRefused(t *testing.T) {
	for _, name := range []string{"missing", "../web", "index.html", ""} {
		if _, err := Page(name); err == nil {
			t.Errorf("Page(%q) answered", name)
		}
	}
}
