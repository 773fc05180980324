package report

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"io"
)

// csvWriter writes RFC 4180 CSV: UTF-8, CRLF line ends, a header row.
type csvWriter struct {
	w    *csv.Writer
	cols []Column
}

func newCSV(w io.Writer) *csvWriter {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return &csvWriter{w: cw}
}

func (c *csvWriter) Header(cols []Column) error {
	c.cols = cols
	names := make([]string, len(cols))
	for i, col := range cols {
		names[i] = col.Name
	}
	return c.w.Write(names)
}

func (c *csvWriter) Row(values []string) error {
	out := make([]string, len(c.cols))
	for i, col := range c.cols {
		if i < len(values) {
			out[i], _ = cell(col, values[i])
		}
	}
	return c.w.Write(out)
}

func (c *csvWriter) Close() error {
	c.w.Flush()
	return c.w.Error()
}

// jsonWriter writes an array of objects keyed by column name. Amounts stay decimal
// strings, exact, as everywhere in the API.
type jsonWriter struct {
	w    *bufio.Writer
	cols []Column
	rows int
}

func newJSON(w io.Writer) *jsonWriter { return &jsonWriter{w: bufio.NewWriter(w)} }

func (j *jsonWriter) Header(cols []Column) error {
	j.cols = cols
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
