package tabular

import (
	"archive/zip"
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/text/width"
)

// xlsxWriter writes a one-sheet SpreadsheetML workbook as finance opens it: a title row
// (the report, its filters, the export time), a bold header row that stays in view with
// an autofilter on it, columns as wide as their content, integers, dates, date-times and
// amounts as real numbers with formats (amounts with their currency's decimals), and
// text as inline strings, which spreadsheets never evaluate.
//
// Column widths belong before the rows in a worksheet, and they are known only after
// the last row; so rows are spooled to a temporary file while the widths are tracked,
// and Close assembles the archive from it. Memory stays flat whatever the row count
// (excelize's stream writer, which the tests use to read the result, keeps up to 16 MB
// of sheet in memory before it spills to disk).
type xlsxWriter struct {
	out    io.Writer
	table  Table
	names  []string  // per column: its letters
	cur    []int     // per column: the index of its currency column, or -1
	widths []float64 // per column: the widest cell so far, in characters
	spool  *os.File
	w      *bufio.Writer
	rows   int // data rows spooled
}

// Rows 1 and 2 are the title and the header; data starts at row 3.
const (
	titleRow  = 1
	headerRow = 2
	firstRow  = 3
)

// Cell styles: indexes into cellXfs of xlsxStyles.
const (
	styleHeader    = 1
	styleTitle     = 2
	styleQuoted    = 3 // text starting with a formula character: quotePrefix, as a typed apostrophe would
	styleInteger   = 4
	styleDate      = 5
	styleDateTime  = 6
	styleDecimals0 = 7 // 7 + n: a number with n decimal places and thousands separators
)

// Widths in characters of the default font: what a cell adds to its text (padding),
// what the header adds for the bold font and the autofilter's button, and the widest
// column (longer text is cut off on screen; the cell keeps all of it).
const (
	cellPadding   = 2
	headerPadding = 4.5
	maxWidth      = 60
)

// spoolBuffer is the buffer of the spool and of the worksheet: large writes, few calls.
const spoolBuffer = 64 << 10

// maxCellText is the longest text a spreadsheet cell holds.
const maxCellText = 32767

// The workbook's fixed parts. Number formats 164-171 are ISO dates and times, numbers
// with 0 to 4 decimals and thousands separators, and integers without; each ends in
// "_ ", a space's width of padding, so that a right-aligned number does not touch the
// text of the column after it.
const (
	xlsxContentTypes = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>`
	xlsxRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`
	xlsxWorkbookRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`
	xlsxStyles = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
		`<numFmts count="8"><numFmt numFmtId="164" formatCode="yyyy-mm-dd_ "/><numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss_ "/>` +
		`<numFmt numFmtId="166" formatCode="#,##0_ "/><numFmt numFmtId="167" formatCode="#,##0.0_ "/><numFmt numFmtId="168" formatCode="#,##0.00_ "/>` +
		`<numFmt numFmtId="169" formatCode="#,##0.000_ "/><numFmt numFmtId="170" formatCode="#,##0.0000_ "/><numFmt numFmtId="171" formatCode="0_ "/></numFmts>` +
		`<fonts count="3"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>` +
		`<font><b/><sz val="13"/><name val="Calibri"/><family val="2"/></font></fonts>` +
		`<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>` +
		`<fill><patternFill patternType="solid"><fgColor rgb="FFDDE4EE"/><bgColor indexed="64"/></patternFill></fill></fills>` +
		`<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border><border><left/><right/><top/><bottom style="thin"><color auto="1"/></bottom><diagonal/></border></borders>` +
		`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
		`<cellXfs count="12"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
		`<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1"/>` +
		`<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>` +
		`<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>` +
		`<xf numFmtId="171" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
		`<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
		`<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
		`<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
		`<xf numFmtId="167" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
		`<xf numFmtId="168" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
		`<xf numFmtId="169" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
		`<xf numFmtId="170" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>` +
		`<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`
)

func newXLSX(w io.Writer) *xlsxWriter { return &xlsxWriter{out: w} }

func (x *xlsxWriter) Header(t Table) error {
	x.table = t
	x.names = make([]string, len(t.Columns))
	x.cur = make([]int, len(t.Columns))
	x.widths = make([]float64, len(t.Columns))
	for i, col := range t.Columns {
		x.names[i], x.cur[i] = columnName(i), -1
		for j, other := range t.Columns {
			if col.Currency != "" && other.Name == col.Currency {
				x.cur[i] = j
			}
		}
		x.widths[i] = float64(textWidth(col.Name)) + headerPadding
	}
	f, err := os.CreateTemp("", "report-sheet-*.xml")
	if err != nil {
		return fmt.Errorf("xlsx spool: %w", err)
	}
	x.spool, x.w = f, bufio.NewWriterSize(f, spoolBuffer)
	return nil
}

func (x *xlsxWriter) Row(values []string) error {
	if x.w == nil {
		return errors.New("xlsx: row before header")
	}
	x.rows++
	r := strconv.Itoa(firstRow + x.rows - 1)
	w := x.w
	_, _ = w.WriteString(`<row r="`)
	_, _ = w.WriteString(r)
	_, _ = w.WriteString(`">`)
	for i, col := range x.table.Columns {
		if i >= len(values) || values[i] == "" {
			continue
		}
		currency := ""
		if x.cur[i] >= 0 && x.cur[i] < len(values) {
			currency = values[x.cur[i]]
		}
		if v, ok := typeValue(col, values[i], currency); ok {
			x.start(x.names[i], r, numberStyle(col, v))
			_, _ = w.WriteString(`><v>`)
			_, _ = w.WriteString(v.number)
			_, _ = w.WriteString(`</v></c>`)
			x.fit(i, v.width)
			continue
		}
		text := cutCell(xmlText(values[i]))
		if text == "" {
			continue
		}
		style := 0
		if strings.IndexByte(dangerous, text[0]) >= 0 {
			style = styleQuoted
		}
		x.start(x.names[i], r, style)
		_, _ = w.WriteString(` t="inlineStr"><is><t xml:space="preserve">`)
		_ = xml.EscapeText(w, []byte(text))
		_, _ = w.WriteString(`</t></is></c>`)
		x.fit(i, textWidth(text))
	}
	_, err := w.WriteString(`</row>`)
	return err
}

