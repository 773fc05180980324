package reports_test

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/reports"
)

// exporter keeps what it was given to publish.
type exporter struct {
	name, contentType string
	size              int64
	body              []byte
}

func (e *exporter) Publish(_ context.Context, name string, body io.Reader, size int64, contentType string) (string, time.Time, error) {
	e.name, e.size, e.contentType = name, size, contentType
	b, err := io.ReadAll(body)
	e.body = b
	return "https://reports.example/" + name, exported.Add(15 * time.Minute), err
}

// leftovers lists the files a delivery left in the temporary folder.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// A report that fits a response is handed over as its body, named for what it holds;
// a larger one is published and handed over as a link; either way, and when the report
// is refused, no temporary file is left behind.
func TestDeskHandsOverInlineOrByLink(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	ctx := context.Background()
	q := reports.Query{Report: "requests", Format: "csv", FiscalYear: 2027}

	small := reports.Desk{Builder: builder(sample(3)), InlineLimit: 1 << 20}
	d, err := small.Deliver(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(d.Body)
	if d.Name != "requests-FY2027.csv" || d.ContentType != "text/csv; charset=utf-8; header=present" || d.Rows != 3 || d.Link != "" ||
		int64(len(body)) != d.Bytes || !strings.Contains(string(body), "ST-AAAAA-00002") {
		t.Errorf("inline: %+v, %d bytes read", d, len(body))
	}
	if d.Body.Close() != nil || len(leftovers(t, dir)) != 0 {
		t.Errorf("closing the body left %v", leftovers(t, dir))
	}

	ex := &exporter{}
	large := reports.Desk{Builder: builder(sample(40)), Exporter: ex, InlineLimit: 200}
	d, err = large.Deliver(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if d.Body != nil || d.Link != "https://reports.example/requests-FY2027.csv" || !d.Expires.Equal(exported.Add(15*time.Minute)) ||
		ex.size != d.Bytes || int64(len(ex.body)) != d.Bytes || ex.contentType != d.ContentType || d.Rows != 40 {
		t.Errorf("by link: %+v, published %q %d bytes", d, ex.name, len(ex.body))
	}
	if n := leftovers(t, dir); len(n) != 0 {
		t.Errorf("publishing left %v", n)
	}

	if _, err := (reports.Desk{Builder: builder(sample(40)), InlineLimit: 200}).Deliver(ctx, q); err == nil {
		t.Error("a report too large to hand over, with no exporter, was delivered")
	}
	over := builder(sample(10))
	over.Ceilings = map[string]int{"requests": 5}
	var ceiling *reports.CeilingError
	if _, err := (reports.Desk{Builder: over}).Deliver(ctx, q); !errors.As(err, &ceiling) {
		t.Errorf("a report over its ceiling: %v", err)
	}
	if n := leftovers(t, dir); len(n) != 0 {
		t.Errorf("refusals left %v", n)
	}
}
