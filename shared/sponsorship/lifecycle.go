package sponsorship

import "fmt"

// Status is where a request stands in its lifecycle.
type Status string

// The statuses of the lifecycle in the design:
//
//	unconfirmed ──► submitted (the applicant opened the link mailed to them)
//	    └──► withdrawn
//	submitted ──► changes_requested ──► submitted (resubmitted) ...
//	    ├──► approved ──► partially_paid ──► paid ──► closed
//	    ├──► rejected
//	    └──► withdrawn (by the applicant, before a decision)
//
// A new request is unconfirmed until someone opens the link sent to its applicant's
// address: until then it is outside the committee's indexes, no reviewer or chat hears
// of it, and it expires (see Request.ExpiresAt).
//
// A request paid in full is closed once every report it owes is accepted (see
// ReportTransitions): by the payment that completes it when the reports were accepted
// first, or by the acceptance of the last report when the money went first (a
// conference's invoice is paid before its post-event report; an advance is paid before
// any evidence).
const (
	StatusUnconfirmed      Status = "unconfirmed"
	StatusSubmitted        Status = "submitted"
	StatusChangesRequested Status = "changes_requested"
	StatusApproved         Status = "approved"
	StatusRejected         Status = "rejected"
	StatusWithdrawn        Status = "withdrawn"
	StatusPartiallyPaid    Status = "partially_paid"
	StatusPaid             Status = "paid"
	StatusClosed           Status = "closed"
)

// Statuses lists every status in lifecycle order.
var Statuses = []Status{StatusUnconfirmed, StatusSubmitted, StatusChangesRequested, StatusApproved, StatusRejected,
	StatusWithdrawn, StatusPartiallyPaid, StatusPaid, StatusClosed}

// Valid reports whether s is one of Statuses.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if v == s {
			return true
		}
	}
	return false
}

// Decided reports whether the committee has decided the request (or the applicant has
// withdrawn it): no vote, edit or withdrawal can change it any more.
func (s Status) Decided() bool {
	return s != StatusSubmitted && s != StatusChangesRequested && s != StatusUnconfirmed
}

// Role is the capacity in which someone acts on a request.
type Role string

// The roles. A reviewer acts for the committee: the vote that settles a decision makes
// the approved or rejected transition in the reviewer's name.
const (
	RoleApplicant Role = "applicant"
	RoleReviewer  Role = "reviewer"
	RoleFinance   Role = "finance"
	RoleAdmin     Role = "admin"
)

// Transition is one allowed move in the lifecycle: From one status To another, made by
// a caller in role By, recorded as an audit event of type Event.
type Transition struct {
	From  Status
	To    Status
	By    Role
	Event EventType
}

// Transitions is the whole lifecycle: every move not listed here is refused. A full
// payment may move an approved request straight to paid; a partial payment after a
// partial payment leaves it partially paid; a reversing entry moves it back.
var Transitions = []Transition{
	{From: "", To: StatusUnconfirmed, By: RoleApplicant, Event: EventReceived},
	// Confirming the e-mail address is what submits a request to the committee.
	{From: StatusUnconfirmed, To: StatusSubmitted, By: RoleApplicant, Event: EventSubmitted},
	{From: StatusUnconfirmed, To: StatusWithdrawn, By: RoleApplicant, Event: EventWithdrawn},
	{From: StatusSubmitted, To: StatusChangesRequested, By: RoleReviewer, Event: EventChangesRequested},
	{From: StatusChangesRequested, To: StatusSubmitted, By: RoleApplicant, Event: EventResubmitted},
	{From: StatusSubmitted, To: StatusApproved, By: RoleReviewer, Event: EventApproved},
	{From: StatusSubmitted, To: StatusRejected, By: RoleReviewer, Event: EventRejected},
	{From: StatusSubmitted, To: StatusWithdrawn, By: RoleApplicant, Event: EventWithdrawn},
	{From: StatusChangesRequested, To: StatusWithdrawn, By: RoleApplicant, Event: EventWithdrawn},
	{From: StatusApproved, To: StatusPartiallyPaid, By: RoleFinance, Event: EventPaymentRecorded},
	{From: StatusApproved, To: StatusPaid, By: RoleFinance, Event: EventPaymentRecorded},
	{From: StatusPartiallyPaid, To: StatusPartiallyPaid, By: RoleFinance, Event: EventPaymentRecorded},
	{From: StatusPartiallyPaid, To: StatusPaid, By: RoleFinance, Event: EventPaymentRecorded},
	{From: StatusApproved, To: StatusClosed, By: RoleFinance, Event: EventPaymentRecorded},
	{From: StatusPartiallyPaid, To: StatusClosed, By: RoleFinance, Event: EventPaymentRecorded},
	{From: StatusPaid, To: StatusClosed, By: RoleReviewer, Event: EventReportAccepted},
	{From: StatusPaid, To: StatusClosed, By: RoleFinance, Event: EventReportAccepted},
	// A correction is a new reversing entry, never an edit: reversing a payment moves
	// the request back by what it reverses.
	{From: StatusPaid, To: StatusPartiallyPaid, By: RoleFinance, Event: EventPaymentReversed},
	{From: StatusPaid, To: StatusApproved, By: RoleFinance, Event: EventPaymentReversed},
	{From: StatusPartiallyPaid, To: StatusApproved, By: RoleFinance, Event: EventPaymentReversed},
	{From: StatusClosed, To: StatusPartiallyPaid, By: RoleFinance, Event: EventPaymentReversed},
	{From: StatusClosed, To: StatusApproved, By: RoleFinance, Event: EventPaymentReversed},
}

// TransitionError refuses a move the lifecycle does not allow. It carries the current
// status so the caller can see why.
type TransitionError struct {
	From Status
	To   Status
	By   Role
	// Action, when set, names what was attempted ("vote") instead of the move.
	Action string
}

func (e *TransitionError) Error() string {
	if e.Action != "" {
		return fmt.Sprintf("cannot %s on a request that is %s", e.Action, e.From)
	}
	return fmt.Sprintf("a %s cannot move a request from %s to %s", e.By, e.From, e.To)
}

// CheckTransition returns the allowed transition from one status to another by a role,
// or a *TransitionError.
func CheckTransition(from, to Status, by Role) (Transition, error) {
	for _, t := range Transitions {
		if t.From == from && t.To == to && t.By == by {
			return t, nil
		}
	}
	return Transition{}, &TransitionError{From: from, To: to, By: by}
}
