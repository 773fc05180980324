package orgname

import (
	"slices"
	"strings"
	"testing"
)

const acme = "Acme Widgets Inc."

// Every spelling here names the company "Acme Widgets Inc." and must recuse its
// reviewer.
func TestSpellingsOfOneCompanyAreExact(t *testing.T) {
	tests := []struct{ why, name string }{
		{"plain", "Acme Widgets"},
		{"upper case", "ACME WIDGETS INC"},
		{"full-width letters", "ＡＣＭＥ　Ｗｉｄｇｅｔｓ"},
		{"Cyrillic А", "\u0410cme Widgets"},
		{"Cyrillic е and о lookalikes", "Acm\u0435 Widg\u0435ts"},
		{"Greek Α and ο lookalikes", "\u0391cme Widgets"},
		{"Cyrillic і and ѕ", "Acme W\u0456dget\u0455"},
		{"mathematical bold letters", "\U0001D400\U0001D41C\U0001D426\U0001D41E Widgets"},
		{"zero width space inside a word", "Ac\u200bme Widgets"},
		{"zero width space between words", "Acme\u200bWidgets"},
		{"soft hyphen", "Acme Wid\u00adgets"},
		{"zero width joiner", "Ac\u200dme Wid\u200dgets"},
		{"zero width non-joiner", "A\u200ccme Widgets"},
		{"word joiner and BOM", "\ufeffAcme\u2060 Widgets"},
		{"bidi override inside", "Acme \u202eWidgets\u202c"},
		{"bidi isolate inside", "Ac\u2066me\u2069 Widgets"},
		{"variation selector", "Acme\ufe0f Widgets"},
		{"tag characters", "Acme Widgets\U000E0041\U000E007F"},
		{"no space", "AcmeWidgets"},
		{"hyphenated", "Acme-Widgets, Inc."},
		{"accents", "Acmé Wídgets"},
		{"decomposed accents", "Acme\u0301 Widgets\u0308"},
		{"extra spaces and punctuation", "  Acme   Widgets,  Inc.  "},
		{"no-break spaces", "Acme\u00a0Widgets\u202fInc"},
		{"GmbH & Co. KG", "Acme Widgets GmbH & Co. KG"},
		{"Pte. Ltd.", "Acme Widgets Pte. Ltd."},
		{"s.r.o.", "Acme Widgets s.r.o."},
		{"spol. s r.o.", "Acme Widgets spol. s r.o."},
		{"Sp. z o.o.", "Acme Widgets Sp. z o.o."},
		{"Ltda.", "Acme Widgets Ltda."},
		{"A/S", "Acme Widgets A/S"},
		{"OÜ", "Acme Widgets OÜ"},
		{"LLC", "Acme Widgets LLC"},
		{"L.L.C.", "Acme Widgets, L.L.C."},
		{"Limited", "Acme Widgets Limited"},
		{"Ltd", "Acme Widgets Ltd"},
		{"S.A.", "Acme Widgets S.A."},
		{"S.p.A.", "Acme Widgets S.p.A."},
		{"SpA", "Acme Widgets SpA"},
		{"AG", "Acme Widgets AG"},
		{"SE", "Acme Widgets SE"},
		{"BV", "Acme Widgets BV"},
		{"B.V.", "Acme Widgets B.V."},
		{"N.V.", "Acme Widgets N.V."},
		{"K.K.", "Acme Widgets K.K."},
		{"Kabushiki Kaisha", "Acme Widgets Kabushiki Kaisha"},
		{"Pty Ltd", "Acme Widgets Pty Ltd"},
		{"Kft.", "Acme Widgets Kft."},
		{"GmbH", "Acme Widgets GmbH"},
		{"Oy", "Acme Widgets Oy"},
		{"AB", "Acme Widgets AB"},
		{"S.à r.l.", "Acme Widgets S.à r.l."},
		{"Corporation", "Acme Widgets Corporation"},
		{"Incorporated", "Acme Widgets Incorporated"},
		{"Aktiengesellschaft", "Acme Widgets Aktiengesellschaft"},
		{"Limited Liability Company", "Acme Widgets Limited Liability Company"},
		{"Sociedad Anónima", "Acme Widgets Sociedad Anónima"},
		{"S.A. de C.V.", "Acme Widgets, S.A. de C.V."},
		{"Berhad", "Acme Widgets Sdn. Bhd."},
		{"ООО prefix", "ООО Acme Widgets"},
		{"OOO prefix, Latin", "OOO Acme Widgets"},
		{"ООО in quotes", "ООО «Acme Widgets»"},
		{"PT prefix", "PT Acme Widgets"},
		{"UAB prefix", "UAB Acme Widgets"},
		{"two forms", "Acme Widgets Pty Ltd Inc"},
		{"forms at both ends", "PT Acme Widgets Tbk"},
		{"inactive form (Brazil's EIRELI, abolished in 2021)", "Acme Widgets EIRELI"},
		{"everything at once", "ＡＣＭＥ\u200b-Wíd\u00adgеts, s.r.o."},
	}
	want := Key(acme)
	if want != Key("Acme Widgets") || want == "" {
		t.Fatalf("Key(%q) = %q, want the key of %q", acme, want, "Acme Widgets")
	}
	for _, tt := range tests {
		if got := Key(tt.name); got != want {
			t.Errorf("%s: Key(%q) = %q, want %q", tt.why, tt.name, got, want)
		}
		if got := Compare(acme, tt.name); got != Exact {
			t.Errorf("%s: Compare(%q, %q) = %v, want exact", tt.why, acme, tt.name, got)
		}
	}
}

