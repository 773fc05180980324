package reports

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/tabular"
)

// Exporter publishes a finished report too large for a response and returns a link
// that downloads it until expires.
type Exporter interface {
	Publish(ctx context.Context, name string, body io.Reader, size int64, contentType string) (url string, expires time.Time, err error)
}

// DefaultInlineLimit is the largest report handed over inline when a Desk sets none:
// API Gateway and Lambda cap responses at 6 MB, and binary bodies grow by a third in
// base64.
const DefaultInlineLimit = 4 << 20

// Desk delivers reports. It writes a report to a temporary file row by row, so memory
// stays flat in its size, then hands the file over inline when it fits a response and
// publishes it through the Exporter otherwise. Nothing is delivered before the report
// is complete: one that reaches its ceiling is refused whole (a *CeilingError).
type Desk struct {
	Builder     Builder
	Exporter    Exporter
	InlineLimit int64 // DefaultInlineLimit when zero
}

// Delivery is a finished report: a body to send inline, or a link to it.
type Delivery struct {
	Name        string // a file name for it: report, fiscal year or period, format
	ContentType string
	Rows        int
	Bytes       int64
	// Body is the report itself when it is handed over inline (Link is empty); closing
	// it removes its temporary file.
	Body io.ReadCloser
	// Link downloads the report until Expires, when it was too large to hand over.
	Link    string
	Expires time.Time
}

// Validate checks a query before any work, with every field error at once.
func (d Desk) Validate(q Query) error { return d.Builder.Validate(q) }

// Deliver writes the report q asks for and hands it over.
func (d Desk) Deliver(ctx context.Context, q Query) (*Delivery, error) {
	f, err := os.CreateTemp("", "report-*")
	if err != nil {
		return nil, fmt.Errorf("report file: %w", err)
	}
	body := &tempFile{File: f}
	handedOver := false // the caller closes an inline body; every other path removes the file here
	defer func() {
		if !handedOver {
			body.Close()
		}
	}()
	rw, err := tabular.New(q.Format, f)
	if err != nil {
		return nil, err
	}
	rows, err := d.Builder.Write(ctx, q, rw)
	if err != nil {
		return nil, fmt.Errorf("write %s report: %w", q.Report, err)
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	out := &Delivery{Name: FileName(q), ContentType: tabular.ContentType(q.Format), Rows: rows, Bytes: size}
	limit := d.InlineLimit
	if limit <= 0 {
		limit = DefaultInlineLimit
	}
	if size <= limit {
		out.Body, handedOver = body, true
		return out, nil
	}
	if d.Exporter == nil {
		return nil, errors.New("a report too large to hand over inline, and no exporter")
	}
	if out.Link, out.Expires, err = d.Exporter.Publish(ctx, out.Name, f, size, out.ContentType); err != nil {
		return nil, err
	}
	return out, nil
}

// FileName names a report's file after what it holds: report-FY2030.csv,
// payments-2030-01-01-2030-03-31.xlsx.
func FileName(q Query) string {
	name := q.Report
	if q.FiscalYear != 0 {
		name += fmt.Sprintf("-FY%d", q.FiscalYear)
	}
	if q.From != "" {
		name += "-" + q.From
	}
	if q.To != "" {
		name += "-" + q.To
	}
	return name + "." + q.Format
}

// tempFile is a report's temporary file; closing it removes it.
type tempFile struct{ *os.File }

func (t *tempFile) Close() error {
	err := t.File.Close()
	if rerr := os.Remove(t.Name()); rerr != nil && err == nil {
		err = rerr
	}
	return err
}
