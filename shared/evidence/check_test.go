package evidence

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/gabriel-vasile/mimetype"
	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/tabular"
)

// checkCase is a file, the type it is declared as, and what Check must say.
type checkCase struct {
	name     string
	data     []byte
	declared string
	// want is the accepted type, or "" for a refusal whose reason holds every one of
	// reason.
	want   string
	reason []string
}

func acceptedCases(t testing.TB) []checkCase {
	late := append([]entry{
		{name: "[Content_Types].xml", body: contentTypes("/xl/workbook.xml", sheetMain, "/xl/worksheets/sheet1.xml", sheetPart)},
		// Stored and long, so that the workbook's entries start past what mimetype reads.
		{name: "docProps/custom.xml", body: strings.Repeat("<!-- padding -->\n", 400), stored: true},
	}, xlsxEntries(sheetMain)[1:]...)
	return []checkCase{
		{name: "pdf", data: samplePDF(), declared: PDF, want: PDF},
		{name: "pdf declared by an alias", data: samplePDF(), declared: "application/x-pdf", want: PDF},
		{name: "png", data: samplePNG(t), declared: PNG, want: PNG},
		{name: "jpeg", data: sampleJPEG(t), declared: JPEG, want: JPEG},
		{name: "jpeg declared image/jpg", data: sampleJPEG(t), declared: "image/jpg", want: JPEG},
		{name: "jpeg declared in capitals with a parameter", data: sampleJPEG(t), declared: "Image/JPEG; q=0.9", want: JPEG},
		{name: "webp lossless", data: sampleWebPLossless, declared: WebP, want: WebP},
		{name: "webp lossy", data: sampleWebPLossy, declared: WebP, want: WebP},
		{name: "csv", data: []byte(sampleCSV), declared: CSV, want: CSV},
		{name: "csv with charset", data: []byte(sampleCSV), declared: "text/csv; charset=utf-8", want: CSV},
		{name: "csv with a UTF-8 byte order mark", data: []byte("\ufeff" + sampleCSV), declared: CSV, want: CSV},
		{name: "csv declared as plain text", data: []byte(sampleCSV), declared: Text, want: Text},
		{name: "text", data: []byte(sampleText), declared: Text, want: Text},
		{name: "text declared as csv", data: []byte(sampleText), declared: CSV, want: CSV},
		{name: "text that mentions the PDF marker", data: []byte("Notes: the file began with %PDF-1.7 but was cut.\n"), declared: Text, want: Text},
		{name: "xlsx", data: sampleXLSX(t), declared: XLSX, want: XLSX},
		{name: "xlsx whose workbook entries come late", data: zipOf(t, late...), declared: XLSX, want: XLSX},
		{name: "xlsx larger than a spool chunk", data: zipOf(t, xlsxEntries(sheetMain, entry{name: "xl/media/image1.png", body: string(noise(600 << 10)), stored: true})...), declared: XLSX, want: XLSX},
		{name: "xlsx written by shared/tabular", data: tabularXLSX(t), declared: XLSX, want: XLSX},
		{name: "xlsx written by excelize", data: excelizeXLSX(t), declared: XLSX, want: XLSX},
		{name: "ods", data: sampleODS(t), declared: ODS, want: ODS},
		{name: "ods declared by an alias", data: sampleODS(t), declared: "application/x-vnd.oasis.opendocument.spreadsheet", want: ODS},
	}
}

