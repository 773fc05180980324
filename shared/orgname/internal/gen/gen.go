package gen

import (
	"bytes"
	"cmp"
	"fmt"
	"go/format"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/orgname/internal/fold"
)

// MaxFormWords is the most words a legal form may have. Longer entries in the code list
// are descriptions ("Personne morale sans but lucratif par Loi sur …"), not designations
// that follow a name, and would only slow the search for a form at the end of a name.
const MaxFormWords = 12

// Form is one legal form as names are compared: the skeletons of its words joined
// without spaces, and where it comes from.
type Form struct {
	Key       string
	Plain     string
	Words     int
	Spaceless bool // written in a script without spaces between words: matched inside a word
	Sources   []string
	// Spellings are the texts of the code list (or supplement) that have this key.
	Spellings []string
	// Inactive is true when every row the form comes from has status INAC.
	Inactive bool
}

// Tables is everything the generated file holds.
type Tables struct {
	Confusables Confusables
	ELF         ELF
	Forms       []Form
	// Dropped counts code list entries left out, by reason, for the generated file's
	// header.
	Dropped map[string]int
}

// Build reads the data directory and derives the tables.
func Build(dataDir string) (Tables, error) {
	conf, err := ReadConfusables(filepath.Join(dataDir, ConfusablesFile))
	if err != nil {
		return Tables{}, err
	}
	elfPath, err := FindELF(dataDir)
	if err != nil {
		return Tables{}, err
	}
	elf, err := ReadELF(elfPath)
	if err != nil {
		return Tables{}, err
	}
	sup, err := ReadSupplement(filepath.Join(dataDir, SupplementFile))
	if err != nil {
		return Tables{}, err
	}
	nouns, err := ReadNouns(filepath.Join(dataDir, NounsFile))
	if err != nil {
		return Tables{}, err
	}
	t := Tables{Confusables: conf, ELF: elf, Dropped: map[string]int{}}
	t.Forms = legalForms(conf, elf, sup, nouns, t.Dropped)
	return t, nil
}

// Mapper maps through the parsed confusables, as the generated table does at run time.
func (c Confusables) Mapper() fold.Mapper {
	return func(r rune) (string, bool) {
		p, ok := c.Map[r]
		return p, ok
	}
}

// abbreviationSeparators split an abbreviations cell. The code list separates
// alternatives with ";", but some rows use ", " ("RLLP, LLP, R.L.L.P., L.L.P.").
// A comma without a space stays ("Zahranič.osoba,právnická" is one abbreviation).
var abbreviationSeparators = regexp.MustCompile(`\s*;\s*|,\s+|\s+,`)

// legalForms applies the rule of the package documentation: abbreviations and names of
// two or more words are legal forms; a one-word name is one only when its form also has
// an abbreviation; no form is a single letter or an organisation noun.
func legalForms(conf Confusables, elf ELF, sup []Supplement, nouns []string, dropped map[string]int) []Form {
	m := conf.Mapper()
	key := func(words []fold.Word) (key, plain string) {
		var k, p strings.Builder
		for _, w := range words {
			k.WriteString(w.Skeleton)
			p.WriteString(w.Plain)
		}
		return k.String(), p.String()
	}
	noun := map[string]bool{}
	for _, n := range nouns {
		k, _ := key(fold.Words(n, m))
		noun[k] = true
	}
	byKey := map[string]*Form{}
	add := func(text, source string, inactive bool) {
		words := fold.Words(text, m)
		switch {
		case len(words) == 0:
			return
		case len(words) > MaxFormWords:
			dropped[fmt.Sprintf("longer than %d words", MaxFormWords)]++
			return
		}
		k, plain := key(words)
		if noun[k] {
			dropped["organisation noun"]++
			return
		}
		if fold.Length(plain) < 2 {
			dropped["a single letter"]++
			return
		}
		f := byKey[k]
		if f == nil {
			f = &Form{Key: k, Plain: plain, Words: len(words), Spaceless: spaceless(plain), Inactive: true}
			byKey[k] = f
		}
		f.Inactive = f.Inactive && inactive
		if !slices.Contains(f.Spellings, text) {
			f.Spellings = append(f.Spellings, text)
		}
		if !slices.Contains(f.Sources, source) {
			f.Sources = append(f.Sources, source)
		}
	}
	for _, r := range elf.Rows {
		var abbrs []string
		for _, cell := range []string{r.LocalAbbreviations, r.TransliteratedAbbreviations} {
			for _, a := range abbreviationSeparators.Split(cell, -1) {
				if a = strings.TrimSpace(a); a != "" {
					abbrs = append(abbrs, a)
				}
			}
		}
		for _, a := range abbrs {
			add(a, source(r.Country, r.Code, r.Status, a), r.Status == "INAC")
		}
		for _, name := range []string{r.LocalName, r.TransliteratedName} {
			if len(fold.Words(name, m)) == 1 && len(abbrs) == 0 {
				dropped["one-word name of a form without abbreviation"]++
				continue
			}
			add(name, source(r.Country, r.Code, r.Status, name), r.Status == "INAC")
		}
	}
	for _, s := range sup {
		add(s.Abbreviation, source(s.Country, s.Code, "supplement", s.Abbreviation), false)
	}
	forms := make([]Form, 0, len(byKey))
	for _, f := range byKey {
		forms = append(forms, *f)
	}
	slices.SortFunc(forms, func(a, b Form) int { return cmp.Compare(a.Key, b.Key) })
	return forms
}

