package ledger

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// Decision is the public record a decision's leaf carries when its applicant chose to
// be published (named or anonymous): the decision itself, never who asked. The title,
// the applicant's name and organization stay out of the log, on the register's pages,
// which follow the applicant's choice as it narrows; an entry of an append-only log
// could not.
type Decision struct {
	Request    string `json:"request"`
	Decision   string `json:"decision"` // approved or rejected
	DecidedAt  string `json:"decidedAt"`
	Kind       string `json:"kind"`
	FiscalYear int    `json:"fiscalYear"`
	// Approved is the approved amount; absent for a rejection.
	Approved *Amount `json:"approved,omitempty"`
	Tally    Tally   `json:"tally"`
}

// Amount is a decimal amount in an ISO 4217 currency.
type Amount struct {
	Currency string `json:"currency"`
	Value    string `json:"value"`
}

// Tally counts the seats of the decision rule and their votes.
type Tally struct {
	Seats      int `json:"seats"`
	Voted      int `json:"voted"`
	Approving  int `json:"approving"`
	Rejecting  int `json:"rejecting"`
	Abstaining int `json:"abstaining"`
}

// PublicRecord is an event's public record for its leaf: the Decision of an approval
// or rejection whose applicant chose publication, as the event's data recorded it at
// the decision; nil for every other event.
func PublicRecord(ev sponsorship.AuditEvent) json.RawMessage {
	if ev.Type != sponsorship.EventApproved && ev.Type != sponsorship.EventRejected {
		return nil
	}
	switch sponsorship.Publication(ev.Data["publication"]) {
	case sponsorship.PublishNamed, sponsorship.PublishAnonymous:
	default:
		return nil
	}
	n := func(k string) int { v, _ := strconv.Atoi(ev.Data[k]); return v }
	d := Decision{Request: ev.RequestID, Decision: string(ev.Type), DecidedAt: ev.At.UTC().Format(time.RFC3339Nano),
		Kind: ev.Data["kind"], FiscalYear: n("fiscalYear"),
		Tally: Tally{Seats: n("seats"), Voted: n("voted"), Approving: n("approving"), Rejecting: n("rejecting"), Abstaining: n("abstaining")}}
	if ev.Type == sponsorship.EventApproved && ev.Data["amount"] != "" {
		d.Approved = &Amount{Currency: ev.Data["currency"], Value: ev.Data["amount"]}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(d) // strings and numbers always encode
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
