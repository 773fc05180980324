// Package report writes tables as CSV (RFC 4180), JSON and XLSX, row by row, so that a
// report of any length is written in flat memory. In CSV and XLSX, the formats that
// spreadsheets open, text that a spreadsheet would evaluate as a formula is neutralised
// and numeric columns stay numeric; JSON, read by programs, carries values as they are.
package report

import (
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Column is one column of a table: its header, and whether it holds numbers (decimal
// strings such as "1500.00" or "-20.00").
type Column struct {
	Name    string
	Numeric bool
}

// Writer writes one table.
type Writer interface {
	// Header writes the column names; it comes first.
	Header(cols []Column) error
	// Row writes one row, a value per column; "" is an empty cell.
	Row(values []string) error
	// Close finishes the document (the JSON array, the XLSX archive).
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
		return newXLSX(w)
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

// Safe neutralises a text cell a spreadsheet would evaluate, by putting an apostrophe
// in front: the cell shows the text as it is and computes nothing.
func Safe(s string) string {
	if s != "" && strings.ContainsRune(dangerous, rune(s[0])) {
		return "'" + s
	}
	return s
}

var decimal = regexp.MustCompile(`^-?[0-9]{1,18}(\.[0-9]{1,4})?$`)

// cell returns a value as it goes into a column: numbers only in numeric columns, and
// anything else made safe.
func cell(col Column, v string) (value string, numeric bool) {
	if col.Numeric && decimal.MatchString(v) {
		return v, true
	}
	return Safe(v), false
}
