package dynamostore

import (
	"fmt"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// voteRecord is a reviewer's vote, in the request's partition (SK VOTE#<reviewer>).
type voteRecord struct {
	PK, SK       string
	Entity       string `json:"entity"`
	RequestID    string `json:"requestId"`
	ReviewerID   string `json:"reviewerId"`
	ReviewerName string `json:"reviewerName"`
	Company      string `json:"company,omitempty"`
	Choice       string `json:"choice"`
	Currency     string `json:"currency,omitempty"`
	AmountMinor  *int64 `json:"amountMinor,omitempty"`
	Comment      string `json:"comment,omitempty"`
	Round        int    `json:"round"`
	At           string `json:"at"`
}

func toVoteRecord(v sponsorship.Vote) voteRecord {
	rec := voteRecord{PK: requestPK(v.RequestID), SK: votePrefix + v.ReviewerID, Entity: "vote",
		RequestID: v.RequestID, ReviewerID: v.ReviewerID, ReviewerName: v.ReviewerName, Company: v.Company,
		Choice: string(v.Choice), Comment: v.Comment, Round: v.Round, At: stamp(v.At)}
	if v.Amount != nil {
		m := v.Amount.Minor
		rec.Currency, rec.AmountMinor = v.Amount.Currency, &m
	}
	return rec
}

func (rec voteRecord) vote() sponsorship.Vote {
	v := sponsorship.Vote{RequestID: rec.RequestID, ReviewerID: rec.ReviewerID, ReviewerName: rec.ReviewerName,
		Company: rec.Company, Choice: sponsorship.Choice(rec.Choice), Comment: rec.Comment, Round: rec.Round, At: parseStamp(rec.At)}
	if rec.AmountMinor != nil {
		v.Amount = &money.Money{Currency: rec.Currency, Minor: *rec.AmountMinor}
	}
	return v
}

// recusalRecord is a recorded recusal (SK RECUSAL#<reviewer>).
type recusalRecord struct {
	PK, SK       string
	Entity       string `json:"entity"`
	RequestID    string `json:"requestId"`
	ReviewerID   string `json:"reviewerId"`
	ReviewerName string `json:"reviewerName"`
	Reason       string `json:"reason"`
	Automatic    bool   `json:"automatic,omitempty"`
	At           string `json:"at"`
}

func toRecusalRecord(r sponsorship.Recusal) recusalRecord {
	return recusalRecord{PK: requestPK(r.RequestID), SK: recusalPrefix + r.ReviewerID, Entity: "recusal",
		RequestID: r.RequestID, ReviewerID: r.ReviewerID, ReviewerName: r.ReviewerName, Reason: r.Reason,
		Automatic: r.Automatic, At: stamp(r.At)}
}

func (rec recusalRecord) recusal() sponsorship.Recusal {
	return sponsorship.Recusal{RequestID: rec.RequestID, ReviewerID: rec.ReviewerID, ReviewerName: rec.ReviewerName,
		Reason: rec.Reason, Automatic: rec.Automatic, At: parseStamp(rec.At)}
}

// commentRecord is an internal comment (SK COMMENT#<ulid>, so comments sort by time).
type commentRecord struct {
	PK, SK     string
	Entity     string `json:"entity"`
	RequestID  string `json:"requestId"`
	ID         string `json:"id"`
	AuthorID   string `json:"authorId"`
	AuthorName string `json:"authorName"`
	Text       string `json:"text"`
	At         string `json:"at"`
}

func toCommentRecord(c sponsorship.Comment) commentRecord {
	return commentRecord{PK: requestPK(c.RequestID), SK: commentPrefix + c.ID, Entity: "comment", RequestID: c.RequestID,
		ID: c.ID, AuthorID: c.AuthorID, AuthorName: c.AuthorName, Text: c.Text, At: stamp(c.At)}
}

func (rec commentRecord) comment() sponsorship.Comment {
	return sponsorship.Comment{RequestID: rec.RequestID, ID: rec.ID, AuthorID: rec.AuthorID, AuthorName: rec.AuthorName,
		Text: rec.Text, At: parseStamp(rec.At)}
}

// reviewerRecord is a roster entry: all of them share the ROSTER partition with the
// companies, so the directory is one Query. Company is the company name of entries
// stored before companies were records.
type reviewerRecord struct {
	PK, SK    string
	Entity    string   `json:"entity"`
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Email     string   `json:"email"`
	Roles     []string `json:"roles,omitempty"`
	CompanyID string   `json:"companyId,omitempty"`
	Company   string   `json:"company,omitempty"`
	Active    bool     `json:"active"`
	Version   int      `json:"version"`
	UpdatedAt string   `json:"updatedAt"`
}

func toReviewerRecord(r sponsorship.Reviewer) reviewerRecord {
	rec := reviewerRecord{PK: pkRoster, SK: reviewerPrefix + r.ID, Entity: "reviewer", ID: r.ID, Name: r.Name,
		Email: r.Email, CompanyID: r.CompanyID, Active: r.Active, Version: r.Version, UpdatedAt: stamp(r.UpdatedAt)}
	for _, role := range r.Roles {
		rec.Roles = append(rec.Roles, string(role))
	}
	return rec
}

func (rec reviewerRecord) reviewer() sponsorship.Reviewer {
	r := sponsorship.Reviewer{ID: rec.ID, Name: rec.Name, Email: rec.Email, CompanyID: rec.CompanyID, Active: rec.Active,
		Version: rec.Version, UpdatedAt: parseStamp(rec.UpdatedAt)}
	for _, role := range rec.Roles {
		r.Roles = append(r.Roles, sponsorship.Role(role))
	}
	if rec.Roles == nil { // stored when the roster held reviewers only
		r.Roles = []sponsorship.Role{sponsorship.RoleReviewer}
	}
	if rec.CompanyID == "" {
		r.LegacyCompany = rec.Company
	}
	return r
}

// companyRecord is a company (PK ROSTER, SK COMPANY#<id>).
type companyRecord struct {
	PK, SK    string
	Entity    string   `json:"entity"`
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Aliases   []string `json:"aliases,omitempty"`
	Domains   []string `json:"domains,omitempty"`
	Version   int      `json:"version"`
	UpdatedAt string   `json:"updatedAt"`
}

func toCompanyRecord(c sponsorship.Company) companyRecord {
	return companyRecord{PK: pkRoster, SK: companyPrefix + c.ID, Entity: "company", ID: c.ID, Name: c.Name,
		Aliases: c.Aliases, Domains: c.Domains, Version: c.Version, UpdatedAt: stamp(c.UpdatedAt)}
}

func (rec companyRecord) company() sponsorship.Company {
	return sponsorship.Company{ID: rec.ID, Name: rec.Name, Aliases: rec.Aliases, Domains: rec.Domains,
		Version: rec.Version, UpdatedAt: parseStamp(rec.UpdatedAt)}
}

// claimRecord says which company holds a name key or a domain (PK COMPANYKEY#<key> or
// COMPANYDOMAIN#<domain>, SK CLAIM): writing it on condition that it is absent or
// already the company's is what keeps one company from being entered twice.
type claimRecord struct {
	PK, SK    string
	Entity    string `json:"entity"`
	CompanyID string `json:"companyId"`
}

const skClaim = "CLAIM"

func keyClaimPK(key string) string       { return "COMPANYKEY#" + key }
func domainClaimPK(domain string) string { return "COMPANYDOMAIN#" + domain }

// claims lists the claim partition keys of a company: its name keys and domains.
func claims(c sponsorship.Company) []string {
	var pks []string
	for _, k := range c.Keys() {
		pks = append(pks, keyClaimPK(k))
	}
	for _, d := range c.Domains {
		pks = append(pks, domainClaimPK(d))
	}
	return pks
}

// declarationRecord is a reviewer's declaration of no conflict on a request (SK
// SETTLED#<reviewer>; a later one replaces it).
type declarationRecord struct {
	PK, SK       string
	Entity       string `json:"entity"`
	RequestID    string `json:"requestId"`
	ReviewerID   string `json:"reviewerId"`
	ReviewerName string `json:"reviewerName"`
	CompanyID    string `json:"companyId"`
	Against      string `json:"against"`
	Reason       string `json:"reason"`
	At           string `json:"at"`
}

func toDeclarationRecord(d sponsorship.Declaration) declarationRecord {
	return declarationRecord{PK: requestPK(d.RequestID), SK: declarationPrefix + d.ReviewerID, Entity: "declaration",
		RequestID: d.RequestID, ReviewerID: d.ReviewerID, ReviewerName: d.ReviewerName, CompanyID: d.CompanyID,
		Against: d.Against, Reason: d.Reason, At: stamp(d.At)}
}

func (rec declarationRecord) declaration() sponsorship.Declaration {
	return sponsorship.Declaration{RequestID: rec.RequestID, ReviewerID: rec.ReviewerID, ReviewerName: rec.ReviewerName,
		CompanyID: rec.CompanyID, Against: rec.Against, Reason: rec.Reason, At: parseStamp(rec.At)}
}

// governanceRecord holds the settings (PK SETTINGS, SK GOVERNANCE).
type governanceRecord struct {
	PK, SK         string
	Entity         string         `json:"entity"`
	QuorumPercent  int            `json:"quorumPercent"`
	AdvancePercent map[string]int `json:"advancePercent,omitempty"`
	Version        int            `json:"version"`
	UpdatedAt      string         `json:"updatedAt"`
}

// budgetRecord is a budget (PK BUDGETS, SK FY#<year>#<category>#<currency>). It keeps
// availableMinor = allocated - committed - paid as an attribute of its own, because a
// condition expression cannot do arithmetic: an approval commits only if
// availableMinor >= its amount.
type budgetRecord struct {
	PK, SK         string
	Entity         string `json:"entity"`
	FiscalYear     int    `json:"fiscalYear"`
	Category       string `json:"category"`
	Currency       string `json:"currency"`
	AllocatedMinor int64  `json:"allocatedMinor"`
	CommittedMinor int64  `json:"committedMinor"`
	PaidMinor      int64  `json:"paidMinor"`
	AvailableMinor int64  `json:"availableMinor"`
	Version        int    `json:"version"`
	UpdatedAt      string `json:"updatedAt"`
}

func budgetSK(year int, category sponsorship.Kind, currency string) string {
	return fmt.Sprintf("FY#%d#%s#%s", year, category, currency)
}

func (rec budgetRecord) budget() sponsorship.Budget {
	return sponsorship.Budget{FiscalYear: rec.FiscalYear, Category: sponsorship.Kind(rec.Category), Currency: rec.Currency,
		Allocated: rec.AllocatedMinor, Committed: rec.CommittedMinor, Paid: rec.PaidMinor, Version: rec.Version,
		UpdatedAt: parseStamp(rec.UpdatedAt)}
}

// paymentRecord is a payment in the request's partition (SK PAYMENT#<ulid>, so a
// request's payments sort by time), and in the period index by fiscal year and date for
// the ledger (GSI2 PAY#<year> / <date>#<id>).
type paymentRecord struct {
	PK, SK         string
	GSI2PK, GSI2SK string
	Entity         string            `json:"entity"`
	ID             string            `json:"id"`
	RequestID      string            `json:"requestId"`
	Reference      string            `json:"reference"`
	FiscalYear     int               `json:"fiscalYear"`
	Category       string            `json:"category"`
	Currency       string            `json:"currency"`
	AmountMinor    int64             `json:"amountMinor"`
	Date           string            `json:"date"`
	Method         string            `json:"method"`
	ExternalRef    string            `json:"externalRef,omitempty"`
	Note           string            `json:"note,omitempty"`
	Reverses       string            `json:"reverses,omitempty"`
	Milestone      *int              `json:"milestone,omitempty"`
	Advance        bool              `json:"advance,omitempty"`
	RecordedBy     sponsorship.Actor `json:"recordedBy"`
	RecordedAt     string            `json:"recordedAt"`
}

func toPaymentRecord(p sponsorship.Payment) paymentRecord {
	return paymentRecord{PK: requestPK(p.RequestID), SK: paymentPrefix + p.ID,
		GSI2PK: fmt.Sprintf("PAY#%d", p.FiscalYear), GSI2SK: p.Date + "#" + p.ID, Entity: "payment",
		ID: p.ID, RequestID: p.RequestID, Reference: p.Reference, FiscalYear: p.FiscalYear, Category: string(p.Category),
		Currency: p.Amount.Currency, AmountMinor: p.Amount.Minor, Date: p.Date, Method: p.Method, ExternalRef: p.ExternalRef,
		Note: p.Note, Reverses: p.Reverses, Milestone: p.Milestone, Advance: p.Advance, RecordedBy: p.RecordedBy,
		RecordedAt: stamp(p.RecordedAt)}
}

func (rec paymentRecord) payment() sponsorship.Payment {
	return sponsorship.Payment{ID: rec.ID, RequestID: rec.RequestID, Reference: rec.Reference, FiscalYear: rec.FiscalYear,
		Category: sponsorship.Kind(rec.Category), Amount: money.Money{Currency: rec.Currency, Minor: rec.AmountMinor},
		Date: rec.Date, Method: rec.Method, ExternalRef: rec.ExternalRef, Note: rec.Note, Reverses: rec.Reverses,
		Milestone: rec.Milestone, Advance: rec.Advance, RecordedBy: rec.RecordedBy, RecordedAt: parseStamp(rec.RecordedAt)}
}
