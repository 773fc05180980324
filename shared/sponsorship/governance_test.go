package sponsorship

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
)

func TestConflictWithACompany(t *testing.T) {
	meta := Company{ID: "meta", Name: "Meta Platforms, Inc.", Aliases: []string{"Facebook"}, Domains: []string{"meta.com", "fb.com"}}
	tests := []struct {
		org, email string
		want       ConflictLevel
	}{
		{"Meta Platforms", "ada@example.org", ExactConflict},
		{"FACEBOOK INC.", "ada@example.org", ExactConflict},                 // an alias
		{"Independent", "ada@meta.com", ExactConflict},                      // a domain
		{"Independent", "ada@research.fb.com", ExactConflict},               // a subdomain
		{"Independent", "ADA@FB.COM", ExactConflict},                        // case
		{"Independent", "ada@notmeta.com", NoConflict},                      // not a subdomain
		{"Facebook Research Europe", "ada@example.org", PossibleConflict},   // near the alias
		{"The Meta Platforms Company", "ada@example.org", PossibleConflict}, // near the name
		{"Plumbers Conference e.V.", "ada@example.org", NoConflict},
	}
	for _, tt := range tests {
		c := ConflictWith(meta, Applicant{Organization: tt.org, Email: tt.email})
		if c.Level != tt.want {
			t.Errorf("%q <%s>: %q (%s), want %q", tt.org, tt.email, c.Level, c.Reason, tt.want)
		}
		if c.Level != NoConflict && c.Reason == "" {
			t.Errorf("%q <%s>: no reason given", tt.org, tt.email)
		}
	}
}

// Roster entries stored before companies were records carry a company name: every
// spelling of one company becomes one company, named as most entries spelled it, with
// an id that does not depend on the order of the entries.
func TestNewDirectoryMakesOneCompanyOfEachName(t *testing.T) {
	roster := []Reviewer{reviewer("b", "ACME COMPILERS"), reviewer("a", "Acme Compilers Inc."), reviewer("c", "Acme Compilers Inc."),
		reviewer("d", "Beta GmbH"), reviewer("e", "")}
	stored := Company{ID: "beta", Name: "Beta", Version: 3}
	dir := NewDirectory(roster, []Company{stored})
	if len(dir.Companies) != 2 {
		t.Fatalf("companies %+v, want beta and one Acme", dir.Companies)
	}
	acme := dir.Companies[1]
	if acme.ID != "acme-compilers-inc" || acme.Name != "Acme Compilers Inc." || acme.Version != 0 {
		t.Errorf("made-up company %+v", acme)
	}
	for id, want := range map[string]string{"a": acme.ID, "b": acme.ID, "c": acme.ID, "d": "beta", "e": ""} {
		if m, _ := dir.Member(id); m.CompanyID != want {
			t.Errorf("%s belongs to %q, want %q", id, m.CompanyID, want)
		}
	}
	if !dir.Legacy() {
		t.Error("a directory with made-up companies needs migrating")
	}
	shuffled := NewDirectory([]Reviewer{roster[4], roster[2], roster[0], roster[3], roster[1]}, []Company{stored})
	if fmt.Sprint(shuffled.Companies) != fmt.Sprint(dir.Companies) {
		t.Errorf("order changed the companies: %v vs %v", shuffled.Companies, dir.Companies)
	}
	// A made-up id that an unrelated stored company has gets a suffix.
	clash := NewDirectory([]Reviewer{reviewer("a", "Acme Compilers Inc.")}, []Company{{ID: "acme-compilers-inc", Name: "Something Else", Version: 1}})
	if id := clash.Reviewers[0].CompanyID; id == "acme-compilers-inc" || id == "" {
		t.Errorf("entry joined the unrelated company: %q", id)
	}
}

func eur(v int64) money.Money { return money.Money{Currency: "EUR", Minor: v} }

// reviewer is an active reviewer with a company given by name, as the roster stored
// them before companies were records: NewDirectory makes the companies.
func reviewer(id, company string) Reviewer {
	return Reviewer{ID: id, Name: "Reviewer " + id, LegacyCompany: company, Active: true, Roles: []Role{RoleReviewer}}
}

var applicantCo = Applicant{Organization: "Applicant Co.", Email: "ada@example.org"}

func vote(id string, c Choice) Vote { return Vote{ReviewerID: id, Choice: c} }

func voteAmount(id string, minor int64) Vote {
	a := eur(minor)
	return Vote{ReviewerID: id, Choice: ChoiceApprove, Amount: &a}
}

