package ledger_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

func TestOnlyAPublishedDecisionHasAPublicRecord(t *testing.T) {
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	decision := func(typ sponsorship.EventType, publication string) sponsorship.AuditEvent {
		return sponsorship.AuditEvent{RequestID: "01KC", Version: 5, Type: typ, At: at,
			Actor:   sponsorship.Actor{Role: sponsorship.RoleReviewer, ID: "rita-sub", Name: "Rita Reviewer"},
			Message: "Approved for EUR 1,500.00.",
			Data: map[string]string{"publication": publication, "kind": "travel", "fiscalYear": "2026", "seats": "5", "voted": "3",
				"approving": "2", "rejecting": "1", "abstaining": "0", "amount": "1500.00", "currency": "EUR"}}
	}
	for _, c := range []struct {
		ev   sponsorship.AuditEvent
		want string
	}{
		{decision(sponsorship.EventApproved, "named"), `{"request":"01KC","decision":"approved","decidedAt":"2026-06-01T10:00:00Z","kind":"travel","fiscalYear":2026,"approved":{"currency":"EUR","value":"1500.00"},"tally":{"seats":5,"voted":3,"approving":2,"rejecting":1,"abstaining":0}}`},
		{decision(sponsorship.EventRejected, "anonymous"), `{"request":"01KC","decision":"rejected","decidedAt":"2026-06-01T10:00:00Z","kind":"travel","fiscalYear":2026,"tally":{"seats":5,"voted":3,"approving":2,"rejecting":1,"abstaining":0}}`},
		{decision(sponsorship.EventApproved, "none"), ``},
		{decision(sponsorship.EventApproved, ""), ``},
		{decision(sponsorship.EventVoteCast, "named"), ``},
		{decision(sponsorship.EventPaymentRecorded, "named"), ``},
	} {
		got := ledger.PublicRecord(c.ev)
		if string(got) != c.want {
			t.Errorf("%s under %q: %s, want %s", c.ev.Type, c.ev.Data["publication"], got, c.want)
		}
		leaf := string(ledger.NewLeaf(c.ev, ledger.NewSalt(), got).Data())
		// Whatever the choice, the leaf never names the reviewer or repeats the message.
		for _, private := range []string{"Rita", "rita-sub", "1,500.00"} {
			if strings.Contains(leaf, private) {
				t.Errorf("the leaf of %s under %q holds %q: %s", c.ev.Type, c.ev.Data["publication"], private, leaf)
			}
		}
		if back, err := ledger.ParseLeaf([]byte(leaf)); err != nil || string(back.Public) != c.want {
			t.Errorf("leaf read back: %+v, %v", back, err)
		}
		if c.want != "" && !json.Valid(got) {
			t.Errorf("not JSON: %s", got)
		}
	}
}
