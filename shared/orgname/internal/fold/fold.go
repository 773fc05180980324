// Package fold turns text into the words that organization names are compared by. It
// is shared by package orgname, which maps confusable characters through its generated
// table, and by the generator, which maps them through the data file itself, so that the
// legal forms in the generated table are folded exactly as names are at run time.
package fold

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Mapper returns the prototype of r from Unicode's confusables data, and false when r
// is its own prototype (it has no line in confusables.txt).
type Mapper func(r rune) (string, bool)

// Word is one word of a name: Plain is the word case-folded with diacritics and
// invisible characters removed, Skeleton is that word with every confusable character
// replaced by its prototype. Names are compared by Skeleton; Plain is what a person would
// count the letters of (the skeleton of "m" is "rn").
type Word struct {
	Plain    string
	Skeleton string
}

// Length is the number of characters of a plain word or key as a reader counts them:
// its runes after canonical composition, so that a Hangul syllable or an accented
// letter counts once.
func Length(plain string) int {
	return utf8.RuneCountInString(norm.NFC.String(plain))
}

// maxRounds bounds the folding of one word. A round folds case, drops marks and maps
// confusables; mapping can produce upper-case letters ("0" becomes "O") or marks, so a
// word is folded again until it no longer changes. Every character of Unicode 15 settles
// within two rounds (TestEveryRuneSettles); two more are spare.
const maxRounds = 4

// Words splits s into words and folds each one. Words are runs of letters, digits and
// marks; everything else separates them, except invisible characters and apostrophes,
// which are removed without separating ("Ac\u200bme" and "O'Neil" are one word each).
func Words(s string, m Mapper) []Word {
	if s == "" {
		return nil
	}
	if IsASCII(s) {
		s = strings.ToLower(s) // NFKC and case folding of ASCII
	} else {
		s = foldCase(norm.NFKC.String(s))
	}
	var words []Word
	var cur strings.Builder
	flush := func() {
		if cur.Len() == 0 {
			return
		}
		if w, ok := settle(cur.String(), m); ok {
			words = append(words, w)
		}
		cur.Reset()
	}
	for _, r := range s {
		switch {
		case Invisible(r) || apostrophe(r):
		case isWordRune(r):
			cur.WriteRune(r)
		default:
			flush()
		}
	}
	flush()
	return words
}

// settle folds one word until it no longer changes. ok is false when nothing is left of
// it (a lone accent, say).
func settle(raw string, m Mapper) (Word, bool) {
	plain := strip(raw)
	if plain == "" {
		return Word{}, false
	}
	skel := plain
	for range maxRounds {
		next := strip(Map(skel, m))
		if next == skel {
			break
		}
		skel = next
	}
	if skel == "" {
		return Word{}, false
	}
	return Word{Plain: plain, Skeleton: skel}, true
}

// strip is one round of folding without confusables: compatibility composition, case
// folding, then decomposition with nonspacing marks (diacritics), invisible characters
// and anything that is not part of a word removed. A word never starts with a mark, so
// that words concatenated into a key fold to the same key again.
func strip(s string) string {
	if isASCIIWord(s) {
		return s
	}
	s = norm.NFD.String(foldCase(norm.NFKC.String(s)))
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if Invisible(r) || unicode.Is(unicode.Mn, r) || !isWordRune(r) {
			continue
		}
		if b.Len() == 0 && unicode.IsMark(r) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Map replaces every character of s that has a prototype by that prototype.
func Map(s string, m Mapper) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if p, ok := m(r); ok {
			b.WriteString(p)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// foldCase applies Unicode full case folding. A Caser keeps state, so each call makes its
// own; that costs one small allocation and is safe from any goroutine.
func foldCase(s string) string {
	if isASCIILower(s) {
		return s
	}
	return cherokeeCapitals(cases.Fold().String(s))
}

// cherokeeCapitals corrects x/text's folding of Cherokee. Unicode folds the small
// letters (U+AB70–U+ABBF, U+13F8–U+13FD) to the capitals, which were encoded first;
// x/text's Fold also turns capitals into small letters, so folding twice would undo it.
// Mapping every small letter to its capital after Fold gives Unicode's folding.
func cherokeeCapitals(s string) string {
	if !strings.ContainsFunc(s, isCherokeeSmall) {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 0xAB70 && r <= 0xABBF:
			return r - 0xAB70 + 0x13A0
		case r >= 0x13F8 && r <= 0x13FD:
			return r - 0x13F8 + 0x13F0
		}
		return r
	}, s)
}

func isCherokeeSmall(r rune) bool {
	return (r >= 0xAB70 && r <= 0xABBF) || (r >= 0x13F8 && r <= 0x13FD)
}

// IsASCII reports whether s is all ASCII.
func IsASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// isASCIIWord reports whether s is lower-case ASCII letters and digits, which one round
// of strip leaves as they are.
func isASCIIWord(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z') && !('0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

func isASCIILower(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r)
}

// apostrophe reports the characters written inside words ("O'Neil", "McDonald’s") that
// are dropped rather than treated as a break between words.
func apostrophe(r rune) bool {
	return r == '\'' || r == '\u2019' || r == '\u02BC'
}

// Invisible reports whether r is a format character (general category Cf) or a
// default-ignorable code point: characters that render as nothing, or change only how
// their neighbours render, so that two names can look identical and differ in them.
// Default_Ignorable_Code_Point is derived as in Unicode's DerivedCoreProperties.txt
// (Other_Default_Ignorable_Code_Point + Cf + Variation_Selector − White_Space − a few
// visible format characters); adding every Cf keeps those few visible ones too, which a
// name has no use for either.
func Invisible(r rune) bool {
	if r < 0xAD {
		return false
	}
	return unicode.Is(unicode.Cf, r) ||
		unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) ||
		unicode.Is(unicode.Variation_Selector, r)
}
