package sponsorship

import (
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
)

// Reviewer is a member of the committee's roster. ID is the subject of their JWT.
// Company is their affiliation: the source of automatic recusals and of seats.
type Reviewer struct {
	ID        string
	Name      string
	Email     string
	Company   string
	Active    bool
	Version   int
	UpdatedAt time.Time
}

// Choice is what a reviewer votes.
type Choice string

// The choices of a vote.
const (
	ChoiceApprove Choice = "approve"
	ChoiceReject  Choice = "reject"
	ChoiceAbstain Choice = "abstain"
)

// Valid reports whether c is one of the three choices.
func (c Choice) Valid() bool { return c == ChoiceApprove || c == ChoiceReject || c == ChoiceAbstain }

// Vote is one reviewer's vote on a request in one review round. Amount, on an approval,
// proposes a lower amount than requested.
type Vote struct {
	RequestID    string
	ReviewerID   string
	ReviewerName string
	Company      string
	Choice       Choice
	Amount       *money.Money
	Comment      string
	Round        int
	At           time.Time
}

// Recusal records that a reviewer stands aside on a request, by their own choice or
// because their affiliation matches the applicant's organization.
type Recusal struct {
	RequestID    string
	ReviewerID   string
	ReviewerName string
	Reason       string
	Automatic    bool
	At           time.Time
}

// Comment is an internal note of the committee on a request; applicants never see it.
type Comment struct {
	RequestID  string
	ID         string
	AuthorID   string
	AuthorName string
	Text       string
	At         time.Time
}

// Governance holds the settings admins may change.
type Governance struct {
	// QuorumPercent: quorum is reached when more than this share of the seats has voted.
	QuorumPercent int
	Version       int
	UpdatedAt     time.Time
}

// DefaultGovernance is "more than half of the seats".
var DefaultGovernance = Governance{QuorumPercent: 50}

// companySuffixes are legal-form words that do not tell companies apart: "Acme Inc."
// and "ACME" are one company.
var companySuffixes = map[string]bool{
	"inc": true, "incorporated": true, "ltd": true, "limited": true, "llc": true, "llp": true, "lp": true,
	"gmbh": true, "ag": true, "kg": true, "ev": true, "sa": true, "sas": true, "sarl": true, "srl": true, "spa": true,
	"bv": true, "nv": true, "plc": true, "corp": true, "corporation": true, "co": true, "company": true,
	"oy": true, "ab": true, "as": true, "asa": true, "aps": true, "kk": true, "pty": true, "pvt": true, "sl": true,
}

// NormalizeOrganization reduces an organization or company name to a key that compares
// equal across case, spacing, punctuation and common legal suffixes ("Inc.", "Ltd.",
// "GmbH", ...). An empty or all-suffix name has an empty key and matches nothing.
func NormalizeOrganization(name string) string {
	words := strings.FieldsFunc(strings.ToLower(name), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '.' && r != '&'
	})
	var kept []string
	for _, w := range words {
		w = strings.ReplaceAll(w, ".", "")
		if w != "" {
			kept = append(kept, w)
		}
	}
	for len(kept) > 1 && companySuffixes[kept[len(kept)-1]] {
		kept = kept[:len(kept)-1]
	}
	if len(kept) == 1 && companySuffixes[kept[0]] {
		return ""
	}
	return strings.Join(kept, " ")
}

// Conflicted reports whether a reviewer's affiliation matches an applicant's
// organization, which recuses them automatically.
func Conflicted(company, organization string) bool {
	k := NormalizeOrganization(company)
	return k != "" && k == NormalizeOrganization(organization)
}

// Seat is one company's voice (or a lone reviewer's, without affiliation).
type Seat struct {
	Key     string
	Company string
	Members []string // reviewer ids, sorted
	Vote    Choice   // "" when no member has voted; abstain when members disagree
}

