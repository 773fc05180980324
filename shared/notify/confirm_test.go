package notify

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// capturingSender keeps every message whole, by recipient.
type capturingSender struct {
	mu   sync.Mutex
	sent map[string][]Message
}

func (s *capturingSender) Send(_ context.Context, to string, m Message) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sent == nil {
		s.sent = map[string][]Message{}
	}
	s.sent[to] = append(s.sent[to], m)
	return "id", nil
}

func (s *capturingSender) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, ms := range s.sent {
		n += len(ms)
	}
	return n
}

// hostileUnconfirmed is an unconfirmed request whose every free-text field is a
// stranger's attempt to use our mail: markup, a phishing line, an injected header.
func hostileUnconfirmed(now time.Time) *sponsorship.Request {
	r := request()
	r.Status, r.Approved, r.ExpiresAt = sponsorship.StatusUnconfirmed, nil, now.Add(7*24*time.Hour)
	r.Applicant.Name = `Mallory <b>PAY-NOW</b> visit evil.example`
	r.Applicant.Organization = "WIN-A-PRIZE Ltd\r\nBcc: victims@example.org"
	r.Title = `<a href="https://evil.example/login">RESET-YOUR-PASSWORD</a>`
	r.Summary = "CLICK-HERE https://evil.example/"
	return r
}

var hostileMarkers = []string{"Mallory", "PAY-NOW", "evil.example", "WIN-A-PRIZE", "Bcc", "RESET-YOUR-PASSWORD", "CLICK-HERE", "<a href=\"https://evil"}

func TestUnconfirmedRequestSendsOnlyTheConfirmationLink(t *testing.T) {
	now := time.Now()
	req := hostileUnconfirmed(now)
	mail, chat := &capturingSender{}, &capturingSender{}
	n := New(fixedReader{req: req, code: "c0de-Of_the+link"}, &memOutbox{},
		map[string]Sender{Email: mail, Chat: chat}, Config{BaseURL: "https://tracker.example/", Rules: Rules{FinanceEmail: "f@x.example", AdminsEmail: "a@x.example"}},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	ev := sponsorship.AuditEvent{RequestID: req.ID, Version: 1, Type: sponsorship.EventReceived, ToStatus: sponsorship.StatusUnconfirmed}
	if err := n.Handle(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	// Reviewers, finance, admins and the chat hear nothing; the address gets one message.
	if chat.count() != 0 || mail.count() != 1 || len(mail.sent[req.Applicant.Email]) != 1 {
		t.Fatalf("sent %v by mail and %v to the chat; want one message to the applicant's address", mail.sent, chat.sent)
	}
	m := mail.sent[req.Applicant.Email][0]
	link := "https://tracker.example/confirm#id=" + req.ID + "&code=c0de-Of_the%2Blink"
	for part, body := range map[string]string{"subject": m.Subject, "text": m.Text, "HTML": m.HTML} {
		for _, bad := range hostileMarkers {
			if strings.Contains(body, bad) {
				t.Errorf("the %s carries %q, which the applicant typed:\n%s", part, bad, body)
			}
		}
		if !strings.Contains(body, req.Reference) {
			t.Errorf("the %s lacks the reference", part)
		}
	}
	if !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, strings.ReplaceAll(link, "&", "&amp;")) {
		t.Errorf("the message lacks the link %s:\n%s\n%s", link, m.Text, m.HTML)
	}
	if !strings.HasPrefix(m.Text, "Hello,\n") {
		t.Errorf("the greeting is not a plain hello: %q", m.Text[:20])
	}

	// Once confirmed, the same event (a retry) sends nothing; nor does it for a request
	// withdrawn or expired meanwhile.
	for name, reader := range map[string]fixedReader{
		"confirmed": {req: func() *sponsorship.Request {
			r := *req
			r.Status, r.ExpiresAt = sponsorship.StatusSubmitted, time.Time{}
			return &r
		}()},
		"withdrawn": {req: func() *sponsorship.Request { r := *req; r.Status = sponsorship.StatusWithdrawn; return &r }(), code: "c"},
		"expired":   {req: func() *sponsorship.Request { r := *req; r.ExpiresAt = now.Add(-time.Second); return &r }(), code: "c"},
		"no code":   {req: req},
	} {
		mail := &capturingSender{}
		n := New(reader, &memOutbox{}, map[string]Sender{Email: mail}, Config{BaseURL: "https://t.example"},
			slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err := n.Handle(context.Background(), ev); err != nil || mail.count() != 0 {
			t.Errorf("%s: sent %v (%v)", name, mail.sent, err)
		}
	}
}

func TestDigestLeavesOutUnconfirmedRequests(t *testing.T) {
	now := time.Now()
	r := hostileUnconfirmed(now)
	r.SubmittedAt = now.Add(-96 * time.Hour)
	if got := waitingOn(directory, member("b"), []*sponsorship.Request{r}); len(got) != 0 {
		t.Errorf("an unconfirmed request waits on Bob: %v", got)
	}
}

// TestUnconfirmedRequestHearsNothingElse: while a request waits for its address's
// confirmation, no event but its receipt sends anything; a file of it refused by its
// check (whose notice names the request's title, the submitter's words) included.
func TestUnconfirmedRequestHearsNothingElse(t *testing.T) {
	req := hostileUnconfirmed(time.Now())
	mail := &capturingSender{}
	n := New(fixedReader{req: req, code: "c0de"}, &memOutbox{}, map[string]Sender{Email: mail},
		Config{BaseURL: "https://tracker.example/", Rules: Rules{FinanceEmail: "f@x.example"}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for v, typ := range []sponsorship.EventType{sponsorship.EventAttachmentQuarantined, sponsorship.EventAttachmentAdded, sponsorship.EventWithdrawn} {
		ev := sponsorship.AuditEvent{RequestID: req.ID, Version: v + 2, Type: typ, Actor: sponsorship.Actor{Role: sponsorship.RoleApplicant},
			Data: map[string]string{"reason": "The file is an executable, not a PDF."}}
		if err := n.Handle(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	if mail.count() != 0 {
		t.Errorf("sent about an unconfirmed request: %v", mail.sent)
	}
}
