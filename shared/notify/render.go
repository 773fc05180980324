package notify

import (
	"bytes"
	"embed"
	htmltemplate "html/template"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

//go:embed templates/*.tmpl
var templateFiles embed.FS

// Message is a rendered notification: a subject, a plain text and an HTML body. Chat
// messages use Text only.
type Message struct {
	Subject string
	Text    string
	HTML    string
}

// View is what templates see.
type View struct {
	Name      string
	Request   *sponsorship.Request
	Event     sponsorship.AuditEvent
	StatusURL string // the applicant's status page
	ReviewURL string // the request's dossier in the staff console, where reviewers act
	LedgerURL string // the request's ledger in the staff console, where finance pays and judges reports
	Approved  string // the approved amount, "1500.00 EUR"
	Requested string
	Remaining string // for a refused approval
	Waiting   []Waiting
	Reports   []ReportDue // an applicant's reminder: the reports due
	// ConfirmURL and ConfirmBy are the confirmation message's link and deadline.
	ConfirmURL string
	ConfirmBy  string
}

// Waiting is one line of a reviewer's digest.
type Waiting struct {
	Reference string
	Title     string
	Amount    string
	Days      int
	ReviewURL string
}

var (
	parseOnce sync.Once
	textT     *texttemplate.Template
	htmlT     *htmltemplate.Template
	parseErr  error
)

// parse reads the templates on first use, not at start-up, to keep cold starts short.
func parse() error {
	parseOnce.Do(func() {
		textT, parseErr = texttemplate.New("text").ParseFS(templateFiles, "templates/text.tmpl")
		if parseErr == nil {
			htmlT, parseErr = htmltemplate.New("html").ParseFS(templateFiles, "templates/html.tmpl")
		}
	})
	return parseErr
}

// Render writes the message of a kind. Applicant-supplied text is escaped in the HTML
// part by html/template, and in chat messages for Slack's mrkdwn (chat.go); subjects
// lose line breaks so no text can add a header.
func Render(kind string, v View) (Message, error) {
	if kind == KindChat {
		return renderChat(v)
	}
	if err := parse(); err != nil {
		return Message{}, err
	}
	var subject, text, html bytes.Buffer
	if err := textT.ExecuteTemplate(&subject, kind+".subject", v); err != nil {
		return Message{}, err
	}
	if err := textT.ExecuteTemplate(&text, kind+".text", v); err != nil {
		return Message{}, err
	}
	if kind != KindChat {
		if err := htmlT.ExecuteTemplate(&html, kind+".html", v); err != nil {
			return Message{}, err
		}
	}
	return Message{Subject: oneLine(subject.String()), Text: strings.TrimSpace(text.String()) + "\n", HTML: html.String()}, nil
}

func oneLine(s string) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }), " ")
	if len([]rune(s)) > 150 {
		s = string([]rune(s)[:150]) + "…"
	}
	return strings.TrimSpace(s)
}

// NewView fills in what every template needs.
func NewView(name string, req *sponsorship.Request, ev sponsorship.AuditEvent, baseURL string) View {
	base := strings.TrimRight(baseURL, "/")
	v := View{Name: name, Request: req, Event: ev, StatusURL: base + "/status", ReviewURL: base + "/console/#/review/" + req.ID,
		LedgerURL: base + "/console/#/pay/" + req.ID, Requested: req.Amount.String()}
	if req.Approved != nil {
		v.Approved = req.Approved.String()
	}
	if ev.Data["remaining"] != "" {
		if m, err := money.Parse(ev.Data["currency"], ev.Data["remaining"]); err == nil {
			v.Remaining = m.String()
		}
	}
	return v
}

// days is how many whole days lie between two times.
func days(from, to time.Time) int { return int(to.Sub(from).Hours() / 24) }
