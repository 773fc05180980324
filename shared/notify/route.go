package notify

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// Channel names.
const (
	Email = "email"
	Chat  = "chat"
)

// Message kinds: each has a subject, a text and an HTML template.
const (
	KindNewRequest      = "new_request"      // to reviewers: a request to review
	KindResubmitted     = "resubmitted"      // to reviewers: changes are in
	KindReceipt         = "receipt"          // to the applicant: we have it
	KindChangesAsked    = "changes_asked"    // to the applicant: the reviewers' message
	KindApproved        = "approved"         // to the applicant: approved, with the amount
	KindRejected        = "rejected"         // to the applicant
	KindFinanceApproved = "finance_approved" // to finance: a commitment to pay
	KindBudgetRefused   = "budget_refused"   // to admins: an approval the budget could not take
	KindChat            = "chat"             // to the committee's chat
	KindDigest          = "digest"           // to a reviewer: requests waiting on their vote
	KindConfirm         = "confirm"          // to the applicant's address: the confirmation link, nothing else
	KindReportChanges   = "report_changes"   // to the applicant: what a report needs
	KindReportToRead    = "report_to_read"   // to finance: a report submitted, to accept or send back
	KindReportsDue      = "reports_due"      // to the applicant: reports due soon or overdue
	KindFileRefused     = "file_refused"     // to the applicant: a file of theirs was quarantined, and why
	KindPayoutConfirm   = "payout_confirm"   // to the request's address: the link that confirms a change of payout details
	KindPayoutToVerify  = "payout_to_verify" // to finance: payout details to verify before paying
	KindPayoutGiven     = "payout_given"     // to the request's address: payout details were given, in case it was not them
)

// Rules are the addresses and switches routing needs from configuration.
type Rules struct {
	FinanceEmail string // a finance mailbox; empty sends nothing to finance
	AdminsEmail  string // the admins' mailbox; empty sends nothing to admins
	Chat         bool   // a chat webhook is configured
}

// Notification is one message to send: to one recipient over one channel, about one
// audit event. Key identifies it in the outbox.
type Notification struct {
	Key     string
	Channel string
	To      string // an e-mail address; empty for chat
	Name    string // the recipient's name, for the greeting
	Kind    string
}

// Route decides who hears about an event: reviewers of a new or resubmitted request
// (minus those recused by choice or by their company; a possible conflict they still
// hear of, since they must settle it), the applicant on receipt, on a
// request for changes, on approval and on rejection, finance on approval, admins when
// an approval is refused for lack of budget, finance when a report is submitted, the
// applicant when a report is sent back or a file of theirs is quarantined, the
// request's address when its payout details are to change (with the link that confirms
// it), finance when payout details are given or changed, and the
// committee's chat on each of those that
// concern the committee. Other events notify nobody.
func Route(ev sponsorship.AuditEvent, req *sponsorship.Request, dir sponsorship.Directory, r Rules) []Notification {
	var out []Notification
	seen := map[string]bool{}
	add := func(channel, to, name, kind string) {
		// One message per address: two roster entries may share one.
		if addr := channel + " " + strings.ToLower(to); !seen[addr] {
			seen[addr] = true
			out = append(out, Notification{Key: key(ev, channel, to), Channel: channel, To: to, Name: name, Kind: kind})
		}
	}
	applicant := func(kind string) { add(Email, req.Applicant.Email, req.Applicant.Name, kind) }
	reviewers := func(kind string) {
		for _, m := range dir.Reviewers {
			if m.Reviews() && m.Email != "" && !slices.Contains(req.Recused, m.ID) &&
				dir.ConflictOf(m, req.Applicant).Level != sponsorship.ExactConflict {
				add(Email, m.Email, m.Name, kind)
			}
		}
	}
	chat := func() {
		if r.Chat {
			add(Chat, "", "", KindChat)
		}
	}
	switch ev.Type {
	case sponsorship.EventReceived:
		// Only the address hears of an unconfirmed request: the committee and the chat
		// hear of it once it is confirmed (and submitted).
		applicant(KindConfirm)
	case sponsorship.EventSubmitted:
		reviewers(KindNewRequest)
		applicant(KindReceipt)
		chat()
	case sponsorship.EventResubmitted:
		reviewers(KindResubmitted)
		applicant(KindReceipt)
		chat()
	case sponsorship.EventChangesRequested:
		applicant(KindChangesAsked)
	case sponsorship.EventApproved:
		applicant(KindApproved)
		if r.FinanceEmail != "" {
			add(Email, r.FinanceEmail, "Finance", KindFinanceApproved)
		}
		chat()
	case sponsorship.EventRejected:
		applicant(KindRejected)
		chat()
	case sponsorship.EventReportSubmitted:
		if r.FinanceEmail != "" {
			add(Email, r.FinanceEmail, "Finance", KindReportToRead)
		}
	case sponsorship.EventReportChangesRequested:
		applicant(KindReportChanges)
	case sponsorship.EventPayoutChangeRequested:
		// To the address on the request, whoever asked for the change.
		applicant(KindPayoutConfirm)
	case sponsorship.EventPayoutEntered, sponsorship.EventPayoutChanged:
		if ev.Type == sponsorship.EventPayoutEntered {
			// The address hears of the first details too: whoever holds a status link
			// could give their own account before the applicant does.
			applicant(KindPayoutGiven)
		}
		if r.FinanceEmail != "" {
			add(Email, r.FinanceEmail, "Finance", KindPayoutToVerify)
		}
	case sponsorship.EventAttachmentQuarantined:
		// The applicant's own upload: they hear why it was refused. A member of staff
		// sees their refused file in the console.
		if ev.Actor.Role == sponsorship.RoleApplicant && !ev.Internal {
			applicant(KindFileRefused)
		}
	case sponsorship.EventApprovalRefused:
		if r.AdminsEmail != "" {
			add(Email, r.AdminsEmail, "Admins", KindBudgetRefused)
		}
		chat()
	}
	return out
}

// key names a notification by its event (request and version), channel and recipient.
// The recipient is hashed so the outbox holds no addresses.
func key(ev sponsorship.AuditEvent, channel, to string) string {
	sum := sha256.Sum256([]byte(to))
	return fmt.Sprintf("%s#%d#%s#%s", ev.RequestID, ev.Version, channel, hex.EncodeToString(sum[:8]))
}
