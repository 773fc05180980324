package sponsorship

import "unicode"

// bidiControl reports the explicit embedding, override and isolate controls
// (U+202A–U+202E, U+2066–U+2069): they make text display in another order than it is
// stored, so "ABC" can read as "CBA" to the committee.
func bidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}

// invisible reports format and other default-ignorable characters: zero-width spaces
// and joiners, soft hyphens, variation selectors and the like, which render as
// nothing and can make two names look alike.
func invisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) ||
		unicode.Is(unicode.Variation_Selector, r)
}
