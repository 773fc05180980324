// Package evidence holds the two pure parts of a request's attachments: the content
// check that decides whether an uploaded file is what it claims to be and of a type the
// tracker accepts, and the ZIP archive in which finance downloads all the evidence of a
// request or of a fiscal year's payments.
//
// Uploads go straight from the browser to a private bucket, so nothing has looked at
// them when they arrive: Check reads an uploaded object once, hashes it, and looks at
// its content (never at its name) before anything serves it. WriteArchive later
// streams the checked files into one archive, proving on the way that each is still
// the file that was checked. Neither knows about S3: callers pass readers and writers.
package evidence

import (
	"mime"
	"strings"
)

// MaxSize is the largest evidence file accepted, in bytes (10 MiB): enough for a
// scanned invoice or a trip report with photos, small enough to check in one Lambda
// invocation. The presigned POST policy should pin the same ceiling
// (content-length-range 1 to MaxSize), so that S3 itself refuses larger uploads.
const MaxSize = 10 << 20

// The accepted types, by their canonical MIME types: what a presigned POST policy pins
// as the Content-Type and what a checked file is served as.
const (
	PDF  = "application/pdf"
	PNG  = "image/png"
	JPEG = "image/jpeg"
	WebP = "image/webp"
	Text = "text/plain"
	CSV  = "text/csv"
	XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	ODS  = "application/vnd.oasis.opendocument.spreadsheet"
)

// Type is one accepted type of evidence file.
type Type struct {
	// MIME is the canonical media type, one of the constants above.
	MIME string
	// Name says what the type is in words, for forms and messages ("PDF document").
	Name string
	// Extensions are the file name extensions of the type, lower case with their dot;
	// the first is the one to give a file of this type.
	Extensions []string
}

// types are the accepted types, in the order forms list them.
var types = []Type{
	{MIME: PDF, Name: "PDF document", Extensions: []string{".pdf"}},
	{MIME: PNG, Name: "PNG image", Extensions: []string{".png"}},
	{MIME: JPEG, Name: "JPEG image", Extensions: []string{".jpg", ".jpeg"}},
	{MIME: WebP, Name: "WebP image", Extensions: []string{".webp"}},
	{MIME: Text, Name: "plain text file", Extensions: []string{".txt"}},
	{MIME: CSV, Name: "CSV file", Extensions: []string{".csv"}},
	{MIME: XLSX, Name: "Excel workbook", Extensions: []string{".xlsx"}},
	{MIME: ODS, Name: "OpenDocument spreadsheet", Extensions: []string{".ods"}},
}

// aliases are other names browsers and tools give the accepted types.
var aliases = map[string]string{
	"image/jpg":                   JPEG,
	"image/pjpeg":                 JPEG,
	"application/x-pdf":           PDF,
	"text/x-csv":                  CSV,
	"application/csv":             CSV,
	"text/comma-separated-values": CSV,
	"application/x-vnd.oasis.opendocument.spreadsheet": ODS,
}

// Types returns the accepted types, in the order forms list them. The slice is the
// caller's own.
func Types() []Type {
	out := make([]Type, len(types))
	for i, t := range types {
		out[i] = t.clone()
	}
	return out
}

// clone returns t with an Extensions slice of its own, so that no caller can change
// the package's list.
func (t Type) clone() Type {
	t.Extensions = append([]string(nil), t.Extensions...)
	return t
}

// ParseType returns the accepted type a Content-Type names: parameters such as a
// charset are ignored, case does not matter, and the usual aliases (image/jpg,
// application/x-pdf, text/x-csv, ...) name their type. The API that issues a presigned
// POST policy pins the returned MIME, so the stored object's Content-Type is always
// canonical.
func ParseType(contentType string) (Type, bool) {
	media, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return Type{}, false
	}
	if canonical, ok := aliases[media]; ok {
		media = canonical
	}
	t, ok := lookup(media)
	return t.clone(), ok
}

// TypeByExtension returns the accepted type of a file name's extension (".pdf" or
// "invoice.PDF"), for a form that must announce a type before sending: browsers guess
// File.type from the system, and some say application/vnd.ms-excel for any .csv.
func TypeByExtension(name string) (Type, bool) {
	ext := name
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		ext = name[i:]
	}
	ext = strings.ToLower(ext)
	for _, t := range types {
		for _, e := range t.Extensions {
			if e == ext {
				return t.clone(), true
			}
		}
	}
	return Type{}, false
}

// lookup returns the accepted type of a canonical MIME type, sharing the package's
// Extensions: for use inside the package only.
func lookup(mimeType string) (Type, bool) {
	for _, t := range types {
		if t.MIME == mimeType {
			return t, true
		}
	}
	return Type{}, false
}

// isText reports whether a canonical type is one of the two text types, which differ
// by what the uploader says and not by anything content shows for certain: a CSV is
// plain text, and plain text may look like CSV.
func isText(mimeType string) bool { return mimeType == Text || mimeType == CSV }

// isSpreadsheet reports whether a canonical type is one of the two ZIP-based
// spreadsheet types.
func isSpreadsheet(mimeType string) bool { return mimeType == XLSX || mimeType == ODS }
