// Package tabular writes tables as CSV (RFC 4180), JSON and XLSX, row by row, so that a
// report of any length is written in flat memory. Each column has a type (text, integer,
// date, date-time, amount, decimal): CSV writes typed values bare and quotes text, XLSX
// writes them as numbers and dates a spreadsheet can add up and sort, JSON, read by
// programs, carries every value as the string it was given. Text that a spreadsheet
// would evaluate as a formula is neutralised in CSV and kept inert in XLSX.
package tabular

import (
	"fmt"
	"io"
	"strings"
)

// Type is what a column holds; it decides how CSV and XLSX write the column's values.
type Type int

// The column types. A value that does not fit its column's type is written as text
// (made safe), so a report never fails on one odd value.
const (
	// Text is any string.
	Text Type = iota
	// Integer is a whole number such as a fiscal year or a count: -?[0-9]{1,15}, shown
	// without thousands separators.
	Integer
	// Date is a day, YYYY-MM-DD (from 1900-03-01, where spreadsheets' day numbers
	// agree).
	Date
	// DateTime is an instant in RFC 3339, shown in UTC to the second.
	DateTime
	// Amount is a decimal string such as "1500.00" in the currency named by the row's
	// Currency column: XLSX shows it with that currency's ISO 4217 minor units.
	Amount
	// Decimal is a decimal string shown with the column's Decimals places.
	Decimal
)

// Column is one column of a table: its header, its type, and what the type needs.
type Column struct {
	Name string
	Type Type
	// Currency names the column that holds the row's currency, for an Amount column.
	Currency string
	// Decimals is how many decimal places a Decimal column shows (0 to 4).
	Decimals int
}

// numeric reports whether the column holds numbers.
// Table is what a writer needs before the rows. Name and Title are for spreadsheets:
// the sheet's name, and a first line saying what the sheet holds (CSV and JSON, read
// as data, leave both out).
type Table struct {
	Name    string
	Title   string
	Columns []Column
}

// Writer writes one table.
type Writer interface {
	// Header starts the table: its columns (and sheet name and title); it comes first.
	Header(t Table) error
	// Row writes one row, a value per column; "" is an empty cell.
	Row(values []string) error
	// Close finishes the document (the JSON array, the XLSX archive) and releases what
	// the writer holds. Call it once, also after a failed write; the output of a failed
	// write is incomplete and must be thrown away.
	Close() error
}

// Formats are the formats a report comes in.
var Formats = []string{"csv", "json", "xlsx"}

// New returns a writer of the format to w.
func New(format string, w io.Writer) (Writer, error) {
	switch format {
	case "csv":
		return newCSV(w), nil
	case "json":
		return newJSON(w), nil
	case "xlsx":
		return newXLSX(w), nil
	}
	return nil, fmt.Errorf("unknown report format %q", format)
}

// ContentType is the media type of a format.
func ContentType(format string) string {
	switch format {
	case "csv":
		return "text/csv; charset=utf-8; header=present"
	case "json":
		return "application/json"
	case "xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "application/octet-stream"
}

// dangerous are the first characters with which spreadsheets start a formula or
// command: = + - @, and tab, carriage return and line feed, which some use to smuggle
// one in (OWASP, "CSV Injection").
const dangerous = "=+-@\t\r\n"

// separators are where a spreadsheet may start a new cell inside a CSV text: the
// field separators of the locales spreadsheets run in (comma; semicolon where the comma
// is the decimal mark; tab) and line breaks.
const separators = ",;\t\r\n"

// Safe neutralises CSV text a spreadsheet would evaluate, by putting an apostrophe in
// front of the first character of the text when it is one of = + - @ tab CR LF, and in
// front of = + - @ wherever else a cell could start: after a separator or line break in
// the text (past double quotes and spaces). A spreadsheet that splits a line on another
// separator than the comma, as Excel and LibreOffice do with a semicolon where the comma
// is the decimal mark, honours a double quote only at the start of a cell, so quoting
// the field keeps it whole only for readers of commas; with Safe no cell that any of
// these readers makes of the text starts a formula.
func Safe(s string) string {
	if s == "" || (strings.IndexByte(dangerous, s[0]) < 0 && !strings.ContainsAny(s, "=+-@")) {
		return s
	}
	var b []byte // nil until an apostrophe goes in
	last, start := 0, true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if start && (strings.IndexByte("=+-@", c) >= 0 || (i == 0 && strings.IndexByte(dangerous, c) >= 0)) {
			b = append(append(b, s[last:i]...), '\'')
			last = i
		}
		switch {
		case strings.IndexByte(separators, c) >= 0:
			start = true
		case c == '"' || c == ' ':
			// a reader may drop quotes and spaces before a cell's content
		default:
			start = false
		}
	}
	if b == nil {
		return s
	}
	return string(append(b, s[last:]...))
}
