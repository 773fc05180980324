// Package orgname compares organization and company names, and e-mail domains, so that
// a reviewer whose company matches an applicant's organization is found however the
// applicant spells it. It is pure computation over tables generated from published
// data: Unicode's confusables (UTS #39) and GLEIF's ISO 20275 Entity Legal Forms code
// list.
//
// # Keys
//
// Key reduces a name to its comparison key:
//
//   - compatibility normalisation (NFKC) and full case folding: "ＡＣＭＥ" is "acme";
//   - format and default-ignorable characters removed, without breaking the word: a zero
//     width space, soft hyphen, zero width joiner or bidi control inside "Acme" is gone;
//   - diacritics removed (canonical decomposition, then nonspacing marks dropped):
//     "Acmé" is "acme". In scripts whose vowel signs are nonspacing marks (Devanagari,
//     Thai) this ignores those signs too, which can only make more names match;
//   - every confusable character replaced by its prototype, as the UTS #39 skeleton does:
//     the Cyrillic "А" of "Аcme" is the Latin "a"; the skeleton of "m" is "rn", so keys
//     are for comparing, not for showing. Case is folded before the skeleton, so a
//     lower-case "l" posing as an upper-case "I" is a near match, not an exact one;
//   - words are the runs of letters, digits and marks; apostrophes and invisible
//     characters do not break a word, anything else does;
//   - legal forms removed from the end and the start of the name, repeatedly (below);
//   - the remaining words joined without spaces: "Acme Widgets Inc." and "AcmeWidgets"
//     have the same key.
//
// A key is "" when no word is left: a name of punctuation, symbols, marks or invisible
// characters only. It matches nothing.
// Key is idempotent: the key of a key is itself.
//
// # Legal forms
//
// The legal forms come from GLEIF's ISO 20275 code list (LegalFormsVersion of
// LegalFormsDate), active and inactive forms alike: a company formed under a form that is
// no longer used still carries it in its name. From each row:
//
//   - every abbreviation, local and transliterated, is a legal form ("GmbH & Co. KG",
//     "Sp. z o.o.", "ООО"). Cells list alternatives separated by ";" (a few rows use
//     ", "); entries of more than 12 words are descriptions, not designations, and are
//     left out;
//   - every name of two or more words is a legal form ("Limited Liability Company",
//     "Perseroan Terbatas");
//   - a one-word name is a legal form only when its row also lists an abbreviation:
//     "Aktiengesellschaft" (AG) and "Osakeyhtiö" (Oy) are designations a company carries,
//     while one-word names without one are register categories ("Partnership", "Region",
//     "Kommun") rather than words found after a name.
//
// Three exceptions keep a name whole. A form of a single letter ("A", "S") is never
// removed: a lone letter is more often part of the name ("Plan A"). Forms that are
// ordinary words are never removed: nouns naming a kind of organisation or public body
// ("Foundation", "Stiftung", "Association", "Society", "Trust", "Fund", "Bank",
// "Cooperative", "Partnership", "District"), and a few articles, prepositions and Roman
// numerals that some country uses as an abbreviation ("Le", "Et", "II"). They are listed
// in data/organisation-nouns.txt; because of them "Linux Foundation" and "Linux" are a
// possible match, not an exact one. And a name is never stripped to nothing: "SAP SE"
// becomes "SAP", and "GmbH" alone stays "GmbH".
//
// Forms are matched on whole words, by their key, so "S.p.A.", "SpA" and "S P A" are one
// form; a run of words at the end or start of a name is removed when its key is a form,
// the longest run first, until no form is left at either end ("Acme Holdings GmbH & Co.
// KG", "ООО Acme", "PT Acme"). Forms in scripts written without spaces (Han, Kana,
// Hangul) are also removed when the name starts or ends with them inside a word
// ("トヨタ株式会社").
//
// The code list lacks a few abbreviations in common use ("s.r.o.", "a.s.", "K.K."):
// data/elf-supplement.csv adds them to the forms they belong to, each with the law or
// usage it comes from.
//
// # Matching
//
// Compare reports Exact when the keys are equal and not empty, and Possible, a near match
// that a reviewer must settle, when:
//
//   - one key is the key of a run of whole words of the other name: "Acme Widgets
//     (Europe)", "The Acme Widgets Company" and "Acme Widgets Group" against
//     "Acme Widgets Inc.";
//   - one key is a prefix of the other and the shorter has at least 5 letters;
//   - the keys are one edit apart (insertion, deletion, substitution or transposition of
//     neighbours) and the shorter has at least 5 letters ("Acme Widget", "Acme Wigdets");
//   - the names have the same number of words, at least 10 letters, and differ by one
//     edit in each of two words. Two edits within one word make another word ("Gadgets"
//     and "Widgets"), so they are not a near match;
//   - the names have the same words in another order ("Widgets Acme");
//   - written in different scripts, their Latin transliterations (Text::Unidecode's
//     table, from github.com/gosimple/unidecode) have equal or near keys by the rules
//     above ("АКМЕ Компилерс" for "Acme Compilers", "华为" for "Huawei"). A
//     transliteration loses letters, so it never makes an Exact match.
//
// Compare also reports Exact when one name, with nothing stripped, has the other's key:
// a legal-form abbreviation found at an end that was part of the name ("A.C.M.E.
// Compilers", whose "A.C." is also an asociación civil).
//
// Letters are counted before the skeleton ("m" counts once), so "Meta" and "Metabase"
// do not match: short names need whole-word agreement.
//
// # Domains
//
// NormalizeDomain turns an e-mail or company domain into lower-case ASCII (IDNA 2008 with
// the UTS #46 lookup mapping) and refuses anything that is not a host name. DomainMatches
// accepts the company's domain and its subdomains; DomainSuggests reports an e-mail domain
// whose registrable label has the key of a company name, a possible conflict.
//
// # Data and performance
//
// The tables are sorted arrays searched by binary search; nothing is built when the
// package loads. data/README.md names each source, its version and licence; run
// go generate after changing data/, and the package test fails until the tables match.
package orgname

//go:generate go run ./internal/gen/gentables -data data -out tables.go
