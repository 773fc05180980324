package localaws

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// CognitoSender is the address the local Cognito's invitations come from, as Cognito's
// own do when a pool sends with its default e-mail configuration.
const CognitoSender = "no-reply@verificationemail.com"

// temporaryPassword finds the password in an invitation: Cognito's default template
// ends "temporary password is {####}." and the generated passwords hold no full stop
// (motoserver.py).
var temporaryPassword = regexp.MustCompile(`temporary password is ([^\s.]+)`)

// Invitations returns the temporary passwords of the invitations the local Cognito
// (moto behind motoserver.py) mailed to address, oldest first: what a new member of
// staff finds in their mailbox.
func Invitations(ctx context.Context, endpoint, address string) ([]string, error) {
	all, err := SentMail(ctx, endpoint)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range all {
		to := m.Destinations["ToAddresses"]
		if m.Source != CognitoSender || !slices.ContainsFunc(to, func(a string) bool { return strings.EqualFold(a, address) }) {
			continue
		}
		if p := temporaryPassword.FindStringSubmatch(m.Body); p != nil {
			out = append(out, p[1])
		}
	}
	return out, nil
}

// Mail is a message SES sent, as moto keeps it.
type Mail struct {
	ID           string              `json:"id"`
	Source       string              `json:"source"`
	Subject      string              `json:"subject"`
	Body         string              `json:"body"`
	Destinations map[string][]string `json:"destinations"`
}

// To lists the message's To addresses.
func (m Mail) To() string { return strings.Join(m.Destinations["ToAddresses"], ",") }

// SentMail reads every message moto's SES has sent, oldest first.
func SentMail(ctx context.Context, endpoint string) ([]Mail, error) {
	return SentMailFrom(ctx, endpoint, 0)
}

// SentMailFrom reads the messages moto's SES has sent from the nth on (counting from
// zero, oldest first), so a reader waiting for a mail asks only for what is new
// (motoserver.py serves them apart from moto's whole-state dump).
func SentMailFrom(ctx context.Context, endpoint string, n int) ([]Mail, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/moto-api/motostack/sent-mail?from=%d", endpoint, n), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("read moto's sent mail: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("read moto's sent mail: %s", resp.Status)
	}
	var mails []Mail
	if err := json.NewDecoder(resp.Body).Decode(&mails); err != nil {
		return nil, fmt.Errorf("read moto's sent mail: %w", err)
	}
	return mails, nil
}
