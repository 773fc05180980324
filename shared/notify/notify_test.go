package notify

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"maps"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

var reviews = []sponsorship.Role{sponsorship.RoleReviewer}

// directory is the roster of these tests, with a company made of each company name.
var directory = sponsorship.NewDirectory(roster, nil)

var roster = []sponsorship.Reviewer{
	{ID: "a", Name: "Ann", Email: "ann@acme.example", LegacyCompany: "Acme Inc.", Active: true, Roles: reviews},
	{ID: "b", Name: "Bob", Email: "bob@beta.example", LegacyCompany: "Beta", Active: true, Roles: reviews},
	{ID: "x", Name: "Xia", Email: "xia@xylo.example", LegacyCompany: "Xylo Corp", Active: true, Roles: reviews},
	{ID: "i", Name: "Ina", Email: "ina@idle.example", LegacyCompany: "Idle", Active: false, Roles: reviews},
	{ID: "r", Name: "Rui", Email: "rui@rec.example", LegacyCompany: "Recused Ltd", Active: true, Roles: reviews},
	// A second roster entry with Ann's address: she still gets one message.
	{ID: "a-old", Name: "Ann", Email: "Ann@Acme.example", LegacyCompany: "Acme Inc.", Active: true, Roles: reviews},
}

func request() *sponsorship.Request {
	approved := money.Money{Currency: "EUR", Minor: 120000}
	return &sponsorship.Request{
		ID: "01KC0000000000000000000001", Reference: "ST-00000-00001", Status: sponsorship.StatusApproved, FiscalYear: 2027,
		Content: sponsorship.Content{Kind: sponsorship.KindTravel, Title: "Trip to FOSDEM", Summary: "A talk on compilers.",
			Applicant: sponsorship.Applicant{Name: "Grace", Email: "grace@xylo.example", Organization: "XYLO CORP."},
			Amount:    money.Money{Currency: "EUR", Minor: 150000}},
		Approved: &approved, Recused: []string{"r"},
	}
}

func TestRouteWhoHearsWhat(t *testing.T) {
	rules := Rules{FinanceEmail: "finance@foundation.example", AdminsEmail: "admins@foundation.example", Chat: true}
	tests := []struct {
		event sponsorship.EventType
		want  []string
	}{
		// Reviewers minus the inactive, the explicitly recused and the applicant's colleague.
		// An unconfirmed request: only its address hears, and only of the link.
		{sponsorship.EventReceived, []string{"email:grace@xylo.example:confirm"}},
		{sponsorship.EventSubmitted, []string{"chat:", "email:ann@acme.example:new_request", "email:bob@beta.example:new_request", "email:grace@xylo.example:receipt"}},
		{sponsorship.EventResubmitted, []string{"chat:", "email:ann@acme.example:resubmitted", "email:bob@beta.example:resubmitted", "email:grace@xylo.example:receipt"}},
		{sponsorship.EventChangesRequested, []string{"email:grace@xylo.example:changes_asked"}},
		{sponsorship.EventApproved, []string{"chat:", "email:finance@foundation.example:finance_approved", "email:grace@xylo.example:approved"}},
		{sponsorship.EventRejected, []string{"chat:", "email:grace@xylo.example:rejected"}},
		{sponsorship.EventApprovalRefused, []string{"chat:", "email:admins@foundation.example:budget_refused"}},
		// Reports after approval: finance reads a submitted one; the applicant hears
		// what a report sent back needs; an acceptance tells nobody.
		{sponsorship.EventReportSubmitted, []string{"email:finance@foundation.example:report_to_read"}},
		{sponsorship.EventReportChangesRequested, []string{"email:grace@xylo.example:report_changes"}},
		{sponsorship.EventReportAccepted, nil},
		{sponsorship.EventVoteCast, nil},
		{sponsorship.EventCommentAdded, nil},
		{sponsorship.EventWithdrawn, nil},
	}
	for _, tt := range tests {
		var got []string
		for _, n := range Route(sponsorship.AuditEvent{RequestID: "r1", Version: 3, Type: tt.event}, request(), directory, rules) {
			s := n.Channel + ":" + n.To
			if n.Channel == Email {
				s += ":" + n.Kind
			}
			got = append(got, s)
			if strings.Contains(n.Key, "@") {
				t.Errorf("key %q holds an address", n.Key)
			}
		}
		sort.Strings(got)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.event, diff)
		}
	}
	// Without finance, admins or chat configured, they hear nothing.
	if n := Route(sponsorship.AuditEvent{Type: sponsorship.EventApprovalRefused}, request(), directory, Rules{}); len(n) != 0 {
		t.Errorf("unconfigured audiences notified: %v", n)
	}
}