func refusedCases(t testing.TB) []checkCase {
	elf := testBinaryHead(t)
	elfWithMarker := bytes.Clone(elf)
	copy(elfWithMarker[512:], "%PDF-1.7")
	pe := make([]byte, 1024)
	copy(pe, "MZ\x90\x00")
	copy(pe[0x3c:], "\x80\x00\x00\x00")
	copy(pe[0x80:], "PE\x00\x00\x64\x86")
	peWithMarker := bytes.Clone(pe)
	copy(peWithMarker[0x200:], "%PDF-1.4")

	withZip := func(b []byte) []byte {
		return append(bytes.Clone(b), zipOf(t, entry{name: "run.bat", body: "calc.exe"})...)
	}
	pdfNoEnd := samplePDF()
	pdfNoEnd = pdfNoEnd[:bytes.LastIndex(pdfNoEnd, []byte("%%EOF"))]
	xlsx := sampleXLSX(t)
	long := func(prefix, bad string) []byte { return []byte(strings.Repeat(prefix, 1000) + bad + "more\n") }

	return []checkCase{
		{name: "empty", data: nil, declared: PDF, reason: []string{"empty"}},
		{name: "one byte over the limit", data: bytes.Repeat([]byte("a"), MaxSize+1), declared: Text, reason: []string{"larger than 10 MB"}},
		{name: "undeclared type", data: samplePDF(), declared: "", reason: []string{"without a type", ".pdf", ".ods"}},
		{name: "type not accepted", data: []byte("<p>hi</p>"), declared: "text/html", reason: []string{"text/html are not accepted"}},
		{name: "octet-stream", data: samplePDF(), declared: "application/octet-stream", reason: []string{"application/octet-stream are not accepted"}},

		{name: "executable declared as pdf", data: elf, declared: PDF, reason: []string{"application/pdf", "application/x-", "not accepted"}},
		{name: "executable carrying the PDF marker", data: elfWithMarker, declared: PDF, reason: []string{"does not begin with a PDF header"}},
		{name: "windows program declared as pdf", data: pe, declared: PDF, reason: []string{"application/pdf", "application/vnd.microsoft.portable-executable (.exe)"}},
		{name: "windows program carrying the PDF marker", data: peWithMarker, declared: PDF, reason: []string{"does not begin with a PDF header"}},
		{name: "mac program declared as pdf", data: machO(), declared: PDF, reason: []string{"application/pdf", "application/x-mach-binary"}},
		{name: "gzip declared as csv", data: gzipped(t, sampleCSV), declared: CSV, reason: []string{"text/csv", "application/gzip (.gz)"}},
		{name: "html declared as text", data: []byte("<!DOCTYPE html>\n<html><body><script>alert(document.cookie)</script></body></html>\n"), declared: Text, reason: []string{"text/plain", "text/html"}},
		{name: "html after blank lines declared as csv", data: []byte("\n\n   <script>fetch('/x')</script>\n"), declared: CSV, reason: []string{"text/csv", "text/html (.html)"}},
		{name: "svg without its namespace declared as text", data: []byte("<svg onload=alert(1)>\n"), declared: Text, reason: []string{"text/plain", "HTML or XML markup"}},
		{name: "svg declared as png", data: []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>`), declared: PNG, reason: []string{"image/png", "image/svg+xml"}},
		{name: "xml declared as text", data: []byte(`<?xml version="1.0"?><invoice><total>1</total></invoice>`), declared: Text, reason: []string{"text/plain", "text/xml (.xml)"}},
		{name: "json declared as text", data: []byte(`{"total": 412.5, "currency": "EUR"}`), declared: Text, reason: []string{"application/json (.json)"}},
		{name: "shell script declared as text", data: []byte("#!/bin/sh\ncurl http://example.org | sh\n"), declared: Text, reason: []string{"text/x-shellscript"}},

		{name: "docx declared as xlsx", data: sampleDOCX(t), declared: XLSX, reason: []string{"Excel workbook", ".docx"}},
		{name: "xlsm declared as xlsx", data: sampleXLSM(t), declared: XLSX, reason: []string{"Excel workbook", ".xlsm", "not accepted"}},
		{name: "xlsx carrying a VBA project", data: zipOf(t, xlsxEntries(sheetMain, entry{name: "xl/vbaProject.bin", body: "VBA"})...), declared: XLSX, reason: []string{"macros"}},
		{name: "xlsx with an embedded object", data: zipOf(t, xlsxEntries(sheetMain, entry{name: "xl/embeddings/oleObject1.bin", body: "MZ"})...), declared: XLSX, reason: []string{"embedded objects"}},
		{name: "xlsx with two entries of one name", data: zipOf(t, append(xlsxEntries(sheetMain), entry{name: "xl/Workbook.xml", body: workbook})...), declared: XLSX, reason: []string{"damaged"}},
		{name: "xlsx cut short", data: xlsx[:len(xlsx)/2], declared: XLSX, reason: []string{"damaged"}},
		{name: "xlsx without its workbook", data: zipOf(t, xlsxEntries(sheetMain)[:2]...), declared: XLSX, reason: []string{"damaged"}},
		{name: "plain zip declared as xlsx", data: zipOf(t, entry{name: "invoice.pdf", body: "x"}), declared: XLSX, reason: []string{"application/zip (.zip)", "not accepted"}},
		{name: "java archive declared as xlsx", data: zipOf(t, entry{name: "META-INF/MANIFEST.MF", body: "Main-Class: Evil\n"}, entry{name: "Evil.class", body: "\xca\xfe\xba\xbe"}), declared: XLSX, reason: []string{"application/java-archive (.jar)", "not accepted"}},
		{name: "workbook parts without their content types", data: zipOf(t, xlsxEntries(sheetMain)[1:]...), declared: XLSX, reason: []string{"damaged"}},
		{name: "plain zip declared as pdf", data: zipOf(t, entry{name: "invoice.pdf", body: "x"}), declared: PDF, reason: []string{"application/pdf", "application/zip"}},
		{name: "xlsx declared as ods", data: sampleXLSX(t), declared: ODS, reason: []string{"OpenDocument spreadsheet", "Excel workbook"}},
		{name: "ods declared as xlsx", data: sampleODS(t), declared: XLSX, reason: []string{"Excel workbook", "OpenDocument spreadsheet"}},
		{name: "odt declared as ods", data: zipOf(t, odfEntries("application/vnd.oasis.opendocument.text", "<office:text/>")...), declared: ODS, reason: []string{"application/vnd.oasis.opendocument.text (.odt)"}},
		{name: "ods with Basic macros", data: zipOf(t, odfEntries(ODS, odsBody, entry{name: "Basic/Standard/Module1.xml", body: "<script/>"})...), declared: ODS, reason: []string{"macros"}},
		{name: "ods without content", data: zipOf(t, odfEntries(ODS, odsBody)[:2]...), declared: ODS, reason: []string{"damaged"}},
		{name: "xlsx declared as pdf", data: sampleXLSX(t), declared: PDF, reason: []string{"application/pdf", "Excel workbook"}},

		{name: "text with a NUL byte", data: []byte("hello\x00world\n"), declared: Text, reason: []string{"control characters"}},
		{name: "text with a NUL byte past what mimetype reads", data: long("fine line\n", "\x00"), declared: Text, reason: []string{"control characters"}},
		{name: "text with an escape", data: []byte("red \x1b[31mtext\n"), declared: Text, reason: []string{"control characters"}},
		{name: "text with a C1 control", data: []byte("next\u0085line\n"), declared: CSV, reason: []string{"control characters"}},
		{name: "latin-1 text", data: []byte("Caf\xe9 cr\xe8me\n"), declared: Text, reason: []string{"not UTF-8"}},
		{name: "latin-1 past what mimetype reads", data: long("a,b,c\r\n", "caf\xe9"), declared: CSV, reason: []string{"not UTF-8"}},
		{name: "text cut inside a character", data: []byte("tokyo \xe6\x9d"), declared: Text, reason: []string{"not UTF-8"}},
		{name: "utf-16 text", data: []byte("\xff\xfeh\x00i\x00\n\x00"), declared: Text, reason: []string{"UTF-16"}},

		{name: "png declared as jpeg", data: samplePNG(t), declared: JPEG, reason: []string{"a JPEG image (image/jpeg)", "a PNG image (image/png)"}},
		{name: "csv declared as pdf", data: []byte(sampleCSV), declared: PDF, reason: []string{"application/pdf", "text/csv"}},
		{name: "pdf declared as text", data: samplePDF(), declared: Text, reason: []string{"text/plain", "application/pdf"}},
		{name: "pdf without its end-of-file marker", data: pdfNoEnd, declared: PDF, reason: []string{"end-of-file marker"}},
		{name: "pdf with a zip attached", data: withZip(samplePDF()), declared: PDF, reason: []string{"ZIP archive attached"}},
		{name: "jpeg with a zip attached", data: withZip(sampleJPEG(t)), declared: JPEG, reason: []string{"ZIP archive attached"}},
		{name: "png with a zip attached", data: withZip(samplePNG(t)), declared: PNG, reason: []string{"ZIP archive attached"}},
		{name: "png cut short", data: samplePNG(t)[:20], declared: PNG, reason: []string{"not a readable PNG image"}},
		{name: "jpeg header only", data: []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), declared: JPEG, reason: []string{"not a readable JPEG image"}},
		{name: "webp with data after it", data: append(bytes.Clone(sampleWebPLossless), "<html>"...), declared: WebP, reason: []string{"not a well-formed WebP"}},
	}
}

func TestCheckAccepts(t *testing.T) {
	for _, c := range acceptedCases(t) {
		t.Run(c.name, func(t *testing.T) { checkOne(t, c) })
	}
}

func TestCheckRefuses(t *testing.T) {
	for _, c := range refusedCases(t) {
		t.Run(c.name, func(t *testing.T) { checkOne(t, c) })
	}
}

// checkOne checks a case, read whole and read in small pieces (a byte at a time, and
// halves), which must come out the same: checks that follow the stream must not
// depend on where reads end.
func checkOne(t *testing.T, c checkCase) {
	t.Helper()
	v, err := Check(bytes.NewReader(c.data), c.declared)
	if err != nil {
		t.Fatal(err)
	}
	size := min(len(c.data), MaxSize+1)
	sum := sha256.Sum256(c.data[:size])
	want := Verdict{Accepted: c.want != "", Type: c.want, Size: int64(size), SHA256: hex.EncodeToString(sum[:]), Reason: v.Reason}
	if diff := cmp.Diff(want, v); diff != "" {
		t.Errorf("Check (-want +got):\n%s", diff)
	}
	if c.want == "" {
		for _, r := range c.reason {
			if !strings.Contains(v.Reason, r) {
				t.Errorf("reason %q does not say %q", v.Reason, r)
			}
		}
	} else if v.Reason != "" {
		t.Errorf("accepted with a reason: %q", v.Reason)
	}
	if len(c.data) > 1<<16 {
		return
	}
	for name, r := range map[string]io.Reader{
		"one byte at a time": iotest.OneByteReader(bytes.NewReader(c.data)),
		"halves":             iotest.HalfReader(bytes.NewReader(c.data)),
	} {
		got, err := Check(r, c.declared)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(v, got); diff != "" {
			t.Errorf("%s: (-whole +pieces):\n%s", name, diff)
		}
	}
}

// The looseness the checks make up for: what mimetype alone says of some of the files
// above.
func TestMimetypeAloneIsLoose(t *testing.T) {
	elfWithMarker := testBinaryHead(t)
	copy(elfWithMarker[512:], "%PDF-1.7")
	late := zipOf(t, append([]entry{
		{name: "[Content_Types].xml", body: contentTypes("/xl/workbook.xml", sheetMain)},
		{name: "docProps/custom.xml", body: strings.Repeat("<!-- padding -->\n", 400), stored: true},
	}, xlsxEntries(sheetMain)[1:]...)...)
	for _, c := range []struct {
		name string
		data []byte
		says string
	}{
		{"an executable carrying the PDF marker", elfWithMarker, PDF},
		{"a macro-enabled workbook", sampleXLSM(t), XLSX},
		{"a workbook whose entries come late", late, "application/zip"},
		{"text with a NUL byte past 4 KiB", []byte(strings.Repeat("fine line\n", 1000) + "\x00"), Text},
		{"Latin-1 text", []byte("Caf\xe9\n"), Text},
	} {
		if m := mimetype.Detect(c.data); !m.Is(c.says) {
			t.Errorf("mimetype says %s of %s; it said %s when the checks were written", m, c.name, c.says)
		}
	}
}

func TestCheckAcceptsExactlyMaxSize(t *testing.T) {
	line := "2026-03-01,Flight,412.50,EUR\n"
	data := []byte(strings.Repeat(line, MaxSize/len(line)+1)[:MaxSize-1] + "\n")
	checkOne(t, checkCase{name: "max", data: data, declared: CSV, want: CSV})
}

func TestCheckReportsReadErrors(t *testing.T) {
	boom := errors.New("connection reset")
	for name, r := range map[string]io.Reader{
		"at once":             iotest.ErrReader(boom),
		"inside an image":     io.MultiReader(bytes.NewReader(samplePNG(t)[:30]), iotest.ErrReader(boom)),
		"after the head":      io.MultiReader(bytes.NewReader(bytes.Repeat([]byte("text\n"), 2000)), iotest.ErrReader(boom)),
		"inside a jpeg image": io.MultiReader(bytes.NewReader(sampleJPEG(t)[:100]), iotest.ErrReader(boom)),
	} {
		declared := Text
		if strings.Contains(name, "image") {
			declared = PNG
		}
		if strings.Contains(name, "jpeg") {
			declared = JPEG
		}
		if _, err := Check(r, declared); !errors.Is(err, boom) {
			t.Errorf("%s: got %v, want the read error", name, err)
		}
	}
}

// Check reads no more than MaxSize+1 bytes, however long the file.
func TestCheckReadsNoMoreThanTheLimit(t *testing.T) {
	r := &countingReader{r: io.LimitReader(zeros{}, 3*MaxSize)}
	v, err := Check(r, PDF)
	if err != nil {
		t.Fatal(err)
	}
	if r.n != MaxSize+1 || v.Size != MaxSize+1 || v.Accepted {
		t.Errorf("read %d bytes, verdict %+v; want MaxSize+1 and a refusal", r.n, v)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestTypes(t *testing.T) {
	var names []string
	for _, typ := range Types() {
		names = append(names, typ.MIME)
		for _, ext := range typ.Extensions {
			if got, ok := TypeByExtension("Invoice 2026" + strings.ToUpper(ext)); !ok || got.MIME != typ.MIME {
				t.Errorf("TypeByExtension(%s) = %v, %v", ext, got, ok)
			}
		}
		if got, ok := ParseType(typ.MIME); !ok || got.MIME != typ.MIME {
			t.Errorf("ParseType(%s) = %v, %v", typ.MIME, got, ok)
		}
	}
	if diff := cmp.Diff([]string{PDF, PNG, JPEG, WebP, Text, CSV, XLSX, ODS}, names); diff != "" {
		t.Errorf("Types (-want +got):\n%s", diff)
	}
	for declared, want := range map[string]string{
		"image/jpg": JPEG, "image/pjpeg": JPEG, "IMAGE/PNG": PNG, "text/csv; charset=utf-8": CSV,
		"application/x-pdf": PDF, "text/comma-separated-values": CSV, "text/plain;charset=UTF-8": Text,
	} {
		if got, ok := ParseType(declared); !ok || got.MIME != want {
			t.Errorf("ParseType(%q) = %v, %v; want %s", declared, got, ok, want)
		}
	}
	for _, declared := range []string{"", "application/octet-stream", "application/vnd.ms-excel", "text/html", "image/svg+xml", "text/", "pdf"} {
		if got, ok := ParseType(declared); ok {
			t.Errorf("ParseType(%q) = %v, want none", declared, got)
		}
	}
	for _, name := range []string{"invoice.exe", "invoice.pdf.exe", "README", "archive.zip", ""} {
		if got, ok := TypeByExtension(name); ok {
			t.Errorf("TypeByExtension(%q) = %v, want none", name, got)
		}
	}
	// The package's list is its own.
	Types()[0].Extensions[0] = ".exe"
	if got, _ := ParseType(PDF); got.Extensions[0] != ".pdf" {
		t.Errorf("a caller changed the list: %v", got)
	}
}

// machO is the start of a 64-bit Mach-O executable for x86-64: magic, CPU type and
// subtype, file type MH_EXECUTE, then zeros.
func machO() []byte {
	b := make([]byte, 4096)
	copy(b, "\xcf\xfa\xed\xfe\x07\x00\x00\x01\x03\x00\x00\x00\x02\x00\x00\x00")
	return b
}

func gzipped(t testing.TB, s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// testBinaryHead returns the first 64 KiB of this test's own executable: a real ELF
// (or Mach-O, or PE) program.
func testBinaryHead(t testing.TB) []byte {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 64<<10)
	if _, err := io.ReadFull(f, b); err != nil {
		t.Fatal(err)
	}
	return b
}

// tabularXLSX is a report as finance exports it, written by the project's own writer.
func tabularXLSX(t testing.TB) []byte {
	var b bytes.Buffer
	w, err := tabular.New("xlsx", &b)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Header(tabular.Table{Name: "Payments", Title: "Payments 2026", Columns: []tabular.Column{{Name: "reference"}, {Name: "paid_on", Type: tabular.Date}}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Row([]string{"2026-0042", "2026-03-01"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// excelizeXLSX is a workbook as excelize, a library that writes what Excel writes,
// makes one.
func excelizeXLSX(t testing.TB) []byte {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetCellValue("Sheet1", "A1", "Hotel"); err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellValue("Sheet1", "B1", 389.0); err != nil {
		t.Fatal(err)
	}
	b, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The samples are what they claim: excelize opens the hand-made workbook and reads its
// cells.
func TestSampleWorkbookOpens(t *testing.T) {
	f, err := excelize.OpenReader(bytes.NewReader(sampleXLSX(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if v, err := f.GetCellValue("Costs", "A1"); err != nil || v != "Flight" {
		t.Errorf("A1 = %q, %v", v, err)
	}
}

func TestSpoolReadsAcrossChunks(t *testing.T) {
	data := noise(3*spoolChunk + 123)
	s := &spool{}
	for p := data; len(p) > 0; p = p[min(len(p), 5000):] {
		s.write(p[:min(len(p), 5000)])
	}
	for _, c := range []struct {
		off, n int
		eof    bool
	}{
		{0, 10, false}, {spoolChunk - 5, 10, false}, {spoolChunk, 2 * spoolChunk, false},
		{len(data) - 10, 10, false}, {len(data) - 10, 20, true}, {len(data), 1, true},
	} {
		p := make([]byte, c.n)
		n, err := s.ReadAt(p, int64(c.off))
		want := data[c.off:min(len(data), c.off+c.n)]
		if !bytes.Equal(p[:n], want) || (err == io.EOF) != c.eof {
			t.Errorf("ReadAt(%d bytes at %d) = %d, %v", c.n, c.off, n, err)
		}
	}
}