// start writes the opening of a cell up to its attributes: reference and style (0,
// the default, is left out).
func (x *xlsxWriter) start(col, row string, style int) {
	_, _ = x.w.WriteString(`<c r="`)
	_, _ = x.w.WriteString(col)
	_, _ = x.w.WriteString(row)
	_ = x.w.WriteByte('"')
	if style != 0 {
		_, _ = x.w.WriteString(` s="`)
		_, _ = x.w.WriteString(strconv.Itoa(style))
		_ = x.w.WriteByte('"')
	}
}

// numberStyle is the style of a typed cell of col.
func numberStyle(col Column, v typed) int {
	switch col.Type {
	case Integer:
		return styleInteger
	case Date:
		return styleDate
	case DateTime:
		return styleDateTime
	}
	return styleDecimals0 + v.decimals
}

// fit widens column i to hold a cell of n characters.
func (x *xlsxWriter) fit(i, n int) {
	x.widths[i] = max(x.widths[i], min(float64(n)+cellPadding, maxWidth))
}

func (x *xlsxWriter) Close() error {
	if x.spool != nil {
		defer os.Remove(x.spool.Name())
		defer x.spool.Close()
	}
	if err := x.assemble(); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	return nil
}

// assemble writes the archive: the fixed parts, the workbook (sheet name, autofilter
// and print titles), and the worksheet with its view, widths, title and header rows,
// the spooled rows and the autofilter.
func (x *xlsxWriter) assemble() error {
	if x.w != nil {
		if err := x.w.Flush(); err != nil {
			return err
		}
		if _, err := x.spool.Seek(0, io.SeekStart); err != nil {
			return err
		}
	}
	zw := zip.NewWriter(x.out)
	name := sheetName(x.table.Name)
	last := headerRow + x.rows
	lastCol := columnName(max(len(x.table.Columns), 1) - 1)
	filter := fmt.Sprintf("$A$%d:$%s$%d", headerRow, lastCol, last)
	quoted := "'" + strings.ReplaceAll(name, "'", "''") + "'"
	workbook := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="` +
		escape(name) + `" sheetId="1" r:id="rId1"/></sheets><definedNames>` +
		`<definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">` + escape(quoted+"!"+filter) + `</definedName>` +
		`<definedName name="_xlnm.Print_Titles" localSheetId="0">` + escape(fmt.Sprintf("%s!$%d:$%d", quoted, titleRow, headerRow)) + `</definedName>` +
		`</definedNames></workbook>`
	for _, part := range []struct{ name, body string }{
		{"[Content_Types].xml", xlsxContentTypes}, {"_rels/.rels", xlsxRels}, {"xl/workbook.xml", workbook},
		{"xl/_rels/workbook.xml.rels", xlsxWorkbookRels}, {"xl/styles.xml", xlsxStyles},
	} {
		f, err := zw.Create(part.name)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(f, part.body); err != nil {
			return err
		}
	}
	f, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, spoolBuffer)
	_, _ = fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">`+
		`<dimension ref="A1:%s%d"/>`+
		`<sheetViews><sheetView tabSelected="1" workbookViewId="0"><pane ySplit="%d" topLeftCell="A%d" activePane="bottomLeft" state="frozen"/>`+
		`<selection pane="bottomLeft" activeCell="A%d" sqref="A%d"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>`,
		lastCol, last, headerRow, firstRow, firstRow, firstRow)
	if len(x.widths) > 0 {
		_, _ = w.WriteString(`<cols>`)
		for i, wd := range x.widths {
			_, _ = fmt.Fprintf(w, `<col min="%d" max="%d" width="%.2f" customWidth="1"/>`, i+1, i+1, wd)
		}
		_, _ = w.WriteString(`</cols>`)
	}
	_, _ = fmt.Fprintf(w, `<sheetData><row r="%d" ht="21" customHeight="1">`, titleRow)
	if title := cutCell(xmlText(x.table.Title)); title != "" {
		inline(w, "A1", ` s="`+strconv.Itoa(styleTitle)+`"`, title)
	}
	_, _ = fmt.Fprintf(w, `</row><row r="%d">`, headerRow)
	for i, col := range x.table.Columns {
		inline(w, columnName(i)+strconv.Itoa(headerRow), ` s="`+strconv.Itoa(styleHeader)+`"`, cutCell(xmlText(col.Name)))
	}
	_, _ = w.WriteString(`</row>`)
	if x.spool != nil {
		if _, err := io.Copy(w, x.spool); err != nil {
			return err
		}
	}
	_, _ = fmt.Fprintf(w, `</sheetData><autoFilter ref="%s"/>`+
		`<pageMargins left="0.4" right="0.4" top="0.5" bottom="0.5" header="0.3" footer="0.3"/>`+
		`<pageSetup orientation="landscape"/></worksheet>`, strings.ReplaceAll(filter, "$", ""))
	if err := w.Flush(); err != nil {
		return err
	}
	return zw.Close()
}

