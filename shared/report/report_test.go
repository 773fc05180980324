package report

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var cols = []Column{{Name: "reference"}, {Name: "title"}, {Name: "currency"}, {Name: "amount", Numeric: true}, {Name: "paid", Numeric: true}}

var rows = [][]string{
	{"ST-AAAAA-00001", "Sponsor the toolchains track", "EUR", "5000.00", "2500.00"},
	{"ST-AAAAA-00002", `=HYPERLINK("https://evil.example","click")`, "USD", "-20.00", ""},
	{"ST-AAAAA-00003", "+1 555 0100, \"quoted\"\nsecond line", "JPY", "120000", "0"},
	{"ST-AAAAA-00004", "@SUM(A1:A2)", "EUR", "not a number", "1.5"},
	{"ST-AAAAA-00005", "\tTabbed", "KWD", "1.234", "-0.001"},
	{"ST-AAAAA-00006", "Über café ünïcode", "EUR", "0.00", "0.00"},
}

func render(t testing.TB, format string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := New(format, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Header(cols); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.Row(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// xlsxCells reads a workbook back as text: one line per row, cells tab-separated, each
// number marked with its type so the golden file shows it stayed numeric.
func xlsxCells(t *testing.T, b []byte) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rs, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for i, r := range rs {
		for j, v := range r {
			name, _ := excelize.CoordinatesToCellName(j+1, i+1)
			typ, _ := f.GetCellType(sheet, name)
			fmt.Fprintf(&out, "%q(%d)\t", v, typ)
		}
		out.WriteString("\n")
	}
	return out.Bytes()
}

func TestGoldenFiles(t *testing.T) {
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			got := render(t, format)
			if format == "xlsx" {
				got = xlsxCells(t, got)
			}
			path := filepath.Join("testdata", "golden."+format+".txt")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s differs from %s (-want +got):\n%s", format, path, diff)
			}
		})
	}
}

func TestCSVIsRFC4180AndInert(t *testing.T) {
	b := render(t, "csv")
	if !bytes.HasPrefix(b, []byte("reference,title,currency,amount,paid\r\n")) || !bytes.HasSuffix(b, []byte("\r\n")) ||
		bytes.Count(b, []byte("\n")) != bytes.Count(b, []byte("\r\n")) {
		t.Errorf("want a header row and CRLF line ends throughout")
	}
	records, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != len(rows)+1 || records[0][3] != "amount" {
		t.Fatalf("records %v", records)
	}
	for _, r := range records[1:] {
		if strings.ContainsAny(r[1][:1], dangerous) {
			t.Errorf("title %q starts with a formula character", r[1])
		}
	}
	if records[2][1] != `'=HYPERLINK("https://evil.example","click")` || records[2][3] != "-20.00" {
		t.Errorf("hostile row: %q", records[2])
	}
	if records[4][3] != "not a number" {
		t.Errorf("a bad number in a numeric column: %q", records[4][3])
	}
}

func TestJSONIsAnArrayOfObjects(t *testing.T) {
	var got []map[string]string
	if err := json.Unmarshal(render(t, "json"), &got); err != nil {
		t.Fatal(err)
	}
	// JSON is for programs, not spreadsheets: values arrive exactly as they are.
	if len(got) != len(rows) || got[0]["amount"] != "5000.00" || got[1]["title"] != `=HYPERLINK("https://evil.example","click")` {
		t.Errorf("json rows: %v", got)
	}
	var empty bytes.Buffer
	w, _ := New("json", &empty)
	_ = w.Header(cols)
	_ = w.Close()
	if strings.TrimSpace(empty.String()) != "[\n]" && strings.TrimSpace(empty.String()) != "[]" {
		if err := json.Unmarshal(empty.Bytes(), &got); err != nil || len(got) != 0 {
			t.Errorf("an empty report is not an empty array: %q", empty.String())
		}
	}
}