func TestNearMatchesArePossible(t *testing.T) {
	tests := []struct{ a, b string }{
		{acme, "Acme Widgets (Europe)"},
		{acme, "The Acme Widgets Company"},
		{acme, "Acme Widgets Group"},
		{acme, "Acme Widget"},
		{acme, "Acme Wigdets"},
		{acme, "Acme Widgets Europe GmbH"},
		{acme, "AcmeWidgets Europe"},
		{acme, "The AcmeWidgets Company"},
		{acme, "Acme Wdgets"},
		{acme, "ACME WlDGETS"}, // a lower-case l for the upper-case I
		{"Acme Widgets International", "Acne Widgets Internacional"},
		{"Linux Foundation", "Linux"},
		{"Linux Foundation", "The Linux Foundation Europe"},
		{"Meta", "Meta Platforms, Inc."},
		{"HP Inc.", "HP Enterprise"},
		{"Acme Widgets Fund II", "Acme Widgets Fund III"},
		{"Plan A", "Plan B"},   // five letters, one edit apart
		{acme, "Widgets Acme"}, // the same words in another order
		{"Acme Compilers Inc.", "Compilers, Acme"},
		// Another script, compared by transliteration: near, never exact.
		{"Acme Compilers Inc.", "АКМЕ Компилерс"},
		{"Huawei Technologies Co., Ltd.", "华为"},
		{"Toyota Motor Corporation", "トヨタ"},
		{"Initech", "Инитех"},
	}
	for _, tt := range tests {
		if got := Compare(tt.a, tt.b); got != Possible {
			t.Errorf("Compare(%q, %q) = %v, want possible", tt.a, tt.b, got)
		}
	}
}

func TestDifferentNamesAreNone(t *testing.T) {
	tests := []struct{ a, b string }{
		{acme, "Acme Gadgets"},
		{acme, "Widgets United"},
		{acme, "Initech"},
		{acme, "Acm"},
		{"Meta", "Metabase"},
		{"Meta", "Beta"},
		{"IBM", "IBX"},
		{acme, ""},
		{"", ""},
		{"…", "—"},
		{"Acme Widgets", "Acme Gizmos"},
	}
	for _, tt := range tests {
		if got := Compare(tt.a, tt.b); got != None {
			t.Errorf("Compare(%q, %q) = %v, want none", tt.a, tt.b, got)
		}
	}
}

// Ordinary organisation nouns are part of a name: stripping them would make "Linux
// Foundation" the same organization as "Linux".
func TestOrganisationNounsStay(t *testing.T) {
	for _, noun := range []string{
		"Foundation", "Stiftung", "Fondation", "Stichting", "Association", "Verein",
		"Trust", "Society", "Fund", "Bank", "Cooperative", "Co-op", "Partnership",
		"District", "Embassy",
	} {
		if Key("Linux "+noun) == Key("Linux") {
			t.Errorf("Key(%q) = Key(%q): %q is removed as a legal form", "Linux "+noun, "Linux", noun)
		}
		if Key(noun+" Linux") == Key("Linux") {
			t.Errorf("Key(%q) = Key(%q): %q is removed as a legal form", noun+" Linux", "Linux", noun)
		}
	}
	for _, name := range []string{"Plan A", "Le Monde", "Acme Widgets II", "Acme S"} {
		if got := Tokens(name); len(got) != len(strings.Fields(name)) {
			t.Errorf("Tokens(%q) = %q: a word was removed", name, got)
		}
	}
}

func TestNeverStripsTheWholeName(t *testing.T) {
	tests := []struct{ name, sameAs string }{
		{"SAP SE", "SAP"},
		{"GmbH", "GMBH"},
		{"Ltd.", "LTD"},
		{"AG & Co. KG", "ag&co.kg"},
		{"株式会社", "株式会社"},
		{"The Ukrainian Catholic Parish of", "the ukrainian catholic parish of"},
	}
	for _, tt := range tests {
		got := Key(tt.name)
		if got == "" {
			t.Errorf("Key(%q) is empty", tt.name)
		}
		if want := Key(tt.sameAs); got != want {
			t.Errorf("Key(%q) = %q, want %q", tt.name, got, want)
		}
	}
	for _, name := range []string{"", " ", "—", "\u200b", "()", "\u0301"} {
		if got := Key(name); got != "" {
			t.Errorf("Key(%q) = %q, want \"\" for a name without letters or digits", name, got)
		}
	}
}