// inline writes an inline string cell to w: text that no spreadsheet evaluates.
func inline(w *bufio.Writer, ref, style, text string) {
	_, _ = w.WriteString(`<c r="` + ref + `"` + style + ` t="inlineStr"><is><t xml:space="preserve">`)
	_ = xml.EscapeText(w, []byte(text))
	_, _ = w.WriteString(`</t></is></c>`)
}

// escape escapes text for an XML attribute or element.
func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// sheetName makes a worksheet name of name: at most 31 characters, none of : \ / ? * [ ],
// not empty, not starting or ending with an apostrophe ("Report" when nothing is left).
func sheetName(name string) string {
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) {
			return ' '
		}
		return r
	}, xmlText(name))
	if r := []rune(name); len(r) > 31 {
		name = string(r[:31])
	}
	name = strings.Trim(name, "' ")
	if name == "" {
		return "Report"
	}
	return name
}

// columnName turns a 0-based index into a column letter: 0 → A, 26 → AA.
func columnName(i int) string {
	name := ""
	for i++; i > 0; i = (i - 1) / 26 {
		name = string(rune('A'+(i-1)%26)) + name
	}
	return name
}

// textWidth is how many characters of the default font the longest line of s takes,
// counting East Asian wide and fullwidth characters twice; it stops counting at the
// widest column.
func textWidth(s string) int {
	widest, n := 0, 0
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r':
			widest, n = max(widest, n), 0
			continue
		case r < 0x1100:
			n++
		default:
			switch width.LookupRune(r).Kind() {
			case width.EastAsianWide, width.EastAsianFullwidth:
				n += 2
			default:
				n++
			}
		}
		if n >= maxWidth {
			return maxWidth
		}
	}
	return max(widest, n)
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
