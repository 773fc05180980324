package orgname

import "github.com/sponsorship-tracker/sponsorship-tracker/shared/orgname/internal/fold"

// Invisible reports whether r is a format character (Cf) or a default-ignorable code
// point (as Unicode derives Default_Ignorable_Code_Point): a character that shows as
// nothing, or only changes how its neighbours show, such as a zero width space, soft
// hyphen, zero width joiner, variation selector or tag character. Names, organizations
// and e-mail addresses have no use for them and should refuse them; Key ignores them.
func Invisible(r rune) bool { return fold.Invisible(r) }

// BidiControl reports whether r is one of the explicit bidirectional embedding, override
// and isolate controls (U+202A–U+202E, U+2066–U+2069), which can make text display in an
// order other than the one it is stored in. Every text field should refuse them.
func BidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}
