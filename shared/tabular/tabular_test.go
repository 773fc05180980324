package tabular

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
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// table has a column of every type; amounts take their decimals from the currency
// column.
var table = Table{
	Name:  "Requests",
	Title: "Requests report, fiscal year 2027, currency any; exported 2026-11-30 14:05:09 UTC",
	Columns: []Column{
		{Name: "reference"}, {Name: "title"}, {Name: "fiscal_year", Type: Integer}, {Name: "date", Type: Date},
		{Name: "recorded_at", Type: DateTime}, {Name: "currency"}, {Name: "amount", Type: Amount, Currency: "currency"},
		{Name: "paid", Type: Amount, Currency: "currency"}, {Name: "utilisation_percent", Type: Decimal, Decimals: 1},
	},
}

var rows = [][]string{
	{"ST-AAAAA-00001", "Sponsor the toolchains track", "2027", "2026-11-20", "2026-11-20T14:05:09Z", "EUR", "5000.00", "2500.00", "50.0"},
	{"ST-AAAAA-00002", `=HYPERLINK("https://evil.example","click")`, "2027", "2027-01-31", "2027-01-31T23:59:59.7+01:00", "USD", "-20.00", "", ""},
	{"ST-AAAAA-00003", "+1 555 0100, \"quoted\"\nsecond line", "2027", "", "", "JPY", "120000", "0", "0.0"},
	{"ST-AAAAA-00004", "@SUM(A1:A2)", "twenty", "31/01/2027", "yesterday", "EUR", "not a number", "1.5", "12.5"},
	{"ST-AAAAA-00005", "\tTabbed", "2027", "2027-02-29", "", "KWD", "1.234", "-0.001", ""},
	{"ST-AAAAA-00006", "x;=cmd|' /C calc'!A0;y", "2027", "", "", "CLF", "12.3456", "0.0001", ""},
	{"ST-AAAAA-00007", "Über café ünïcode — 日本語の題名", "-1", "1899-12-31", "", "EUR", "1234567.89", "0.00", "100.0"},
	{"ST-AAAAA-00008", "tab\tand semicolon; -1 and\r\n@home", "2027", "", "", "EUR", "1.00", "", ""},
}