// Tally is where a request stands under the decision rule.
type Tally struct {
	Seats         []Seat
	Voted         int
	Approving     int
	Rejecting     int
	Abstaining    int
	QuorumReached bool
	Outcome       Status       // submitted while open, else approved or rejected
	Amount        *money.Money // the approved amount, when approved
	Recused       []Recusal    // explicit recusals, then automatic ones, of roster members
}

// DecisionInput is what the decision rule looks at.
type DecisionInput struct {
	Roster        []Reviewer
	Votes         []Vote // of the current round
	Recusals      []Recusal
	Organization  string // the applicant's
	QuorumPercent int
	Requested     money.Money
}

// Decide applies the committee's rule. Eligible reviewers are the active members of the
// roster who are not recused, explicitly or because their affiliation matches the
// applicant's organization. They form seats by company; a reviewer without an
// affiliation is a seat alone. A seat votes as its voting members agree, and abstains
// when they disagree. Quorum is reached when more than QuorumPercent of the seats have
// voted; from then on the request is approved when approving seats outnumber rejecting
// ones, rejected in the reverse case, and stays open on a tie. The approved amount is
// the lowest amount proposed by an approving vote of an approving seat, else the
// requested amount. Decide is a pure function: the same input gives the same tally.
func Decide(in DecisionInput) Tally {
	var t Tally
	explicit := map[string]bool{}
	for _, r := range in.Recusals {
		explicit[r.ReviewerID] = true
	}
	eligible := map[string]Reviewer{}
	for _, r := range in.Roster {
		switch {
		case !r.Active:
		case explicit[r.ID]:
			for _, rec := range in.Recusals {
				if rec.ReviewerID == r.ID {
					t.Recused = append(t.Recused, rec)
				}
			}
		case Conflicted(r.Company, in.Organization):
			t.Recused = append(t.Recused, Recusal{ReviewerID: r.ID, ReviewerName: r.Name, Automatic: true,
				Reason: "affiliated with the applicant's organization (" + r.Company + ")"})
		default:
			eligible[r.ID] = r
		}
	}
	votes := map[string]Vote{}
	for _, v := range in.Votes {
		if _, ok := eligible[v.ReviewerID]; ok {
			votes[v.ReviewerID] = v
		}
	}
	seats := map[string]*Seat{}
	for _, r := range eligible {
		key := NormalizeOrganization(r.Company)
		if key == "" {
			key = "reviewer:" + r.ID
		}
		s, ok := seats[key]
		if !ok {
			s = &Seat{Key: key, Company: r.Company}
			seats[key] = s
		}
		s.Members = append(s.Members, r.ID)
	}
	var lowest *money.Money
	for _, key := range sortedSeatKeys(seats) {
		s := seats[key]
		sort.Strings(s.Members)
		for _, id := range s.Members {
			v, ok := votes[id]
			switch {
			case !ok:
			case s.Vote == "":
				s.Vote = v.Choice
			case s.Vote != v.Choice:
				s.Vote = ChoiceAbstain
			}
		}
		switch s.Vote {
		case ChoiceApprove:
			t.Approving++
			for _, id := range s.Members {
				if v, ok := votes[id]; ok && v.Amount != nil && (lowest == nil || v.Amount.Minor < lowest.Minor) {
					a := *v.Amount
					lowest = &a
				}
			}
		case ChoiceReject:
			t.Rejecting++
		case ChoiceAbstain:
			t.Abstaining++
		}
		if s.Vote != "" {
			t.Voted++
		}
		t.Seats = append(t.Seats, *s)
	}
	t.QuorumReached = len(t.Seats) > 0 && t.Voted*100 > in.QuorumPercent*len(t.Seats)
	t.Outcome = StatusSubmitted
	switch {
	case t.QuorumReached && t.Approving > t.Rejecting:
		t.Outcome = StatusApproved
		amount := in.Requested
		if lowest != nil && lowest.Minor < amount.Minor {
			amount = *lowest
		}
		t.Amount = &amount
	case t.QuorumReached && t.Rejecting > t.Approving:
		t.Outcome = StatusRejected
	}
	return t
}

func sortedSeatKeys(m map[string]*Seat) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
