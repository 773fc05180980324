package orgname

import (
	"bytes"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/orgname/internal/gen"
)

// The committed tables are what the generator makes of the committed data.
func TestTablesAreUpToDate(t *testing.T) {
	want, err := gen.Generate("data")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("tables.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("tables.go differs from what data/ generates: run go generate ./shared/orgname")
	}
}

// Confusables and normalisation come from the same Unicode version, so that every
// character the normaliser knows has its confusables line.
func TestConfusablesMatchTheNormalisationTables(t *testing.T) {
	if ConfusablesVersion != norm.Version {
		t.Fatalf("confusables.txt is Unicode %s but golang.org/x/text normalises with Unicode %s: "+
			"put that version's confusables.txt in data/ (see data/README.md) and run go generate",
			ConfusablesVersion, norm.Version)
	}
}

// Invisible holds every Default_Ignorable_Code_Point of Unicode's own derivation, and
// nothing else but format characters.
func TestInvisibleIsDefaultIgnorable(t *testing.T) {
	b, err := os.ReadFile("data/DerivedCoreProperties-15.0.0-Default_Ignorable_Code_Point.txt")
	if err != nil {
		t.Fatal(err)
	}
	ignorable := map[rune]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		data, _, _ := strings.Cut(line, "#")
		fields := strings.Split(data, ";")
		if len(fields) != 2 || strings.TrimSpace(fields[1]) != "Default_Ignorable_Code_Point" {
			continue
		}
		lo, hi, _ := strings.Cut(strings.TrimSpace(fields[0]), "..")
		if hi == "" {
			hi = lo
		}
		a, err1 := strconv.ParseUint(lo, 16, 32)
		b, err2 := strconv.ParseUint(hi, 16, 32)
		if err1 != nil || err2 != nil {
			t.Fatalf("bad range %q", fields[0])
		}
		for r := rune(a); r <= rune(b); r++ {
			ignorable[r] = true
		}
	}
	if len(ignorable) != 4174 {
		t.Fatalf("read %d default-ignorable code points, the file says 4174", len(ignorable))
	}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if ignorable[r] && !Invisible(r) {
			t.Errorf("Invisible(%U) = false for a default-ignorable code point", r)
		}
		if Invisible(r) && !ignorable[r] && !unicode.Is(unicode.Cf, r) {
			t.Errorf("Invisible(%U) = true, but it is neither default-ignorable nor Cf", r)
		}
	}
}

func TestASCIIConfusable(t *testing.T) {
	for r := rune(0); r < 0x80; r++ {
		_, inTable := slices.BinarySearch(confusableFrom[:], r)
		if asciiConfusable[r] != inTable {
			t.Errorf("asciiConfusable[%q] = %v, but confusables.txt has it: %v", r, asciiConfusable[r], inTable)
		}
	}
}

// Every spelling of every legal form, at either end of a name, leaves the name.
func TestEveryLegalFormIsRemoved(t *testing.T) {
	tables, err := gen.Build("data")
	if err != nil {
		t.Fatal(err)
	}
	want := Key("Acme Widgets")
	inactive := 0
	for _, f := range tables.Forms {
		if f.Inactive {
			inactive++
		}
		for _, s := range f.Spellings {
			for _, name := range []string{"Acme Widgets " + s, "Acme Widgets, " + s, s + " Acme Widgets"} {
				if got := Key(name); got != want {
					t.Errorf("Key(%q) = %q, want %q (%s)", name, got, want, strings.Join(f.Sources, "; "))
				}
			}
		}
	}
	if inactive == 0 {
		t.Error("no form comes only from inactive rows: inactive forms are left out")
	}
}

// No organisation noun made it into the legal forms, and the exceptions stay small.
func TestOrganisationNounsAreNoLegalForms(t *testing.T) {
	nouns, err := gen.ReadNouns("data/" + gen.NounsFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nouns {
		if k := Key(n); isForm([]byte(k)) {
			t.Errorf("organisation noun %q (key %q) is a legal form", n, k)
		}
	}
	if len(nouns) > 150 {
		t.Errorf("%d organisation nouns: the exceptions should stay a short list", len(nouns))
	}
}