// A committee's roster: two reviewers from Acme, one each from Beta, Gamma and
// Delta, and one from the applicant's company; four seats once the last is recused.
var committee = []Reviewer{
	reviewer("a1", "Acme Inc."), reviewer("a2", "ACME"), reviewer("b", "Beta GmbH"),
	reviewer("c", "Gamma Ltd"), reviewer("d", "Delta"), reviewer("x", "Applicant Co"),
}

func TestDecide(t *testing.T) {
	tests := []struct {
		name     string
		roster   []Reviewer
		votes    []Vote
		recusals []Recusal
		quorum   int
		outcome  Status
		voted    int
		seats    int
		amount   int64
	}{
		{"no votes", committee, nil, nil, 50, StatusSubmitted, 0, 4, 0},
		{"one company approving twice is one seat", committee, []Vote{vote("a1", ChoiceApprove), vote("a2", ChoiceApprove)}, nil, 50, StatusSubmitted, 1, 4, 0},
		{"two of four seats is not more than half", committee, []Vote{vote("a1", ChoiceApprove), vote("b", ChoiceApprove)}, nil, 50, StatusSubmitted, 2, 4, 0},
		{"three of four seats approve", committee, []Vote{vote("a1", ChoiceApprove), vote("b", ChoiceApprove), vote("c", ChoiceApprove)}, nil, 50, StatusApproved, 3, 4, 1000_00},
		{"three of four seats reject", committee, []Vote{vote("a1", ChoiceReject), vote("b", ChoiceReject), vote("c", ChoiceApprove)}, nil, 50, StatusRejected, 3, 4, 0},
		{"a tie stays open", committee, []Vote{vote("a1", ChoiceApprove), vote("b", ChoiceReject), vote("c", ChoiceAbstain), vote("d", ChoiceAbstain)}, nil, 50, StatusSubmitted, 4, 4, 0},
		{"disagreeing members make their seat abstain", committee, []Vote{vote("a1", ChoiceApprove), vote("a2", ChoiceReject), vote("b", ChoiceApprove), vote("c", ChoiceReject)}, nil, 50, StatusSubmitted, 3, 4, 0},
		{"abstentions count toward quorum", committee, []Vote{vote("a1", ChoiceAbstain), vote("b", ChoiceAbstain), vote("c", ChoiceApprove)}, nil, 50, StatusApproved, 3, 4, 1000_00},
		{"the applicant's colleague does not count", committee, []Vote{vote("x", ChoiceApprove), vote("a1", ChoiceApprove), vote("b", ChoiceApprove)}, nil, 50, StatusSubmitted, 2, 4, 0},
		{"explicit recusal removes a seat", committee, []Vote{vote("a1", ChoiceApprove), vote("b", ChoiceApprove)},
			[]Recusal{{ReviewerID: "c", Reason: "advised the applicant"}, {ReviewerID: "d", Reason: "friend"}}, 50, StatusApproved, 2, 2, 1000_00},
		{"lowest proposed amount wins", committee, []Vote{voteAmount("a1", 800_00), voteAmount("b", 600_00), vote("c", ChoiceApprove)}, nil, 50, StatusApproved, 3, 4, 600_00},
		{"an amount from an abstaining seat does not bind", committee, []Vote{voteAmount("a1", 100_00), vote("a2", ChoiceReject), vote("b", ChoiceApprove), vote("c", ChoiceApprove), vote("d", ChoiceApprove)}, nil, 50, StatusApproved, 4, 4, 1000_00},
		{"higher quorum needs more seats", committee, []Vote{vote("a1", ChoiceApprove), vote("b", ChoiceApprove), vote("c", ChoiceApprove)}, nil, 75, StatusSubmitted, 3, 4, 0},
		{"unanimity quorum at 99", committee, []Vote{vote("a1", ChoiceApprove), vote("b", ChoiceApprove), vote("c", ChoiceApprove), vote("d", ChoiceApprove)}, nil, 99, StatusApproved, 4, 4, 1000_00},
		{"inactive reviewers are not seats", []Reviewer{reviewer("a", "Alpha"), {ID: "b", LegacyCompany: "Bravo", Roles: []Role{RoleReviewer}}, reviewer("c", "Charlie")},
			[]Vote{vote("a", ChoiceApprove), vote("b", ChoiceReject), vote("c", ChoiceApprove)}, nil, 50, StatusApproved, 2, 2, 1000_00},
		{"reviewers without affiliation sit alone", []Reviewer{reviewer("p", ""), reviewer("q", ""), reviewer("r", "Romeo")},
			[]Vote{vote("p", ChoiceApprove), vote("q", ChoiceApprove)}, nil, 50, StatusApproved, 2, 3, 1000_00},
		{"votes from outside the roster are ignored", committee, []Vote{vote("stranger", ChoiceReject), vote("a1", ChoiceApprove), vote("b", ChoiceApprove), vote("c", ChoiceApprove)}, nil, 50, StatusApproved, 3, 4, 1000_00},
		{"no eligible reviewer stays open", []Reviewer{reviewer("x", "Applicant Co")}, []Vote{vote("x", ChoiceApprove)}, nil, 50, StatusSubmitted, 0, 0, 0},
		{"finance and admins on the roster are not seats", []Reviewer{reviewer("a", "Alpha"), reviewer("c", "Charlie"),
			{ID: "f", Name: "Finance", Active: true, Roles: []Role{RoleFinance, RoleAdmin}}},
			[]Vote{vote("a", ChoiceApprove), vote("c", ChoiceApprove), vote("f", ChoiceReject)}, nil, 50, StatusApproved, 2, 2, 1000_00},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decide(DecisionInput{Directory: NewDirectory(tt.roster, nil), Votes: tt.votes, Recusals: tt.recusals,
				Applicant: applicantCo, QuorumPercent: tt.quorum, Requested: eur(1000_00)})
			if got.Outcome != tt.outcome || got.Voted != tt.voted || len(got.Seats) != tt.seats {
				t.Fatalf("outcome %s voted %d seats %d, want %s %d %d (%+v)", got.Outcome, got.Voted, len(got.Seats), tt.outcome, tt.voted, tt.seats, got)
			}
			if tt.amount != 0 && (got.Amount == nil || got.Amount.Minor != tt.amount) {
				t.Errorf("amount %v, want %d", got.Amount, tt.amount)
			}
			if tt.amount == 0 && got.Amount != nil {
				t.Errorf("amount %v on a request that is not approved", got.Amount)
			}
		})
	}
	got := Decide(DecisionInput{Directory: NewDirectory(committee, nil), Applicant: Applicant{Organization: "applicant co"}, QuorumPercent: 50, Requested: eur(1)})
	if len(got.Recused) != 1 || got.Recused[0].ReviewerID != "x" || !got.Recused[0].Automatic {
		t.Errorf("recused = %+v, want x automatically", got.Recused)
	}
}