func source(country, code, status, text string) string {
	s := country + " " + code + " " + strconv.Quote(text)
	if status == "INAC" || status == "supplement" {
		s += " (" + strings.ToLower(status) + ")"
	}
	return s
}

// spaceless reports whether every letter of s is in a script written without spaces
// between words, where a legal form is written against the name ("トヨタ株式会社").
func spaceless(s string) bool {
	for _, r := range s {
		if !unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) {
			return false
		}
	}
	return s != ""
}

// Source is the generated Go file for the tables.
func (t Tables) Source() ([]byte, error) {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("// Code generated by go run ./internal/gen/gentables; DO NOT EDIT.\n\n")
	p("// Generated from data/%s (Unicode %s, %s) and data/%s (GLEIF ELF code list v%s,\n", ConfusablesFile, t.Confusables.Version, t.Confusables.Date, t.ELF.File, t.ELF.Version)
	p("// %s) with data/%s and data/%s.\n", t.ELF.Date, SupplementFile, NounsFile)
	reasons := make([]string, 0, len(t.Dropped))
	for r := range t.Dropped {
		reasons = append(reasons, r)
	}
	slices.Sort(reasons)
	p("// Code list entries left out:")
	for i, r := range reasons {
		sep := ","
		if i == len(reasons)-1 {
			sep = "."
		}
		p(" %d %s%s", t.Dropped[r], r, sep)
	}
	p("\n\npackage orgname\n\n")
	p("// Versions of the data the tables come from.\n")
	p("const (\n")
	p("\t// ConfusablesVersion is the Unicode version of confusables.txt (UTS #39).\n")
	p("\tConfusablesVersion = %q\n", t.Confusables.Version)
	p("\t// ConfusablesDate is the date in the header of confusables.txt.\n")
	p("\tConfusablesDate = %q\n", t.Confusables.Date)
	p("\t// LegalFormsVersion is the version of GLEIF's ISO 20275 Entity Legal Forms code list.\n")
	p("\tLegalFormsVersion = %q\n", t.ELF.Version)
	p("\t// LegalFormsDate is the publication date of that code list.\n")
	p("\tLegalFormsDate = %q\n", t.ELF.Date)
	p(")\n\n")

	from := make([]rune, 0, len(t.Confusables.Map))
	for r := range t.Confusables.Map {
		from = append(from, r)
	}
	slices.Sort(from)
	var to strings.Builder
	ends := make([]int, len(from))
	for i, r := range from {
		to.WriteString(t.Confusables.Map[r])
		ends[i] = to.Len()
	}
	if to.Len() > 0xFFFF {
		return nil, fmt.Errorf("generate tables: prototypes take %d bytes, more than uint16 offsets hold", to.Len())
	}
	p("// confusableFrom lists, in order, the characters of confusables.txt; the prototype of\n")
	p("// confusableFrom[i] is confusableTo[confusableEnd[i-1]:confusableEnd[i]].\n")
	writeArray(&b, "confusableFrom", "int32", from, 10, "0x%04X")
	writeArray(&b, "confusableEnd", "uint16", ends, 12, "%d")
	p("const confusableTo = \"\" +")
	all := to.String()
	for i := 0; i < len(from); i += 16 {
		start := 0
		if i > 0 {
			start = ends[i-1]
		}
		end := ends[min(i+16, len(from))-1]
		p("\n\t%s", strconv.QuoteToASCII(all[start:end]))
		if i+16 < len(from) {
			p(" +")
		}
	}
	p("\n\n")

	maxWords := 0
	p("// legalForms are the keys of the legal forms, in order: the skeletons of their words\n")
	p("// joined without spaces. Each comment names where the form comes from: country, ELF\n")
	p("// code and spelling.\n")
	p("var legalForms = [...]string{\n")
	var spacelessKeys []Form
	for _, f := range t.Forms {
		maxWords = max(maxWords, f.Words)
		p("\t%s, // %s\n", strconv.QuoteToASCII(f.Key), sourceComment(f.Sources))
		if f.Spaceless {
			spacelessKeys = append(spacelessKeys, f)
		}
	}
	p("}\n\n")
	p("// spacelessForms are the legal forms written in scripts without spaces between words,\n")
	p("// removed from the start or end of a name even without a space.\n")
	p("var spacelessForms = [...]string{\n")
	for _, f := range spacelessKeys {
		p("\t%s, // %s\n", strconv.QuoteToASCII(f.Key), f.Plain)
	}
	p("}\n\n")
	p("// maxFormWords is the most words of any legal form.\n")
	p("const maxFormWords = %d\n", maxWords)

	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("generate tables: format: %w", err)
	}
	return src, nil
}

// writeArray writes a Go array of numbers, perLine to a line.
func writeArray[T any](b *bytes.Buffer, name, typ string, items []T, perLine int, format string) {
	fmt.Fprintf(b, "var %s = [...]%s{", name, typ)
	for i, v := range items {
		if i%perLine == 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(b, format+", ", v)
	}
	b.WriteString("\n}\n\n")
}

func sourceComment(sources []string) string {
	const most = 4
	s := strings.Join(sources[:min(most, len(sources))], "; ")
	if len(sources) > most {
		s += fmt.Sprintf("; and %d more", len(sources)-most)
	}
	return s
}

// Generate builds the tables from dataDir and returns the Go source.
func Generate(dataDir string) ([]byte, error) {
	t, err := Build(dataDir)
	if err != nil {
		return nil, err
	}
	return t.Source()
}
