package orgname

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// Errors of NormalizeDomain, wrapped with the domain.
var (
	ErrDomainInvisible = errors.New("has an invisible or bidirectional control character")
	ErrDomainInvalid   = errors.New("is not a valid domain name")
	ErrDomainNotHost   = errors.New("is not a host name under a top-level domain")
)

// domainProfile is IDNA 2008 with the UTS #46 mapping used for look-ups (case folded,
// compatibility characters mapped), the bidi rule, STD3 host-name characters, and DNS
// lengths (63 per label, 253 in all) enforced.
var domainProfile = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.Transitional(false),
	idna.StrictDomainName(true),
	idna.VerifyDNSLength(true),
)

// NormalizeDomain returns an e-mail or company domain in lower-case ASCII, with
// internationalized labels in their xn-- form and one trailing dot removed, so that
// spellings of one domain compare equal. It refuses invisible characters (which the IDNA
// mapping would silently drop), anything that is not a host name, and IP addresses.
func NormalizeDomain(d string) (string, error) {
	for _, r := range d {
		if Invisible(r) || BidiControl(r) {
			return "", fmt.Errorf("domain %q %w", d, ErrDomainInvisible)
		}
	}
	d = strings.TrimSuffix(strings.TrimSpace(d), ".")
	a, err := domainProfile.ToASCII(d)
	if err != nil || a == "" {
		return "", fmt.Errorf("domain %q %w", d, ErrDomainInvalid)
	}
	labels := strings.Split(a, ".")
	tld := labels[len(labels)-1]
	if len(labels) < 2 || strings.Trim(tld, "0123456789") == "" {
		return "", fmt.Errorf("domain %q %w", d, ErrDomainNotHost)
	}
	return a, nil
}

// EmailDomain returns the normalized domain of an e-mail address (what follows its last
// "@"), or "" when it has none or it is not valid.
func EmailDomain(email string) string {
	i := strings.LastIndexByte(email, '@')
	if i < 0 {
		return ""
	}
	d, err := NormalizeDomain(email[i+1:])
	if err != nil {
		return ""
	}
	return d
}

// DomainMatches reports whether an e-mail domain is a company's domain or one of its
// subdomains ("eu.acme.com" under "acme.com"). A company domain that is itself a public
// suffix ("co.uk") matches nothing.
func DomainMatches(emailDomain, companyDomain string) bool {
	e, err := NormalizeDomain(emailDomain)
	if err != nil {
		return false
	}
	c, err := NormalizeDomain(companyDomain)
	if err != nil {
		return false
	}
	if suffix, _ := publicsuffix.PublicSuffix(c); suffix == c {
		return false
	}
	return e == c || strings.HasSuffix(e, "."+c)
}

// DomainSuggests reports whether the registrable label of an e-mail domain (the label
// just left of its public suffix: "acme-widgets" in "mail.acme-widgets.co.uk") has the
// key of a company's name: jane@acme-widgets.io and "Acme Widgets" suggest a conflict
// that a person must confirm, since anyone can register a look-alike domain.
func DomainSuggests(emailDomain, companyKey string) bool {
	if companyKey == "" {
		return false
	}
	e, err := NormalizeDomain(emailDomain)
	if err != nil {
		return false
	}
	site, err := publicsuffix.EffectiveTLDPlusOne(e)
	if err != nil {
		return false
	}
	label, _, _ := strings.Cut(site, ".")
	if u, err := domainProfile.ToUnicode(label); err == nil {
		label = u
	}
	return Key(label) == companyKey
}
