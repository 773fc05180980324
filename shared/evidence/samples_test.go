package evidence

import (
	"archive/zip"
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
)

// Real, minimal files of each accepted type and of the types they are confused with,
// made here so that a reader sees what each one is.

// samplePDF is a one-page PDF with a text line: header, objects, a cross-reference
// table with the objects' true offsets, trailer and end-of-file marker (pdfinfo and
// pdftoppm open it).
func samplePDF() []byte {
	content := "BT /F1 24 Tf 72 720 Td (Invoice 2026-0042) Tj ET"
	objects := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n") // the comment of high bytes marks the file binary
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	return b.Bytes()
}

// picture is a small gradient, so that the encoders have something to encode.
func picture() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 16, 12))
	for y := 0; y < 12; y++ {
		for x := 0; x < 16; x++ {
			img.Set(x, y, color.RGBA{uint8(16 * x), uint8(20 * y), 128, 255})
		}
	}
	return img
}

func samplePNG(t testing.TB) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, picture()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func sampleJPEG(t testing.TB) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, picture(), &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The standard library encodes no WebP, so these two are written out: 1×1 pixel images
// in WebP's lossless (VP8L) and lossy (VP8) formats, which golang.org/x/image/webp
// decodes (checked when they were added). Each RIFF size is the file's length less 8.
var (
	sampleWebPLossless = []byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00")
	sampleWebPLossy    = []byte("RIFF\x22\x00\x00\x00WEBPVP8 \x16\x00\x00\x00\x30\x01\x00\x9d\x01\x2a\x01\x00\x01\x00\x0e\xc0\xfe\x25\xa4\x00\x03\x70\x00\x00\x00\x00")
)

const sampleCSV = "date,description,amount,currency\r\n2026-03-01,Flight BER-LIS,412.50,EUR\r\n2026-03-02,Hotel (3 nights),389.00,EUR\r\n2026-03-04,\"Taxi, airport\",35.20,EUR\r\n"

const sampleText = "Trip report — PyCon Lisboa 2026\n\nI gave the talk “Packaging in 2026” on Friday; slides and video are linked below.\nCafé, naïve, 東京, emoji 🎉 all in UTF-8.\r\n\tIndented line.\n"

// entry is one file of a ZIP built by zipOf.
type entry struct {
	name   string
	body   string
	stored bool
}

// zipOf writes a ZIP of the entries, in order, deflated unless stored.
func zipOf(t testing.TB, entries ...entry) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, e := range entries {
		method := zip.Deflate
		if e.stored {
			method = zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// contentTypes is an OOXML [Content_Types].xml with the given overrides (part name,
// content type) after the defaults every package has.
func contentTypes(overrides ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n")
	b.WriteString(`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`)
	b.WriteString(`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>`)
	b.WriteString(`<Default Extension="xml" ContentType="application/xml"/>`)
	for i := 0; i+1 < len(overrides); i += 2 {
		fmt.Fprintf(&b, `<Override PartName="%s" ContentType="%s"/>`, overrides[i], overrides[i+1])
	}
	b.WriteString(`</Types>`)
	return b.String()
}

const (
	rootRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`
	workbook = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Costs" sheetId="1" r:id="rId1"/></sheets></workbook>`
	workbookRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`
	sheet = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Flight</t></is></c><c r="B1"><v>412.5</v></c></row></sheetData></worksheet>`
	sheetMain = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
	sheetPart = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
)

// xlsxEntries are the parts of a minimal workbook whose main part has the given
// content type, then any extra entries.
func xlsxEntries(main string, extra ...entry) []entry {
	return append([]entry{
		{name: "[Content_Types].xml", body: contentTypes("/xl/workbook.xml", main, "/xl/worksheets/sheet1.xml", sheetPart)},
		{name: "_rels/.rels", body: rootRels},
		{name: "xl/workbook.xml", body: workbook},
		{name: "xl/_rels/workbook.xml.rels", body: workbookRels},
		{name: "xl/worksheets/sheet1.xml", body: sheet},
	}, extra...)
}

func sampleXLSX(t testing.TB) []byte { return zipOf(t, xlsxEntries(sheetMain)...) }

// sampleXLSM is a macro-enabled workbook: its main part says so, and it carries a VBA
// project.
func sampleXLSM(t testing.TB) []byte {
	es := xlsxEntries("application/vnd.ms-excel.sheet.macroEnabled.main+xml",
		entry{name: "xl/vbaProject.bin", body: "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 VBA project"})
	es[0].body = contentTypes("/xl/workbook.xml", "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
		"/xl/worksheets/sheet1.xml", sheetPart, "/xl/vbaProject.bin", "application/vnd.ms-office.vbaProject")
	return zipOf(t, es...)
}

// sampleDOCX is a Word document: an OOXML package like a workbook, with word/ parts.
func sampleDOCX(t testing.TB) []byte {
	return zipOf(t,
		entry{name: "[Content_Types].xml", body: contentTypes("/word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml")},
		entry{name: "_rels/.rels", body: strings.ReplaceAll(rootRels, "xl/workbook.xml", "word/document.xml")},
		entry{name: "word/document.xml", body: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Invoice</w:t></w:r></w:p></w:body></w:document>`},
	)
}

// odfEntries are the parts of a minimal OpenDocument file of the given type: the
// stored mimetype entry first, then the manifest and content, then any extra entries.
func odfEntries(kind, body string, extra ...entry) []entry {
	return append([]entry{
		{name: "mimetype", body: kind, stored: true},
		{name: "META-INF/manifest.xml", body: `<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">
 <manifest:file-entry manifest:full-path="/" manifest:version="1.3" manifest:media-type="` + kind + `"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>`},
		{name: "content.xml", body: `<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3"><office:body>` + body + `</office:body></office:document-content>`},
	}, extra...)
}

const odsBody = `<office:spreadsheet><table:table table:name="Costs"><table:table-row><table:table-cell office:value-type="string"><text:p>Flight</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="412.5"><text:p>412.5</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet>`

func sampleODS(t testing.TB) []byte { return zipOf(t, odfEntries(ODS, odsBody)...) }
