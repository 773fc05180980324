//go:build integration

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// chatAbout lists the chat messages mentioning ref.
func chatAbout(ref string) []string {
	var out []string
	for _, m := range chat.Messages() {
		if strings.Contains(m, ref) {
			out = append(out, m)
		}
	}
	return out
}

type mail = localaws.Mail

// mailAbout reads what SES sent with a subject or body mentioning ref.
func mailAbout(t *testing.T, ref string) []mail {
	t.Helper()
	all, err := localaws.SentMail(context.Background(), dev.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	var out []mail
	for _, m := range all {
		if strings.Contains(m.Subject, ref) || strings.Contains(m.Body, ref) {
			out = append(out, m)
		}
	}
	return out
}

// recipients counts messages per recipient.
func recipients(ms []mail) map[string]int {
	out := map[string]int{}
	for _, m := range ms {
		out[m.To()]++
	}
	return out
}

func drain(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := dev.DrainStreams(ctx); err != nil {
		t.Fatal(err)
	}
}

// activeReviewerEmails lists the addresses of the active reviewers on the roster now
// (finance and admins are on it too, but do not review).
func activeReviewerEmails(t *testing.T) []string {
	t.Helper()
	seen := map[string]bool{}
	for _, r := range staff(t, "admin").do("GET", "/admin/reviewers", nil).json(t)["items"].([]any) {
		if r := r.(map[string]any); r["active"] == true && slices.Contains(r["roles"].([]any), any("reviewer")) {
			seen[r["email"].(string)] = true
		}
	}
	var out []string
	for e := range seen {
		out = append(out, e)
	}
	sort.Strings(out)
	return out
}

func submit(t *testing.T, body map[string]any) (id, ref, token string) {
	t.Helper()
	r := anonymous(t).do("POST", "/requests", body)
	if r.status != 201 {
		t.Fatalf("submit: %d %s", r.status, r.body)
	}
	m := r.json(t)
	return m["id"].(string), m["reference"].(string), m["applicantToken"].(string)
}

func TestSubmissionNotifiesEachReviewerAndTheApplicantOnce(t *testing.T) {
	// The tests before (the authorization matrix submits dozens of requests) may leave
	// notifications queued in the stream: let them go first, so that the minute this
	// test waits for its confirmation mail is this request's.
	drain(t)
	body := application("conference", "notify-once@northwind.example")
	body["applicant"].(map[string]any)["organization"] = "Northwind Ltd"
	_, ref, _ := submitConfirmedByMail(t, body)
	drain(t)
	got := recipients(mailAbout(t, ref))
	want := map[string]int{"notify-once@northwind.example": 2} // the confirmation link, then the receipt
	for _, e := range activeReviewerEmails(t) {
		want[e] = 1
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("messages per recipient:\n got %v\nwant %v", got, want)
	}
	if n := len(chatAbout(ref)); n != 1 {
		t.Errorf("%d chat messages about %s, want 1", n, ref)
	}
}

func TestDecisionsNotifyTheRightPeople(t *testing.T) {
	ctx := context.Background()
	vote := func(email, id, choice string) {
		t.Helper()
		tok, err := dev.Token(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		if r := as(t, tok).do("POST", "/review/requests/"+id+"/votes", map[string]any{"choice": choice}); r.status != 200 {
			t.Fatalf("vote: %d %s", r.status, r.body)
		}
	}
	decide := func(choice string) (string, string) {
		body := application("conference", "decision-"+choice+"@northwind.example")
		body["applicant"].(map[string]any)["organization"] = "Northwind Ltd"
		body["conference"].(map[string]any)["startDate"], body["conference"].(map[string]any)["endDate"] = "2030-05-01", "2030-05-02"
		id, ref, _ := submitConfirmedByMail(t, body)
		for _, who := range []string{"rita.reviewer@example.org", "bruno.reviewer@example.org", "gita.reviewer@example.org"} {
			vote(who, id, choice)
		}
		drain(t)
		return id, ref
	}
	id, ref := decide("approve")
	ms := mailAbout(t, ref)
	var toApplicant, toFinance []mail
	for _, m := range ms {
		switch m.To() {
		case "decision-approve@northwind.example":
			if strings.Contains(m.Subject, "Approved") {
				toApplicant = append(toApplicant, m)
			}
		case "finance@sponsorship.example.org":
			toFinance = append(toFinance, m)
		}
	}
	if len(toApplicant) != 1 || !strings.Contains(toApplicant[0].Body, "1200.00 EUR") {
		t.Errorf("applicant's approval mail: %+v", toApplicant)
	}
	if len(toFinance) != 1 || !strings.Contains(toFinance[0].Subject, "To pay: 1200.00 EUR") {
		t.Errorf("finance's mail: %+v", toFinance)
	}
	if msgs := chatAbout(ref); len(msgs) != 2 || !strings.Contains(strings.Join(msgs, "\n"), "Approved: <"+dev.Parameter("PublicBaseUrl")+"/console/#/review/"+id+"|"+ref+">") {
		t.Errorf("chat about %s: %v", ref, msgs)
	}
	_, ref = decide("reject")
	if n := recipients(mailAbout(t, ref))["decision-reject@northwind.example"]; n != 3 { // confirmation link, receipt and decision
		t.Errorf("the rejected applicant got %d messages, want the confirmation link, the receipt and the decision", n)
	}
}

func TestChangesRequestedMailCarriesTheMessage(t *testing.T) {
	id, ref, _ := submitConfirmed(t, application("travel", "changes@northwind.example"))
	tok, err := dev.Token(context.Background(), "reviewer")
	if err != nil {
		t.Fatal(err)
	}
	if r := as(t, tok).do("POST", "/review/requests/"+id+"/changes", map[string]any{"message": "Please add the lodging quote."}); r.status != 200 {
		t.Fatalf("changes: %d %s", r.status, r.body)
	}
	drain(t)
	for _, m := range mailAbout(t, ref) {
		if m.To() == "changes@northwind.example" && strings.Contains(m.Subject, "Changes requested") {
			if !strings.Contains(m.Body, "Please add the lodging quote.") {
				t.Errorf("the message is missing: %s", m.Body)
			}
			return
		}
	}
	t.Error("no request-for-changes mail to the applicant")
}

func TestHostileTitleArrivesEscaped(t *testing.T) {
	body := application("project", "hostile@northwind.example")
	body["title"] = `<script>alert("owned")</script> compiler work`
	_, ref, _ := submitConfirmedByMail(t, body)
	drain(t)
	ms := mailAbout(t, ref)
	if len(ms) == 0 {
		t.Fatal("no mail")
	}
	for _, m := range ms {
		if strings.Contains(m.Subject, "Confirm your e-mail address") {
			continue // it carries no title at all (TestUnconfirmedRequestReachesOnlyItsAddress)
		}
		if strings.Contains(m.Body, "<script>") || !strings.Contains(m.Body, "&lt;script&gt;") {
			t.Errorf("HTML to %s carries the title unescaped: %.300s", m.To(), m.Body)
		}
	}
}

func TestReplayedBatchSendsNothingNew(t *testing.T) {
	id, ref, _ := submitConfirmedByMail(t, application("conference", "replay@northwind.example"))
	drain(t)
	before := len(mailAbout(t, ref))
	records, err := dev.ReadStream(context.Background(), "Table")
	if err != nil {
		t.Fatal(err)
	}
	var batch []map[string]any
	for _, r := range records {
		keys := r["dynamodb"].(map[string]any)["Keys"].(map[string]any)
		if keys["PK"].(map[string]any)["S"] == "REQ#"+id && strings.HasPrefix(keys["SK"].(map[string]any)["S"].(string), "EVENT#") {
			batch = append(batch, r)
		}
	}
	if len(batch) == 0 {
		t.Fatal("no stream record of the request")
	}
	payload, _ := json.Marshal(map[string]any{"Records": batch})
	res, err := dev.Invoke(context.Background(), "NotifyFunction", payload)
	if err != nil || res.FunctionError != "" {
		t.Fatalf("replay: %v %s", err, res.Payload)
	}
	if bytes.Contains(res.Payload, []byte("itemIdentifier")) {
		t.Errorf("replay reported failures: %s", res.Payload)
	}
	if after := len(mailAbout(t, ref)); after != before || before == 0 {
		t.Errorf("%d messages before the replay, %d after", before, after)
	}
}

// TestFailingMailIsRetriedThenDeadLettered makes SES refuse one applicant's address:
// that record is retried and lands in the dead-letter queue, while the rest of its
// notifications and the other records go out, each once.
func TestFailingMailIsRetriedThenDeadLettered(t *testing.T) {
	bad := fmt.Sprintf("ses-refuses-%d@northwind.example", time.Now().UnixNano())
	// Both addresses get their confirmation links; then SES starts refusing one, and
	// both are confirmed: that one's receipt fails, while the reviewers' messages about
	// its request go out.
	_, refBad, _ := submit(t, application("conference", bad))
	_, refGood, _ := submit(t, application("conference", "ses-fine@northwind.example"))
	_, badID, badCode := confirmationMail(t, refBad)
	_, goodID, goodCode := confirmationMail(t, refGood)
	fault, _ := json.Marshal(map[string]any{"target": "/v2/email/outbound-emails", "body": bad, "status": 400,
		"errorType": "MessageRejected", "message": "Email address is not verified (injected)"})
	resp, err := http.Post(dev.Endpoint()+"/_proxy/faults", "application/json", bytes.NewReader(fault))
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("inject fault: %v %v", err, resp)
	}
	t.Cleanup(func() { clearFaults(t) })
	mustConfirm(t, badID, badCode)
	mustConfirm(t, goodID, goodCode)
	drain(t)

	good := recipients(mailAbout(t, refGood))
	if good["ses-fine@northwind.example"] != 2 {
		t.Errorf("the other request's confirmation and receipt: %v", good)
	}
	badMail := recipients(mailAbout(t, refBad))
	if badMail[bad] != 1 {
		t.Errorf("the refused address got %v; want the confirmation mail only, sent before SES refused it", badMail)
	}
	for _, e := range activeReviewerEmails(t) {
		if badMail[e] != 1 {
			t.Errorf("reviewer %s got %d messages about the failing request despite its retries, want 1", e, badMail[e])
		}
	}
	q := sqs.NewFromConfig(localaws.Config(dev.Endpoint()))
	out, err := q.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(dev.Physical("NotifyDeadLetters")),
		MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 || !strings.Contains(aws.ToString(out.Messages[0].Body), "DDBStreamBatchInfo") {
		t.Fatalf("dead letters: %v", out.Messages)
	}
	// After a partial batch failure the retried range runs from the failed record to the
	// batch's end (as on Lambda), so the range parked may hold records that were sent.
	if st := dev.MappingStats()["NotifyFunctionAuditEvents"]; st.Failed < 1 || st.Invocations < 4 {
		t.Errorf("mapping stats %+v: want the record retried, then parked", st)
	}
}

// TestReminderDigestListsExactlyTheOverdueRequests backdates requests in the store (as
// if submitted days ago), fires the daily schedule, and reads each reviewer's digest.
func TestReminderDigestListsExactlyTheOverdueRequests(t *testing.T) {
	ctx := context.Background()
	store := dev.Store()
	rita := dev.Subs["rita.reviewer@example.org"]
	old := time.Now().Add(-5 * 24 * time.Hour).UTC().Truncate(time.Microsecond)
	mk := func(title, org string, voters []string, unconfirmed bool) string {
		in := sponsorship.RequestInput{
			Kind: sponsorship.KindProject, Title: title, Summary: "Overdue request for the reminder test.",
			Applicant: sponsorship.Applicant{Name: "Old", Email: "old@northwind.example", Organization: org},
			Amount:    money.Amount{Currency: "EUR", Value: "100.00"},
			Project: &sponsorship.ProjectInput{Name: "old", RepositoryURL: "https://example.org/old", Licence: "MIT",
				Milestones: []sponsorship.MilestoneInput{{Title: "All", DueDate: "2031-01-01", Amount: money.Amount{Currency: "EUR", Value: "100.00"}}}},
		}
		content, err := sponsorship.Validate(in, sponsorship.DefaultRules, old.Format("2006-01-02"))
		if err != nil {
			t.Fatal(err)
		}
		id := sponsorship.NewID(old)
		req := &sponsorship.Request{ID: id, Reference: sponsorship.ReferenceFor(id), Status: sponsorship.StatusSubmitted, Version: 1, Round: 1,
			FiscalYear: old.Year(), Content: content, SubmittedAt: old, UpdatedAt: old, Voters: voters, TokenHash: "x"}
		ev := sponsorship.AuditEvent{RequestID: id, Version: 1, Type: sponsorship.EventSubmitted, At: old, ToStatus: sponsorship.StatusSubmitted,
			Actor: sponsorship.Actor{Role: sponsorship.RoleApplicant}}
		if unconfirmed {
			req.Status, req.ExpiresAt, req.ConfirmHash = sponsorship.StatusUnconfirmed, old.Add(7*24*time.Hour), sponsorship.HashSecret("code")
			ev.Type, ev.ToStatus = sponsorship.EventReceived, sponsorship.StatusUnconfirmed
			err = store.CreateProvisional(ctx, req, ev, nil, sponsorship.PendingFor("code", req.Applicant.Email, old, 3))
		} else {
			err = store.CreateRequest(ctx, req, ev, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		return req.Reference
	}
	voted := mk("Overdue, Rita voted", "Old Org", []string{rita}, false)
	waiting := mk("Overdue, waiting on everyone", "Old Org", nil, false)
	xenas := mk("Overdue, of Xena's company", "Example Labs", nil, false)
	// Five days old too, but its address was never confirmed: not the committee's.
	unconfirmed := mk("Overdue, never confirmed", "Old Org", nil, true)
	drain(t)
	if _, err := dev.FireSchedule(ctx, "RemindersFunctionDaily"); err != nil {
		t.Fatal(err)
	}
	digests := map[string]mail{}
	for _, m := range mailAbout(t, waiting) {
		if strings.Contains(m.Subject, "waiting on your vote") {
			digests[m.To()] = m
		}
	}
	check := func(who string, want, not []string) {
		t.Helper()
		d, ok := digests[who]
		if !ok {
			t.Errorf("no digest to %s", who)
			return
		}
		for _, ref := range want {
			if !strings.Contains(d.Body, ref) {
				t.Errorf("digest to %s lacks %s", who, ref)
			}
		}
		for _, ref := range not {
			if strings.Contains(d.Body, ref) {
				t.Errorf("digest to %s lists %s", who, ref)
			}
		}
	}
	check("rita.reviewer@example.org", []string{waiting, xenas}, []string{voted, unconfirmed})
	check("bruno.reviewer@example.org", []string{waiting, voted, xenas}, []string{unconfirmed})
	check("xena.reviewer@example.org", []string{waiting, voted}, []string{xenas, unconfirmed})
	// A second run the same day sends nothing more.
	before := len(mailAbout(t, waiting))
	if _, err := dev.FireSchedule(ctx, "RemindersFunctionDaily"); err != nil {
		t.Fatal(err)
	}
	if after := len(mailAbout(t, waiting)); after != before {
		t.Errorf("a second run the same day sent %d more", after-before)
	}
}
