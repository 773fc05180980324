package orgname

import (
	"strings"

	"github.com/gosimple/unidecode"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/orgname/internal/fold"
)

// Match is how closely two organization names agree.
type Match int

// The outcomes of Compare.
const (
	// None: the names are different organizations.
	None Match = iota
	// Possible: the names are close enough that a person must decide (a conflict of
	// interest to confirm or dismiss).
	Possible
	// Exact: the names have the same key; they name the same organization.
	Exact
)

// String returns "none", "possible" or "exact".
func (m Match) String() string {
	switch m {
	case Exact:
		return "exact"
	case Possible:
		return "possible"
	default:
		return "none"
	}
}

// Thresholds of near matching, in letters of the shorter name as a reader counts them.
const (
	minRunLetters     = 2  // a key found as a run of the other name's words
	minPrefixLetters  = 5  // a key that is a prefix of the other
	minOneEditLetters = 5  // keys one edit apart
	minTwoEditLetters = 10 // two words one edit apart each
)

// Compare compares an organization (a reviewer's company, say) with a name (an
// applicant's organization). It is symmetric; the package documentation lists when two
// names are a Possible match.
func Compare(organization, name string) Match {
	wa, wb := fold.Words(organization, confusable), fold.Words(name, confusable)
	a, b := stripForms(wa), stripForms(wb)
	ka, kb := join(a), join(b)
	if ka == "" || kb == "" {
		return None
	}
	// Equal keys; or one name, with nothing stripped, is the other's key: a legal-form
	// abbreviation found at an end was in fact part of the name ("A.C.M.E. Compilers",
	// whose "A.C." is also Mexico's asociación civil).
	if ka == kb || ka == join(wb) || join(wa) == kb {
		return Exact
	}
	if near(a, b, ka, kb) || sameWords(a, b) || transliterated(organization, name) {
		return Possible
	}
	return None
}

// sameWords reports two names of the same words in another order ("Compilers Acme").
func sameWords(a, b []fold.Word) bool {
	if len(a) < 2 || len(a) != len(b) {
		return false
	}
	count := map[string]int{}
	for i := range a {
		count[a[i].Skeleton]++
		count[b[i].Skeleton]--
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return true
}

// transliterated compares two names written in different scripts by their Latin
// transliterations ("АКМЕ Компилерс" is "AKME Kompilers", "华为" is "Hua Wei"):
// equal or near keys are a Possible match, never an Exact one, since a
// transliteration loses letters. The transliteration is Text::Unidecode's table, as
// github.com/gosimple/unidecode ships it; it is decoded on first use (about 4 ms, once
// per process), so names in ASCII never pay for it.
func transliterated(organization, name string) bool {
	if fold.IsASCII(organization) && fold.IsASCII(name) {
		return false
	}
	a, b := parse(unidecode.Unidecode(organization)), parse(unidecode.Unidecode(name))
	ka, kb := join(a), join(b)
	return ka != "" && kb != "" && (ka == kb || near(a, b, ka, kb))
}

func near(a, b []fold.Word, ka, kb string) bool {
	la, lb := letters(a), letters(b)
	short := min(la, lb)
	if (la >= minRunLetters && isRunOf(ka, b)) || (lb >= minRunLetters && isRunOf(kb, a)) {
		return true
	}
	if short >= minPrefixLetters && (strings.HasPrefix(ka, kb) || strings.HasPrefix(kb, ka)) {
		return true
	}
	if short >= minOneEditLetters && editDistance(ka, kb, 1) <= 1 {
		return true
	}
	if short >= minTwoEditLetters && len(a) == len(b) {
		edits := 0
		for i := range a {
			d := editDistance(a[i].Skeleton, b[i].Skeleton, 1)
			if d > 1 {
				return false
			}
			edits += d
		}
		return edits <= 2
	}
	return false
}

// letters counts the letters of the plain words.
func letters(words []fold.Word) int {
	n := 0
	for _, w := range words {
		n += fold.Length(w.Plain)
	}
	return n
}

// isRunOf reports whether key is the key of a run of whole words of words.
func isRunOf(key string, words []fold.Word) bool {
	for i := range words {
		rest := key
		for j := i; j < len(words) && strings.HasPrefix(rest, words[j].Skeleton); j++ {
			rest = rest[len(words[j].Skeleton):]
			if rest == "" {
				return true
			}
		}
	}
	return false
}

// editDistance returns the optimal string alignment distance between a and b (the
// Damerau–Levenshtein distance where no substring is edited twice: insertions,
// deletions, substitutions and transpositions of neighbours, counted in runes), or
// limit+1 as soon as it must exceed limit.
func editDistance(a, b string, limit int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > limit || -d > limit {
		return limit + 1
	}
	// Three rows of the dynamic programme: two back, one back, current.
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d = min(d, prev2[j-2]+1)
			}
			cur[j] = d
			best = min(best, d)
		}
		if best > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(rb)], limit+1)
}
