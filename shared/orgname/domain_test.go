package orgname

import (
	"errors"
	"testing"
)

func TestNormalizeDomain(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{"acme.com", "acme.com", nil},
		{"ACME.Com", "acme.com", nil},
		{"acme.com.", "acme.com", nil},
		{" acme.com ", "acme.com", nil},
		{"ａｃｍｅ．ｃｏｍ", "acme.com", nil},
		{"bücher.de", "xn--bcher-kva.de", nil},
		{"BÜCHER.de", "xn--bcher-kva.de", nil},
		{"xn--bcher-kva.de", "xn--bcher-kva.de", nil},
		{"mail.acme-widgets.co.uk", "mail.acme-widgets.co.uk", nil},
		{"ac\u00adme.com", "", ErrDomainInvisible},
		{"ac\u200bme.com", "", ErrDomainInvisible},
		{"acme\u202e.com", "", ErrDomainInvisible},
		{"", "", ErrDomainInvalid},
		{"a_b.com", "", ErrDomainInvalid},
		{"-acme.com", "", ErrDomainInvalid},
		{"acme..com", "", ErrDomainInvalid},
		{"acme com", "", ErrDomainInvalid},
		{"jane@acme.com", "", ErrDomainInvalid},
		{"xn--a.com", "", ErrDomainInvalid},
		{"a234567890123456789012345678901234567890123456789012345678901234.com", "", ErrDomainInvalid},
		{"localhost", "", ErrDomainNotHost},
		{"192.168.0.1", "", ErrDomainNotHost},
	}
	for _, tt := range tests {
		got, err := NormalizeDomain(tt.in)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("NormalizeDomain(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestEmailDomain(t *testing.T) {
	for in, want := range map[string]string{
		"jane@Acme.COM":         "acme.com",
		"\"a@b\"@acme.com":      "acme.com",
		"jane@bücher.de":        "xn--bcher-kva.de",
		"jane":                  "",
		"jane@":                 "",
		"jane@ac\u200bme.com":   "",
		"jane@mail.acme.co.uk.": "mail.acme.co.uk",
	} {
		if got := EmailDomain(in); got != want {
			t.Errorf("EmailDomain(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDomainMatches(t *testing.T) {
	tests := []struct {
		email, company string
		want           bool
	}{
		{"acme.com", "acme.com", true},
		{"eu.acme.com", "acme.com", true},
		{"EU.ACME.COM.", "Acme.com", true},
		{"bücher.de", "xn--bcher-kva.de", true},
		{"notacme.com", "acme.com", false},
		{"acme.com.evil.io", "acme.com", false},
		{"acme.com", "eu.acme.com", false},
		{"acme.co.uk", "co.uk", false}, // a public suffix is no company's domain
		{"x.github.io", "github.io", false},
		{"acme.com", "", false},
		{"", "acme.com", false},
	}
	for _, tt := range tests {
		if got := DomainMatches(tt.email, tt.company); got != tt.want {
			t.Errorf("DomainMatches(%q, %q) = %v, want %v", tt.email, tt.company, got, tt.want)
		}
	}
}

func TestDomainSuggests(t *testing.T) {
	company := Key("Acme Widgets Inc.")
	tests := []struct {
		email string
		want  bool
	}{
		{"acme-widgets.io", true},
		{"acmewidgets.com", true},
		{"mail.acme-widgets.co.uk", true},
		{"acme-widgets-inc.com", true},
		{"acmé-widgets.de", true},
		{"\u0430cme-widgets.com", true},   // a Cyrillic а: a look-alike domain
		{"xn--cme-widgets-xij.com", true}, // the same, as it arrives in an address
		{"acme.io", false},
		{"widgets.acme.io", false},
		{"gmail.com", false},
		{"acme-widgets", false},
	}
	for _, tt := range tests {
		if got := DomainSuggests(tt.email, company); got != tt.want {
			t.Errorf("DomainSuggests(%q, %q) = %v, want %v", tt.email, company, got, tt.want)
		}
	}
	if DomainSuggests("acme.io", "") {
		t.Error("DomainSuggests with an empty company key = true")
	}
}
