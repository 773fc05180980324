package notify

import (
	"strings"
	"testing"
	texttemplate "text/template"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// Text an applicant might type to command the committee's channel: mentions of the
// channel, of whoever is online, of a user, group or channel, and links whose label
// disguises where they go.
var hostileChat = []string{
	"<!channel>",
	"<!here> urgent",
	"<!everyone>",
	"<@U0123ABCD>",
	"<!subteam^S0123ABCD>",
	"<#C0123ABCD>",
	"<https://evil.example|https://foundation.org>",
	"<mailto:evil@evil.example|the treasurer>",
	"Acme <https://evil.example/login> & Sons",
	"&lt;!channel&gt;", // already escaped: shows as typed, never as a mention
	"a > b < c",
}

// chatEvents are the events the committee's chat hears of, each with the text it must
// carry besides the link.
var chatEvents = []sponsorship.EventType{
	sponsorship.EventSubmitted, sponsorship.EventResubmitted, sponsorship.EventApproved,
	sponsorship.EventRejected, sponsorship.EventApprovalRefused,
}

func TestChatShowsApplicantTextAsText(t *testing.T) {
	for _, evType := range chatEvents {
		for _, payload := range hostileChat {
			req := request()
			req.Title, req.Summary = payload, payload
			req.Applicant.Name, req.Applicant.Organization, req.Applicant.Email = payload, payload, payload
			ev := sponsorship.AuditEvent{Type: evType, Message: payload, Changed: []string{payload},
				Data: map[string]string{"currency": "EUR", "remaining": "10.00", "reason": payload}}
			v := NewView(payload, req, ev, "https://tracker.example/")
			m, err := Render(KindChat, v)
			if err != nil {
				t.Fatalf("%s: %v", evType, err)
			}
			// The one link is the system's: the request in the committee's API.
			own := "<" + v.ReviewURL + "|" + req.Reference + ">"
			if strings.Count(m.Text, own) != 1 {
				t.Errorf("%s, %q: the message lacks its link %s:\n%s", evType, payload, own, m.Text)
			}
			rest := strings.Replace(m.Text, own, "", 1)
			for _, control := range []string{"<", ">"} {
				if strings.Contains(rest, control) {
					t.Errorf("%s, %q: %q outside the system's link makes a mention or link:\n%s", evType, payload, control, m.Text)
				}
			}
			if evType != sponsorship.EventApprovalRefused && !strings.Contains(rest, `"`+mrkdwnEscaper.Replace(payload)+`"`) {
				t.Errorf("%s, %q: the title is not in the message as text:\n%s", evType, payload, m.Text)
			}
			if strings.ContainsAny(m.Subject, "<>") {
				t.Errorf("%s, %q: subject %q", evType, payload, m.Subject)
			}
		}
	}
}

func TestChatMessages(t *testing.T) {
	req := request()
	base := "https://tracker.example/console/#/review/" + req.ID
	tests := map[sponsorship.EventType]string{
		sponsorship.EventSubmitted:       `New travel request <` + base + `|ST-00000-00001> from XYLO CORP.: "Trip to FOSDEM", 1500.00 EUR.`,
		sponsorship.EventResubmitted:     `Resubmitted after changes: <` + base + `|ST-00000-00001> "Trip to FOSDEM".`,
		sponsorship.EventApproved:        `Approved: <` + base + `|ST-00000-00001> "Trip to FOSDEM" for 1200.00 EUR.`,
		sponsorship.EventRejected:        `Rejected: <` + base + `|ST-00000-00001> "Trip to FOSDEM".`,
		sponsorship.EventApprovalRefused: `Approval of <` + base + `|ST-00000-00001> refused: the travel budget has 10.00 EUR left.`,
	}
	for evType, want := range tests {
		ev := sponsorship.AuditEvent{Type: evType, Data: map[string]string{"currency": "EUR", "remaining": "10.00"}}
		m, err := Render(KindChat, NewView("", req, ev, "https://tracker.example"))
		if err != nil {
			t.Fatal(err)
		}
		if m.Text != want+"\n" || m.Subject != req.Reference || m.HTML != "" {
			t.Errorf("%s: %q (subject %q), want %q", evType, m.Text, m.Subject, want)
		}
	}
}

// A link escapes its label, and its URL cannot end early or carry a mention.
func TestChatLink(t *testing.T) {
	got := link("https://tracker.example/review/requests/A|<!channel>&x", "<!here> & co")
	want := mrkdwnLink("<https://tracker.example/review/requests/A%7C&lt;!channel&gt;&amp;x|&lt;!here&gt; &amp; co>")
	if got != want {
		t.Errorf("link = %q, want %q", got, want)
	}
}

// Every action of a chat template escapes what it writes, including actions a later
// template adds inside with, range or else branches; variable declarations write
// nothing and are left alone.
func TestChatTemplateActionsAllEscape(t *testing.T) {
	tmpl := texttemplate.Must(texttemplate.New("t").Funcs(texttemplate.FuncMap{"link": link, escapeAction: escapeMrkdwn}).Parse(
		`{{.A}}|{{with .B}}{{.}}{{end}}|{{range .C}}{{.}},{{end}}|{{if .D}}x{{else}}{{.A}}{{end}}|{{$v := .A}}{{$v}}|{{link "https://t.example/" .A}}|{{printf "%s" .A}}`))
	escapeActions(tmpl.Tree.Root)
	var b strings.Builder
	if err := tmpl.Execute(&b, map[string]any{"A": "<!channel>", "B": "<@U1>", "C": []string{"<#C1>"}, "D": false}); err != nil {
		t.Fatal(err)
	}
	want := `&lt;!channel&gt;|&lt;@U1&gt;|&lt;#C1&gt;,|&lt;!channel&gt;|&lt;!channel&gt;|<https://t.example/|&lt;!channel&gt;>|&lt;!channel&gt;`
	if b.String() != want {
		t.Errorf("got  %s\nwant %s", b.String(), want)
	}
}

// E-mail stays as it was: the plain-text part carries the applicant's words as typed
// (a mail reader shows them as text), the HTML part escapes them for HTML.
func TestEmailTextIsNotChatEscaped(t *testing.T) {
	req := request()
	req.Title = "<!channel> & <https://evil.example|x>"
	m, err := Render(KindNewRequest, NewView("Ann", req, sponsorship.AuditEvent{Type: sponsorship.EventSubmitted}, "https://tracker.example"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Text, req.Title) || !strings.Contains(m.HTML, "&lt;!channel&gt; &amp; &lt;https://evil.example|x&gt;") {
		t.Errorf("e-mail:\n%s\n%s", m.Text, m.HTML)
	}
}
