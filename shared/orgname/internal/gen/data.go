// Package gen reads the data files of package orgname (Unicode's confusables.txt, GLEIF's
// ISO 20275 Entity Legal Forms code list and the two small files kept beside them) and
// writes the Go tables that the package searches at run time. The package test runs it
// and compares its output with the committed tables, so the tables never drift from the
// data.
package gen

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Files in the data directory.
const (
	ConfusablesFile = "confusables.txt"
	SupplementFile  = "elf-supplement.csv"
	NounsFile       = "organisation-nouns.txt"
)

// elfFilePattern is how GLEIF names each release of the code list: publication date, then
// version.
var elfFilePattern = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})-elf-code-list-v(\d+(?:\.\d+)*)\.csv$`)

// Confusables is confusables.txt: each source character's prototype, with the file's
// Unicode version and date.
type Confusables struct {
	Version string
	Date    string
	Map     map[rune]string
}

// ReadConfusables parses confusables.txt ("SOURCE ; TARGET ; TYPE # comment" lines,
// code points in hex, targets one or more code points).
func ReadConfusables(path string) (Confusables, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Confusables{}, fmt.Errorf("read confusables: %w", err)
	}
	c := Confusables{Map: make(map[rune]string, 6400)}
	for i, text := range strings.Split(strings.TrimPrefix(string(b), "\ufeff"), "\n") {
		line := i + 1
		if v, ok := strings.CutPrefix(text, "# Version:"); ok {
			c.Version = strings.TrimSpace(v)
			continue
		}
		if v, ok := strings.CutPrefix(text, "# Date:"); ok {
			c.Date, _, _ = strings.Cut(strings.TrimSpace(v), ",")
			continue
		}
		data, _, _ := strings.Cut(text, "#")
		if strings.TrimSpace(data) == "" {
			continue
		}
		fields := strings.Split(data, ";")
		if len(fields) < 3 {
			return Confusables{}, fmt.Errorf("read confusables: line %d: %d fields, want 3", line, len(fields))
		}
		src, err := codePoints(fields[0])
		if err != nil || len(src) != 1 {
			return Confusables{}, fmt.Errorf("read confusables: line %d: source %q: want one code point", line, fields[0])
		}
		dst, err := codePoints(fields[1])
		if err != nil || len(dst) == 0 {
			return Confusables{}, fmt.Errorf("read confusables: line %d: target %q: %v", line, fields[1], err)
		}
		if _, dup := c.Map[src[0]]; dup {
			return Confusables{}, fmt.Errorf("read confusables: line %d: U+%04X mapped twice", line, src[0])
		}
		c.Map[src[0]] = string(dst)
	}
	if c.Version == "" || c.Date == "" || len(c.Map) == 0 {
		return Confusables{}, errors.New("read confusables: no version, date or mappings")
	}
	return c, nil
}

func codePoints(field string) ([]rune, error) {
	var rs []rune
	for _, h := range strings.Fields(field) {
		v, err := strconv.ParseUint(h, 16, 32)
		if err != nil || v > 0x10FFFF {
			return nil, fmt.Errorf("code point %q", h)
		}
		rs = append(rs, rune(v))
	}
	return rs, nil
}

// ELFRow is one row of the ELF code list, with the columns the tables use.
type ELFRow struct {
	Code, Country, LocalName, TransliteratedName, LocalAbbreviations, TransliteratedAbbreviations, Status string
}

// ELF is a release of the ELF code list.
type ELF struct {
	File    string
	Version string
	Date    string
	Rows    []ELFRow
}

// ELF column headings, as in GLEIF's CSV. The transliterated name's heading carries a
// note ("(per ISO 01-140-10)"), so headings are matched by prefix.
var elfColumns = []string{
	"ELF Code",
	"Country Code (ISO 3166-1)",
	"Entity Legal Form name Local name",
	"Entity Legal Form name Transliterated name",
	"Abbreviations Local language",
	"Abbreviations transliterated",
	"ELF Status ACTV/INAC",
}

// FindELF returns the one ELF code list release in dir.
func FindELF(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("find ELF code list: %w", err)
	}
	var found []string
	for _, e := range entries {
		if elfFilePattern.MatchString(e.Name()) {
			found = append(found, e.Name())
		}
	}
	if len(found) != 1 {
		return "", fmt.Errorf("find ELF code list in %s: found %d files named DATE-elf-code-list-vVERSION.csv, want 1", dir, len(found))
	}
	return filepath.Join(dir, found[0]), nil
}

// ReadELF parses a release of the ELF code list. Its version and publication date come
// from GLEIF's file name.
func ReadELF(path string) (ELF, error) {
	m := elfFilePattern.FindStringSubmatch(filepath.Base(path))
	if m == nil {
		return ELF{}, fmt.Errorf("read ELF code list %s: not named DATE-elf-code-list-vVERSION.csv", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return ELF{}, fmt.Errorf("read ELF code list: %w", err)
	}
	defer f.Close()
	records, err := readCSV(f, elfColumns)
	if err != nil {
		return ELF{}, fmt.Errorf("read ELF code list %s: %w", path, err)
	}
	e := ELF{File: filepath.Base(path), Version: m[2], Date: m[1]}
	for _, r := range records {
		e.Rows = append(e.Rows, ELFRow{
			Code: r[0], Country: r[1], LocalName: r[2], TransliteratedName: r[3],
			LocalAbbreviations: r[4], TransliteratedAbbreviations: r[5], Status: r[6],
		})
	}
	return e, nil
}

// Supplement is one abbreviation that the ELF code list lacks for a form it lists, with
// the law or usage it comes from.
type Supplement struct {
	Code, Country, Abbreviation, Source string
}

var supplementColumns = []string{"ELF Code", "Country Code (ISO 3166-1)", "Abbreviation", "Source"}

// ReadSupplement parses elf-supplement.csv.
func ReadSupplement(path string) ([]Supplement, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read ELF supplement: %w", err)
	}
	defer f.Close()
	records, err := readCSV(f, supplementColumns)
	if err != nil {
		return nil, fmt.Errorf("read ELF supplement %s: %w", path, err)
	}
	var out []Supplement
	for i, r := range records {
		if r[0] == "" || r[2] == "" || r[3] == "" {
			return nil, fmt.Errorf("read ELF supplement %s: row %d: code, abbreviation and source are required", path, i+2)
		}
		out = append(out, Supplement{Code: r[0], Country: r[1], Abbreviation: r[2], Source: r[3]})
	}
	return out, nil
}

// readCSV returns the records of a CSV file with the wanted columns, in that order.
// Lines starting with "#" are comments.
func readCSV(r io.Reader, want []string) ([][]string, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	idx := make([]int, len(want))
	for i, w := range want {
		idx[i] = -1
		for j, h := range header {
			if strings.HasPrefix(strings.TrimPrefix(h, "\ufeff"), w) {
				idx[i] = j
				break
			}
		}
		if idx[i] < 0 {
			return nil, fmt.Errorf("no column %q", w)
		}
	}
	var out [][]string
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		row := make([]string, len(want))
		for i, j := range idx {
			if j < len(rec) {
				row[i] = strings.TrimSpace(rec[j])
			}
		}
		out = append(out, row)
	}
}

// ReadNouns parses organisation-nouns.txt: words separated by white space, "#" starts a
// comment.
func ReadNouns(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read organisation nouns: %w", err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		line, _, _ = strings.Cut(line, "#")
		out = append(out, strings.Fields(line)...)
	}
	return out, nil
}