// genCase draws a roster, votes and recusals from a few companies, one of them the
// applicant's and one a near match of it (a possible conflict).
func genCase(t *rapid.T) DecisionInput {
	companies := []string{"", "Acme Inc.", "acme", "Beta GmbH", "Gamma", "Applicant Co", "Applicant Co Group"}
	n := rapid.IntRange(1, 9).Draw(t, "reviewers")
	var in DecisionInput
	var roster []Reviewer
	for i := range n {
		roster = append(roster, Reviewer{ID: fmt.Sprint("r", i), LegacyCompany: rapid.SampledFrom(companies).Draw(t, "company"),
			Active: rapid.Float64Range(0, 1).Draw(t, "active") < 0.9, Roles: []Role{RoleReviewer}})
	}
	in.Directory = NewDirectory(roster, nil)
	for i := range n {
		if rapid.Bool().Draw(t, "votes") {
			v := Vote{ReviewerID: fmt.Sprint("r", i), Choice: rapid.SampledFrom([]Choice{ChoiceApprove, ChoiceReject, ChoiceAbstain}).Draw(t, "choice")}
			if v.Choice == ChoiceApprove && rapid.Bool().Draw(t, "lower") {
				a := eur(rapid.Int64Range(1, 1000_00).Draw(t, "amount"))
				v.Amount = &a
			}
			in.Votes = append(in.Votes, v)
		}
		if rapid.Float64Range(0, 1).Draw(t, "recuse") < 0.15 {
			in.Recusals = append(in.Recusals, Recusal{ReviewerID: fmt.Sprint("r", i), Reason: "declared"})
		}
	}
	in.Applicant = applicantCo
	for _, r := range in.Directory.Reviewers {
		if c := in.Directory.ConflictOf(r, in.Applicant); c.Level == PossibleConflict && rapid.Bool().Draw(t, "declares") {
			in.Declarations = append(in.Declarations, Declaration{ReviewerID: r.ID, CompanyID: c.Company.ID,
				Against: DeclaredAgainst(in.Applicant), Reason: "not the same company"})
		}
	}
	in.QuorumPercent = rapid.IntRange(1, 99).Draw(t, "quorum")
	in.Requested = eur(1000_00)
	return in
}