func TestRenderEscapesApplicantText(t *testing.T) {
	req := request()
	req.Title = `<script>alert("x")</script> & "friends"`
	req.Summary = "<img src=x onerror=alert(1)>\nline two"
	ev := sponsorship.AuditEvent{Type: sponsorship.EventChangesRequested, Message: "<b>Please</b>\r\nBcc: evil@example.org"}
	for _, kind := range []string{KindNewRequest, KindReceipt, KindChangesAsked, KindApproved, KindRejected, KindFinanceApproved, KindBudgetRefused,
		KindReportChanges, KindReportToRead} {
		m, err := Render(kind, NewView("Ann <admin>", req, ev, "https://tracker.example/"))
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		for _, bad := range []string{"<script>", "<img", "<b>Please", "Ann <admin>"} {
			if strings.Contains(m.HTML, bad) {
				t.Errorf("%s: HTML carries %q unescaped", kind, bad)
			}
		}
		if !strings.Contains(m.HTML, "&lt;script&gt;") {
			t.Errorf("%s: the title is not in the HTML, escaped", kind)
		}
		if strings.ContainsAny(m.Subject, "\r\n") || m.Subject == "" {
			t.Errorf("%s: subject %q", kind, m.Subject)
		}
		if !strings.Contains(m.Text, req.Reference) {
			t.Errorf("%s: text lacks the reference", kind)
		}
	}
	m, _ := Render(KindApproved, NewView("Grace", request(), sponsorship.AuditEvent{}, "https://tracker.example"))
	if !strings.Contains(m.Text, "1200.00 EUR") || !strings.Contains(m.Text, "you asked for 1500.00 EUR") || !strings.Contains(m.HTML, "https://tracker.example/status") {
		t.Errorf("approval message:\n%s", m.Text)
	}
	for _, kind := range []string{KindFinanceApproved, KindReportToRead} {
		m, _ = Render(kind, NewView("Finance", request(), sponsorship.AuditEvent{}, "https://tracker.example"))
		if link := "https://tracker.example/console/#/pay/" + request().ID; !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, link) {
			t.Errorf("%s does not link finance to the request's ledger in the console:\n%s", kind, m.Text)
		}
	}
	for _, kind := range []string{KindChangesAsked, KindReportChanges} {
		m, _ = Render(kind, NewView("Grace", request(), sponsorship.AuditEvent{Message: "Split the airfare."}, "https://tracker.example"))
		if !strings.Contains(m.Text, "Split the airfare.") || !strings.Contains(m.HTML, "Split the airfare.") || !strings.Contains(m.Text, "https://tracker.example/status") {
			t.Errorf("%s lacks the committee's message or the status page:\n%s", kind, m.Text)
		}
	}
}

// memOutbox is an in-memory Outbox for the notifier's logic; the DynamoDB one is tested
// against moto. A group's claim is live from Claim until Release or a releasing mark, and
// a group that sent every key asked for is not claimed again.
type memOutbox struct {
	mu      sync.Mutex
	claimed map[string]bool
	sent    map[string]map[string]bool
	calls   int // outbox calls, to hold the notifier to one claim per group
}

func (o *memOutbox) Claim(_ context.Context, group string, keys []string, _ time.Duration) (map[string]bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls++
	if o.claimed == nil {
		o.claimed, o.sent = map[string]bool{}, map[string]map[string]bool{}
	}
	all := true
	for _, k := range keys {
		all = all && o.sent[group][k]
	}
	switch {
	case all && o.sent[group] != nil:
		return nil, ErrAlreadySent
	case o.claimed[group]:
		return nil, ErrInFlight
	}
	o.claimed[group] = true
	if o.sent[group] == nil {
		o.sent[group] = map[string]bool{}
	}
	return maps.Clone(o.sent[group]), nil
}

func (o *memOutbox) MarkSent(_ context.Context, group, key, _ string, release bool) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls++
	o.sent[group][key] = true
	if release {
		delete(o.claimed, group)
	}
	return nil
}

func (o *memOutbox) Release(_ context.Context, group string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls++
	delete(o.claimed, group)
	return nil
}

type recordingSender struct {
	mu   sync.Mutex
	sent []string
	fail string // recipient whose sends fail
}

