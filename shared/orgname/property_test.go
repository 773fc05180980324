package orgname

import (
	"strings"
	"testing"
	"unicode/utf8"

	"pgregory.net/rapid"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/orgname/internal/gen"
)

// vocabulary is words that are no legal form, in scripts with confusable letters.
var vocabulary = []string{
	"Acme", "Widgets", "North", "River", "Blue", "Quantum", "Harbor", "Orchard", "Lumen",
	"Ωmega", "Δelta", "Москва", "Київ", "Straße", "Ærø", "İzmir", "Ångström", "Café",
	"München", "Zürich", "Őrség", "Łódź", "Xylo", "Velo", "Nimbus", "Cobalt",
}

// separators is what a person puts between words.
var separators = []string{" ", "  ", "-", ", ", " & ", ".", "/", "\u00a0", "\u3000", " (", ") "}

// genName draws a name of one to four words of the vocabulary.
func genName(t *rapid.T, label string) string {
	n := rapid.IntRange(1, 4).Draw(t, label+" words")
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(rapid.SampledFrom(separators).Draw(t, label+" separator"))
		}
		b.WriteString(rapid.SampledFrom(vocabulary).Draw(t, label+" word"))
	}
	return b.String()
}

// genAnyName draws a name from the vocabulary, or any string at all.
func genAnyName(t *rapid.T, label string) string {
	if rapid.Bool().Draw(t, label+" arbitrary") {
		return rapid.String().Draw(t, label)
	}
	return genName(t, label)
}

func TestKeyIsIdempotent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		name := genAnyName(t, "name")
		k := Key(name)
		if again := Key(k); again != k {
			t.Fatalf("Key(%q) = %q, but Key(%q) = %q", name, k, k, again)
		}
		if again := Key(strings.Join(Tokens(name), " ")); again != k {
			t.Fatalf("Key(%q) = %q, but the key of its tokens respelt with spaces is %q", name, k, again)
		}
	})
}

func TestInvisibleCharactersNeverChangeTheKey(t *testing.T) {
	var invisibles []rune
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if Invisible(r) {
			invisibles = append(invisibles, r)
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		name := genName(t, "name")
		runes := []rune(name)
		for range rapid.IntRange(1, 5).Draw(t, "insertions") {
			at := rapid.IntRange(0, len(runes)).Draw(t, "at")
			r := rapid.SampledFrom(invisibles).Draw(t, "invisible")
			runes = append(runes[:at], append([]rune{r}, runes[at:]...)...)
		}
		if got, want := Key(string(runes)), Key(name); got != want {
			t.Fatalf("Key(%q) = %q, want %q as for %q", string(runes), got, want, name)
		}
	})
}

func TestCaseNeverMatters(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		name := genName(t, "name")
		for _, other := range []string{strings.ToUpper(name), strings.ToLower(name), strings.ToTitle(name)} {
			if Key(other) != Key(name) {
				t.Fatalf("Key(%q) = %q, Key(%q) = %q", other, Key(other), name, Key(name))
			}
		}
	})
}

func TestCompareIsSymmetric(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a, b := genAnyName(t, "a"), genAnyName(t, "b")
		if rapid.Bool().Draw(t, "related") {
			// Make near matches likely: b is a with a word added, dropped or misspelt.
			b = a + rapid.SampledFrom([]string{" Group", "s", "", " Europe"}).Draw(t, "suffix")
		}
		if ab, ba := Compare(a, b), Compare(b, a); ab != ba {
			t.Fatalf("Compare(%q, %q) = %v but Compare(%q, %q) = %v", a, b, ab, b, a, ba)
		}
		if Compare(a, a) != Exact && Key(a) != "" {
			t.Fatalf("Compare(%q, itself) = %v", a, Compare(a, a))
		}
	})
}

func TestANamePlusALegalFormIsTheName(t *testing.T) {
	tables, err := gen.Build("data")
	if err != nil {
		t.Fatal(err)
	}
	var spellings []string
	for _, f := range tables.Forms {
		spellings = append(spellings, f.Spellings...)
	}
	rapid.Check(t, func(t *rapid.T) {
		name := genName(t, "name")
		form := rapid.SampledFrom(spellings).Draw(t, "form")
		var withForm string
		switch rapid.IntRange(0, 2).Draw(t, "where") {
		case 0:
			withForm = name + rapid.SampledFrom([]string{" ", ", "}).Draw(t, "separator") + form
		case 1:
			withForm = form + " " + name
		default:
			withForm = form + " " + name + " " + rapid.SampledFrom(spellings).Draw(t, "second form")
		}
		if got, want := Key(withForm), Key(name); got != want {
			t.Fatalf("Key(%q) = %q, want %q as for %q", withForm, got, want, name)
		}
	})
}

// FuzzKey checks that any input gives a valid key that folds to itself.
func FuzzKey(f *testing.F) {
	for _, s := range []string{
		acme, "ＡＣＭＥ\u200b-Wíd\u00adgеts, s.r.o.", "ООО Acme", "トヨタ株式会社", "삼성전자(주)",
		"GmbH", "", "\u0301a", "Acme\u202eWidgets", "ǅ ǈ ǋ ß ﬃ", "\xff\xfe",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		k := Key(name)
		if !utf8.ValidString(k) {
			t.Fatalf("Key(%q) = %q is not valid UTF-8", name, k)
		}
		if again := Key(k); again != k {
			t.Fatalf("Key(%q) = %q, but Key(%q) = %q", name, k, k, again)
		}
		if joined := strings.Join(Tokens(name), ""); joined != k {
			t.Fatalf("Tokens(%q) joined = %q, Key = %q", name, joined, k)
		}
		if m := Compare(name, name); (m == Exact) != (k != "") {
			t.Fatalf("Compare(%q, itself) = %v with key %q", name, m, k)
		}
	})
}
