package sponsorship

import "github.com/sponsorship-tracker/sponsorship-tracker/shared/money"

// Kind is what a request asks money for.
type Kind string

// The three kinds of request the committee funds.
const (
	KindConference Kind = "conference" // a sponsorship tier at an event with a relevant track
	KindTravel     Kind = "travel"     // a speaker's airfare, lodging and registration
	KindProject    Kind = "project"    // open-source work outside the foundation, paid in milestones
)

// Kinds lists every kind, in the order forms and reports show them.
var Kinds = []Kind{KindConference, KindTravel, KindProject}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool {
	return k == KindConference || k == KindTravel || k == KindProject
}

// Applicant is the person asking, and the organization they act for. The organization
// is what conflict-of-interest checks compare with reviewers' affiliations.
type Applicant struct {
	Name         string `json:"name"`
	Email        string `json:"email"`
	Organization string `json:"organization"`
}

// Conference describes an event asking for a sponsorship. Dates are YYYY-MM-DD.
type Conference struct {
	EventName         string `json:"eventName"`
	EventURL          string `json:"eventUrl"`
	StartDate         string `json:"startDate"`
	EndDate           string `json:"endDate"`
	Location          string `json:"location"`
	Tier              string `json:"tier"`
	ExpectedAttendees int    `json:"expectedAttendees,omitempty"`
}

// Travel describes a speaker's trip to an event where their talk was accepted.
// Departure and return dates are optional; when given they must fit the event.
type Travel struct {
	Traveller     string `json:"traveller"`
	EventName     string `json:"eventName"`
	EventURL      string `json:"eventUrl"`
	StartDate     string `json:"startDate"`
	EndDate       string `json:"endDate"`
	TalkTitle     string `json:"talkTitle"`
	TalkURL       string `json:"talkUrl,omitempty"`
	Origin        string `json:"origin"`
	DepartureDate string `json:"departureDate,omitempty"`
	ReturnDate    string `json:"returnDate,omitempty"`
}

// ProjectInput is the wire form of Project.
type ProjectInput struct {
	Name          string           `json:"name"`
	RepositoryURL string           `json:"repositoryUrl"`
	Licence       string           `json:"licence"`
	Milestones    []MilestoneInput `json:"milestones"`
}

// MilestoneInput is the wire form of Milestone.
type MilestoneInput struct {
	Title   string       `json:"title"`
	DueDate string       `json:"dueDate"`
	Amount  money.Amount `json:"amount"`
}

// Project describes open-source work funded in milestones whose amounts add up to the
// requested amount.
type Project struct {
	Name          string
	RepositoryURL string
	Licence       string
	Milestones    []Milestone
}

// Milestone is one deliverable of a project and the money paid for it.
type Milestone struct {
	Title   string
	DueDate string
	Amount  money.Money
}

// BudgetItemInput is the wire form of BudgetItem.
type BudgetItemInput struct {
	Description string       `json:"description"`
	Amount      money.Amount `json:"amount"`
}

// BudgetItem is one line of an optional cost breakdown; the lines add up to the amount.
type BudgetItem struct {
	Description string
	Amount      money.Money
}

// RequestInput is what an applicant sends to submit or edit a request: the content
// only, never a status, version, id or decision. Exactly one of Conference, Travel and
// Project is set, matching Kind.
type RequestInput struct {
	Kind        Kind              `json:"kind"`
	Title       string            `json:"title"`
	Summary     string            `json:"summary"`
	Applicant   Applicant         `json:"applicant"`
	Amount      money.Amount      `json:"amount"`
	BudgetItems []BudgetItemInput `json:"budgetItems,omitempty"`
	Conference  *Conference       `json:"conference,omitempty"`
	Travel      *Travel           `json:"travel,omitempty"`
	Project     *ProjectInput     `json:"project,omitempty"`
	// Publication is what may be published once the request is decided. Left out at
	// submission it is PublishNone; left out of an edit it stays as it was; an edit may
	// narrow it, never widen it.
	Publication Publication `json:"publication,omitempty"`
}

// Content is a validated RequestInput: trimmed text and exact money.
type Content struct {
	Kind        Kind
	Title       string
	Summary     string
	Applicant   Applicant
	Amount      money.Money
	BudgetItems []BudgetItem
	Conference  *Conference
	Travel      *Travel
	Project     *Project
}

// Input returns the wire form of the content, with amounts in canonical decimal form.
func (c Content) Input() RequestInput {
	in := RequestInput{
		Kind:       c.Kind,
		Title:      c.Title,
		Summary:    c.Summary,
		Applicant:  c.Applicant,
		Amount:     c.Amount.Amount(),
		Conference: c.Conference,
		Travel:     c.Travel,
	}
	for _, b := range c.BudgetItems {
		in.BudgetItems = append(in.BudgetItems, BudgetItemInput{Description: b.Description, Amount: b.Amount.Amount()})
	}
	if p := c.Project; p != nil {
		pi := &ProjectInput{Name: p.Name, RepositoryURL: p.RepositoryURL, Licence: p.Licence, Milestones: []MilestoneInput{}}
		for _, m := range p.Milestones {
			pi.Milestones = append(pi.Milestones, MilestoneInput{Title: m.Title, DueDate: m.DueDate, Amount: m.Amount.Amount()})
		}
		in.Project = pi
	}
	return in
}

// EventName is the conference or travel event, or the project's name: the "what" of a
// request in lists and reports.
func (c Content) EventName() string {
	switch {
	case c.Conference != nil:
		return c.Conference.EventName
	case c.Travel != nil:
		return c.Travel.EventName
	case c.Project != nil:
		return c.Project.Name
	}
	return ""
}

// EventStart is the first day of the event for conference and travel requests
// (YYYY-MM-DD), or "" for projects.
func (c Content) EventStart() string {
	switch {
	case c.Conference != nil:
		return c.Conference.StartDate
	case c.Travel != nil:
		return c.Travel.StartDate
	}
	return ""
}

// Licences are the SPDX identifiers accepted for funded projects: OSI-approved licences
// in common use (https://spdx.org/licenses/, "OSI Approved" column).
var Licences = []string{
	"0BSD", "AGPL-3.0-only", "AGPL-3.0-or-later", "Apache-2.0", "Apache-2.0 WITH LLVM-exception",
	"Artistic-2.0", "BSD-2-Clause", "BSD-3-Clause", "BSL-1.0", "CDDL-1.0", "EPL-2.0",
	"EUPL-1.2", "GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0-only", "GPL-3.0-or-later",
	"ISC", "LGPL-2.1-only", "LGPL-2.1-or-later", "LGPL-3.0-only", "LGPL-3.0-or-later",
	"MIT", "MIT-0", "MPL-2.0", "NCSA", "PostgreSQL", "UPL-1.0", "Unlicense", "Zlib",
}
