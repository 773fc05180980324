package tabular

import (
	"bufio"
	"encoding/json"
	"io"
	"strings"
)

// csvWriter writes RFC 4180 CSV: UTF-8, CRLF line ends, a header row, fields separated
// by commas. A value that fits its column's type (a number, a date) is written bare;
// any other value is text, made Safe, and double-quoted when it holds a separator of
// any locale (comma, semicolon, tab), a double quote or a line break. encoding/csv
// cannot be used: it quotes only for the comma, and a semicolon or tab left unquoted
// splits the text where spreadsheets use those as the separator.
type csvWriter struct {
	w    *bufio.Writer
	cols []Column
}

func newCSV(w io.Writer) *csvWriter { return &csvWriter{w: bufio.NewWriterSize(w, 64<<10)} }

func (c *csvWriter) Header(t Table) error {
	c.cols = t.Columns
	for i, col := range c.cols {
		c.separate(i)
		c.text(col.Name)
	}
	_, err := c.w.WriteString("\r\n")
	return err
}

func (c *csvWriter) Row(values []string) error {
	for i, col := range c.cols {
		c.separate(i)
		v := ""
		if i < len(values) {
			v = values[i]
		}
		if plain(v) {
			// written the same whatever its type: nothing to quote, nothing to neutralise
			_, _ = c.w.WriteString(v)
			continue
		}
		if _, ok := typeValue(col, v, ""); ok {
			_, _ = c.w.WriteString(v)
			continue
		}
		c.text(Safe(v))
	}
	_, err := c.w.WriteString("\r\n")
	return err
}

func (c *csvWriter) separate(i int) {
	if i > 0 {
		_ = c.w.WriteByte(',')
	}
}

// csvQuoted are the characters for which a CSV text field is quoted.
const csvQuoted = separators + `"`

// plain reports whether a CSV field needs neither quotes nor an apostrophe.
func plain(s string) bool {
	return !strings.ContainsAny(s, csvQuoted+"=+-@")
}

// text writes a text field, quoted (with its double quotes doubled) when it holds a
// separator, a double quote or a line break.
func (c *csvWriter) text(s string) {
	if !strings.ContainsAny(s, csvQuoted) {
		_, _ = c.w.WriteString(s)
		return
	}
	_ = c.w.WriteByte('"')
	_, _ = c.w.WriteString(strings.ReplaceAll(s, `"`, `""`))
	_ = c.w.WriteByte('"')
}

func (c *csvWriter) Close() error { return c.w.Flush() }

// jsonWriter writes an array of objects keyed by column name, every value the string
// it was given: amounts stay exact decimal strings and dates ISO 8601, as everywhere in
// the API, and a program reads them without guessing at number formats.
type jsonWriter struct {
	w    *bufio.Writer
	cols []Column
	rows int
}

func newJSON(w io.Writer) *jsonWriter { return &jsonWriter{w: bufio.NewWriter(w)} }

func (j *jsonWriter) Header(t Table) error {
	j.cols = t.Columns
	_, err := j.w.WriteString("[")
	return err
}

func (j *jsonWriter) Row(values []string) error {
	if j.rows > 0 {
		_ = j.w.WriteByte(',')
	}
	j.rows++
	_, _ = j.w.WriteString("\n{")
	for i, col := range j.cols {
		if i > 0 {
			_ = j.w.WriteByte(',')
		}
		k, _ := json.Marshal(col.Name)
		v := ""
		if i < len(values) {
			v = values[i]
		}
		vb, _ := json.Marshal(v)
		_, _ = j.w.Write(k)
		_ = j.w.WriteByte(':')
		if _, err := j.w.Write(vb); err != nil {
			return err
		}
	}
	return j.w.WriteByte('}')
}

func (j *jsonWriter) Close() error {
	if _, err := j.w.WriteString("\n]\n"); err != nil {
		return err
	}
	return j.w.Flush()
}