// An abstention from a seat that had not voted can complete a quorum, but never turns
// an approval into a rejection or back.
func TestPropertyAbstentionNeverFlipsADecision(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := genCase(t)
		before := Decide(in)
		var silent []Seat
		for _, s := range before.Seats {
			if s.Vote == "" {
				silent = append(silent, s)
			}
		}
		if len(silent) == 0 {
			return
		}
		seat := rapid.SampledFrom(silent).Draw(t, "seat")
		in.Votes = append(in.Votes, Vote{ReviewerID: seat.Members[0], Choice: ChoiceAbstain})
		after := Decide(in)
		if before.Outcome != StatusSubmitted && after.Outcome != before.Outcome {
			t.Fatalf("abstention changed %s to %s", before.Outcome, after.Outcome)
		}
		if after.Approving != before.Approving || after.Rejecting != before.Rejecting {
			t.Fatalf("abstention changed the approving or rejecting count")
		}
	})
}

// Whatever a recused reviewer votes, the tally is the same as without their vote.
func TestPropertyRecusedReviewerNeverChangesTheOutcome(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := genCase(t)
		before := Decide(in)
		for _, r := range before.Recused {
			in.Votes = append(in.Votes, Vote{ReviewerID: r.ReviewerID,
				Choice: rapid.SampledFrom([]Choice{ChoiceApprove, ChoiceReject, ChoiceAbstain}).Draw(t, "choice")})
		}
		after := Decide(in)
		if after.Outcome != before.Outcome || after.Voted != before.Voted || !sameAmount(after.Amount, before.Amount) {
			t.Fatalf("recused votes changed the tally: %+v -> %+v", before, after)
		}
	})
}

// The order in which votes arrive does not matter, and an approved amount is never more
// than requested.
func TestPropertyOrderIndependentAndBounded(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := genCase(t)
		want := Decide(in)
		perm := rapid.Permutation(in.Votes).Draw(t, "order")
		in.Votes = perm
		got := Decide(in)
		if got.Outcome != want.Outcome || got.Voted != want.Voted || !sameAmount(got.Amount, want.Amount) {
			t.Fatalf("vote order changed the tally")
		}
		if got.Amount != nil && (got.Amount.Minor > in.Requested.Minor || got.Amount.Minor <= 0) {
			t.Fatalf("approved amount %v outside (0, requested]", got.Amount)
		}
		if (got.Outcome == StatusApproved) != (got.Amount != nil) {
			t.Fatalf("amount %v with outcome %s", got.Amount, got.Outcome)
		}
	})
}

// A reviewer with a possible conflict keeps their seat, but their vote counts only once
// they declare "no conflict": before, the tally is as without their vote.
func TestPropertyUnsettledVotesWait(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := genCase(t)
		before := Decide(in)
		for _, u := range before.Unsettled {
			in.Votes = append(in.Votes, Vote{ReviewerID: u.Reviewer.ID,
				Choice: rapid.SampledFrom([]Choice{ChoiceApprove, ChoiceReject, ChoiceAbstain}).Draw(t, "choice")})
		}
		after := Decide(in)
		if after.Outcome != before.Outcome || after.Voted != before.Voted || len(after.Seats) != len(before.Seats) {
			t.Fatalf("unsettled votes changed the tally: %+v -> %+v", before, after)
		}
	})
}

func TestDeclarationLetsAVoteCount(t *testing.T) {
	roster := []Reviewer{reviewer("near", "Applicant Co Group"), reviewer("b", "Beta")}
	in := DecisionInput{Directory: NewDirectory(roster, nil), Applicant: applicantCo, QuorumPercent: 50, Requested: eur(10),
		Votes: []Vote{vote("near", ChoiceApprove), vote("b", ChoiceApprove)}}
	if got := Decide(in); got.Outcome != StatusSubmitted || got.Voted != 1 || len(got.Unsettled) != 1 {
		t.Fatalf("before the declaration: %+v", got)
	}
	company, _ := in.Directory.Affiliation(in.Directory.Reviewers[1])
	in.Declarations = []Declaration{{ReviewerID: "near", CompanyID: company.ID, Against: DeclaredAgainst(applicantCo)}}
	if got := Decide(in); got.Outcome != StatusApproved || len(got.Unsettled) != 0 {
		t.Fatalf("after the declaration: %+v", got)
	}
	// A declaration made about another spelling of the applicant no longer holds.
	in.Applicant.Organization = "Applicant Co Group Europe"
	if got := Decide(in); got.Outcome != StatusSubmitted {
		t.Fatalf("a stale declaration counted: %+v", got)
	}
}

func sameAmount(a, b *money.Money) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}