// Legal forms written in scripts without spaces sit against the name.
func TestSpacelessLegalForms(t *testing.T) {
	for _, tt := range []struct{ a, b string }{
		{"トヨタ株式会社", "株式会社トヨタ"},
		{"トヨタ株式会社", "トヨタ"},
		{"Acme株式会社", "Acme K.K."},
		{"株式会社 Acme Widgets", acme},
		{"阿里巴巴集团控股有限公司", "阿里巴巴集团控股"},
		{"삼성전자 주식회사", "삼성전자"},
		{"삼성전자주식회사", "주식회사 삼성전자"},
		// A legal form found at an end that was part of the name: the name with nothing
		// stripped is the other's key.
		{"A.C.M.E. Compilers", "Acme Compilers Inc."},
	} {
		if got := Compare(tt.a, tt.b); got != Exact {
			t.Errorf("Compare(%q, %q) = %v (keys %q and %q), want exact", tt.a, tt.b, got, Key(tt.a), Key(tt.b))
		}
	}
}

func TestTokens(t *testing.T) {
	tests := []struct {
		name string
		want []string
	}{
		{"Acme Widgets Inc.", []string{Key("Acme"), "widgets"}},
		{"O'Neil & Sons", []string{"oneil", "sons"}},
		{"McDonald’s", []string{Key("McDonalds")}},
		{"ООО «Рога и копыта»", Tokens("Рога и копыта")},
		{"", nil},
	}
	for _, tt := range tests {
		if got := Tokens(tt.name); !slices.Equal(got, tt.want) {
			t.Errorf("Tokens(%q) = %q, want %q", tt.name, got, tt.want)
		}
		if got, want := strings.Join(Tokens(tt.name), ""), Key(tt.name); got != want {
			t.Errorf("Tokens(%q) joined = %q, Key = %q", tt.name, got, want)
		}
	}
}

func TestSkeleton(t *testing.T) {
	tests := []struct{ a, b string }{
		{"paypal", "p\u0430yp\u0430l"}, // Cyrillic а
		{"scope", "\u0455\u0441\u043e\u0440\u0435"},
		{"m", "rn"},
		{"l", "1"},
		{"l", "I"},
		{"O", "0"},
		{"ﬁ", "fi"},
	}
	for _, tt := range tests {
		if Skeleton(tt.a) != Skeleton(tt.b) {
			t.Errorf("Skeleton(%q) = %q, Skeleton(%q) = %q, want equal", tt.a, Skeleton(tt.a), tt.b, Skeleton(tt.b))
		}
	}
	// The skeleton neither folds case nor drops accents.
	for _, tt := range []struct{ a, b string }{{"a", "A"}, {"e", "é"}, {"x", "y"}} {
		if Skeleton(tt.a) == Skeleton(tt.b) {
			t.Errorf("Skeleton(%q) = Skeleton(%q) = %q, want different", tt.a, tt.b, Skeleton(tt.a))
		}
	}
}

func TestInvisibleAndBidiControl(t *testing.T) {
	for _, r := range []rune{0x00AD, 0x034F, 0x061C, 0x115F, 0x180E, 0x200B, 0x200C, 0x200D, 0x200E, 0x202A, 0x202E, 0x2060, 0x2066, 0x2069, 0x3164, 0xFE0F, 0xFEFF, 0xFFA0, 0xE0001, 0xE0100} {
		if !Invisible(r) {
			t.Errorf("Invisible(%U) = false", r)
		}
	}
	for _, r := range []rune{' ', 'a', '-', 0x00A0, 0x2028, 0x3000, 0x0301, 'Ж', '株'} {
		if Invisible(r) {
			t.Errorf("Invisible(%U) = true", r)
		}
	}
	for r := rune(0); r < 0x2100; r++ {
		want := (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
		if BidiControl(r) != want {
			t.Errorf("BidiControl(%U) = %v, want %v", r, !want, want)
		}
	}
}

func TestMatchString(t *testing.T) {
	for m, want := range map[Match]string{None: "none", Possible: "possible", Exact: "exact"} {
		if m.String() != want {
			t.Errorf("%d.String() = %q, want %q", m, m.String(), want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b  string
		limit int
		want  int
	}{
		{"widgets", "widgets", 2, 0},
		{"widgets", "widget", 2, 1},
		{"widgets", "wigdets", 2, 1},
		{"widgets", "gadgets", 2, 2},
		{"widgets", "gadgets", 1, 2},
		{"ca", "abc", 3, 3}, // optimal string alignment does not edit a transposed pair again
		{"", "abc", 5, 3},
		{"株式", "株", 1, 1},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b, tt.limit); got != tt.want {
			t.Errorf("editDistance(%q, %q, %d) = %d, want %d", tt.a, tt.b, tt.limit, got, tt.want)
		}
	}
}