func (s *recordingSender) Send(_ context.Context, to string, m Message) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if to == s.fail {
		return "", errors.New("mailbox unavailable")
	}
	s.sent = append(s.sent, to+": "+m.Subject)
	return fmt.Sprint(len(s.sent)), nil
}

type fixedReader struct {
	req    *sponsorship.Request
	code   string                 // the confirmation code; empty once confirmed
	owing  []*sponsorship.Request // approved requests that may owe reports
	payout string                 // the code of a change of payout details waiting
}

func (r fixedReader) GetRequest(context.Context, string) (*sponsorship.Request, error) {
	return r.req, nil
}
func (r fixedReader) Directory(context.Context) (sponsorship.Directory, error) { return directory, nil }
func (r fixedReader) WaitingSince(context.Context, time.Time) ([]*sponsorship.Request, error) {
	if r.req == nil {
		return nil, nil
	}
	return []*sponsorship.Request{r.req}, nil
}
func (r fixedReader) Owing(context.Context) ([]*sponsorship.Request, error) { return r.owing, nil }
func (r fixedReader) SealedPayout(_ context.Context, id string, n int) (*sponsorship.SealedPayout, error) {
	return &sponsorship.SealedPayout{RequestID: id, Number: n, Code: r.payout}, nil
}
func (r fixedReader) ConfirmationCode(context.Context, string) (string, error) {
	if r.code == "" {
		return "", sponsorship.ErrNotFound
	}
	return r.code, nil
}

