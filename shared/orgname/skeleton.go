package orgname

import (
	"sort"

	"golang.org/x/text/unicode/norm"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/orgname/internal/fold"
)

// Skeleton returns the UTS #39 skeleton of s: s decomposed (NFD), every character
// replaced by its prototype from confusables.txt, decomposed again. Two strings with the
// same skeleton are visually confusable. It neither folds case nor removes anything; Key
// does both.
func Skeleton(s string) string {
	return norm.NFD.String(fold.Map(norm.NFD.String(s), confusable))
}

// confusable returns the prototype of r from the generated table, and false when r is
// its own prototype.
var confusable fold.Mapper = func(r rune) (string, bool) {
	// Of ASCII, confusables.txt maps only a few symbols, the digits 0 and 1, "I" and "m".
	if r < 0x80 && !asciiConfusable[r] {
		return "", false
	}
	i := sort.Search(len(confusableFrom), func(i int) bool { return confusableFrom[i] >= r })
	if i == len(confusableFrom) || confusableFrom[i] != r {
		return "", false
	}
	start := uint16(0)
	if i > 0 {
		start = confusableEnd[i-1]
	}
	return confusableTo[start:confusableEnd[i]], true
}

// asciiConfusable marks the ASCII characters that have a line in confusables.txt;
// TestASCIIConfusable checks it against the table.
var asciiConfusable = [128]bool{
	'"': true, '%': true, '0': true, '1': true, 'I': true, '`': true, 'm': true, '|': true,
}
