package fold_test

import (
	"slices"
	"testing"
	"unicode"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/orgname/internal/fold"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/orgname/internal/gen"
)

func mapper(t *testing.T) fold.Mapper {
	t.Helper()
	c, err := gen.ReadConfusables("../../data/" + gen.ConfusablesFile)
	if err != nil {
		t.Fatal(err)
	}
	return c.Mapper()
}

// Every character folds to a word that folds to itself, alone and after a Latin letter:
// folding settles within its rounds, so keys are idempotent.
func TestEveryRuneSettles(t *testing.T) {
	m := mapper(t)
	checked := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.IsMark(r) && !unicode.IsSymbol(r) {
			continue
		}
		checked++
		for _, s := range []string{string(r), "a" + string(r)} {
			for _, w := range fold.Words(s, m) {
				again := fold.Words(w.Skeleton, m)
				if len(again) != 1 || again[0].Skeleton != w.Skeleton {
					t.Errorf("%q (%U) folds to %q, which folds to %+v", s, r, w.Skeleton, again)
				}
			}
		}
	}
	if checked < 100000 {
		t.Fatalf("checked %d characters; the Unicode tables are missing", checked)
	}
}

func TestWords(t *testing.T) {
	none := func(rune) (string, bool) { return "", false }
	tests := []struct {
		in   string
		want []string
	}{
		{"Acme Widgets", []string{"acme", "widgets"}},
		{"ACME-WIDGETS, Inc.", []string{"acme", "widgets", "inc"}},
		{"Ac\u200bme\u00ad Wid\u2060gets", []string{"acme", "widgets"}},
		{"O'Neil’s", []string{"oneils"}},
		{"Straße", []string{"strasse"}},
		{"Ｆｕｌｌ", []string{"full"}},
		{"Çağrı Ølsen", []string{"cagrı", "ølsen"}},
		{"\u0301accent", []string{"accent"}},
		{"\u13ef\uabbf", []string{"\u13ef\u13ef"}}, // Cherokee folds to the capitals
		{"\u13f8", []string{"\u13f0"}},
		{"", nil},
		{"…", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, w := range fold.Words(tt.in, none) {
			got = append(got, w.Skeleton)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Words(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLength(t *testing.T) {
	for s, want := range map[string]int{"acme": 4, "e\u0301": 1, "\u1112\u1161\u11ab": 1, "株式会社": 4} {
		if got := fold.Length(s); got != want {
			t.Errorf("Length(%q) = %d, want %d", s, got, want)
		}
	}
}
