package orgname

import (
	"sort"
	"strings"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/orgname/internal/fold"
)

// Key returns the comparison key of an organization or company name: its folded,
// skeletonised words without legal forms, joined without spaces. Two names with equal,
// non-empty keys are the same organization; "" (no letter or digit) matches nothing.
func Key(name string) string {
	return join(parse(name))
}

// Tokens returns the words of a name as Key folds them, legal forms removed, for near
// matching. They are skeletons ("acrne" for "Acme"), for comparing, not for showing.
func Tokens(name string) []string {
	words := parse(name)
	if len(words) == 0 {
		return nil
	}
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = w.Skeleton
	}
	return out
}

// parse folds a name into words and removes its legal forms.
func parse(name string) []fold.Word {
	return stripForms(fold.Words(name, confusable))
}

func join(words []fold.Word) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0].Skeleton
	}
	var b strings.Builder
	for _, w := range words {
		b.WriteString(w.Skeleton)
	}
	return b.String()
}

// stripForms removes legal forms from both ends of a name until none is left, never
// removing the last of its words.
func stripForms(words []fold.Word) []fold.Word {
	var buf []byte
	for changed := true; changed; {
		changed = false
		if n := formAtEnd(words, &buf); n > 0 {
			words = words[:len(words)-n]
			changed = true
		}
		if n := formAtStart(words, &buf); n > 0 {
			words = words[n:]
			changed = true
		}
		if w, ok := stripSpaceless(words); ok {
			words = w
			changed = true
		}
	}
	return words
}

// formAtEnd returns how many words at the end of words make up a legal form, trying the
// longest run first, or 0. The run never takes every word.
func formAtEnd(words []fold.Word, buf *[]byte) int {
	for k := min(maxFormWords, len(words)-1); k > 0; k-- {
		*buf = (*buf)[:0]
		for _, w := range words[len(words)-k:] {
			*buf = append(*buf, w.Skeleton...)
		}
		if isForm(*buf) {
			return k
		}
	}
	return 0
}

// formAtStart is formAtEnd for the start of a name.
func formAtStart(words []fold.Word, buf *[]byte) int {
	for k := min(maxFormWords, len(words)-1); k > 0; k-- {
		*buf = (*buf)[:0]
		for _, w := range words[:k] {
			*buf = append(*buf, w.Skeleton...)
		}
		if isForm(*buf) {
			return k
		}
	}
	return 0
}

// isForm reports whether key is a legal form. The comparisons convert key without
// copying it.
func isForm(key []byte) bool {
	i := sort.Search(len(legalForms), func(i int) bool { return legalForms[i] >= string(key) })
	return i < len(legalForms) && legalForms[i] == string(key)
}

// stripSpaceless removes a legal form written in a script without spaces from the start
// or end of the joined key, where it may sit inside a word ("トヨタ株式会社"). It works on
// the joined key, so that the key of a key finds nothing more to remove. A word cut in
// two keeps its skeleton as its plain form: only its length is read.
func stripSpaceless(words []fold.Word) ([]fold.Word, bool) {
	if len(words) == 0 || (fold.IsASCII(words[0].Skeleton) && fold.IsASCII(words[len(words)-1].Skeleton)) {
		return words, false
	}
	key := join(words)
	for _, f := range spacelessForms {
		if len(f) >= len(key) {
			continue
		}
		if strings.HasPrefix(key, f) {
			return cutFront(words, len(f)), true
		}
		if strings.HasSuffix(key, f) {
			return cutBack(words, len(f)), true
		}
	}
	return words, false
}

func cutFront(words []fold.Word, n int) []fold.Word {
	out := append([]fold.Word(nil), words...)
	for n > 0 {
		if s := out[0].Skeleton; len(s) <= n {
			n -= len(s)
			out = out[1:]
			continue
		}
		rest := out[0].Skeleton[n:]
		out[0] = fold.Word{Plain: rest, Skeleton: rest}
		n = 0
	}
	return out
}

func cutBack(words []fold.Word, n int) []fold.Word {
	out := append([]fold.Word(nil), words...)
	for n > 0 {
		last := len(out) - 1
		if s := out[last].Skeleton; len(s) <= n {
			n -= len(s)
			out = out[:last]
			continue
		}
		rest := out[last].Skeleton[:len(out[last].Skeleton)-n]
		out[last] = fold.Word{Plain: rest, Skeleton: rest}
		n = 0
	}
	return out
}