func TestXLSXKeepsNumbersNumericAndTextInert(t *testing.T) {
	f, err := excelize.OpenReader(bytes.NewReader(render(t, "xlsx")))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if v, _ := f.GetCellValue(sheet, "B3"); v != `'=HYPERLINK("https://evil.example","click")` {
		t.Errorf("B3 = %q", v)
	}
	if formula, _ := f.GetCellFormula(sheet, "B3"); formula != "" {
		t.Errorf("B3 holds a formula: %q", formula)
	}
	for _, c := range []string{"D2", "D3", "E2", "D6", "E6"} {
		if typ, _ := f.GetCellType(sheet, c); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
			t.Errorf("%s is %v, want a number", c, typ)
		}
	}
	if v, _ := f.GetCellValue(sheet, "D3", excelize.Options{RawCellValue: true}); v != "-20.00" {
		t.Errorf("D3 raw value %q, want -20.00", v)
	}
}

func TestSafe(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+1": "'+1", "-1": "'-1", "@x": "'@x", "\tx": "'\tx", "\rx": "'\rx", "\nx": "'\nx",
		"": "", "ok": "ok", "a=1": "a=1", "'already": "'already",
	} {
		if got := Safe(in); got != want {
			t.Errorf("Safe(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzCellWriter writes arbitrary values into text and numeric columns of every format
// and reads each back as a program or a spreadsheet would: nothing may fail or panic;
// the CSV re-reads (encoding/csv) to the cells written, made safe; the JSON re-reads to
// the values as they are; the XLSX sheet is well-formed XML (encoding/xml) whose text
// cells hold the values made safe, without what XML cannot carry, and whose number
// cells hold only decimals. No text cell of CSV or XLSX starts with a formula character.
func FuzzCellWriter(f *testing.F) {
	f.Add("=cmd|' /C calc'!A0", "-1.50")
	f.Add("\x00\xff", "1e9")
	f.Add("+", "")
	f.Add("\x01=1+1", "\r\n-2")
	f.Add("\ufffd\uffff\U0001F600 \"quoted\", text", "123456789012345678.1234")
	f.Add("\xff@SUM(A1)", "-0")
	f.Fuzz(func(t *testing.T, text, number string) {
		row := []string{text, number, "EUR", number, text}
		out := map[string][]byte{}
		for _, format := range Formats {
			var buf bytes.Buffer
			w, err := New(format, &buf)
			if err != nil {
				t.Fatal(err)
			}
			if err := errors.Join(w.Header(cols), w.Row(row), w.Close()); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			out[format] = buf.Bytes()
		}
		checkCSVCells(t, out["csv"], row)
		checkJSONCells(t, out["json"], row)
		checkXLSXCells(t, out["xlsx"], row)
	})
}

// safeCell is what a cell of col holds in CSV and XLSX: a decimal in a numeric column
// as it is, anything else made safe.
func safeCell(col Column, v string) string {
	if col.Numeric && decimal.MatchString(v) {
		return v
	}
	if v != "" && strings.ContainsRune(dangerous, rune(v[0])) {
		return "'" + v
	}
	return v
}

// checkText fails when a text cell would start a formula.
func checkText(t *testing.T, format, got string) {
	t.Helper()
	if got != "" && strings.ContainsRune(dangerous, rune(got[0])) {
		t.Fatalf("%s: text cell %q starts with a formula character", format, got)
	}
}

// checkCSVCells re-reads the CSV. encoding/csv, writing CRLF line ends, drops a lone
// carriage return in a field and reads a line break back as "\n"; nothing else changes.
func checkCSVCells(t *testing.T, b []byte, row []string) {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("csv does not re-read as a header and a row (%v): %q", err, b)
	}
	for i, col := range cols {
		want := strings.ReplaceAll(safeCell(col, row[i]), "\r", "")
		if got := recs[1][i]; got != want {
			t.Fatalf("csv %s cell = %q, want %q", col.Name, got, want)
		}
		if !col.Numeric || !decimal.MatchString(row[i]) {
			checkText(t, "csv", recs[1][i])
		}
	}
}

// checkJSONCells re-reads the JSON: values are as they were (invalid UTF-8 aside,
// which JSON cannot carry).
func checkJSONCells(t *testing.T, b []byte, row []string) {
	t.Helper()
	var got []map[string]string
	if err := json.Unmarshal(b, &got); err != nil || len(got) != 1 {
		t.Fatalf("json does not re-read as one object (%v): %q", err, b)
	}
	for i, col := range cols {
		if utf8.ValidString(row[i]) && got[0][col.Name] != row[i] {
			t.Fatalf("json %s = %q, want %q", col.Name, got[0][col.Name], row[i])
		}
	}
}

// xmlChars keeps what XML 1.0 can carry (its Char production), dropping invalid UTF-8.
func xmlChars(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		if r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD && size > 1) || r >= 0x10000 {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// sheetXML is the part of a worksheet the checks read.
type sheetXML struct {
	Rows []struct {
		R     string `xml:"r,attr"`
		Cells []struct {
			R    string `xml:"r,attr"`
			T    string `xml:"t,attr"`
			V    string `xml:"v"`
			Text string `xml:"is>t"`
		} `xml:"c"`
	} `xml:"sheetData>row"`
}

// checkXLSXCells reads the worksheet of the workbook as XML, strictly, and compares
// its second row with what the row should hold.
func checkXLSXCells(t *testing.T, b []byte, row []string) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("xlsx is not a zip archive: %v", err)
	}
	part, err := zr.Open("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(part)
	if err != nil {
		t.Fatal(err)
	}
	for d := xml.NewDecoder(bytes.NewReader(raw)); ; {
		if _, err := d.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("sheet is not well-formed XML: %v\n%s", err, raw)
		}
	}
	var s sheetXML
	if err := xml.Unmarshal(raw, &s); err != nil || len(s.Rows) != 2 || s.Rows[1].R != "2" {
		t.Fatalf("sheet rows (%v): %s", err, raw)
	}
	var want []string
	for i, col := range cols {
		text := xmlChars(row[i])
		if !col.Numeric || !decimal.MatchString(row[i]) {
			text = safeCell(Column{}, text)
			if runes := []rune(text); len(runes) > maxCellText {
				text = string(runes[:maxCellText])
			}
		}
		if text != "" {
			want = append(want, fmt.Sprintf("%s2 %q", columnName(i), text))
		}
	}
	var got []string
	for _, c := range s.Rows[1].Cells {
		switch {
		case c.T == "inlineStr" && c.V == "":
			checkText(t, "xlsx", c.Text)
			got = append(got, fmt.Sprintf("%s %q", c.R, c.Text))
		case c.T == "" && decimal.MatchString(c.V) && c.Text == "":
			got = append(got, fmt.Sprintf("%s %q", c.R, c.V))
		default:
			t.Fatalf("cell %+v is neither a text nor a number", c)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("xlsx row (-want +got):\n%s\n%s", diff, raw)
	}
}

// BenchmarkReport writes reports of 10 000 and 100 000 rows and reports rows per second
// and the peak live heap. The timed loop only writes; after it, one more report is
// written with the live heap sampled (after a collection) every 10 000 rows, so the
// sampling does not slow the rows/s figure. Memory must not grow with the row count.
func BenchmarkReport(b *testing.B) {
	row := []string{"ST-AAAAA-00001", "Sponsor the toolchains track at a conference", "EUR", "5000.00", "2500.00"}
	write := func(format string, n int, sample func()) {
		w, _ := New(format, io.Discard)
		_ = w.Header(cols)
		for i := range n {
			_ = w.Row(row)
			if sample != nil && i%10_000 == 0 {
				sample()
			}
		}
		_ = w.Close()
		if sample != nil {
			sample()
		}
	}
	for _, format := range Formats {
		for _, n := range []int{10_000, 100_000} {
			b.Run(fmt.Sprintf("format=%s/rows=%d", format, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					write(format, n, nil)
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
				runtime.GC()
				var peak uint64
				write(format, n, func() {
					runtime.GC()
					var ms runtime.MemStats
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapAlloc)
				})
				b.ReportMetric(float64(peak)/(1<<20), "peak-live-MB")
			})
		}
	}
}
