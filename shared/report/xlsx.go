package report

import (
	"archive/zip"
	"bufio"
	"encoding/xml"
	"io"
	"strconv"
	"strings"
)

// xlsxWriter streams a one-sheet SpreadsheetML workbook: each row goes straight into
// the zip entry of the sheet, so memory stays flat whatever the row count. (excelize's
// stream writer, which the tests use to read the result, keeps up to 16 MB of sheet in
// memory before it spills to disk, so its memory grows with the report up to that.)
type xlsxWriter struct {
	zw   *zip.Writer
	w    *bufio.Writer
	cols []Column
	row  int
}

// The workbook's fixed parts. Style 1 is the bold header; style 2 formats numbers with
// two decimals and thousands separators (built-in format 4, "#,##0.00").
const (
	xlsxContentTypes = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>`
	xlsxRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`
	xlsxWorkbook = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="` + sheet + `" sheetId="1" r:id="rId1"/></sheets></workbook>`
	xlsxWorkbookRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`
	xlsxStyles = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/><xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>`
)

// sheet is the worksheet's name.
const sheet = "Report"

// maxCellText is the longest text a spreadsheet cell holds.
const maxCellText = 32767

func newXLSX(w io.Writer) (*xlsxWriter, error) {
	zw := zip.NewWriter(w)
	for _, part := range []struct{ name, body string }{
		{"[Content_Types].xml", xlsxContentTypes}, {"_rels/.rels", xlsxRels}, {"xl/workbook.xml", xlsxWorkbook},
		{"xl/_rels/workbook.xml.rels", xlsxWorkbookRels}, {"xl/styles.xml", xlsxStyles},
	} {
		f, err := zw.Create(part.name)
		if err != nil {
			return nil, err
		}
		if _, err := io.WriteString(f, part.body); err != nil {
			return nil, err
		}
	}
	f, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriter(f)
	_, err = bw.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	return &xlsxWriter{zw: zw, w: bw}, err
}

func (x *xlsxWriter) Header(cols []Column) error {
	x.cols = cols
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return x.write(names, true)
}

func (x *xlsxWriter) Row(values []string) error { return x.write(values, false) }

func (x *xlsxWriter) write(values []string, header bool) error {
	x.row++
	r := strconv.Itoa(x.row)
	_, _ = x.w.WriteString(`<row r="` + r + `">`)
	for i, col := range x.cols {
		if i >= len(values) {
			break
		}
		ref := columnName(i) + r
		if v, numeric := cell(col, values[i]); numeric && !header {
			_, _ = x.w.WriteString(`<c r="` + ref + `" s="2"><v>` + v + `</v></c>`)
			continue
		}
		// What XML cannot hold goes before the text is made safe, so that the cell
		// starts with what Safe saw.
		text, start := xmlText(values[i]), `<c r="`+ref+`" s="1" t="inlineStr"><is><t>`
		if !header {
			text, start = Safe(text), `<c r="`+ref+`" t="inlineStr"><is><t xml:space="preserve">`
		}
		if text == "" {
			continue
		}
		_, _ = x.w.WriteString(start)
		_ = xml.EscapeText(x.w, []byte(cutCell(text)))
		_, _ = x.w.WriteString(`</t></is></c>`)
	}
	_, err := x.w.WriteString(`</row>`)
	return err
}

func (x *xlsxWriter) Close() error {
	if _, err := x.w.WriteString(`</sheetData></worksheet>`); err != nil {
		return err
	}
	if err := x.w.Flush(); err != nil {
		return err
	}
	return x.zw.Close()
}

// columnName turns a 0-based index into a column letter: 0 → A, 26 → AA.
func columnName(i int) string {
	name := ""
	for i++; i > 0; i = (i - 1) / 26 {
		name = string(rune('A'+(i-1)%26)) + name
	}
	return name
}

// xmlText drops from s what XML 1.0 cannot hold: invalid UTF-8, control characters
// other than tab and line ends, U+FFFE and U+FFFF. (A U+FFFD that was sent stays.)
func xmlText(s string) string {
	return strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0xFFFE || r == 0xFFFF {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
}

// cutCell cuts text at the longest a spreadsheet cell holds.
func cutCell(s string) string {
	n := 0
	for i := range s {
		if n == maxCellText {
			return s[:i]
		}
		n++
	}
	return s
}
