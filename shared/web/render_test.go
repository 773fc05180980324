package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"html/template"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/evidence"
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

type pageView struct {
	Title, Script, Submit string
	Attach                bool // the form offers files to send with the request
	Publish               bool // the form asks what may be published
}

// fileFieldView is a file chooser. The types and the size it accepts come from package
// evidence, which the API and the content check hold uploads to: the page reads them
// from the input's attributes, so it checks a file with the server's own list.
type fileFieldView struct {
	ID, Label, Hint, Accept, Types string
	MaxBytes                       int64
	Multiple                       bool
}

// fileField describes a file chooser for evidence: accept lists each type's extensions
// and media type (what the browser's dialog offers), data-types the types with their
// names and extensions (what the page checks a file against), data-max-bytes the size.
func fileField(id, label string, multiple bool) (fileFieldView, error) {
	type pageType struct {
		Type       string   `json:"type"`
		Name       string   `json:"name"`
		Extensions []string `json:"extensions"`
	}
	var accept, names []string
	var types []pageType
	for _, t := range evidence.Types() {
		accept = append(append(accept, t.Extensions...), t.MIME)
		names = append(names, t.Name)
		types = append(types, pageType{Type: t.MIME, Name: t.Name, Extensions: t.Extensions})
	}
	b, err := json.Marshal(types)
	if err != nil {
		return fileFieldView{}, err
	}
	list := strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
	each := ""
	if multiple {
		each = " each"
	}
	return fileFieldView{ID: id, Label: label, Accept: strings.Join(accept, ","), Types: string(b), MaxBytes: evidence.MaxSize,
		Multiple: multiple, Hint: fmt.Sprintf("A %s, of at most %d MB%s.", list, evidence.MaxSize>>20, each)}, nil
}

// renderPages renders each page from the layout, the shared form and its own template.
func renderPages(t *testing.T) map[string][]byte {
	t.Helper()
	funcs := template.FuncMap{
		"field": func(path, label, typ, hint string) fieldView {
			return fieldView{ID: "f-" + strings.ReplaceAll(path, ".", "-"), Path: path, Label: label, Type: typ, Hint: hint}
		},
		"currencies": func() []string { return currencies },
		"licences":   func() []string { return sponsorship.Licences },
		"fileField":  fileField,
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
		"index":   {Title: "Ask for funding", Script: "index.js", Submit: "Send the request", Attach: true, Publish: true},
		"status":  {Title: "Your request", Script: "status.js", Submit: "Resubmit the request"},
		"confirm": {Title: "Confirm your e-mail address", Script: "confirm.js"},
	} {
		tmpl, err := template.New("layout").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/form.html",
			"templates/upload.html", "templates/"+name+".html")
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

// TestFileChoosersCheckWhatTheAPIAccepts: each page's file chooser carries the types
// and the size the API holds an upload to, which the page checks a file against before
// anything is sent.
func TestFileChoosersCheckWhatTheAPIAccepts(t *testing.T) {
	input := regexp.MustCompile(`<input id="([a-z-]+)" type="file"[^>]* data-types="([^"]*)" data-max-bytes="([0-9]+)"`)
	for _, name := range []string{"index", "status"} {
		page, err := Page(name)
		if err != nil {
			t.Fatal(err)
		}
		m := input.FindSubmatch(page)
		if m == nil {
			t.Fatalf("pages/%s.html has no file chooser with its types and size", name)
		}
		var types []struct{ Type string }
		if err := json.Unmarshal([]byte(html.UnescapeString(string(m[2]))), &types); err != nil {
			t.Fatalf("%s: data-types: %v", name, err)
		}
		var got []string
		for _, x := range types {
			got = append(got, x.Type)
		}
		if !slices.Equal(got, sponsorship.AttachmentTypes) || string(m[3]) != strconv.Itoa(sponsorship.MaxAttachmentBytes) {
			t.Errorf("%s: the chooser takes %v up to %s bytes; the API %v up to %d", name, got, m[3], sponsorship.AttachmentTypes, sponsorship.MaxAttachmentBytes)
		}
	}
}