func TestHandleSendsOnceAndRetriesOnlyWhatFailed(t *testing.T) {
	out := &memOutbox{}
	mail := &recordingSender{fail: "grace@xylo.example"}
	n := New(fixedReader{req: request()}, out, map[string]Sender{Email: mail}, Config{BaseURL: "https://t.example"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ev := sponsorship.AuditEvent{RequestID: "01KC0000000000000000000001", Version: 1, Type: sponsorship.EventSubmitted}
	if err := n.Handle(context.Background(), ev); err == nil {
		t.Fatal("a failed send did not fail the event")
	}
	if len(mail.sent) != 2 {
		t.Fatalf("sent %v, want the two reviewers", mail.sent)
	}
	// The retry sends only what failed, once the mailbox works.
	mail.fail = ""
	if err := n.Handle(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if len(mail.sent) != 3 || !strings.HasPrefix(mail.sent[2], "grace@xylo.example") {
		t.Errorf("after retry: %v", mail.sent)
	}
	// A replay sends nothing, and costs the outbox one claim.
	calls := out.calls
	if err := n.Handle(context.Background(), ev); err != nil || len(mail.sent) != 3 {
		t.Errorf("replay sent again: %v %v", mail.sent, err)
	}
	if out.calls != calls+1 {
		t.Errorf("a replay made %d outbox calls, want one claim", out.calls-calls)
	}
	// A claim held by another invocation is not taken over: the event is retried later.
	next := sponsorship.AuditEvent{RequestID: ev.RequestID, Version: 2, Type: sponsorship.EventRejected}
	out.claimed[eventGroup(next)] = true
	if err := n.Handle(context.Background(), next); !errors.Is(err, ErrInFlight) || len(mail.sent) != 3 {
		t.Errorf("in-flight claim: %v, sent %v", err, mail.sent)
	}
	// A claim still held by a sender that sent everything (say, one that stopped just
	// before it could release) answers that all went out.
	out.claimed[eventGroup(ev)] = true
	if err := n.Handle(context.Background(), ev); err != nil || len(mail.sent) != 3 {
		t.Errorf("a live claim over a group all sent: %v, sent %v", err, mail.sent)
	}
}

// A claim made by an invocation with a deadline holds until shortly after it, not for
// the whole configured lease: a timed-out sender's unsent messages wait no longer.
func TestClaimHoldsUntilTheInvocationsDeadline(t *testing.T) {
	n := New(fixedReader{}, &memOutbox{}, nil, Config{Lease: 5 * time.Minute}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if got := n.lease(context.Background()); got != 5*time.Minute {
		t.Errorf("without a deadline: %v, want the configured 5m", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if got := n.lease(ctx); got > 30*time.Second+leaseMargin || got < 29*time.Second+leaseMargin {
		t.Errorf("with 30 s left: %v, want about %v", got, 30*time.Second+leaseMargin)
	}
	past, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Minute))
	defer cancel2()
	if got := n.lease(past); got != leaseMargin {
		t.Errorf("past the deadline: %v, want %v", got, leaseMargin)
	}
}

// An event heard by several people costs the outbox one claim and one mark per
// message, the last mark releasing the claim: never a claim per message.
func TestHandleClaimsAnEventOnce(t *testing.T) {
	out := &memOutbox{}
	mail := &recordingSender{}
	n := New(fixedReader{req: request()}, out, map[string]Sender{Email: mail}, Config{BaseURL: "https://t.example"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ev := sponsorship.AuditEvent{RequestID: "01KC0000000000000000000001", Version: 1, Type: sponsorship.EventSubmitted}
	if err := n.Handle(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if len(mail.sent) < 2 || out.calls != 1+len(mail.sent) {
		t.Errorf("%d messages cost %d outbox calls, want %d", len(mail.sent), out.calls, 1+len(mail.sent))
	}
	if out.claimed[eventGroup(ev)] {
		t.Error("the claim is still held after every message went out")
	}
}

// member is a roster entry as the directory resolved it.
func member(id string) sponsorship.Reviewer {
	m, _ := directory.Member(id)
	return m
}

func TestDigestListsExactlyTheOverdueRequests(t *testing.T) {
	now := time.Date(2027, 3, 10, 8, 0, 0, 0, time.UTC)
	mk := func(id string, age time.Duration, voters, recused []string, org string) *sponsorship.Request {
		r := request()
		r.ID, r.Reference, r.Status, r.SubmittedAt, r.Voters, r.Recused = id, "ST-"+id, sponsorship.StatusSubmitted, now.Add(-age), voters, recused
		r.Applicant.Organization = org
		return r
	}
	reqs := []*sponsorship.Request{
		mk("old", 96*time.Hour, nil, nil, "Someone"),
		mk("voted", 96*time.Hour, []string{"a"}, nil, "Someone"),
		mk("recused", 96*time.Hour, nil, []string{"a"}, "Someone"),
		mk("mine", 96*time.Hour, nil, nil, "ACME"),
	}
	got := digestLines(waitingOn(directory, member("a"), reqs), now, "https://t.example")
	if len(got) != 1 || got[0].Reference != "ST-old" || got[0].Days != 4 || got[0].ReviewURL != "https://t.example/console/#/review/old" {
		t.Errorf("waiting on Ann: %+v", got)
	}
	if got := waitingOn(directory, member("b"), reqs); len(got) != 4 {
		t.Errorf("waiting on Bob: %d, want all 4", len(got))
	}
	m, err := Render(KindDigest, View{Name: "Ann", Request: &sponsorship.Request{}, Waiting: got[:1]})
	if err != nil || !strings.Contains(m.Subject, "1 request waiting") || !strings.Contains(m.HTML, "ST-old") {
		t.Errorf("digest: %q %v", m.Subject, err)
	}
}

// TestApplicantsAreRemindedOfReportsDue: an applicant hears of a report a week before
// it is due, on the day and each week after, in one message per request listing every
// such report; never of a report submitted or accepted, and not twice on one day.
func TestApplicantsAreRemindedOfReportsDue(t *testing.T) {
	travel := request() // the event ends 2027-02-07: its trip report is due 2027-03-09
	travel.ID, travel.Status = "01KC00000000000000000000TR", sponsorship.StatusApproved
	travel.Travel = &sponsorship.Travel{EventName: "FOSDEM", StartDate: "2027-02-06", EndDate: "2027-02-07"}
	project := request()
	project.ID, project.Kind, project.Status = "01KC00000000000000000000PR", sponsorship.KindProject, sponsorship.StatusPartiallyPaid
	project.Applicant.Email = "linus@example.net"
	project.Project = &sponsorship.Project{Name: "rvv", Milestones: []sponsorship.Milestone{
		{Title: "Design", DueDate: "2027-03-09"}, {Title: "Release", DueDate: "2027-03-09"}, {Title: "Docs", DueDate: "2027-03-16"}}}
	project.Reports = []sponsorship.Report{{Number: 0, State: sponsorship.ReportAccepted, DueDate: "2027-03-09"},
		{Number: 1, State: sponsorship.ReportChangesRequested, DueDate: "2027-03-09"}, {Number: 2, State: sponsorship.ReportDue, DueDate: "2027-03-16"}}
	tests := []struct {
		day  string
		want []string // recipient: the reports named
	}{
		{"2027-03-01", nil},
		{"2027-03-02", []string{"grace@xylo.example: the trip report, due 2027-03-09", "linus@example.net: the report on milestone 2 (Release), due 2027-03-09"}},
		{"2027-03-09", []string{"grace@xylo.example: the trip report, due 2027-03-09 (today)",
			"linus@example.net: the report on milestone 2 (Release), due 2027-03-09 (today) + the report on milestone 3 (Docs), due 2027-03-16"}},
		{"2027-03-12", nil},
		{"2027-03-16", []string{"grace@xylo.example: the trip report, due 2027-03-09 (overdue)",
			"linus@example.net: the report on milestone 2 (Release), due 2027-03-09 (overdue) + the report on milestone 3 (Docs), due 2027-03-16 (today)"}},
		// Eight weeks overdue is the last reminder; nine is past it.
		{"2027-05-04", []string{"grace@xylo.example: the trip report, due 2027-03-09 (overdue)",
			"linus@example.net: the report on milestone 2 (Release), due 2027-03-09 (overdue) + the report on milestone 3 (Docs), due 2027-03-16 (overdue)"}},
		{"2027-05-11", []string{"linus@example.net: the report on milestone 3 (Docs), due 2027-03-16 (overdue)"}},
		{"2027-05-18", nil},
	}
	for _, tt := range tests {
		mail := &capturingSender{}
		n := New(fixedReader{owing: []*sponsorship.Request{travel, project}}, &memOutbox{},
			map[string]Sender{Email: mail}, Config{BaseURL: "https://tracker.example/"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		day, _ := time.Parse("2006-01-02", tt.day)
		n.now = func() time.Time { return day.Add(9 * time.Hour) }
		for range 2 { // the schedule firing twice on one day sends once
			if _, err := n.Remind(context.Background(), 48*time.Hour); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		for to, ms := range mail.sent {
			for _, m := range ms {
				var lines []string
				for _, l := range strings.Split(m.Text, "\n") {
					if strings.HasPrefix(l, "- ") {
						lines = append(lines, strings.TrimPrefix(l, "- "))
					}
				}
				got = append(got, to+": "+strings.Join(lines, " + "))
				if !strings.Contains(m.HTML, "https://tracker.example/status") || !strings.Contains(m.Subject, "due") {
					t.Errorf("%s: reminder without the status page or subject: %q", tt.day, m.Subject)
				}
			}
		}
		sort.Strings(got)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.day, diff)
		}
	}
}

// TestEvidenceEventsAreSent runs each evidence event through Handle, as the stream
// delivers it: finance hears of a submitted report, the applicant of a report sent back
// and of their own file refused by its check (with the reason), and nobody of a staff
// member's refused file.
func TestEvidenceEventsAreSent(t *testing.T) {
	tests := []struct {
		ev   sponsorship.AuditEvent
		want []string // recipient: subject
	}{
		{sponsorship.AuditEvent{Type: sponsorship.EventReportSubmitted, Actor: sponsorship.Actor{Role: sponsorship.RoleApplicant}},
			[]string{"finance@foundation.example: [ST-7ZQ4M-K2P9X] Report to read: Trip to FOSDEM"}},
		{sponsorship.AuditEvent{Type: sponsorship.EventReportChangesRequested, Message: "Add the slides.", Actor: sponsorship.Actor{Role: sponsorship.RoleReviewer}},
			[]string{"grace@xylo.example: [ST-7ZQ4M-K2P9X] Changes asked to your report: Trip to FOSDEM"}},
		{sponsorship.AuditEvent{Type: sponsorship.EventAttachmentQuarantined, Actor: sponsorship.Actor{Role: sponsorship.RoleApplicant},
			Data: map[string]string{"reason": "The file is an executable, not a PDF."}},
			[]string{"grace@xylo.example: [ST-7ZQ4M-K2P9X] A file was refused: Trip to FOSDEM"}},
		{sponsorship.AuditEvent{Type: sponsorship.EventAttachmentQuarantined, Internal: true, Actor: sponsorship.Actor{Role: sponsorship.RoleFinance},
			Data: map[string]string{"reason": "The file is an executable, not a PDF."}}, nil},
	}
	for _, tt := range tests {
		mail := &capturingSender{}
		req := request()
		req.Reference = "ST-7ZQ4M-K2P9X"
		n := New(fixedReader{req: req}, &memOutbox{}, map[string]Sender{Email: mail},
			Config{BaseURL: "https://tracker.example/", Rules: Rules{FinanceEmail: "finance@foundation.example"}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		tt.ev.RequestID, tt.ev.Version = "r1", 7
		if err := n.Handle(context.Background(), tt.ev); err != nil {
			t.Fatal(err)
		}
		var got []string
		for to, ms := range mail.sent {
			for _, m := range ms {
				got = append(got, to+": "+m.Subject)
				if reason := tt.ev.Data["reason"]; reason != "" && (!strings.Contains(m.Text, reason) || !strings.Contains(m.HTML, "an executable")) {
					t.Errorf("%s: the reason is not in the message:\n%s", tt.ev.Type, m.Text)
				}
			}
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.ev.Type, diff)
		}
	}
}

// TestPayoutEventsAreSent: a change of payout details sends its confirmation link to
// the request's address (with the new account's last characters, nothing more), and
// only while that change waits; finance hears of details given or changed.
func TestPayoutEventsAreSent(t *testing.T) {
	now := time.Now()
	waiting := &sponsorship.Payout{Current: 1, Method: "bank_transfer", Hint: "IBAN ending 3000", Verified: true,
		Pending: 2, PendingMethod: "bank_transfer", PendingHint: "IBAN ending 7034", PendingUntil: now.Add(48 * time.Hour)}
	confirmed := &sponsorship.Payout{Current: 2, Method: "bank_transfer", Hint: "IBAN ending 7034"}
	lapsed := &sponsorship.Payout{Current: 1, Method: "bank_transfer", Hint: "IBAN ending 3000",
		Pending: 2, PendingUntil: now.Add(-time.Minute)}
	change := sponsorship.AuditEvent{Type: sponsorship.EventPayoutChangeRequested, Actor: sponsorship.Actor{Role: sponsorship.RoleApplicant},
		Data: map[string]string{"method": "bank_transfer", "details": "2"}}
	tests := []struct {
		name   string
		payout *sponsorship.Payout
		ev     sponsorship.AuditEvent
		want   []string
		link   bool // the message holds the confirmation link
	}{
		{"a change waiting", waiting, change,
			[]string{"grace@xylo.example: [ST-7ZQ4M-K2P9X] Confirm the change of your payout details"}, true},
		{"a change confirmed before the message went", confirmed, change, nil, false},
		{"a change that lapsed", lapsed, change, nil, false},
		{"details given", &sponsorship.Payout{Current: 1, Hint: "IBAN ending 3000"},
			sponsorship.AuditEvent{Type: sponsorship.EventPayoutEntered, Data: map[string]string{"method": "bank_transfer"}},
			[]string{"finance@foundation.example: [ST-7ZQ4M-K2P9X] Payout details to verify: Trip to FOSDEM",
				"grace@xylo.example: [ST-7ZQ4M-K2P9X] Your payout details were received"}, false},
		{"a change confirmed", confirmed,
			sponsorship.AuditEvent{Type: sponsorship.EventPayoutChanged, Data: map[string]string{"method": "bank_transfer"}},
			[]string{"finance@foundation.example: [ST-7ZQ4M-K2P9X] Payout details to verify: Trip to FOSDEM"}, false},
		{"details verified", confirmed, sponsorship.AuditEvent{Type: sponsorship.EventPayoutVerified}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mail := &capturingSender{}
			req := request()
			req.Reference, req.Payout = "ST-7ZQ4M-K2P9X", tt.payout
			n := New(fixedReader{req: req, payout: "the-code"}, &memOutbox{}, map[string]Sender{Email: mail},
				Config{BaseURL: "https://tracker.example/", Rules: Rules{FinanceEmail: "finance@foundation.example"}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
			tt.ev.RequestID, tt.ev.Version = req.ID, 9
			if err := n.Handle(context.Background(), tt.ev); err != nil {
				t.Fatal(err)
			}
			var got []string
			for to, ms := range mail.sent {
				for _, m := range ms {
					got = append(got, to+": "+m.Subject)
					link := "https://tracker.example/confirm#id=" + req.ID + "&payout=the-code"
					if has := strings.Contains(m.Text, link) && strings.Contains(m.HTML, html.EscapeString(link)); has != tt.link {
						t.Errorf("the link in the message: %v, want %v:\n%s", has, tt.link, m.Text)
					}
					if tt.link && !strings.Contains(m.Text, "IBAN ending 7034") {
						t.Errorf("the message does not say which account:\n%s", m.Text)
					}
				}
			}
			sort.Strings(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
