package sponsorship

import (
	"slices"
	"sort"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
)

// Reviewer is a member of the staff roster. ID is the subject of their JWT. Roles says
// what they do for the committee: only those with RoleReviewer sit on it (their
// Cognito group still decides what the API lets them do). CompanyID is their
// affiliation, a Company of the Directory: the source of automatic recusals and of
// seats. LegacyCompany is the company name entries stored before companies were
// records carry (see NewDirectory).
type Reviewer struct {
	ID            string
	Name          string
	Email         string
	Roles         []Role
	CompanyID     string
	LegacyCompany string
	Active        bool
	Version       int
	UpdatedAt     time.Time
}

// Reviews reports whether the roster entry sits on the committee: active, as a
// reviewer.
func (r Reviewer) Reviews() bool { return r.Active && slices.Contains(r.Roles, RoleReviewer) }

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
	// AdvancePercent is, per kind, the share of the approved amount finance may pay
	// before the evidence (registration or airfare booked early); none when absent.
	AdvancePercent map[Kind]int
	Version        int
	UpdatedAt      time.Time
}

// DefaultGovernance is "more than half of the seats".
var DefaultGovernance = Governance{QuorumPercent: 50}

// Seat is one company's voice (or a lone reviewer's, without affiliation).
type Seat struct {
	Key       string // the company's id, or reviewer:<id>
	CompanyID string
	Company   string   // the company's name
	Members   []string // reviewer ids, sorted
	Names     []string // the members' names, in the order of Members
	Vote      Choice   // "" when no member has voted; abstain when members disagree
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
	// Unsettled lists the eligible reviewers with a possible conflict they have not
	// yet declared "no conflict" on; their votes wait until they do.
	Unsettled []Conflicted
}

// Conflicted is a reviewer with a conflict of interest on a request.
type Conflicted struct {
	Reviewer Reviewer
	Conflict Conflict
}

// DecisionInput is what the decision rule looks at.
type DecisionInput struct {
	Directory     Directory
	Votes         []Vote // of the current round
	Recusals      []Recusal
	Declarations  []Declaration
	Applicant     Applicant
	QuorumPercent int
	Requested     money.Money
}

// Decide applies the committee's rule. Eligible reviewers are the active members of the
// roster who are not recused, explicitly or because their company is the applicant's
// (an exact conflict). They form seats by company; a reviewer without an affiliation is
// a seat alone. A reviewer whose company may be the applicant's (a possible conflict)
// keeps their seat, but their vote counts only once they have declared "no conflict".
// A seat votes as its voting members agree, and abstains when they disagree. Quorum is
// reached when more than QuorumPercent of the seats have voted; from then on the
// request is approved when approving seats outnumber rejecting ones, rejected in the
// reverse case, and stays open on a tie. The approved amount is the lowest amount
// proposed by an approving vote of an approving seat, else the requested amount. Decide
// is a pure function: the same input gives the same tally.
func Decide(in DecisionInput) Tally {
	var t Tally
	explicit := map[string]bool{}
	for _, r := range in.Recusals {
		explicit[r.ReviewerID] = true
	}
	eligible := map[string]Reviewer{}
	counts := map[string]bool{}
	for _, r := range in.Directory.Reviewers {
		if !r.Reviews() {
			continue
		}
		if explicit[r.ID] {
			for _, rec := range in.Recusals {
				if rec.ReviewerID == r.ID {
					t.Recused = append(t.Recused, rec)
				}
			}
			continue
		}
		c := in.Directory.ConflictOf(r, in.Applicant)
		switch {
		case c.Level == ExactConflict:
			t.Recused = append(t.Recused, Recusal{ReviewerID: r.ID, ReviewerName: r.Name, Automatic: true,
				Reason: "conflict of interest: " + c.Reason})
			continue
		case c.Level == PossibleConflict && !slices.ContainsFunc(in.Declarations, func(d Declaration) bool {
			return d.clears(r.ID, c.Company.ID, in.Applicant)
		}):
			t.Unsettled = append(t.Unsettled, Conflicted{Reviewer: r, Conflict: c})
		default:
			counts[r.ID] = true
		}
		eligible[r.ID] = r
	}
	votes := map[string]Vote{}
	for _, v := range in.Votes {
		if counts[v.ReviewerID] {
			votes[v.ReviewerID] = v
		}
	}
	seats := map[string]*Seat{}
	for _, r := range eligible {
		key := "reviewer:" + r.ID
		company, ok := in.Directory.Affiliation(r)
		if ok {
			key = company.ID
		}
		s, found := seats[key]
		if !found {
			s = &Seat{Key: key, CompanyID: company.ID, Company: company.Name}
			seats[key] = s
		}
		s.Members = append(s.Members, r.ID)
	}
	var lowest *money.Money
	for _, key := range sortedSeatKeys(seats) {
		s := seats[key]
		sort.Strings(s.Members)
		for _, id := range s.Members {
			s.Names = append(s.Names, eligible[id].Name)
		}
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
