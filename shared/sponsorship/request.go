package sponsorship

import (
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
)

// Request is a funding request as stored: its content, where it stands, and the
// bookkeeping that guards concurrent changes (Version) and applicant access (TokenHash).
type Request struct {
	ID         string
	Reference  string // short human reference, e.g. ST-7ZQ4M-K2P9X
	Status     Status
	Version    int // starts at 1, +1 on every change; every update is conditional on it
	FiscalYear int
	Content
	TokenHash   string // SHA-256 of the applicant token, hex; the token itself is never stored
	SubmittedAt time.Time
	UpdatedAt   time.Time
	DecidedAt   time.Time // zero until approved, rejected or withdrawn
	Approved    *money.Money
	Paid        money.Money // the sum of payments and reversals so far
	PaidOn      string      // the date (YYYY-MM-DD) of the latest payment
	// Round counts review rounds: 1 at submission, +1 at each resubmission. Only votes of
	// the current round count.
	Round int
	// Voters and Recused list the reviewers who voted in this round and who recused
	// themselves, so the queue can answer "waiting on my vote" from the request alone.
	Voters  []string
	Recused []string
	// ExpiresAt is set while the request is provisional: created but its applicant's
	// e-mail address not confirmed (or withdrawn before that). A provisional request is
	// kept out of the committee's sight and counts as absent from ExpiresAt on; the
	// table's TTL deletes it soon after. Confirmation clears it.
	ExpiresAt time.Time
	// ConfirmHash is the SHA-256 of the code the confirmation link carries, hex; kept
	// after confirmation so that opening the link again is answered as a success.
	ConfirmHash string
	// Reports are the reports an approved request owes, as far as any was written (see
	// ReportsOwed): one per milestone for a project, one otherwise.
	Reports []Report
	// Payout says where the applicant's payout details stand, without them (see Payout);
	// nil until the applicant gives some.
	Payout *Payout
	// Publication is what the applicant agreed may be published once the request is
	// decided; empty on requests stored before the choice existed, which publish
	// nothing (see Publication.Or).
	Publication Publication
}

// EventType names what an audit event records.
type EventType string

// Audit event types.
const (
	EventReceived         EventType = "received" // created, waiting for the e-mail address to be confirmed
	EventSubmitted        EventType = "submitted"
	EventChangesRequested EventType = "changes_requested"
	EventResubmitted      EventType = "resubmitted"
	EventApproved         EventType = "approved"
	EventRejected         EventType = "rejected"
	EventWithdrawn        EventType = "withdrawn"
	EventPaymentRecorded  EventType = "payment_recorded"
	EventPaymentReversed  EventType = "payment_reversed"
	EventVoteCast         EventType = "vote_cast"
	EventRecused          EventType = "recused"
	EventCommentAdded     EventType = "comment_added"
	EventConflictDeclared EventType = "conflict_declared"
	EventCompanyChanged   EventType = "company_changed"
	EventApprovalRefused  EventType = "approval_refused"
	EventReviewerChanged  EventType = "reviewer_changed"
	EventBudgetChanged    EventType = "budget_changed"
	EventSettingsChanged  EventType = "settings_changed"
	// Onboarding: what an admin did to a member of staff's sign-in and roster entry.
	EventStaffInvited     EventType = "staff_invited"
	EventStaffChanged     EventType = "staff_changed"
	EventStaffDeactivated EventType = "staff_deactivated"
	EventStaffReactivated EventType = "staff_reactivated"
	EventInvitationResent EventType = "invitation_resent"
	// Attachments: a file passed its content check, or was quarantined.
	EventAttachmentAdded       EventType = "attachment_added"
	EventAttachmentQuarantined EventType = "attachment_quarantined"
	// Reports after approval: submitted by the applicant, sent back for changes, or
	// accepted by a reviewer or finance; the acceptance of the last one owed closes a
	// request paid in full.
	EventReportSubmitted        EventType = "report_submitted"
	EventReportChangesRequested EventType = "report_changes_requested"
	EventReportAccepted         EventType = "report_accepted"
	// Payout details: given for the first time, a change asked for (waiting for the
	// confirmation mailed to the request's address), that change confirmed, and the
	// details in force verified by finance. Events hold the method only.
	EventPayoutEntered         EventType = "payout_entered"
	EventPayoutChangeRequested EventType = "payout_change_requested"
	EventPayoutChanged         EventType = "payout_changed"
	EventPayoutVerified        EventType = "payout_verified"
	// EventPublicationNarrowed: the applicant narrowed what may be published of their
	// request (Data holds the choice before and after).
	EventPublicationNarrowed EventType = "publication_narrowed"
)

// Actor is who made a change: their role, and an id and name where they have one. An
// applicant has no account, so their id is empty.
type Actor struct {
	Role Role   `json:"role"`
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// AuditEvent is an immutable record of one change, written in the same transaction as
// the change. For a request, Version is the request's version after the change, so its
// events are numbered 1, 2, 3... without gaps. Changes to the roster, budgets and
// settings have no RequestID; Subject names what changed.
type AuditEvent struct {
	RequestID  string
	Subject    string
	Version    int
	Type       EventType
	Actor      Actor
	At         time.Time
	FromStatus Status
	ToStatus   Status
	Message    string            // the applicant's or reviewer's words, where the change has some
	Changed    []string          // fields an edit changed, for resubmissions
	Data       map[string]string // what else the event needs to say: choice, amounts, reasons
	Internal   bool              // hidden from the applicant's view
	// Salt is the event's random salt for its commitment in the verifiable log, drawn
	// by the store when it writes the event and kept with it; the audit report exports
	// it so that an auditor can recompute the commitment.
	Salt []byte
}

// IdempotencyRecord remembers the first response to a submission made with an
// Idempotency-Key, so a retry gets that response instead of a second request. Only
// hashes of the key and body are kept.
type IdempotencyRecord struct {
	KeyHash     string // SHA-256 of the Idempotency-Key, hex
	Fingerprint string // SHA-256 of the canonical request body, hex
	RequestID   string
	Reference   string
	SubmittedAt time.Time
	Salt        []byte // with the key, derives the applicant token again on replay
	ExpiresAt   time.Time
	// Status is the status the first response gave; empty for a payment's key, and
	// for submissions remembered before requests began unconfirmed (then submitted).
	Status Status
}
