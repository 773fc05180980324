package sponsorship

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/orgname"
)

// Company is an organization represented on the committee: its name, the other names
// it goes by (aliases such as "Facebook" for "Meta") and the e-mail domains its people
// write from. Conflicts of interest and seats are decided by company record, never by
// how somebody spelled a name.
type Company struct {
	ID        string
	Name      string
	Aliases   []string
	Domains   []string // lower-case ASCII (IDNA) domains, e.g. meta.com, fb.com
	Version   int      // 0 for a company not stored yet (see NewDirectory)
	UpdatedAt time.Time
}

// Names lists the company's name and then its aliases.
func (c Company) Names() []string { return append([]string{c.Name}, c.Aliases...) }

// Keys lists the comparison keys of the company's names, each once; names with nothing
// distinctive (only a legal form) have none.
func (c Company) Keys() []string {
	var keys []string
	for _, n := range c.Names() {
		if k := orgname.Key(n); k != "" && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// ConflictLevel says how sure the system is that an applicant belongs to a company.
type ConflictLevel string

// Conflict levels. An exact conflict recuses the company's reviewers automatically; a
// possible one is shown to them, and each must declare "no conflict" or recuse before
// voting.
const (
	NoConflict       ConflictLevel = ""
	PossibleConflict ConflictLevel = "possible"
	ExactConflict    ConflictLevel = "exact"
)

// Conflict is how an applicant relates to a company, and why.
type Conflict struct {
	Level   ConflictLevel
	Company Company
	Reason  string
}

// ConflictWith compares an applicant with a company. It is exact when the applicant's
// organization is the company's name or one of its aliases once spelling, scripts,
// invisible characters and legal forms are folded away, or when the applicant writes
// from one of the company's domains (or a subdomain); possible when the organization
// is a near match of a name ("Acme Widgets (Europe)" for "Acme Widgets Inc.") or the
// e-mail domain is named like the company.
func ConflictWith(c Company, a Applicant) Conflict {
	domain := orgname.EmailDomain(a.Email)
	for _, d := range c.Domains {
		if orgname.DomainMatches(domain, d) {
			return Conflict{Level: ExactConflict, Company: c,
				Reason: fmt.Sprintf("the applicant writes from %s, a domain of %s", domain, c.Name)}
		}
	}
	var possible *Conflict
	for i, n := range c.Names() {
		switch orgname.Compare(a.Organization, n) {
		case orgname.Exact:
			return Conflict{Level: ExactConflict, Company: c, Reason: "the applicant's organization " + quoted(a.Organization) + " is " + nameOf(c, i)}
		case orgname.Possible:
			if possible == nil {
				possible = &Conflict{Level: PossibleConflict, Company: c,
					Reason: "the applicant's organization " + quoted(a.Organization) + " resembles " + nameOf(c, i)}
			}
		}
	}
	if possible != nil {
		return *possible
	}
	for i, n := range c.Names() {
		if k := orgname.Key(n); k != "" && orgname.DomainSuggests(domain, k) {
			return Conflict{Level: PossibleConflict, Company: c,
				Reason: fmt.Sprintf("the applicant writes from %s, named like %s", domain, nameOf(c, i))}
		}
	}
	return Conflict{Company: c}
}

// nameOf describes the i-th of a company's names for a reason.
func nameOf(c Company, i int) string {
	if i == 0 {
		return quoted(c.Name)
	}
	return fmt.Sprintf("%s, an alias of %s", quoted(c.Aliases[i-1]), quoted(c.Name))
}

func quoted(s string) string { return "\u201c" + s + "\u201d" }

// Directory is the staff roster with the companies its members belong to. Reviewers
// are known by their sign-in subject; finance and admins may be on it too, which is
// where their names come from (never from token claims a user can edit).
type Directory struct {
	Reviewers []Reviewer
	Companies []Company
}

// NewDirectory builds a directory from stored roster entries and companies. An entry
// stored before companies were records carries only a company name (LegacyCompany):
// it is resolved here to the company with the same key, or to a company made for it
// (Version 0, not stored yet) with an id derived from the name, so that decisions are
// the same before and after the roster is migrated (see Migration).
func NewDirectory(reviewers []Reviewer, companies []Company) Directory {
	d := Directory{Reviewers: slices.Clone(reviewers), Companies: slices.Clone(companies)}
	sort.Slice(d.Reviewers, func(i, j int) bool { return d.Reviewers[i].ID < d.Reviewers[j].ID })
	// The spelling most reviewers used names a made-up company; ties go to the first.
	spellings := map[string]map[string]int{}
	var order []string
	for _, r := range d.Reviewers {
		if r.CompanyID != "" || r.LegacyCompany == "" {
			continue
		}
		k := orgname.Key(r.LegacyCompany)
		if k == "" {
			continue
		}
		if spellings[k] == nil {
			spellings[k] = map[string]int{}
			order = append(order, k)
		}
		spellings[k][r.LegacyCompany]++
	}
	byKey := map[string]string{}
	for _, c := range d.Companies {
		for _, k := range c.Keys() {
			byKey[k] = c.ID
		}
	}
	for _, k := range order {
		if _, ok := byKey[k]; ok {
			continue
		}
		name, best := "", 0
		for _, r := range d.Reviewers {
			if s := r.LegacyCompany; r.CompanyID == "" && orgname.Key(s) == k && spellings[k][s] > best {
				name, best = s, spellings[k][s]
			}
		}
		c := Company{ID: d.freeID(slug(name), k), Name: name}
		d.Companies = append(d.Companies, c)
		byKey[k] = c.ID
	}
	for i, r := range d.Reviewers {
		if r.CompanyID == "" && r.LegacyCompany != "" {
			d.Reviewers[i].CompanyID = byKey[orgname.Key(r.LegacyCompany)]
		}
	}
	return d
}

// freeID returns id, or id with a suffix derived from key when another company has it.
func (d Directory) freeID(id, key string) string {
	if _, taken := d.Company(id); !taken {
		return id
	}
	sum := sha256.Sum256([]byte(key))
	return strings.TrimRight(id[:min(len(id), 50)], "-") + "-" + hex.EncodeToString(sum[:4])
}

// slug makes a company id from a name: ASCII letters and digits, lower case, words
// joined by hyphens ("Acme Compilers Inc." → acme-compilers-inc).
func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(name) {
		switch {
		case r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(unicode.ToLower(r))
			dash = false
		case unicode.Is(unicode.Mn, r):
		default:
			dash = true
		}
	}
	s := b.String()
	if len(s) > 60 {
		s = strings.TrimRight(s[:60], "-")
	}
	if s == "" {
		sum := sha256.Sum256([]byte(name))
		s = "company-" + hex.EncodeToString(sum[:4])
	}
	return s
}

var companyIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ValidCompanyID reports whether s can name a company: 1 to 63 lower-case letters,
// digits and hyphens, starting with a letter or digit.
func ValidCompanyID(s string) bool { return companyIDPattern.MatchString(s) }

// Member finds a roster entry by sign-in subject.
func (d Directory) Member(id string) (Reviewer, bool) {
	for _, r := range d.Reviewers {
		if r.ID == id {
			return r, true
		}
	}
	return Reviewer{}, false
}

// Company finds a company by id.
func (d Directory) Company(id string) (Company, bool) {
	for _, c := range d.Companies {
		if c.ID == id {
			return c, true
		}
	}
	return Company{}, false
}

// Affiliation is the company of a roster member, if they have one.
func (d Directory) Affiliation(r Reviewer) (Company, bool) {
	if r.CompanyID == "" {
		return Company{}, false
	}
	return d.Company(r.CompanyID)
}

// ConflictOf compares a roster member's company with an applicant; a member without a
// company has no conflict by affiliation.
func (d Directory) ConflictOf(r Reviewer, a Applicant) Conflict {
	c, ok := d.Affiliation(r)
	if !ok {
		return Conflict{}
	}
	return ConflictWith(c, a)
}

// Legacy reports whether any roster entry or company still needs migrating: an entry
// resolved from its company name, or a company made up for such entries.
func (d Directory) Legacy() bool {
	return slices.ContainsFunc(d.Reviewers, func(r Reviewer) bool { return r.LegacyCompany != "" }) ||
		slices.ContainsFunc(d.Companies, func(c Company) bool { return c.Version == 0 })
}

// Declaration records a reviewer's statement that a possible conflict is none: who,
// about which company, why, and against which spelling of the applicant, so that it no
// longer holds when the applicant changes organization or e-mail.
type Declaration struct {
	RequestID    string
	ReviewerID   string
	ReviewerName string
	CompanyID    string
	Against      string // DeclaredAgainst of the applicant when declared
	Reason       string
	At           time.Time
}

// DeclaredAgainst fingerprints what a declaration was made about: the applicant's
// organization key and e-mail domain.
func DeclaredAgainst(a Applicant) string {
	return orgname.Key(a.Organization) + "\x00" + orgname.EmailDomain(a.Email)
}

// clears reports whether a declaration settles a reviewer's possible conflict with a
// company for this applicant.
func (dc Declaration) clears(reviewerID, companyID string, a Applicant) bool {
	return dc.ReviewerID == reviewerID && dc.CompanyID == companyID && dc.Against == DeclaredAgainst(a)
}