func render(t testing.TB, format string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := New(format, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Header(table); err != nil {
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

// xlsxDump reads a workbook back as text: its sheets, defined names, frozen panes and
// column widths, then one line per cell with its raw value, type, number format and
// what a spreadsheet shows, so the golden file shows every structural choice.
func xlsxDump(t *testing.T, b []byte) []byte {
	t.Helper()
	f := openXLSX(t, b)
	var out bytes.Buffer
	fmt.Fprintf(&out, "sheets %q\n", f.GetSheetList())
	for _, d := range f.GetDefinedName() {
		fmt.Fprintf(&out, "defined name %s (%s) = %s\n", d.Name, d.Scope, d.RefersTo)
	}
	sheet := f.GetSheetList()[0]
	panes, _ := f.GetPanes(sheet)
	fmt.Fprintf(&out, "panes freeze=%v ySplit=%d topLeft=%s\n", panes.Freeze, panes.YSplit, panes.TopLeftCell)
	for i := range table.Columns {
		w, _ := f.GetColWidth(sheet, columnName(i))
		fmt.Fprintf(&out, "width %s %.2f\n", columnName(i), w)
	}
	rs, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		for j, v := range r {
			name, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if v == "" {
				continue
			}
			shown, _ := f.GetCellValue(sheet, name)
			fmt.Fprintf(&out, "%s %q type=%d format=%q shows %q\n", name, v, cellType(f, sheet, name), numberFormat(t, f, sheet, name), shown)
		}
	}
	return out.Bytes()
}

func openXLSX(t *testing.T, b []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

func cellType(f *excelize.File, sheet, cell string) excelize.CellType {
	typ, _ := f.GetCellType(sheet, cell)
	return typ
}

// numberFormat is the number format of a cell: the built-in one's id, or the code.
func numberFormat(t *testing.T, f *excelize.File, sheet, cell string) string {
	t.Helper()
	idx, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(idx)
	if err != nil {
		t.Fatal(err)
	}
	if st.CustomNumFmt != nil {
		return *st.CustomNumFmt
	}
	return strconv.Itoa(st.NumFmt)
}

func TestGoldenFiles(t *testing.T) {
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			got := render(t, format)
			if format == "xlsx" {
				got = xlsxDump(t, got)
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

// readCSV reads CSV with a separator: strictly with the comma it was written with, and
// as a spreadsheet of another locale would with a semicolon or tab (quotes honoured
// only at the start of a field, every line a record of its own length).
func readCSV(t *testing.T, b []byte, sep rune) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(b))
	r.Comma = sep
	if sep != ',' {
		r.LazyQuotes, r.FieldsPerRecord = true, -1
	}
	records, err := r.ReadAll()
	if err != nil {
		t.Fatalf("read with %q: %v", sep, err)
	}
	return records
}

// startsFormula reports whether a spreadsheet could take a cell read as field for a
// formula: once quotes and blanks that a reader may drop are gone, it starts with one
// of = + - @.
func startsFormula(field string) bool {
	f := strings.TrimLeft(field, "\" \t\r\n")
	return f != "" && strings.IndexByte("=+-@", f[0]) >= 0
}

func TestCSVIsSafeInEveryLocale(t *testing.T) {
	b := render(t, "csv")
	if !bytes.HasPrefix(b, []byte("reference,title,fiscal_year,date,recorded_at,currency,amount,paid,utilisation_percent\r\n")) ||
		!bytes.HasSuffix(b, []byte("\r\n")) {
		t.Errorf("want a header row and CRLF line ends")
	}
	// Read as written, with commas: every row has every column, numbers are bare.
	records := readCSV(t, b, ',')
	if len(records) != len(rows)+1 {
		t.Fatalf("%d records, want %d", len(records), len(rows)+1)
	}
	for i, rec := range records[1:] {
		for j, col := range table.Columns {
			if _, ok := typeValue(col, rows[i][j], ""); !ok && (startsFormula(rec[j]) || strings.ContainsAny(rec[j][:min(1, len(rec[j]))], dangerous)) {
				t.Errorf("row %d %s = %q starts a formula", i+1, col.Name, rec[j])
			}
		}
	}
	for _, want := range []string{"\r\nST-AAAAA-00001,Sponsor the toolchains track,2027,2026-11-20,2026-11-20T14:05:09Z,EUR,5000.00,2500.00,50.0\r\n",
		`ST-AAAAA-00002,"'=HYPERLINK(""https://evil.example"",""click"")",2027,2027-01-31,`, `,USD,-20.00,,`,
		"\r\nST-AAAAA-00006,\"x;'=cmd|' /C calc'!A0;y\",2027,,,CLF,12.3456,0.0001,\r\n",
		"ST-AAAAA-00008,\"tab\tand semicolon; '-1 and\r\n'@home\",2027"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("the CSV lacks %q", want)
		}
	}
	// Read as a spreadsheet where the list separator is a semicolon or a tab: the
	// quotes around a field that does not start a line are text there, and the text is
	// split wherever it holds the separator; no piece starts a formula.
	for _, sep := range []rune{';', '\t'} {
		pieces := 0
		for _, rec := range readCSV(t, b, sep) {
			for _, field := range rec {
				pieces++
				if startsFormula(field) {
					t.Errorf("read with %q: field %q starts a formula", sep, field)
				}
			}
		}
		if pieces <= len(rows)+1 {
			t.Errorf("read with %q: %d fields; the sample's separators should have split some lines", sep, pieces)
		}
	}
}

func TestJSONIsAnArrayOfObjects(t *testing.T) {
	var got []map[string]string
	if err := json.Unmarshal(render(t, "json"), &got); err != nil {
		t.Fatal(err)
	}
	// JSON is for programs, not spreadsheets: values arrive exactly as they are.
	if len(got) != len(rows) || got[0]["amount"] != "5000.00" || got[0]["fiscal_year"] != "2027" ||
		got[1]["title"] != `=HYPERLINK("https://evil.example","click")` || got[1]["recorded_at"] != "2027-01-31T23:59:59.7+01:00" {
		t.Errorf("json rows: %v", got)
	}
	var empty bytes.Buffer
	w, _ := New("json", &empty)
	_ = w.Header(table)
	_ = w.Close()
	if err := json.Unmarshal(empty.Bytes(), &got); err != nil || len(got) != 0 {
		t.Errorf("an empty report is not an empty array: %q", empty.String())
	}
}

// TestXLSXAsFinanceSeesIt opens the workbook as a spreadsheet does and checks what
// finance sees: one sheet named after the report, the title row, a header that stays in
// view with an autofilter, columns at least as wide as their header, years as plain
// integers, dates and times as date cells, amounts as numbers with their currency's
// decimals, and formula-looking text as plain text without an apostrophe.
func TestXLSXAsFinanceSeesIt(t *testing.T) {
	b := render(t, "xlsx")
	f := openXLSX(t, b)
	const sheet = "Requests"
	if got := f.GetSheetList(); len(got) != 1 || got[0] != sheet {
		t.Fatalf("sheets %q, want [%s]", got, sheet)
	}
	if v, _ := f.GetCellValue(sheet, "A1"); v != table.Title {
		t.Errorf("title A1 = %q", v)
	}
	panes, err := f.GetPanes(sheet)
	if err != nil || !panes.Freeze || panes.YSplit != 2 || panes.TopLeftCell != "A3" {
		t.Errorf("panes %+v (%v): want the title and header rows frozen", panes, err)
	}
	if got := autoFilter(t, b); got != "A2:I10" {
		t.Errorf("autofilter on %q, want the header row and every data row A2:I10", got)
	}
	filterName := false
	for _, d := range f.GetDefinedName() {
		filterName = filterName || (d.Name == "_xlnm._FilterDatabase" && d.RefersTo == "'Requests'!$A$2:$I$10")
	}
	if !filterName {
		t.Errorf("no filter database name over A2:I10: %+v", f.GetDefinedName())
	}
	for i, col := range table.Columns {
		name := columnName(i)
		if v, _ := f.GetCellValue(sheet, name+"2"); v != col.Name {
			t.Errorf("header %s2 = %q, want %q", name, v, col.Name)
		}
		if w, _ := f.GetColWidth(sheet, name); w < float64(len(col.Name)) {
			t.Errorf("column %s (%s) is %.1f wide, less than its header", name, col.Name, w)
		}
	}
	if w, _ := f.GetColWidth(sheet, "B"); w < float64(len("Sponsor the toolchains track")) {
		t.Errorf("title column %.1f wide: a title does not fit", w)
	}

	type want struct {
		cell, raw, format, shows string
	}
	for _, c := range []want{
		{"C3", "2027", "0_ ", "2027"},                                                // a fiscal year: an integer, no separator
		{"D3", "46346", "yyyy-mm-dd_ ", "2026-11-20"},                                // a date
		{"E3", "46346.586909722224", "yyyy-mm-dd hh:mm:ss_ ", "2026-11-20 14:05:09"}, // a time, in UTC
		{"E4", "46418.95832175926", "yyyy-mm-dd hh:mm:ss_ ", "2027-01-31 22:59:59"},  // +01:00 shown in UTC
		{"G3", "5000.00", "#,##0.00_ ", "5,000.00"},                                  // EUR: two decimals
		{"G4", "-20.00", "#,##0.00_ ", "-20.00"},                                     // USD
		{"G5", "120000", "#,##0_ ", "120,000"},                                       // JPY: none
		{"G7", "1.234", "#,##0.000_ ", "1.234"},                                      // KWD: three
		{"H7", "-0.001", "#,##0.000_ ", "-0.001"},                                    // KWD
		{"G8", "12.3456", "#,##0.0000_ ", "12.3456"},                                 // CLF: four
		{"G9", "1234567.89", "#,##0.00_ ", "1,234,567.89"},                           // thousands
		{"I3", "50.0", "#,##0.0_ ", "50.0"},                                          // a percentage with one decimal
	} {
		raw, _ := f.GetCellValue(sheet, c.cell, excelize.Options{RawCellValue: true})
		shows, _ := f.GetCellValue(sheet, c.cell)
		shows = strings.TrimSuffix(shows, " ") // the padding of "_ "
		typ := cellType(f, sheet, c.cell)
		if raw != c.raw || shows != c.shows || numberFormat(t, f, sheet, c.cell) != c.format ||
			(typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber) {
			t.Errorf("%s: %q (type %d) format %q shows %q, want the number %q format %q showing %q",
				c.cell, raw, typ, numberFormat(t, f, sheet, c.cell), shows, c.raw, c.format, c.shows)
		}
	}
	// What does not fit its column's type is text, as it was given.
	for cell, v := range map[string]string{"C6": "twenty", "D6": "31/01/2027", "E6": "yesterday", "G6": "not a number", "D7": "2027-02-29",
		"D9": "1899-12-31"} {
		if got, _ := f.GetCellValue(sheet, cell); got != v || cellType(f, sheet, cell) != excelize.CellTypeInlineString {
			t.Errorf("%s = %q (type %d), want the text %q", cell, got, cellType(f, sheet, cell), v)
		}
	}
	// Formula-looking text is a plain string: inline strings are never evaluated, so no
	// apostrophe goes in front; the quote-prefix style keeps it text when edited.
	for cell, v := range map[string]string{"B4": `=HYPERLINK("https://evil.example","click")`, "B5": "+1 555 0100, \"quoted\"\nsecond line",
		"B6": "@SUM(A1:A2)", "B7": "\tTabbed", "B8": "x;=cmd|' /C calc'!A0;y"} {
		got, _ := f.GetCellValue(sheet, cell)
		formula, _ := f.GetCellFormula(sheet, cell)
		if got != v || formula != "" || cellType(f, sheet, cell) != excelize.CellTypeInlineString {
			t.Errorf("%s = %q (type %d, formula %q), want the plain text %q", cell, got, cellType(f, sheet, cell), formula, v)
		}
	}
	if !bytes.Contains(sheetPart(t, b, "xl/styles.xml"), []byte(`quotePrefix="1"`)) {
		t.Error("no quote-prefix style for formula-looking text")
	}
}

// sheetPart returns a part of the workbook's archive.
func sheetPart(t *testing.T, b []byte, name string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("xlsx is not a zip archive: %v", err)
	}
	part, err := zr.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer part.Close()
	raw, err := io.ReadAll(part)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// autoFilter returns the range of the worksheet's autofilter.
func autoFilter(t *testing.T, b []byte) string {
	t.Helper()
	var ws struct {
		AutoFilter struct {
			Ref string `xml:"ref,attr"`
		} `xml:"autoFilter"`
	}
	if err := xml.Unmarshal(sheetPart(t, b, "xl/worksheets/sheet1.xml"), &ws); err != nil {
		t.Fatal(err)
	}
	return ws.AutoFilter.Ref
}

func TestEmptyXLSXStillOpens(t *testing.T) {
	var buf bytes.Buffer
	w, _ := New("xlsx", &buf)
	if err := errors.Join(w.Header(Table{Name: "Audit: [2027]?", Columns: table.Columns}), w.Close()); err != nil {
		t.Fatal(err)
	}
	f := openXLSX(t, buf.Bytes())
	if got := f.GetSheetList(); len(got) != 1 || got[0] != "Audit   2027" {
		t.Errorf("sheet name %q: characters a sheet name cannot hold become spaces", got)
	}
	if got := autoFilter(t, buf.Bytes()); got != "A2:I2" {
		t.Errorf("autofilter %q on an empty report, want the header A2:I2", got)
	}
}

func TestSafe(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+1": "'+1", "-1": "'-1", "@x": "'@x", "\tx": "'\tx", "\rx": "'\rx", "\nx": "'\nx",
		"": "", "ok": "ok", "a=1": "a=1", "'already": "'already", "a - b": "a - b", "Q1-Q2": "Q1-Q2",
		// Where another locale's separator or a line break could start a cell.
		"x;=cmd|' /C calc'!A0;y": "x;'=cmd|' /C calc'!A0;y", "a,+1": "a,'+1", "a\t@b": "a\t'@b", "a\r\n-1": "a\r\n'-1",
		`a; "=1"`: `a; "'=1"`, "a;\t=1": "a;\t'=1", " =1": " '=1", "line one\r\nline two": "line one\r\nline two",
	} {
		if got := Safe(in); got != want {
			t.Errorf("Safe(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTypes(t *testing.T) {
	for _, c := range []struct {
		typ  Type
		v    string
		want bool
	}{
		{Integer, "2027", true}, {Integer, "-1", true}, {Integer, "123456789012345", true},
		{Integer, "1234567890123456", false}, {Integer, "+1", false}, {Integer, "1.0", false}, {Integer, "", false}, {Integer, "-", false},
		{Amount, "1500.00", true}, {Amount, "-0.001", true}, {Amount, "12.3456", true}, {Amount, "120000", true},
		{Amount, "1.", false}, {Amount, ".5", false}, {Amount, "1.23456", false}, {Amount, "1e9", false}, {Amount, "1,5", false}, {Amount, "--1", false},
		{Date, "2027-01-31", true}, {Date, "1900-03-01", true}, {Date, "1900-02-28", false}, {Date, "2027-02-29", false},
		{Date, "2027-1-31", false}, {Date, "31/01/2027", false}, {Date, "2027-01-31T00:00:00Z", false},
		{DateTime, "2027-01-31T23:59:59Z", true}, {DateTime, "2027-01-31T23:59:59.123456789+14:00", true},
		{DateTime, "2027-01-31T23:59:59,5Z", false}, {DateTime, "2027-01-31T23:59:59.1234567890Z", false},
		{DateTime, "2027-01-31 23:59:59Z", false}, {DateTime, "2027-01-31T23:59:59", false}, {DateTime, "2027-01-31T24:00:00Z", false},
	} {
		if _, got := typeValue(Column{Type: c.typ, Currency: "currency"}, c.v, "EUR"); got != c.want {
			t.Errorf("type %d, %q: typed %v, want %v", c.typ, c.v, got, c.want)
		}
	}
}

// fuzzTable has a column of every type for FuzzCellWriter.
var fuzzTable = Table{Name: "Fuzz", Title: "Fuzz", Columns: []Column{
	{Name: "title"}, {Name: "year", Type: Integer}, {Name: "date", Type: Date}, {Name: "at", Type: DateTime},
	{Name: "currency"}, {Name: "amount", Type: Amount, Currency: "currency"}, {Name: "percent", Type: Decimal, Decimals: 1},
}}

// FuzzCellWriter writes arbitrary values into columns of every type in every format and
// reads each back as a program or a spreadsheet would: nothing may fail or panic; the
// CSV re-reads (encoding/csv) to the cells written, made safe, and read with a
// semicolon or a tab as the separator no field starts a formula; the JSON re-reads to
// the values as they are; the XLSX sheet is well-formed XML (encoding/xml) whose text
// cells hold the values as they are, without what XML cannot carry, and whose number
// cells hold only numbers of their column's type.
func FuzzCellWriter(f *testing.F) {
	f.Add("=cmd|' /C calc'!A0", "-1.50")
	f.Add("\x00\xff", "1e9")
	f.Add("+", "")
	f.Add("\x01=1+1", "\r\n-2")
	f.Add("\ufffd\uffff\U0001F600 \"quoted\", text", "123456789012345678.1234")
	f.Add("\xff@SUM(A1)", "-0")
	f.Add("x;=cmd|' /C calc'!A0;y", "2027-02-28")
	f.Add("a\t\"-1\"\r\n@b", "2026-11-20T14:05:09.123456789+14:00")
	f.Fuzz(func(t *testing.T, text, number string) {
		row := []string{text, number, number, number, text, number, number}
		out := map[string][]byte{}
		for _, format := range Formats {
			var buf bytes.Buffer
			w, err := New(format, &buf)
			if err != nil {
				t.Fatal(err)
			}
			if err := errors.Join(w.Header(fuzzTable), w.Row(row), w.Close()); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			out[format] = buf.Bytes()
		}
		checkCSVCells(t, out["csv"], row)
		checkJSONCells(t, out["json"], row)
		checkXLSXCells(t, out["xlsx"], row)
	})
}

// checkCSVCells re-reads the CSV. encoding/csv reads a line break inside a quoted field
// back as "\n"; nothing else changes.
func checkCSVCells(t *testing.T, b []byte, row []string) {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(b))
	recs, err := r.ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("csv does not re-read as a header and a row (%v): %q", err, b)
	}
	for i, col := range fuzzTable.Columns {
		got := recs[1][i]
		if _, ok := typeValue(col, row[i], ""); ok {
			if got != row[i] {
				t.Fatalf("csv %s = %q, want the %v %q", col.Name, got, col.Type, row[i])
			}
			continue
		}
		if want := strings.ReplaceAll(Safe(row[i]), "\r\n", "\n"); got != want {
			t.Fatalf("csv %s = %q, want %q", col.Name, got, want)
		}
		if startsFormula(got) || (got != "" && strings.IndexByte(dangerous, got[0]) >= 0) {
			t.Fatalf("csv: text cell %q starts a formula", got)
		}
	}
	for _, sep := range []rune{';', '\t'} {
		for _, rec := range readCSV(t, b, sep) {
			for _, field := range rec {
				if startsFormula(field) {
					t.Fatalf("csv read with %q: field %q starts a formula\n%q", sep, field, b)
				}
			}
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
	for i, col := range fuzzTable.Columns {
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
			S    string `xml:"s,attr"`
			T    string `xml:"t,attr"`
			V    string `xml:"v"`
			Text string `xml:"is>t"`
		} `xml:"c"`
	} `xml:"sheetData>row"`
}

// checkXLSXCells reads the worksheet of the workbook as XML, strictly, and compares
// its data row with what the row should hold.
func checkXLSXCells(t *testing.T, b []byte, row []string) {
	t.Helper()
	raw := sheetPart(t, b, "xl/worksheets/sheet1.xml")
	for d := xml.NewDecoder(bytes.NewReader(raw)); ; {
		if _, err := d.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("sheet is not well-formed XML: %v\n%s", err, raw)
		}
	}
	var s sheetXML
	if err := xml.Unmarshal(raw, &s); err != nil || len(s.Rows) != 3 || s.Rows[2].R != "3" {
		t.Fatalf("sheet rows (%v): %s", err, raw)
	}
	var want []string
	for i, col := range fuzzTable.Columns {
		if v, ok := typeValue(col, row[i], row[4]); ok {
			want = append(want, fmt.Sprintf("%s3 number %s", columnName(i), v.number))
			continue
		}
		if text := cutCell(xmlChars(row[i])); text != "" {
			want = append(want, fmt.Sprintf("%s3 text %q quoted=%v", columnName(i), text, strings.IndexByte(dangerous, text[0]) >= 0))
		}
	}
	var got []string
	for _, c := range s.Rows[2].Cells {
		switch {
		case c.T == "inlineStr" && c.V == "":
			got = append(got, fmt.Sprintf("%s text %q quoted=%v", c.R, c.Text, c.S == strconv.Itoa(styleQuoted)))
		case c.T == "" && c.Text == "":
			if _, err := strconv.ParseFloat(c.V, 64); err != nil {
				t.Fatalf("cell %s holds %q, not a number", c.R, c.V)
			}
			got = append(got, fmt.Sprintf("%s number %s", c.R, c.V))
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
	row := []string{"ST-AAAAA-00001", "Sponsor the toolchains track at a conference", "2027", "2026-11-20", "2026-11-20T14:05:09Z",
		"EUR", "5000.00", "2500.00", "50.0"}
	write := func(format string, n int, sample func()) {
		w, _ := New(format, io.Discard)
		_ = w.Header(table)
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
